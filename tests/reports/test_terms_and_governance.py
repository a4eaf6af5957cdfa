"""Fairwork 3.1 (clear terms) and 5.2 (collective governance) judged from the records:
terms versions and their notice, workers' acknowledgements and the projects' own terms;
representatives, consultations, and the policy changes (new terms, operators' pay floor
edits) that each need a consultation on their topic in the 90 days before."""

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from fairlabel.db import utcnow
from fairlabel.governance.service import CONSULTATION_WINDOW_DAYS, TERMS_NOTICE_DAYS
from fairlabel.models import Consultation, Consultee, PayFloor, Project, TermsVersion
from tests.factories import Account, Factory
from tests.governance.helpers import consultation, in_days, publish, representative
from tests.queue.helpers import setup_project

FLOOR = {"name": "Kenya", "currency": "KES", "hourly_minor": 8000}


@pytest.fixture
def operator(factory: Factory) -> Account:
    return factory.user(operator=True)


def threshold(operator: Account, key: str, since: date | None = None) -> dict[str, Any]:
    params = {"since": since.isoformat()} if since else {}
    response = operator.get("/api/reports/fairwork", params=params)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = {t["id"]: t for t in response.json()["thresholds"]}[key]
    return found


def complete_project(factory: Factory) -> int:
    """An active project with guidelines, a label rate and no review stage."""
    _owner, project, _items = setup_project(factory)
    with factory.database.session() as db:
        db.execute(update(Project).where(Project.id == project["id"]).values(rates={"label": 50}))
    project_id: int = project["id"]
    return project_id


def version(factory: Factory, number: int, published_days_ago: float, notice_days: float) -> None:
    """A version as a row: the report judges what is recorded, however it got there."""
    published = utcnow() - timedelta(days=published_days_ago)
    with factory.database.session() as db:
        db.add(
            TermsVersion(
                number=number,
                title=f"Terms {number}",
                body="Terms.",
                summary="" if number == 1 else "Changes.",
                published_at=published,
                effective_at=published + timedelta(days=notice_days),
            )
        )


def held(factory: Factory, representative_id: int, topic: str, days_ago: int) -> None:
    """A consultation as a row, held `days_ago` days ago."""
    with factory.database.session() as db:
        row = Consultation(
            topic=topic,
            held_on=utcnow().date() - timedelta(days=days_ago),
            summary="Put to them.",
            outcome="Agreed.",
        )
        db.add(row)
        db.flush()
        db.add(Consultee(consultation_id=row.id, representative_id=representative_id))


# --- 3.1 ------------------------------------------------------------------------------------


def test_clear_terms_hold_with_terms_in_effect_and_notice_given(
    factory: Factory, operator: Account
) -> None:
    complete_project(factory)
    reader, other = factory.worker(), factory.worker()
    assert publish(operator).status_code == 201
    assert reader.post("/api/terms/1/acknowledge").status_code == 201
    assert publish(operator, None, summary="Appeals in 5 days.").status_code == 201
    assert other.post("/api/terms/2/acknowledge").status_code == 201, "not the current one"
    t = threshold(operator, "3.1")
    assert t["figures"] == {
        "terms_versions": 2,
        "current_terms_version": 1,
        "versions_with_short_notice": 0,
        "share_active_workers_acknowledged_current": 0.5,
        "active_projects": 1,
        "share_with_guidelines_pay_and_review_rules": 1.0,
    }
    assert t["holds"] is True
    assert t["why"].startswith("terms version 1 is in effect")


def test_clear_terms_fail_when_a_version_gave_short_notice(
    factory: Factory, operator: Account
) -> None:
    version(factory, 1, published_days_ago=60, notice_days=0)
    version(factory, 2, published_days_ago=20, notice_days=10)
    t = threshold(operator, "3.1")
    assert t["figures"]["current_terms_version"] == 2
    assert t["figures"]["versions_with_short_notice"] == 1
    assert t["figures"]["share_active_workers_acknowledged_current"] is None, "no workers"
    assert t["holds"] is False
    assert t["why"] == f"version(s) 2 gave less than {TERMS_NOTICE_DAYS} days' notice"
    since = (utcnow() - timedelta(days=10)).date()
    later = threshold(operator, "3.1", since)
    assert later["figures"]["terms_versions"] == 0 and later["holds"] is True


def test_clear_terms_fail_without_terms_in_effect(factory: Factory, operator: Account) -> None:
    complete_project(factory)
    assert publish(operator, 5).status_code == 201
    t = threshold(operator, "3.1")
    assert t["figures"]["terms_versions"] == 1 and t["figures"]["current_terms_version"] is None
    assert (t["holds"], t["why"]) == (False, "no version of the platform terms is in effect")


