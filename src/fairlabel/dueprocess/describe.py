"""Each audit event in plain words for the worker it is about: a title, a sentence with the
facts its data carries (reasons, amounts, dates), and a link to where they can act on it.
Old events may lack keys and new kinds may come before a describer: neither ever raises.

Sentences are plain text; escaping them is the template's job. Amounts are formatted by
`fairlabel.pay.floors.money`, the one formatter of the pages too, so every amount a worker
reads looks the same."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from fairlabel.dueprocess.audit import AuditKind
from fairlabel.dueprocess.schemas import AuditEventOut
from fairlabel.dueprocess.service import SANCTION_REASONS
from fairlabel.pay.floors import money

NOT_RECORDED = "not recorded"
SANCTION_LABELS = {reason.code: reason.label for reason in SANCTION_REASONS}
SUBJECTS = {
    "review": "the rejection of your work",
    "qualification": "the qualification decision",
    "sanction": "the sanction",
}


class Link(NamedTuple):
    href: str
    text: str


APPEAL = Link("/appeals", "Appeal")
VERDICT = Link("/history", "See the verdict")
EARNINGS = Link("/earnings", "See your earnings")
PROFILE = Link("/profile", "See your profile")
APPEALS = Link("/appeals", "See your appeals")
NOTICE = Link("/appeals", "See the notice")
FEEDBACK = Link("/appeals", "See your feedback")


class Described(NamedTuple):
    title: str
    sentence: str
    link: Link | None


@dataclass(frozen=True)
class Facts:
    """An event's data read defensively: a missing or mistyped value reads as "not
    recorded" instead of raising, since the trail must show every event it holds."""

    event: AuditEventOut

    def raw(self, key: str) -> Any:
        return self.event.data.get(key)

    def text(self, key: str, missing: str = NOT_RECORDED) -> str:
        value = self.raw(key)
        return missing if value is None or value == "" else str(value)

    def words(self, key: str) -> str:
        """A code such as documents_checked as words."""
        return self.text(key).replace("_", " ")

    def when(self, key: str) -> str:
        try:
            moment = datetime.fromisoformat(self.raw(key))
        except (TypeError, ValueError):
            return self.text(key)
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        return moment.strftime("%Y-%m-%d %H:%M UTC")

    def share(self, key: str) -> str:
        value = self.raw(key)
        return f"{value:.0%}" if isinstance(value, int | float) else NOT_RECORDED

    def amount(self, key: str) -> str:
        value, currency = self.raw(key), self.raw("currency")
        if isinstance(value, int) and isinstance(currency, str) and currency:
            return money(value, currency)
        return f"an amount {NOT_RECORDED}"

    def number(self) -> str:
        """The subject's id as the worker's pages name it, or nothing when there is none."""
        subject_id = self.event.subject_id
        return "" if subject_id is None else f" (number {subject_id})"

    def qualification(self, key: str = "name") -> str:
        return f"{self.text(key)} level {self.text('level')}"


Describer = Callable[[Facts], Described]


def describe(event: AuditEventOut) -> Described:
    """The event in plain words; a kind without a describer is named by its kind."""
    return DESCRIBERS.get(event.kind, _generic)(Facts(event))


def summarised(event: AuditEventOut) -> AuditEventOut:
    """The event as the API returns it: with its title and sentence as `summary`."""
    said = describe(event)
    return event.model_copy(update={"summary": f"{said.title}. {said.sentence}"})


def _generic(facts: Facts) -> Described:
    words = facts.event.kind.replace("_", " ")
    return Described(words.capitalize(), f"A decision about you was recorded: {words}.", None)


VERDICTS = {
    "accept": ("Your work was accepted", "accepted your work", VERDICT),
    "correct": ("Your work was corrected", "corrected your answers", VERDICT),
    "reject": ("Your work was rejected", "rejected your work", APPEAL),
}


def _verdict(facts: Facts) -> Described:
    title, did, link = VERDICTS.get(
        facts.text("verdict"), ("A verdict on your work", "gave a verdict on your work", VERDICT)
    )
    sentence = f"A reviewer {did} at the {facts.text('stage')} stage"
    if facts.raw("reason_code") is not None:
        sentence += (
            f" for the reason {facts.text('reason_code')}, citing the guideline section "
            f"“{facts.text('guideline_ref')}”"
        )
    return Described(title, f"{sentence}.", link)


def _gold_gate(facts: Facts) -> Described:
    sentence = (
        f"Your accuracy on this project's check items is {facts.share('accuracy')} over "
        f"{facts.text('gold_seen')} items, under the {facts.share('min_gold_accuracy')} it "
        "requires, so it sends you no more tasks. Your submitted work and its pay are not "
        "affected."
    )
    return Described("This project stopped sending you tasks", sentence, APPEAL)


def _qualification_claimed(facts: Facts) -> Described:
    sentence = (
        f"You claimed the qualification {facts.qualification()}; its tier is "
        f"{facts.words('tier')} until it is checked."
    )
    return Described("You claimed a qualification", sentence, PROFILE)


def _qualification_tier(facts: Facts) -> Described:
    sentence = (
        f"Your qualification {facts.qualification()} went from tier {facts.words('from')} to "
        f"{facts.words('to')}. The reason given: {facts.text('reason')}"
    )
    return Described("The tier of your qualification changed", sentence, PROFILE)


