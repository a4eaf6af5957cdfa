"""The due-process and workforce pages through real sign-in and forms: a worker's profile,
a qualification test answered in a form, an appeal filed from the decisions list and
heard on the hearing page, feedback answered, and the audit trail."""

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from fairlabel.models import Project, QualificationAttempt
from fairlabel.pay import topups
from tests.dueprocess.test_describe import SCRIPT
from tests.dueprocess.test_sanctions import sanction
from tests.factories import Factory
from tests.pay.helpers import add_floor, paid_project
from tests.pay.test_pay import labelled
from tests.review.test_review import REJECT, label, review_task, reviewed_project, verdict
from tests.web.helpers import sign_in
from tests.workforce.helpers import move_back
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


def test_the_test_page_hides_gold_answers_and_the_items_of_a_refused_worker(
    factory: Factory,
) -> None:
    _owner, test, golden = make_test(factory, pass_mark=0.9)
    worker = factory.worker()
    client = factory.client
    sign_in(client, worker.email)
    url = f"/qualification-tests/{test['id']}"
    token = csrf(client, url)
    assert "paid at the project's rate, for up to" in client.get(url).text
    client.post(f"{url}/start", data={"csrf_token": token}, follow_redirects=False)
    answers = {f"a-{item}-sentiment": "negative" for item in golden}
    failed = client.post(f"{url}/answers", data={"csrf_token": token, **answers})
    assert failed.status_code == 200 and "Not passed: 0%" in failed.text
    assert "Missed: sentiment" in failed.text and "Expected" not in failed.text
    move_back(factory.database, QualificationAttempt, failed_attempt(factory), 2, "finished_at")
    client.post(f"{url}/start", data={"csrf_token": token}, follow_redirects=False)
    assert f'name="a-{golden[0]}-sentiment"' in client.get(url).text
    suspended = sanction(
        factory.user(operator=True),
        worker,
        kind="suspension",
        fraud_proven=True,
        project_id=test["project_id"],
    )
    assert suspended.status_code == 201, suspended.text
    page = client.get(url).text
    assert 'role="alert"' in page and "sentiment" not in page.split("<form")[0].split("alert")[-1]
    assert f'name="a-{golden[0]}-sentiment"' not in page
    assert "item " not in page.split("</h1>")[1].split("<form")[0]


def failed_attempt(factory: Factory) -> int:
    with factory.database.session(write=False) as db:
        return int(db.scalar(select(func.max(QualificationAttempt.id))) or 0)


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
    trail = client.get("/audit").text
    assert "You appealed a decision" in trail and "You sent a complaint" in trail
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


def test_the_audit_trail_says_each_decision_in_words_with_a_link(factory: Factory) -> None:
    _owner, project, _ids = reviewed_project(factory)
    worker, reviewer = factory.worker(), factory.worker()
    label(worker, project["id"])
    verdict(reviewer, review_task(reviewer, project["id"]), **REJECT)
    evidence = f"The comment on item 4 was {SCRIPT}, pasted into every answer."
    operator = factory.user(operator=True)
    issued = operator.post(
        "/api/sanctions",
        json={
            "worker_id": worker.user_id,
            "kind": "warning",
            "reason_code": "harassment",
            "evidence": evidence,
        },
    )
    assert issued.status_code == 201, issued.text
    sign_in(factory.client, worker.email)
    page = factory.client.get("/audit").text
    assert "Your work was rejected" in page and "You were given a warning" in page
    assert "for the reason wrong_answer, citing the guideline section “Sarcasm”" in page
    assert f"<td>{project['name']}</td>" in page
    assert "Reason: Harassment (harassment)" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and SCRIPT not in page
    assert page.count('<a href="/appeals">Appeal</a>') == 2
    assert '"reason_code"' not in page and "{" not in page.split("<h1>")[1]


def test_a_raised_pay_rate_shows_the_amounts_and_links_to_the_earnings(factory: Factory) -> None:
    add_floor(factory.database, "US", "USD", 725)
    _owner, project, _items = paid_project(factory, items=21, rates={"label": 15})
    workers = [labelled(factory, project, time_ms=180_000)[0] for _ in range(20)]
    with factory.database.session() as db:
        assert topups.enforce_floor(db, db.get_one(Project, project["id"])) == 37
    sign_in(factory.client, workers[0].email)
    page = factory.client.get("/audit").text
    assert "Pay rate raised to meet the pay floor" in page
    assert "from 0.15 USD to 0.37 USD" in page and "topped up by 0.22 USD" in page
    assert '<a href="/earnings">See your earnings</a>' in page
