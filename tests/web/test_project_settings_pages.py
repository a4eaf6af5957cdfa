"""The project form's settings sections over HTTP: review, quality, pay, eligibility and
content settings round-trip through the API's schemas in the form's own units, errors land
next to the field they name, an activation refusal lists each country and the budget, and
the dashboard's budget and Fund form."""

import re
from typing import Any

import pytest

from tests.factories import Factory
from tests.pay.helpers import add_floor
from tests.web.helpers import page_csrf as _csrf
from tests.web.helpers import sign_in

LABEL = [{"name": "sentiment", "type": "label", "settings": {"labels": ["pos", "neg"]}}]
SECTIONS = {f"has_{name}": "1" for name in ("review", "quality", "pay", "eligibility", "content")}


def _settings(**extra: str) -> dict[str, str]:
    """Every section filled in as a person would type it."""
    return {
        **SECTIONS,
        "stage-review": "on",
        "stage-review-rate": "100",
        "stage-audit": "on",
        "stage-audit-rate": "10",
        "stage-audit-qualification": "medicine",
        "reason-0-code": "wrong_answer",
        "reason-0-label": "The answer is wrong",
        "reason-1-code": "",
        "reason-1-label": "",
        "reason-2-code": "off_topic",
        "reason-2-label": "Not about the item",
        "rework_hours": "12",
        "gold_rate": "5",
        "min_gold_accuracy": "80",
        "min_gold_seen": "10",
        "consensus_threshold": "70",
        "max_overlap": "4",
        "currency": "usd",
        "pay_basis": "item",
        "rate-label": "0.60",
        "rate-review": "0.25",
        "rate-audit": "",
        "rate-rework": "",
        "estimated_seconds": "45",
        "review_deadline_hours": "48",
        "countries": "ke, UG",
        "languages": "en sw",
        "qual-0-name": "medicine",
        "qual-0-min_level": "2",
        "qual-0-min_tier": "verified",
        "qual-1-name": "",
        "risk-violence": "on",
        "cap-violence": "20",
        **extra,
    }


def _form(org_id: int, token: str, **extra: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "organization_id": str(org_id),
        "name": "Reviews",
        "description": "",
        "guidelines": "# Rules",
        "overlap": "2",
        "lease_minutes": "30",
        "status": "draft",
        "questions_mode": "json",
        "questions_json": '[{"name": "q", "type": "label", "settings": {"labels": ["a", "b"]}}]',
        **_settings(**extra),
    }


def _signed_in_owner(factory: Factory) -> tuple[Any, int, str]:
    owner, org_id = factory.owner()
    sign_in(factory.client, owner.email)
    return owner, org_id, _csrf(factory.client)


def test_every_section_round_trips_through_the_api(factory: Factory) -> None:
    owner, org_id, token = _signed_in_owner(factory)
    response = factory.client.post("/projects/new", data=_form(org_id, token))
    assert response.status_code == 200, response.text  # followed to the dashboard
    (stored,) = owner.get("/api/projects").json()
    assert stored["workflow"] == [
        {"stage": "review", "sample_rate": 1.0, "qualification": None},
        {"stage": "audit", "sample_rate": 0.1, "qualification": "medicine"},
    ]
    assert [r["code"] for r in stored["rejection_reasons"]] == ["wrong_answer", "off_topic"]
    assert stored["rework_hours"] == 12
    assert (stored["gold_rate"], stored["min_gold_accuracy"], stored["min_gold_seen"]) == (
        0.05,
        0.8,
        10,
    )
    assert (stored["consensus_threshold"], stored["max_overlap"]) == (0.7, 4)
    assert stored["currency"] == "USD" and stored["rates"] == {"label": 60, "review": 25}
    assert (stored["estimated_seconds"], stored["review_deadline_hours"]) == (45, 48)
    assert stored["eligibility"]["countries"] == ["KE", "UG"]
    assert stored["eligibility"]["languages"] == ["en", "sw"]
    assert stored["eligibility"]["qualifications"] == [
        {"name": "medicine", "min_level": 2, "min_tier": "verified"}
    ]
    assert stored["content_risks"] == ["violence"]
    assert stored["exposure_caps"] == {"violence": 20}

    edit = factory.client.get(f"/projects/{stored['id']}/edit").text
    assert re.search(r'id="f-rate-label" name="rate-label" type="text" value="0.60"', edit)
    assert re.search(r'id="f-gold_rate" name="gold_rate" type="text" value="5"', edit)
    assert re.search(r'id="f-stage-audit-rate" [^>]*value="10"', edit)
    assert 'value="KE, UG"' in edit and 'value="off_topic"' in edit
    assert re.search(r'id="f-risk-violence"[^>]* checked', edit)
    assert "0.60 USD per item, about 45 s each: 48.00 USD an hour" in edit


