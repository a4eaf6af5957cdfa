"""The consensus recompute as a job: through the real API it writes exactly the rows of the
one-transaction recompute on the same data, in batches; a submission made while it runs
(after it read the project, between two batches, after its last batch) is never lost: that
item ends with the consensus of all its answers."""

import threading
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from fairlabel.config import Settings
from fairlabel.db import utcnow
from fairlabel.models import Annotation, Consensus
from fairlabel.projects import service as projects_service
from fairlabel.quality import jobs as quality_jobs
from fairlabel.quality import service
from tests.factories import Factory
from tests.jobs.helpers import recompute
from tests.quality.helpers import answer, consensus_rows, label_by, labelled_project
from tests.queue.helpers import SENTIMENT

STARS = {"name": "stars", "type": "rating", "settings": {"min": 1, "max": 5}}
#: Each worker's (sentiment, stars) for items 0-4 in turn; item 5 stays unanswered.
ANSWERS = [
    [("positive", 4), ("negative", 2), ("neutral", 3), ("positive", 5), ("negative", 1)],
    [("positive", 4), ("negative", 3), ("positive", 3), ("positive", 4), ("neutral", 1)],
    [("negative", 5), ("negative", 2), ("neutral", 2), ("positive", 5), ("negative", 2)],
]


@pytest.fixture
def small_batches(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two rows per write transaction, so that every project here takes several."""
    monkeypatch.setattr(settings, "consensus_batch_rows", 2)


@pytest.mark.usefixtures("small_batches")
def test_the_job_writes_what_one_transaction_writes(factory: Factory) -> None:
    owner, project, items = labelled_project(
        factory, items=6, questions=[SENTIMENT, STARS], overlap=3
    )
    suggestion = {"item_id": items[0], "question": "sentiment", "answer": "positive"}
    assert owner.post(f"/api/projects/{project['id']}/suggestions", json=[suggestion]).is_success
    for plan in ANSWERS:
        worker = factory.worker()
        for sentiment, stars in plan:
            answer(worker, project["id"], {"sentiment": sentiment, "stars": stars})
    with factory.database.session() as db:
        expected = service.recompute(db, projects_service.get_project(db, project["id"]))
    once = consensus_rows(factory.database, project["id"])
    assert {row["method"] for row in once.values()} == {"dawid_skene"}
    assert once[items[0], "sentiment"]["human_confirmed"] is True
    with factory.database.session() as db:  # back to the per-submit rows, plus a stale one
        for item in items:
            service.refresh_item(db, item)
        db.execute(insert(Consensus), [stale_row(project["id"], items[5])])
    assert consensus_rows(factory.database, project["id"]) != once
    job = recompute(owner, project["id"])
    assert job["status"] == "succeeded", job
    assert consensus_rows(factory.database, project["id"]) == once
    result = job["result"]
    assert {**result, "seconds": 0} == {**expected.model_dump(), "seconds": 0}
    assert (result["items"], result["rows"], result["skipped"]) == (5, 10, 0)
    assert (job["done"], job["total"]) == (10, 10)


def stale_row(project_id: int, item_id: int) -> dict[str, Any]:
    """A row for an item nobody answered: a recompute removes it."""
    return {
        "project_id": project_id,
        "item_id": item_id,
        "question": "stars",
        "method": "majority_vote",
        "answer": 3,
        "confidence": 1.0,
        "annotators": 1,
        "agreeing": 1,
        "human_confirmed": False,
        "updated_at": utcnow(),
    }


class SubmitOnce:
    """Progress that, on the first message starting with `trigger`, runs `submit`: a worker's
    submission between two of the job's transactions."""

    def __init__(self, trigger: str, submit: Any) -> None:
        self.trigger, self.submit = trigger, submit
        self.fired = False

    def update(self, done: int, total: int | None = None, message: str | None = None) -> None:
        if not self.fired and (message or "").startswith(self.trigger):
            self.fired = True
            self.submit()


@pytest.mark.usefixtures("small_batches")
@pytest.mark.parametrize(
    ("trigger", "skipped"),
    [
        ("Computing question", 1),  # after the job read the project
        ("Writing consensus rows: 2 of", 1),  # between its first and second batch
        ("Reopening", 0),  # after its last batch
    ],
)
def test_a_submission_while_the_job_runs_is_not_lost(
    factory: Factory, trigger: str, skipped: int
) -> None:
    _owner, project, items = labelled_project(factory, items=4, overlap=3)
    first, second, third, late = (factory.worker() for _ in range(4))
    for label in ("positive", "negative", "neutral", "negative"):
        answer(first, project["id"], {"sentiment": label})
        answer(second, project["id"], {"sentiment": label})
    for label in ("positive", "negative", "positive"):
        answer(third, project["id"], {"sentiment": label})  # the last item keeps a place open

    def submit() -> None:
        assignment = answer(late, project["id"], {"sentiment": "positive"})
        assert assignment["item_id"] == items[3]

    progress = SubmitOnce(trigger, submit)
    params = {"project_id": project["id"], "method": None, "question": None}
    result = quality_jobs.recompute_consensus(factory.database, params, progress)
    assert progress.fired
    assert (result["rows"], result["skipped"]) == (4, skipped)
    rows = consensus_rows(factory.database, project["id"])
    assert [rows[item, "sentiment"]["method"] for item in items[:3]] == ["dawid_skene"] * 3
    late_row = rows[items[3], "sentiment"]
    # the submission's own update: all three answers, by the per-submit vote
    assert late_row["annotators"] == 3 and late_row["method"] == "majority_vote"
    assert (late_row["answer"], late_row["agreeing"]) == ("negative", 2)


@pytest.mark.usefixtures("small_batches")
def test_a_verdict_in_flight_while_a_batch_writes_keeps_its_row(factory: Factory) -> None:
    """A review's transaction has rewritten an item's row but not committed when the job's
    batch comes to it: the batch waits (PostgreSQL's row lock, SQLite's one writer), then
    finds the row changed and leaves it; it never puts the older answer back."""
    _owner, project, items = labelled_project(factory, items=2, overlap=3)
    label_by(factory, project["id"], ["positive", "negative", "negative"] * 2)
    verdict = factory.database.new_session()
    committed = threading.Event()

    def in_flight() -> None:
        verdict.execute(
            update(Annotation)
            .where(Annotation.id == first_annotation(factory, items[0]))
            .values(verdict="reject")
        )
        service.refresh_item(verdict, items[0])
        threading.Timer(0.5, commit).start()

    def commit() -> None:
        verdict.commit()
        verdict.close()
        committed.set()

    progress = SubmitOnce("Writing consensus rows: 0 of", in_flight)
    params = {"project_id": project["id"], "method": None, "question": None}
    result = quality_jobs.recompute_consensus(factory.database, params, progress)
    assert committed.is_set() and result["skipped"] == 1
    rows = consensus_rows(factory.database, project["id"])
    assert rows[items[0], "sentiment"]["annotators"] == 2  # the verdict's row
    assert rows[items[0], "sentiment"]["method"] == "majority_vote"
    assert rows[items[1], "sentiment"]["method"] == "dawid_skene"


def first_annotation(factory: Factory, item_id: int) -> int:
    with factory.database.session(write=False) as db:
        query = select(Annotation.id).where(Annotation.item_id == item_id).order_by(Annotation.id)
        return db.scalars(query).first() or 0
