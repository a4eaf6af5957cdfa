"""A judge measured against people on the items both answered: Cohen's kappa (checked
against scikit-learn's on the same labels) with a seeded bootstrap interval, swap
consistency, and the items it is unsure of flagged and routed to people: raised in the
queue, and a closed item reopened for one more person under the project's max overlap.
The stand-in server plays the judge (no model weights can run here)."""

from typing import Any

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from sqlalchemy import select

from fairlabel.evaluation.agreement import ROUTED_PRIORITY, cohen_kappa, majority
from fairlabel.models import Item
from tests.evaluation.judging import battles_project, judge, run
from tests.exports.helpers import work
from tests.factories import Factory
from tests.llm.standin import StandIn

#: The judge (longer response wins) says a, b, a, b, a; this person agrees on 3 of 5.
PERSON = ["a", "b", "a", "a", "tie"]
JUDGE = ["a", "b", "a", "b", "a"]


def _agreement(built: Any, judge_id: int, **params: Any) -> dict[str, Any]:
    response = built.owner.get(f"/api/judges/{judge_id}/agreement", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_kappa_with_people_matches_scikit_learn(factory: Factory, standin: StandIn) -> None:
    built = battles_project(factory)
    worker = factory.worker()
    for _ in PERSON:
        work(
            built, worker, {f"battle-{n}": {"better": {"choice": c}} for n, c in enumerate(PERSON)}
        )
    made = judge(built, factory, standin)
    run(built, made["id"])
    body = _agreement(built, made["id"], bootstrap=300, seed=5)
    (kappa,) = body["kappa"]
    assert kappa["criterion"] is None and kappa["items"] == 5
    assert kappa["observed"] == pytest.approx(0.6)
    assert kappa["kappa"] == pytest.approx(cohen_kappa_score(JUDGE, PERSON), abs=1e-12)
    assert kappa["lower"] <= kappa["kappa"] <= kappa["upper"]
    assert body["swap"] == {"items": 5, "consistent": 5, "rate": 1.0}
    assert body["judged"] == 5 and body["human_split"] == 0 and body["flagged"] == []
    assert _agreement(built, made["id"], bootstrap=300, seed=5) == body  # seeded


def test_unsure_verdicts_are_flagged_and_reopened_for_people(
    factory: Factory, standin: StandIn
) -> None:
    built = battles_project(factory, overlap=1, max_overlap=2)
    worker = factory.worker()
    work(built, worker, {f"battle-{n}": {"better": {"choice": "a"}} for n in range(5)})
    made = judge(built, factory, standin, mode="unsure", min_confidence=0.5)
    assert run(built, made["id"])["result"]["routed"] == 5
    flagged = _agreement(built, made["id"], bootstrap=0)["flagged"]
    assert [f["reasons"] for f in flagged] == [["unsure"]] * 5
    assert all(f["routed"] and f["confidence"] == 0.3 for f in flagged)
    with factory.database.session(write=False) as db:
        rows = db.execute(
            select(Item.external_id, Item.priority, Item.is_open, Item.submitted).where(
                Item.project_id == built.project_id
            )
        ).all()
    answered = [r for r in rows if r.submitted]
    assert answered and all(r.is_open for r in answered)  # one more place, under max_overlap
    assert {r.priority for r in rows} == {ROUTED_PRIORITY}
    other = factory.worker()
    leased = other.post(f"/api/projects/{built.project_id}/assignments/next")
    assert leased.status_code == 200, leased.text


def test_a_sure_judge_routes_nothing(factory: Factory, standin: StandIn) -> None:
    built = battles_project(factory)
    made = judge(built, factory, standin, min_confidence=0.95)  # confidence 0.9: unsure
    assert run(built, made["id"])["result"]["routed"] == 5
    calm = judge(built, factory, standin, mode="longer", name="calm", min_confidence=0.5)
    assert run(built, calm["id"])["result"]["routed"] == 0


def test_cohen_kappa_edges() -> None:
    assert cohen_kappa([], [], 10, 0) == (None, None, None, None)
    observed, kappa, _, _ = cohen_kappa(["a", "a"], ["a", "a"], 10, 0)
    assert observed == 1.0 and kappa is None  # chance agreement 1: kappa undefined
    rng = np.random.default_rng(1)
    first = list(rng.choice(["a", "b", "tie"], 200))
    second = [x if rng.random() < 0.7 else "b" for x in first]
    _, kappa, lower, upper = cohen_kappa(first, second, 500, 2)
    assert kappa == pytest.approx(cohen_kappa_score(first, second), abs=1e-12)
    assert lower is not None and upper is not None and lower < kappa < upper


def test_majority_of_people() -> None:
    assert majority(["a", "a", "b"]) == "a"
    assert majority(["a", "b"]) is None
    assert majority([]) is None
