"""Live comparisons and prompt questions posted through the project form's builder: a
pairwise question's live candidates (always two) and a plain prompt question are stored as the
API stores them, the endpoint fields asked only when their box is ticked; each bad value is
refused beside its field with a 422 and nothing is saved. The endpoints are registered on the
stand-in OpenAI-compatible server (the form only names them; no model is called)."""

import pytest
from fastapi.testclient import TestClient

from tests.factories import Factory
from tests.llm.helpers import register
from tests.llm.standin import StandIn
from tests.web.helpers import assert_field_error, page_csrf, sign_in


def _form(client: TestClient, org_id: int, endpoint: int, **fields: str) -> dict[str, str]:
    """A live pairwise question and a red-team-less prompt question, as the page posts them."""
    return {
        "csrf_token": page_csrf(client),
        "organization_id": str(org_id),
        "name": "Live comparisons",
        "overlap": "1",
        "lease_minutes": "20",
        "status": "draft",
        "questions_mode": "builder",
        "q-0-name": "better",
        "q-0-type": "pairwise",
        "q-0-field": "responses",
        "q-0-strength_levels": "0",
        "q-0-live": "on",
        f"q-0-endpoint_{endpoint}": str(endpoint),
        "q-0-prompt_field": "messages",
        "q-0-seed": "7",
        "q-1-name": "write",
        "q-1-type": "prompt",
        "q-1-languages": "en\r\nfr",
        "q-1-min_length": "10",
        "q-1-max_length": "4000",
        "q-1-duplicate_threshold": "0.9",
        "q-1-prompt_field": "messages",
        **fields,
    }


def test_a_live_pairwise_and_a_prompt_question_are_stored(
    factory: Factory, standin: StandIn
) -> None:
    owner, org_id = factory.owner()
    endpoint = register(owner, org_id, standin)["id"]
    sign_in(factory.client, owner.email)
    data = _form(factory.client, org_id, endpoint)
    response = factory.client.post("/projects/new", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    project_id = int(response.headers["location"].rsplit("/", 1)[1])
    pairwise, prompt = owner.get(f"/api/projects/{project_id}").json()["questions"]
    live = pairwise["settings"]["live"]
    assert (live["endpoints"], live["candidates"], live["field"]) == ([endpoint], 2, "messages")
    assert live["sampling"] == {"seed": 7}
    assert prompt["settings"]["red_team"] is None  # its box unticked: no endpoint asked
    assert prompt["settings"]["languages"] == ["en", "fr"]
    assert prompt["settings"]["duplicate_threshold"] == 0.9


@pytest.mark.parametrize(
    ("fields", "element", "text"),
    [
        ({"q-0-endpoint_{e}": ""}, "q-0-endpoints", "tick at least one"),
        ({"q-0-endpoint_{f}": "{f}"}, "q-0-endpoints", "is not one of the organization's"),
        ({"q-0-seed": "-1"}, "q-0-seed", "greater than or equal to 0"),
        ({"q-1-red_team": "on", "q-1-harm_categories": "x"}, "q-1-endpoints", "tick at least"),
        (
            {"q-1-red_team": "on", "q-1-endpoint_{e}": "{e}", "q-1-harm_categories": "x\nx"},
            "q-1-harm_categories",
            "unique labels",
        ),
        (
            {"q-1-red_team": "on", "q-1-endpoint_{e}": "{e}", "q-1-endpoint_{g}": "{g}"},
            "q-1-endpoints",
            "at most 1",
        ),
        ({"q-1-duplicate_threshold": "0"}, "q-1-duplicate_threshold", "greater than 0"),
        ({"q-1-languages": "en\nen"}, "q-1-languages", "unique labels"),
    ],
)
def test_bad_live_and_prompt_settings_are_shown_beside_their_field(
    factory: Factory, standin: StandIn, fields: dict[str, str], element: str, text: str
) -> None:
    owner, org_id = factory.owner()
    own, second = (register(owner, org_id, standin)["id"] for _ in range(2))
    other, other_org = factory.owner()
    ids = {"e": own, "g": second, "f": register(other, other_org, standin)["id"]}
    sign_in(factory.client, owner.email)
    data = _form(factory.client, org_id, own)
    for key, value in fields.items():
        data[key.format(**ids)] = value.format(**ids)
    data = {k: v for k, v in data.items() if v != ""}  # an unticked box is not posted
    page = factory.client.post("/projects/new", data=data)
    assert page.status_code == 422, page.text
    assert_field_error(page, element, text)
    assert owner.get("/api/projects").json() == []
