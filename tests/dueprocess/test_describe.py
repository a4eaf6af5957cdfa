"""Each audit event in plain words: the title, a sentence with the facts its data carries
(data shaped as each `audit.record` call site writes it), and the link to act on it."""

from datetime import UTC, datetime
from typing import Any

import pytest

from fairlabel.dueprocess.audit import AuditKind
from fairlabel.dueprocess.describe import DESCRIBERS, describe
from fairlabel.dueprocess.schemas import AuditEventOut

EVIDENCE = "Items 4, 9 and 12 were answered in under a second each with copied text."
SCRIPT = "<script>alert(1)</script>"


def event(kind: str, data: dict[str, Any], **fields: Any) -> AuditEventOut:
    values = {
        "id": 1,
        "worker_id": 7,
        "actor_id": None,
        "subject_kind": None,
        "subject_id": 12,
        "project_id": 3,
        "created_at": datetime(2026, 11, 22, 9, 30, tzinfo=UTC),
        **fields,
    }
    return AuditEventOut(kind=kind, data=data, **values)


VERDICT = {
    "stage": "review",
    "verdict": "reject",
    "reason_code": "wrong_answer",
    "guideline_ref": "Sarcasm",
}
GOLD_GATE = {
    "decision": "closed",
    "accuracy": 0.5,
    "min_gold_accuracy": 0.8,
    "gold_seen": 10,
    "missed_url": "/api/projects/3/gold/mine",
}
TEST = {
    "test_id": 4,
    "qualification": "sentiment",
    "level": 2,
    "score": 0.6,
    "pass_mark": 0.8,
    "passed": False,
    "missed": 2,
}
SANCTION = {
    "kind": "suspension",
    "reason_code": "fraud",
    "evidence": EVIDENCE,
    "effective_at": "2026-11-29T09:30:00+00:00",
    "fraud_proven": False,
    "follows_complaint": False,
    "complaint_ids": [],
}
PAY = {
    "from": 15,
    "to": 37,
    "currency": "USD",
    "median_seconds": 180.0,
    "countries": ["US"],
    "topped_up_minor": 22,
}

#: kind, data, title, facts the sentence must hold, link.
CASES = [
    (
        AuditKind.verdict,
        VERDICT,
        "Your work was rejected",
        ["wrong_answer", "“Sarcasm”", "review stage"],
        "/appeals",
    ),
    (
        AuditKind.verdict,
        {**VERDICT, "verdict": "accept", "reason_code": None, "guideline_ref": None},
        "Your work was accepted",
        ["accepted"],
        "/history",
    ),
    (
        AuditKind.verdict,
        {**VERDICT, "verdict": "correct"},
        "Your work was corrected",
        ["corrected"],
        "/history",
    ),
    (
        AuditKind.gold_gate,
        GOLD_GATE,
        "This project stopped sending you tasks",
        ["50%", "10 items", "80%", "pay are not affected"],
        "/appeals",
    ),
    (
        AuditKind.qualification_claimed,
        {"name": "medicine", "level": 3, "tier": "claimed"},
        "You claimed a qualification",
        ["medicine level 3", "tier is claimed"],
        "/profile",
    ),
    (
        AuditKind.qualification_tier,
        {
            "name": "medicine",
            "level": 3,
            "from": "claimed",
            "to": "documents_checked",
            "reason": "Diploma seen on a call.",
        },
        "The tier of your qualification changed",
        ["medicine level 3", "from tier claimed to documents checked", "Diploma seen on a call."],
        "/profile",
    ),
    (
        AuditKind.qualification_test,
        TEST,
        "You did not pass a qualification test",
        ["60%", "pass mark is 80%", "sentiment level 2", "known answers: 2"],
        "/appeals",
    ),
    (
        AuditKind.qualification_test,
        {**TEST, "score": 0.9, "passed": True, "missed": 1},
        "You passed a qualification test",
        ["90%", "pass mark is 80%"],
        "/profile",
    ),
    (
        AuditKind.qualification_granted,
        {"name": "sentiment", "level": 2, "tier": "calibrated", "test_id": 4},
        "Qualification granted",
        ["sentiment level 2", "tier calibrated"],
        "/profile",
    ),
    (
        AuditKind.sanction_issued,
        SANCTION,
        "You were suspended from this project",
        ["Fraudulent work (fraud)", "2026-11-29 09:30 UTC", EVIDENCE, "not taken away"],
        "/appeals",
    ),
    (
        AuditKind.sanction_issued,
        {**SANCTION, "kind": "deactivation", "reason_code": "other", "fraud_proven": True},
        "Your account is to be deactivated",
        ["Reason: other.", "no notice period"],
        "/appeals",
    ),
    (
        AuditKind.sanction_effective,
        {},
        "A sanction took effect",
        ["A sanction against you (number 12) is now in effect."],
        "/appeals",
    ),
    (
        AuditKind.sanction_withdrawn,
        {"reason": "appeal 5 upheld: The evidence was about another account."},
        "A sanction was withdrawn",
        ["(number 12) was withdrawn", "another account"],
        None,
    ),
    (
        AuditKind.appeal_filed,
        {"subject_kind": "review", "subject_id": 9, "due_at": "2026-12-06T09:30:00+00:00"},
        "You appealed a decision",
        ["rejection of your work (number 9)", "due by 2026-12-06 09:30 UTC", "in your favour"],
        "/appeals",
    ),
    (
        AuditKind.appeal_decided,
        {
            "subject_kind": "sanction",
            "subject_id": 12,
            "outcome": "upheld",
            "reason": "The evidence was about another account.",
            "by_deadline": False,
        },
        "Appeal decided in your favour",
        ["the sanction (number 12)", "upheld", "another account"],
        "/appeals",
    ),
    (
        AuditKind.appeal_decided,
        {"subject_kind": "qualification", "subject_id": 30, "outcome": "denied", "reason": "No."},
        "Appeal turned down",
        ["the qualification decision (number 30)", "denied"],
        "/appeals",
    ),
    (
        AuditKind.notice,
        {"country": "KE", "effective_at": "2026-12-20T00:00:00+03:00", "message": "Data ran out."},
        "Notice: work on this project is ending",
        ["in KE", "2026-12-19 21:00 UTC", "Data ran out."],
        "/appeals",
    ),
    (
        AuditKind.complaint,
        {},
        "You sent a complaint",
        ["Your complaint (number 12) is on record"],
        "/appeals",
    ),
    (
        AuditKind.feedback_answered,
        {},
        "Your feedback was answered",
        ["Your message (number 12) has an answer."],
        "/appeals",
    ),
    (
        AuditKind.pay_rate_raised,
        PAY,
        "Pay rate raised to meet the pay floor",
        ["from 0.15 USD to 0.37 USD", "180 s", "floor of US", "topped up by 0.22 USD"],
        "/earnings",
    ),
    (
        AuditKind.sign_in_locked,
        {
            "locked_until": "2026-11-22T09:45:00+00:00",
            "failures": 5,
            "window_minutes": 15,
            "client": "203.0.113.9",
        },
        "Signing in to your account was locked",
        ["5 sign-ins with a wrong password within 15 minutes", "from 203.0.113.9", "09:45 UTC"],
        None,
    ),
]