def _qualification_test(facts: Facts) -> Described:
    passed = facts.raw("passed") is True
    sentence = (
        f"You scored {facts.share('score')} on the test for {facts.qualification('qualification')}"
        f"; the pass mark is {facts.share('pass_mark')}. Items answered differently from the "
        f"known answers: {facts.text('missed')}."
    )
    if passed:
        return Described("You passed a qualification test", sentence, PROFILE)
    return Described("You did not pass a qualification test", sentence, APPEAL)


def _qualification_granted(facts: Facts) -> Described:
    sentence = (
        f"You now hold the qualification {facts.qualification()}, tier {facts.words('tier')}."
    )
    return Described("Qualification granted", sentence, PROFILE)


SANCTION_TITLES = {
    "warning": "You were given a warning",
    "suspension": "You were suspended from this project",
    "deactivation": "Your account is to be deactivated",
}


def _sanction_issued(facts: Facts) -> Described:
    code = facts.text("reason_code")
    reason = f"{SANCTION_LABELS[code]} ({code})" if code in SANCTION_LABELS else code
    notice = (
        "Fraud was found proven, so no notice period applies."
        if facts.raw("fraud_proven") is True
        else "Pay you earned is not taken away."
    )
    sentence = (
        f"Reason: {reason}. It takes effect on "
        f"{facts.when('effective_at')}. {notice} Evidence: {facts.text('evidence')}"
    )
    title = SANCTION_TITLES.get(facts.text("kind"), "A sanction was issued")
    return Described(title, sentence, APPEAL)


def _sanction_effective(facts: Facts) -> Described:
    sentence = f"A sanction against you{facts.number()} is now in effect."
    return Described("A sanction took effect", sentence, APPEAL)


def _sanction_withdrawn(facts: Facts) -> Described:
    reason = facts.text("reason")
    sentence = f"A sanction against you{facts.number()} was withdrawn. The reason given: {reason}"
    return Described("A sanction was withdrawn", sentence, None)


def _appealed(facts: Facts) -> str:
    subject = SUBJECTS.get(facts.text("subject_kind"), "a decision")
    return f"{subject} (number {facts.text('subject_id')})"


def _appeal_filed(facts: Facts) -> Described:
    sentence = (
        f"You appealed {_appealed(facts)}. A decision is due by {facts.when('due_at')}; if "
        "nobody decides by then, it is decided in your favour."
    )
    return Described("You appealed a decision", sentence, APPEALS)


APPEAL_TITLES = {"upheld": "Appeal decided in your favour", "denied": "Appeal turned down"}


def _appeal_decided(facts: Facts) -> Described:
    outcome = facts.text("outcome")
    sentence = (
        f"Your appeal of {_appealed(facts)} was {outcome}. The reason given: {facts.text('reason')}"
    )
    return Described(APPEAL_TITLES.get(outcome, "Appeal decided"), sentence, APPEALS)


def _notice(facts: Facts) -> Described:
    country = facts.text("country", "")
    where = f" in {country}" if country else ""
    sentence = (
        f"Work on this project{where} ends on {facts.when('effective_at')}. The notice says: "
        f"{facts.text('message')}"
    )
    return Described("Notice: work on this project is ending", sentence, NOTICE)


def _complaint(facts: Facts) -> Described:
    sentence = (
        f"Your complaint{facts.number()} is on record: any sanction against "
        "you issued soon after it is marked as following it."
    )
    return Described("You sent a complaint", sentence, FEEDBACK)


def _feedback_answered(facts: Facts) -> Described:
    sentence = f"Your message{facts.number()} has an answer."
    return Described("Your feedback was answered", sentence, FEEDBACK)


def _pay_rate_raised(facts: Facts) -> Described:
    countries = facts.raw("countries")
    floors = ", ".join(map(str, countries)) if isinstance(countries, list) else NOT_RECORDED
    median = facts.raw("median_seconds")
    seconds = f"{median:g} s" if isinstance(median, int | float) else NOT_RECORDED
    sentence = (
        f"The pay per item on this project went from {facts.amount('from')} to "
        f"{facts.amount('to')}: the measured median time of {seconds} per item paid less "
        f"than the pay floor of {floors}."
    )
    if facts.raw("topped_up_minor") is not None:
        sentence += f" Your past work on it was topped up by {facts.amount('topped_up_minor')}."
    return Described("Pay rate raised to meet the pay floor", sentence, EARNINGS)


def _sign_in_locked(facts: Facts) -> Described:
    sentence = (
        f"{facts.text('failures')} sign-ins with a wrong password within "
        f"{facts.text('window_minutes')} minutes, the last from {facts.text('client')}, locked "
        f"signing in to your account until {facts.when('locked_until')}. If that was not you, "
        "someone may be trying to guess your password: tell the operator of this platform."
    )
    return Described("Signing in to your account was locked", sentence, None)


DESCRIBERS: dict[str, Describer] = {
    AuditKind.verdict: _verdict,
    AuditKind.gold_gate: _gold_gate,
    AuditKind.qualification_claimed: _qualification_claimed,
    AuditKind.qualification_tier: _qualification_tier,
    AuditKind.qualification_test: _qualification_test,
    AuditKind.qualification_granted: _qualification_granted,
    AuditKind.sanction_issued: _sanction_issued,
    AuditKind.sanction_effective: _sanction_effective,
    AuditKind.sanction_withdrawn: _sanction_withdrawn,
    AuditKind.appeal_filed: _appeal_filed,
    AuditKind.appeal_decided: _appeal_decided,
    AuditKind.notice: _notice,
    AuditKind.complaint: _complaint,
    AuditKind.feedback_answered: _feedback_answered,
    AuditKind.pay_rate_raised: _pay_rate_raised,
    AuditKind.sign_in_locked: _sign_in_locked,
}