def test_an_edit_without_changes_keeps_every_setting(factory: Factory) -> None:
    owner, org_id, token = _signed_in_owner(factory)
    factory.client.post("/projects/new", data=_form(org_id, token))
    (before,) = owner.get("/api/projects").json()
    response = factory.client.post(f"/projects/{before['id']}/edit", data=_form(org_id, token))
    assert response.status_code == 200, response.text
    after = owner.get(f"/api/projects/{before['id']}").json()
    unchanged = {k: v for k, v in after.items() if k not in ("updated_at", "created_at")}
    assert unchanged == {k: v for k, v in before.items() if k not in ("updated_at", "created_at")}


def test_a_form_without_the_sections_leaves_them_alone(factory: Factory) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, questions=LABEL, rates={"label": 80}, status="draft")
    sign_in(factory.client, owner.email)
    data = {
        "csrf_token": _csrf(factory.client),
        "name": "Renamed",
        "overlap": "1",
        "lease_minutes": "30",
        "status": "draft",
        "q-0-name": "sentiment",
        "q-0-type": "label",
        "q-0-labels": "pos\nneg",
        "q-0-required": "on",
    }
    response = factory.client.post(f"/projects/{project['id']}/edit", data=data)
    assert response.status_code == 200, response.text
    stored = owner.get(f"/api/projects/{project['id']}").json()
    assert stored["name"] == "Renamed" and stored["rates"] == {"label": 80}


@pytest.mark.parametrize(
    ("fields", "element", "text"),
    [
        ({"rate-label": "0.605"}, "f-rate-label", "at most 2 decimals for USD"),
        ({"rate-label": "lots"}, "f-rate-label", "expected an amount like 0.60"),
        ({"rate-review": "-1"}, "f-rate-review", "greater than or equal to 0"),
        ({"currency": "dollars"}, "f-currency", "String should match pattern"),
        ({"pay_basis": "week"}, "f-pay_basis", "'item' or 'hour'"),
        ({"estimated_seconds": "0"}, "f-estimated_seconds", "greater than or equal to 1"),
        ({"gold_rate": "150"}, "f-gold_rate", "a percentage from 0 to 100"),
        ({"min_gold_accuracy": "x"}, "f-min_gold_accuracy", "expected a number"),
        ({"consensus_threshold": "0"}, "f-consensus_threshold", "above 0, at most 100"),
        ({"max_overlap": "1"}, "f-max_overlap", "at least the overlap, 2"),
        ({"stage-audit-rate": "0"}, "f-stage-audit-rate", "above 0, at most 100"),
        ({"rework_hours": "1000"}, "f-rework_hours", "less than or equal to 720"),
        ({"reason-2-code": "bad code"}, "f-reason-1-code", "String should match pattern"),
        ({"reason-2-code": "wrong_answer"}, "f-reasons", "repeated: wrong_answer"),
        ({"countries": "Kenya"}, "f-countries", "ISO 3166 country codes"),
        ({"languages": "English!"}, "f-languages", "language codes"),
        ({"qual-0-min_level": "9"}, "f-qual-0-min_level", "less than or equal to 5"),
        ({"qual-0-name": "Medicine"}, "f-qual-0-name", "String should match pattern"),
        ({"cap-hate": "3"}, "f-cap-hate", "a risk the project does not declare"),
        ({"cap-violence": "100000"}, "f-cap-violence", "only lower the operator's"),
    ],
)
def test_errors_are_shown_next_to_the_setting_they_name(
    factory: Factory, fields: dict[str, str], element: str, text: str
) -> None:
    owner, org_id, token = _signed_in_owner(factory)
    page = factory.client.post("/projects/new", data=_form(org_id, token, **fields))
    assert page.status_code == 422, page.text
    error = re.search(rf'<p class="field-error" id="{element}-error">([^<]*)</p>', page.text)
    assert error, page.text
    assert text in error.group(1).replace("&#39;", "'")
    assert f'href="#{element}"' in page.text
    assert owner.get("/api/projects").json() == []