@pytest.mark.parametrize(("kind", "data", "title", "facts", "link"), CASES)
def test_each_kind_reads_as_a_sentence_with_its_facts(
    kind: AuditKind, data: dict[str, Any], title: str, facts: list[str], link: str | None
) -> None:
    said = describe(event(kind, data))
    assert said.title == title
    for fact in facts:
        assert fact in said.sentence, (fact, said.sentence)
    assert (said.link.href if said.link else None) == link
    assert "{" not in said.sentence and "_" not in said.title


def test_every_kind_has_a_describer() -> None:
    assert set(DESCRIBERS) == set(AuditKind)
    assert {kind for kind, *_ in CASES} == set(AuditKind)


def test_money_uses_the_currency_decimals_and_a_rate_change_for_everyone_has_no_top_up() -> None:
    data = {key: value for key, value in PAY.items() if key != "topped_up_minor"}
    said = describe(event(AuditKind.pay_rate_raised, {**data, "currency": "JPY"}))
    assert "from 15 JPY to 37 JPY" in said.sentence and "topped up" not in said.sentence


@pytest.mark.parametrize("kind", list(AuditKind))
def test_missing_keys_give_a_sentence_not_an_exception(kind: AuditKind) -> None:
    said = describe(event(kind, {}, subject_id=None))
    assert said.title and said.sentence and "None" not in said.sentence


def test_mistyped_values_give_a_sentence_not_an_exception() -> None:
    odd = {"effective_at": "soon", "from": "15", "currency": 3, "countries": "US", "score": "a"}
    for kind in (AuditKind.sanction_issued, AuditKind.pay_rate_raised, AuditKind.notice):
        said = describe(event(kind, odd))
        assert "not recorded" in said.sentence or "soon" in said.sentence


def test_an_unknown_kind_is_named_by_its_kind() -> None:
    said = describe(event("payout_held", {"anything": 1}))
    assert said.title == "Payout held" and "payout held" in said.sentence
    assert said.link is None


def test_html_in_data_stays_plain_text() -> None:
    notice = {"country": None, "effective_at": "2026-12-20T00:00:00+00:00", "message": SCRIPT}
    said = describe(event(AuditKind.notice, notice))
    assert said.sentence.endswith(f"The notice says: {SCRIPT}")
