"""The due-process and workforce pages through real sign-in and forms: a worker's profile,
a qualification test answered in a form, an appeal filed from the decisions list and
heard on the hearing page, feedback answered, and the audit trail."""

import re

from fastapi.testclient import TestClient

from tests.factories import Factory
from tests.review.test_review import REJECT, label, review_task, reviewed_project, verdict
from tests.web.helpers import sign_in
from tests.workforce.test_tests import make_test


def csrf(client: TestClient, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, page.text
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def test_a_worker_edits_the_profile_and_sits_a_test_in_forms(factory: Factory) -> None:
    _owner, test, golden = make_test(factory)
    worker = factory.worker()
    client = factory.client
    sign_in(client, worker.email)
    token = csrf(client, "/profile")
    saved = client.post(
        "/profile",
        data={"csrf_token": token, "country": "ug", "languages": "en, sw", "skills": ""},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    bad = client.post("/profile", data={"csrf_token": token, "country": "Uganda"})
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    page = client.get("/profile").text
    assert 'value="UG"' in page and "sentiment level 2" in page
    started = client.post(
        f"/qualification-tests/{test['id']}/start",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert started.status_code == 303
    form = client.get(f"/qualification-tests/{test['id']}").text
    assert f'name="a-{golden[0]}-sentiment"' in form
    answers = {f"a-{item}-sentiment": "positive" for item in golden}
    result = client.post(
        f"/qualification-tests/{test['id']}/answers",
        data={"csrf_token": token, "time_spent_ms": "5000", **answers},
    )
    assert result.status_code == 200 and "Passed: 100%" in result.text
    assert "calibrated" in client.get("/profile").text


def test_an_appeal_filed_and_heard_through_the_pages(factory: Factory) -> None:
    owner, project, _ids = reviewed_project(factory)
    worker, reviewer = factory.worker(), factory.worker()
    label(worker, project["id"])
    review = verdict(reviewer, review_task(reviewer, project["id"]), **REJECT).json()
    client = factory.client
    sign_in(client, worker.email)
    token = csrf(client, "/appeals")
    assert "Rejection (wrong_answer)" in client.get("/appeals").text
    filed = client.post(
        "/appeals",
        data={
            "csrf_token": token,
            "subject_kind": "review",
            "subject_id": str(review["id"]),
            "statement": "The text is plainly positive.",
        },
        follow_redirects=False,
    )
    assert filed.status_code == 303
    client.post(
        "/feedback", data={"csrf_token": token, "kind": "complaint", "body": "Unclear guidelines"}
    )
    assert "audit" in client.get("/audit").text and "appeal filed" in client.get("/audit").text
    client.cookies.clear()
    sign_in(client, owner.email)
    token = csrf(client, "/operator")
    [appeal] = owner.get("/api/appeals").json()
    heard = client.post(
        f"/operator/appeals/{appeal['id']}",
        data={"csrf_token": token, "outcome": "upheld", "reason": "The rejection was wrong."},
        follow_redirects=False,
    )
    assert heard.status_code == 303, heard.text
    assert worker.get("/api/me/appeals").json()[0]["status"] == "upheld"
    assert client.get("/operator").status_code == 200