def test_activation_below_a_floor_lists_each_country_and_changes_nothing(
    factory: Factory,
) -> None:
    add_floor(factory.database, "KE", "USD", 150)
    add_floor(factory.database, "UG", "USD", 100)
    owner, org_id, token = _signed_in_owner(factory)
    factory.client.post("/projects/new", data=_form(org_id, token, **{"rate-label": "0.01"}))
    (project,) = owner.get("/api/projects").json()
    data = _form(org_id, token, status="active", **{"rate-label": "0.01"})
    page = factory.client.post(f"/projects/{project['id']}/edit", data=data)
    assert page.status_code == 422
    problems = re.search(r'<ul class="problems">(.*?)</ul>', page.text, re.S)
    assert problems, page.text
    text = problems.group(1)
    assert "KE (KE): the pay floor is 1.50 USD an hour; this project pays 0.80 USD an hour." in text
    assert "UG (UG): the pay floor is 1.00 USD an hour" in text
    assert "The budget is unfunded (0.00 USD available)" in text
    assert re.search(r'id="f-rate-label-error">below the pay floor of KE \(KE\), UG', page.text)
    assert re.search(r'id="f-status-error">the project cannot take work', page.text)
    assert owner.get(f"/api/projects/{project['id']}").json()["status"] == "draft"


def test_dashboard_shows_the_budget_and_funds_it_in_major_units(factory: Factory) -> None:
    owner, org_id = factory.owner()
    project = factory.project(
        owner, org_id, questions=LABEL, rates={"label": 60}, estimated_seconds=45, status="draft"
    )
    sign_in(factory.client, owner.email)
    url = f"/projects/{project['id']}"
    page = factory.client.get(url).text
    assert 'data-budget="available">0.00 USD' in page
    assert "0.60 USD per item, about 45 s each: 48.00 USD an hour" in page
    token = _csrf(factory.client)
    funded = factory.client.post(f"{url}/fund", data={"csrf_token": token, "amount": "25.50"})
    assert funded.status_code == 200 and "The budget was funded." in funded.text
    assert 'data-budget="balance">25.50 USD' in funded.text
    assert owner.get(f"/api/projects/{project['id']}/budget").json()["balance_minor"] == 2550
    for amount, text in [("0", "above 0"), ("1.001", "at most 2 decimals"), ("x", "like 0.60")]:
        refused = factory.client.post(f"{url}/fund", data={"csrf_token": token, "amount": amount})
        assert refused.status_code == 422
        assert re.search(rf'id="f-amount-error">[^<]*{text}', refused.text), refused.text
    assert owner.get(f"/api/projects/{project['id']}/budget").json()["balance_minor"] == 2550


def test_only_managers_see_and_use_the_fund_form(factory: Factory) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, questions=LABEL, rates={"label": 60}, status="draft")
    viewer = factory.user(org_id=org_id, role="viewer")
    sign_in(factory.client, viewer.email)
    url = f"/projects/{project['id']}"
    page = factory.client.get(url).text
    assert 'id="budget"' in page and 'action="/projects' not in page
    token = _csrf(factory.client)
    refused = factory.client.post(f"{url}/fund", data={"csrf_token": token, "amount": "5"})
    assert refused.status_code == 403
    assert owner.get(f"{'/api'}{url}/budget").json()["balance_minor"] == 0
