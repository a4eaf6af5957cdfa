"""Review next-task prefetch, as the labelling queue's: with `exclude` (the review on screen)
the reviewer gets a second lease to show the moment the first verdict is in, never a third,
never their own work, and never one whose lease ran out meanwhile."""

from typing import Any

from sqlalchemy import func, select

from fairlabel.models import Annotation, Assignment
from tests.factories import Account, Factory
from tests.queue.helpers import expire
from tests.review.test_review import label, reviewed_project, verdict


def ask(reviewer: Account, project_id: int, exclude: Any = None) -> Any:
    params = {"stage": "review"} if exclude is None else {"stage": "review", "exclude": exclude}
    return reviewer.post(f"/api/projects/{project_id}/reviews/next", params=params)


def task_of(reviewer: Account, project_id: int, exclude: int | None = None) -> dict[str, Any]:
    response = ask(reviewer, project_id, exclude)
    assert response.status_code == 200, response.text
    task: dict[str, Any] = response.json()["task"]
    assert task is not None, response.json()
    return task


def held(factory: Factory, reviewer: Account) -> list[int]:
    """The reviewer's live review leases, oldest first."""
    with factory.database.session(write=False) as db:
        return list(
            db.scalars(
                select(Assignment.id)
                .where(
                    Assignment.worker_id == reviewer.user_id,
                    Assignment.stage == "review",
                    Assignment.status == "active",
                )
                .order_by(Assignment.id)
            )
        )


def ids(task: dict[str, Any]) -> tuple[int, int]:
    return task["assignment"]["id"], task["annotation"]["id"]


def test_prefetch_leases_one_more_review_and_never_a_third(factory: Factory) -> None:
    _owner, project, _ids = reviewed_project(factory, items=4)
    worker, reviewer = factory.worker(), factory.worker()
    for _ in range(4):
        label(worker, project["id"])
    shown = task_of(reviewer, project["id"])
    prefetched = task_of(reviewer, project["id"], exclude=shown["assignment"]["id"])
    assert prefetched["assignment"]["id"] != shown["assignment"]["id"]
    assert prefetched["annotation"]["id"] != shown["annotation"]["id"]
    assert prefetched["assignment"]["item_id"] != shown["assignment"]["item_id"]
    # Replays answer the same two leases, whichever is on screen.
    assert ids(task_of(reviewer, project["id"], exclude=shown["assignment"]["id"])) == ids(
        prefetched
    )
    assert ids(task_of(reviewer, project["id"], exclude=prefetched["assignment"]["id"])) == ids(
        shown
    )
    assert ids(task_of(reviewer, project["id"])) == ids(shown)  # the oldest held comes first
    assert held(factory, reviewer) == [shown["assignment"]["id"], prefetched["assignment"]["id"]]
    with factory.database.session(write=False) as db:
        under_review = select(func.count(Annotation.id)).where(Annotation.under_review.is_(True))
        assert db.scalar(under_review) == 2


def test_after_a_verdict_next_answers_the_prefetched_review(factory: Factory) -> None:
    _owner, project, _ids = reviewed_project(factory, items=3)
    worker, reviewer = factory.worker(), factory.worker()
    for _ in range(3):
        label(worker, project["id"])
    shown = task_of(reviewer, project["id"])
    prefetched = task_of(reviewer, project["id"], exclude=shown["assignment"]["id"])
    assert verdict(reviewer, shown, verdict="accept").status_code == 201
    # The page shows the prefetched one; a reload (no exclude) finds it too.
    assert ids(task_of(reviewer, project["id"])) == ids(prefetched)
    third = task_of(reviewer, project["id"], exclude=prefetched["assignment"]["id"])
    assert third["annotation"]["id"] not in (
        shown["annotation"]["id"],
        prefetched["annotation"]["id"],
    )
    assert held(factory, reviewer) == [prefetched["assignment"]["id"], third["assignment"]["id"]]
    assert verdict(reviewer, prefetched, verdict="accept").status_code == 201
    assert verdict(reviewer, third, verdict="accept").status_code == 201
    empty = ask(reviewer, project["id"], exclude=third["assignment"]["id"]).json()
    assert empty == {"task": None, "reason": "complete"}
    assert held(factory, reviewer) == []


def test_prefetch_never_gives_a_reviewer_their_own_work(factory: Factory) -> None:
    _owner, project, _ids = reviewed_project(factory, items=3)
    worker, reviewer = factory.worker(), factory.worker()
    others = label(worker, project["id"])
    label(reviewer, project["id"])  # the reviewer labels too
    shown = task_of(reviewer, project["id"])
    assert shown["annotation"]["id"] == others["id"]
    nothing = ask(reviewer, project["id"], exclude=shown["assignment"]["id"]).json()
    assert nothing == {"task": None, "reason": "complete"}
    assert held(factory, reviewer) == [shown["assignment"]["id"]]


def test_an_exclude_that_is_not_the_reviewers_excludes_nothing(factory: Factory) -> None:
    _owner, project, _ids = reviewed_project(factory, items=4)
    worker, reviewer, other = factory.worker(), factory.worker(), factory.worker()
    for _ in range(4):
        label(worker, project["id"])
    theirs = task_of(other, project["id"])
    shown = task_of(reviewer, project["id"])
    again = task_of(reviewer, project["id"], exclude=theirs["assignment"]["id"])
    assert ids(again) == ids(shown)  # as without exclude: the held lease, nothing more
    assert held(factory, reviewer) == [shown["assignment"]["id"]]
    assert held(factory, other) == [theirs["assignment"]["id"]]
    bad = ask(reviewer, project["id"], exclude="first")
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "exclude"
    assert held(factory, reviewer) == [shown["assignment"]["id"]]


def test_an_expired_prefetched_review_is_not_shown_and_a_fresh_one_is_leased(
    factory: Factory,
) -> None:
    _owner, project, _ids = reviewed_project(factory, items=4)
    worker, reviewer, other = factory.worker(), factory.worker(), factory.worker()
    for _ in range(4):
        label(worker, project["id"])
    shown = task_of(reviewer, project["id"])
    stale = task_of(reviewer, project["id"], exclude=shown["assignment"]["id"])
    expire(factory.database, stale["assignment"]["id"])
    fresh = task_of(reviewer, project["id"], exclude=shown["assignment"]["id"])
    assert fresh["annotation"]["id"] not in (shown["annotation"]["id"], stale["annotation"]["id"])
    assert held(factory, reviewer) == [shown["assignment"]["id"], fresh["assignment"]["id"]]
    # The expired one's work went back to the queue, for another reviewer.
    assert task_of(other, project["id"])["annotation"]["id"] == stale["annotation"]["id"]
    late = verdict(reviewer, stale, verdict="accept")
    assert late.status_code == 410
    # After a verdict, an expired prefetch is skipped too: a plain next leases afresh.
    assert verdict(reviewer, shown, verdict="accept").status_code == 201
    expire(factory.database, fresh["assignment"]["id"])
    last = task_of(reviewer, project["id"])
    assert last["annotation"]["id"] not in (
        shown["annotation"]["id"],
        stale["annotation"]["id"],
        fresh["annotation"]["id"],
    )
    assert held(factory, reviewer) == [last["assignment"]["id"]]
