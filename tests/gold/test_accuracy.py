"""Scoring gold submissions, accuracy with Wilson intervals, and the gate: a worker below the
bar stops receiving tasks and is told why; nothing already submitted changes."""

from typing import Any

import pytest

from fairlabel.gold.service import wilson
from tests.factories import Account, Factory
from tests.gold.helpers import gold_project, scores
from tests.queue.helpers import lease, next_task, snapshot, submit


def work(worker: Account, project_id: int, count: int, label: str) -> list[dict[str, Any]]:
    """Lease and submit `count` items with the same label."""
    done = []
    for _ in range(count):
        assignment = lease(worker, project_id)
        assert submit(worker, assignment["id"], label).status_code == 201
        done.append(assignment)
    return done


def test_wilson_interval_by_hand() -> None:
    # 1 of 2: centre 0.5, half-width 1.96 * sqrt(0.125 + 1.9208 / 8) / 2.9208
    low, high = wilson(1, 2)
    assert (low, high) == pytest.approx((0.0945, 0.9055), abs=1e-4)
    assert wilson(10, 10)[1] == pytest.approx(1.0)
    assert wilson(0, 10)[0] == pytest.approx(0.0)


def test_first_submission_on_gold_is_scored_and_revisions_are_not(factory: Factory) -> None:
    _, project, _, gold_ids = gold_project(factory, items=2, gold=2, gold_rate=1.0)
    worker = factory.worker()
    right, wrong = work(worker, project["id"], 1, "positive") + work(
        worker, project["id"], 1, "negative"
    )
    assert {right["item_id"], wrong["item_id"]} == set(gold_ids)
    assert scores(factory.database, worker.user_id) == {"sentiment": (2, 1.0), "*": (2, 1.0)}
    annotation = worker.get(f"/api/assignments/{wrong['id']}").json()["annotation_id"]
    revised = worker.post(
        f"/api/annotations/{annotation}/revise", json={"answers": {"sentiment": "positive"}}
    )
    assert revised.status_code == 201, revised.text
    assert scores(factory.database, worker.user_id)["*"] == (2, 1.0)
    work(worker, project["id"], 1, "negative")  # an ordinary item: not scored
    assert scores(factory.database, worker.user_id)["*"] == (2, 1.0)


def test_accuracy_report_by_pseudonym_per_question_and_overall(factory: Factory) -> None:
    _, project, _, _ = gold_project(factory, items=4, gold=2, gold_rate=1.0, overlap=2)
    good, poor = factory.worker(), factory.worker()
    work(good, project["id"], 2, "positive")
    work(poor, project["id"], 1, "positive")
    work(poor, project["id"], 1, "negative")
    viewer = factory.user(org_id=project["organization_id"], role="viewer")
    report = viewer.get(f"/api/projects/{project['id']}/gold/accuracy")
    assert report.status_code == 200, report.text
    body = report.json()
    by_worker = {w["worker"]: w for w in body["workers"]}
    pseudonyms = {a.user_id: a.get("/api/me").json()["pseudonym"] for a in (good, poor)}
    assert set(by_worker) == set(pseudonyms.values())
    assert good.email not in report.text and poor.email not in report.text
    poor_figures = by_worker[pseudonyms[poor.user_id]]
    assert poor_figures["overall"]["seen"] == 2
    assert poor_figures["overall"]["accuracy"] == 0.5
    assert (poor_figures["overall"]["low"], poor_figures["overall"]["high"]) == pytest.approx(
        wilson(1, 2)
    )
    assert poor_figures["questions"]["sentiment"]["accuracy"] == 0.5
    assert by_worker[pseudonyms[good.user_id]]["overall"]["accuracy"] == 1.0
    assert body["overall"]["seen"] == 4 and body["overall"]["accuracy"] == 0.75
    assert body["questions"]["sentiment"]["correct"] == 3


def test_who_may_read_accuracy(factory: Factory) -> None:
    _, project, _, _ = gold_project(factory, items=1, gold=1)
    stranger, _ = factory.owner()
    worker = factory.worker()
    url = f"/api/projects/{project['id']}/gold"
    assert stranger.get(f"{url}/accuracy").status_code == 404
    assert worker.get(f"{url}/accuracy").status_code == 404
    member = factory.user(org_id=project["organization_id"], role="viewer")
    assert member.get(f"{url}/mine").status_code == 403
    mine = worker.get(f"{url}/mine").json()
    assert mine["overall"] is None and mine["below_bar"] is False and mine["missed"] == []


def test_a_worker_below_the_bar_is_stopped_and_told_why(factory: Factory) -> None:
    _, project, ordinary, gold_ids = gold_project(
        factory,
        items=3,
        gold=2,
        gold_rate=1.0,
        overlap=2,
        min_gold_accuracy=0.8,
        min_gold_seen=2,
    )
    careless, careful = factory.worker(), factory.worker()
    submitted = work(careless, project["id"], 2, "negative")
    assert {a["item_id"] for a in submitted} == set(gold_ids)
    before = snapshot(factory.database)
    answer = next_task(careless, project["id"])
    assert answer["assignment"] is None
    assert answer["reason"] == "below_gold_accuracy"
    detail = answer["detail"]
    assert detail["accuracy"] == 0.0 and detail["min_gold_accuracy"] == 0.8
    assert detail["gold_seen"] == 2
    assert detail["missed_url"] == f"/api/projects/{project['id']}/gold/mine"
    assert "80%" in detail["message"] and "not affected" in detail["message"]
    assert snapshot(factory.database) == before  # nothing submitted changed, nothing leased

    mine = careless.get(detail["missed_url"]).json()
    assert mine["below_bar"] is True
    assert sorted(m["item_id"] for m in mine["missed"]) == gold_ids
    missed = mine["missed"][0]
    assert missed["answers"] == {"sentiment": "negative"}
    assert missed["expected"] == {"sentiment": "positive"}
    assert missed["score"] == 0.0 and "text" in missed["fields"]

    work(careful, project["id"], 2, "positive")
    assert lease(careful, project["id"])["item_id"] == ordinary[0]
    assert careful.get(detail["missed_url"]).json()["missed"] == []


def test_the_bar_waits_for_enough_gold(factory: Factory) -> None:
    _, project, ordinary, _ = gold_project(
        factory, items=2, gold=1, gold_rate=1.0, min_gold_accuracy=0.8, min_gold_seen=2
    )
    worker = factory.worker()
    work(worker, project["id"], 1, "negative")
    assert lease(worker, project["id"])["item_id"] == ordinary[0]
