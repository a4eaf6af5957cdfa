"""Issue 5's whole flow through the real API, in the order a project lives it: blocked
below the pay floor, raised, refused while unfunded, funded and activated; labelled;
reviewed with a rejection; appealed, and decided for the worker when nobody answered in
time; the unreviewed work approved after the review deadline; paid out; and the Fairwork
report built from what was recorded.

Time cannot pass in a test: the appeal's deadline is moved into the past in its row, and
the review-deadline sweep is run with a clock 73 hours ahead."""

from datetime import timedelta

from sqlalchemy import select

from fairlabel.db import utcnow
from fairlabel.models import Annotation, Appeal
from fairlabel.pay import service as pay_service
from tests.factories import Factory
from tests.pay.floor_flow import project_raised_to_the_floor
from tests.pay.helpers import balances
from tests.queue.helpers import NOTE, SENTIMENT, add_items
from tests.review.test_review import REJECT, label, review_task, verdict
from tests.workforce.helpers import move_back

GUIDELINES = "# Guidelines\n## Sarcasm\nSarcasm is negative."


def test_a_project_from_the_pay_floor_to_the_fairwork_report(factory: Factory) -> None:
    _owner, project = project_raised_to_the_floor(
        factory, questions=[SENTIMENT, NOTE], guidelines=GUIDELINES
    )
    operator = factory.user(operator=True)
    url = f"/api/projects/{project['id']}"
    add_items(factory.database, project["id"], 2)

    worker, reviewer = factory.worker(), factory.worker()
    shown = worker.get(url).json()["pay"]
    assert shown["rate_minor"] == 60 and shown["currency"] == "USD"
    rejected = label(worker, project["id"], "positive")
    unreviewed = label(worker, project["id"], "negative")
    assert balances(factory.database, worker.user_id)["pending"] == 120

    task = review_task(reviewer, project["id"])
    assert task["annotation"]["id"] == rejected["id"]
    review = verdict(reviewer, task, **REJECT, comment="reads as sarcasm").json()
    assert review["reason"] and review["guideline_ref"] == "Sarcasm"
    assert balances(factory.database, worker.user_id)["approved"] == 60  # pay for work done is kept

    filed = worker.post(
        "/api/appeals",
        json={
            "subject_kind": "review",
            "subject_id": review["id"],
            "statement": "There is no sarcasm here; it is plainly positive.",
        },
    )
    assert filed.status_code == 201, filed.text
    move_back(factory.database, Appeal, filed.json()["id"], 0.01, "due_at")
    (decided,) = worker.get("/api/me/appeals").json()
    assert decided["status"] == "upheld" and decided["decided_by_deadline"] is True
    with factory.database.session(write=False) as db:
        verdict_now = db.scalar(select(Annotation.verdict).where(Annotation.id == rejected["id"]))
    assert verdict_now == "accept"

    with factory.database.session() as db:
        assert pay_service.approve_due(db, now=utcnow() + timedelta(hours=73)) == 1
    assert balances(factory.database, worker.user_id) == {"pending": 0, "approved": 120, "paid": 0}
    assert unreviewed["id"] != rejected["id"]

    payout = operator.post("/api/payouts", params={"currency": "USD"})
    assert payout.status_code == 201, payout.text
    lines = {line["worker"]: line["amount_minor"] for line in payout.json()["lines"]}
    assert lines[rejected["worker"]] == 120
    assert balances(factory.database, worker.user_id)["paid"] == 120

    report = operator.get("/api/reports/fairwork").json()
    assert [t["id"] for t in report["thresholds"]] == [
        "1.1", "1.2", "2.1", "2.2", "3.1", "3.2", "4.1", "4.2", "5.1", "5.2",
    ]  # fmt: skip
    by_id = {t["id"]: t for t in report["thresholds"]}
    assert by_id["1.1"]["holds"] is True, by_id["1.1"]
    assert by_id["4.1"]["holds"] is True, by_id["4.1"]
