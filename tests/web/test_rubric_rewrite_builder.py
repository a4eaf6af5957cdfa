"""Rubric and rewrite questions from the project form's builder: criteria as lines, the
settings stored as the API would store them, shown back on the edit page, each bad line or
value beside its field; and how the worker's project list describes both types."""

import html
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fairlabel.models import Question
from fairlabel.web import service
from tests.factories import Factory
from tests.web.helpers import assert_field_error, sign_in

CRITERIA = """helpful | Helpfulness | 1-5 | 1=Useless; 5=Solves the task

correct | Correctness | 0-3 | | justification required
harmless | Harmlessness | | | n/a, no justification
"""


def _csrf(client: TestClient) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/projects").text)
    assert match
    return match.group(1)


def _form(client: TestClient, org_id: int, **questions: str) -> dict[str, str]:
    return {
        "csrf_token": _csrf(client),
        "organization_id": str(org_id),
        "name": "Chat evaluation",
        "guidelines": "# Rules",
        "overlap": "3",
        "lease_minutes": "20",
        "status": "draft",
        "questions_mode": "builder",
        **questions,
    }


RUBRIC = {
    "q-0-name": "quality",
    "q-0-type": "rubric",
    "q-0-criteria": CRITERIA,
    "q-0-tolerance": "1",
}
REWRITE = {
    "q-1-name": "ideal",
    "q-1-type": "rewrite",
    "q-1-field": "response",
    "q-1-min_length": "10",
    "q-1-max_length": "4000",
    "q-1-allow_unchanged": "on",
    "q-1-pass_threshold": "0.85",
}


def test_the_builder_makes_rubric_and_rewrite_questions(factory: Factory) -> None:
    owner, org_id = factory.owner()
    sign_in(factory.client, owner.email)
    data = _form(factory.client, org_id, **RUBRIC, **REWRITE)
    response = factory.client.post("/projects/new", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    project_id = int(response.headers["location"].rsplit("/", 1)[1])
    questions = {q["name"]: q for q in owner.get(f"/api/projects/{project_id}").json()["questions"]}
    rubric = questions["quality"]["settings"]
    assert rubric["tolerance"] == 1 and rubric["max_justification_length"] == 2000
    assert [c["name"] for c in rubric["criteria"]] == ["helpful", "correct", "harmless"]
    assert rubric["criteria"][0]["anchors"] == {"1": "Useless", "5": "Solves the task"}
    assert rubric["criteria"][1] == {
        "name": "correct",
        "label": "Correctness",
        "min": 0,
        "max": 3,
        "anchors": {},
        "allow_na": False,
        "justification": "required",
    }
    assert rubric["criteria"][2]["allow_na"] and rubric["criteria"][2]["justification"] == "none"
    assert questions["ideal"]["settings"] == {
        "field": "response",
        "min_length": 10,
        "max_length": 4000,
        "allow_unchanged": True,
        "pass_threshold": 0.85,
    }

    edit = factory.client.get(f"/projects/{project_id}/edit").text
    assert (
        "helpful | Helpfulness | 1-5 | 1=Useless; 5=Solves the task\n"
        "correct | Correctness | 0-3 |  | justification required\n"
        "harmless | Harmlessness | 1-5 |  | n/a, no justification</textarea>"
    ) in edit
    assert '"justification": "required"' in html.unescape(edit)  # in the JSON alternative too


@pytest.mark.parametrize(
    ("fields", "element", "text"),
    [
        ({"q-0-criteria": ""}, "q-0-criteria", "a value (this setting is required)"),
        ({"q-0-criteria": "a\nb | B | one to five"}, "q-0-criteria", "line 2: expected a scale"),
        ({"q-0-criteria": "a | | | | maybe"}, "q-0-criteria", "options from: n/a"),
        ({"q-0-criteria": "a | | | 1 Useless"}, "q-0-criteria", "anchors like 1=Useless"),
        ({"q-0-criteria": "a | | 5-5"}, "q-0-criteria", "criterion 1: expected an integer less"),
        (
            {"q-0-criteria": "a\nb||1-3|4=Far"},
            "q-0-criteria",
            "criterion 2: expected a scale point",
        ),
        ({"q-0-criteria": "a\na"}, "q-0-criteria", "criterion 2: expected unique names"),
        ({"q-0-tolerance": "-1"}, "q-0-tolerance", "greater than or equal to 0"),
        ({"q-1-pass_threshold": "2"}, "q-1-pass_threshold", "less than or equal to 1"),
        ({"q-1-pass_threshold": "most"}, "q-1-pass_threshold", "expected a number"),
        ({"q-1-min_length": "50", "q-1-max_length": "20"}, "q-1-min_length", "at most max_length"),
    ],
)
def test_bad_settings_are_shown_beside_their_field(
    factory: Factory, fields: dict[str, str], element: str, text: str
) -> None:
    owner, org_id = factory.owner()
    sign_in(factory.client, owner.email)
    data = _form(factory.client, org_id, **RUBRIC, **REWRITE) | fields
    page = factory.client.post("/projects/new", data=data)
    assert page.status_code == 422, page.text
    assert_field_error(page, element, text)
    assert owner.get("/api/projects").json() == []


def test_both_types_are_described_to_workers() -> None:
    def described(type_: str, **settings: Any) -> str:
        return service.describe_question(Question(name="q", type=type_, settings=settings))

    criteria = [{"name": "helpful", "label": "Helpfulness"}, {"name": "safe"}]
    assert described("rubric", criteria=criteria) == "score a response on Helpfulness, safe"
    criteria[1]["justification"] = "required"
    assert described("rubric", criteria=criteria).endswith("safe, saying why")
    assert described("rewrite") == "rewrite a response into the best one you can"