def test_clear_terms_fail_on_a_project_without_pay(factory: Factory, operator: Account) -> None:
    complete_project(factory)
    setup_project(factory)  # no label rate
    publish(operator)
    t = threshold(operator, "3.1")
    assert t["figures"]["share_with_guidelines_pay_and_review_rules"] == 0.5
    assert t["holds"] is False
    assert t["why"] == "project terms are incomplete on 1 of 2 active project(s)"


# --- 5.2 ------------------------------------------------------------------------------------


def test_governance_needs_a_recognised_representative(factory: Factory, operator: Account) -> None:
    old = representative(operator, recognised_at=in_days(-400), ended_at=in_days(-1)).json()
    held(factory, old["id"], "other", 30)
    t = threshold(operator, "5.2")
    assert t["figures"]["representatives"] == 0 and t["figures"]["consultations"] == 1
    assert (t["holds"], t["why"]) == (False, "no worker representative is recognised")


def test_without_policy_changes_one_consultation_is_enough(
    factory: Factory, operator: Account
) -> None:
    rep = representative(operator, recognised_at=in_days(-60)).json()
    none = threshold(operator, "5.2")
    assert (none["holds"], none["why"]) == (False, "no consultation was held in the period")
    publish(operator)  # the first terms are not a change
    assert consultation(operator, [rep["id"]], topic="sanctions").status_code == 201
    t = threshold(operator, "5.2")
    assert t["figures"] == {
        "representatives": 1,
        "consultations": 1,
        "policy_changes": 0,
        "changes_consulted_beforehand": 0,
    }
    assert t["holds"] is True
    assert t["why"] == "1 representative(s) recognised; no policy changes, 1 consultation(s) held"
    tomorrow = (utcnow() + timedelta(days=1)).date()
    assert threshold(operator, "5.2", tomorrow)["holds"] is False, "none held in that period"


def test_new_terms_need_a_consultation_on_terms(factory: Factory, operator: Account) -> None:
    rep = representative(operator, recognised_at=in_days(-60)).json()
    publish(operator)
    held(factory, rep["id"], "pay_floor", 10)  # another topic does not count
    assert publish(operator, None, summary="Appeals in 5 days.").status_code == 201
    t = threshold(operator, "5.2")
    assert (t["figures"]["policy_changes"], t["figures"]["changes_consulted_beforehand"]) == (1, 0)
    assert t["holds"] is False
    assert "1 policy change(s) without a consultation" in t["why"]
    assert f"terms version 2 published {utcnow():%Y-%m-%d}" in t["why"]
    held(factory, rep["id"], "terms", 10)
    after = threshold(operator, "5.2")
    assert after["figures"]["changes_consulted_beforehand"] == 1 and after["holds"] is True
    assert after["why"] == (
        "1 representative(s) recognised; all 1 policy change(s) were consulted on beforehand"
    )


def test_a_pay_floor_edit_needs_a_consultation_in_the_window(
    factory: Factory, operator: Account
) -> None:
    rep = representative(operator, recognised_at=in_days(-365)).json()
    with factory.database.session() as db:  # as shipped: loaded by nobody, not a change
        db.add(PayFloor(country="UG", name="Uganda", currency="UGX", hourly_minor=1000))
    held(factory, rep["id"], "pay_floor", CONSULTATION_WINDOW_DAYS + 10)
    assert threshold(operator, "5.2")["figures"]["policy_changes"] == 0
    assert operator.put("/api/pay/floors/KE", json=FLOOR).status_code == 200
    t = threshold(operator, "5.2")
    assert (t["figures"]["policy_changes"], t["figures"]["changes_consulted_beforehand"]) == (1, 0)
    assert t["holds"] is False and "pay floor of KE changed" in t["why"]
    held(factory, rep["id"], "pay_floor", CONSULTATION_WINDOW_DAYS - 1)
    assert threshold(operator, "5.2")["holds"] is True


def test_a_reload_of_every_floor_is_one_change(factory: Factory, operator: Account) -> None:
    rep = representative(operator, recognised_at=in_days(-30)).json()
    reloaded = operator.post("/api/pay/floors/reload")
    assert reloaded.status_code == 200 and reloaded.json()["floors"] > 3
    t = threshold(operator, "5.2")
    assert t["figures"]["policy_changes"] == 1
    assert "and others changed" in t["why"]
    assert consultation(operator, [rep["id"]]).status_code == 201
    assert threshold(operator, "5.2")["holds"] is True


def test_a_change_before_the_period_is_left_out(factory: Factory, operator: Account) -> None:
    rep = representative(operator, recognised_at=in_days(-365)).json()
    version(factory, 1, published_days_ago=200, notice_days=0)
    version(factory, 2, published_days_ago=100, notice_days=30)
    held(factory, rep["id"], "other", 5)
    assert threshold(operator, "5.2")["holds"] is False
    since = (datetime.now().astimezone() - timedelta(days=50)).date()
    t = threshold(operator, "5.2", since)
    assert t["figures"]["policy_changes"] == 0 and t["holds"] is True
