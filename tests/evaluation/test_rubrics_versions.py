"""Rubric scores per model and criterion (people's, a judge's, or both) with bootstrap
intervals over items, and two model versions compared by their paired win rate on the
prompts both answered, overall and per category; bad parameters are specific 422s. The
stand-in server plays the judge (no model weights can run here): it scores a rubric with
the response's word count and prefers the longer of two responses."""

from typing import Any

import pytest

from tests.evaluation.judging import battle_items, judge, run
from tests.exports.helpers import Built, build_project, work
from tests.factories import Factory
from tests.llm.standin import StandIn

RUBRIC = {
    "name": "quality",
    "type": "rubric",
    "settings": {
        "criteria": [
            {"name": "helpfulness", "min": 1, "max": 5},
            {"name": "accuracy", "min": 1, "max": 10, "allow_na": True},
        ]
    },
}
#: (model, response): the stand-in judge scores each criterion with the word count.
SCORED = [
    ("m1", "one two three"),
    ("m1", "one two three four five six seven"),
    ("m2", "one"),
    ("m2", "one two"),
]


def _rubric_project(factory: Factory) -> Built:
    items = [
        {"external_id": f"r-{n}", "prompt": f"Tell me {n}.", "response": text, "model": model}
        for n, (model, text) in enumerate(SCORED)
    ]
    items.append({"external_id": "r-anon", "prompt": "Who?", "response": "nobody knows"})
    return build_project(factory, [RUBRIC], items)


def _get(built: Built, path: str, status: int = 200, **params: Any) -> dict[str, Any]:
    response = built.owner.get(f"/api/projects/{built.project_id}/{path}", params=params)
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def _scores(body: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(s["model"], s["criterion"]): s for s in body["scores"]}


def test_rubric_scores_per_model_and_criterion(factory: Factory, standin: StandIn) -> None:
    built = _rubric_project(factory)
    made = judge(built, factory, standin)
    assert made["question"] == "quality" and made["question_type"] == "rubric"
    result = run(built, made["id"])["result"]
    assert (result["ok"], result["unparseable"]) == (5, 0)
    body = _get(built, "rubric-scores", source="judge", bootstrap=200, seed=1)
    assert body["question"] == "quality" and body["skipped"] == {"items_without_model": 1}
    scores = _scores(body)
    assert scores["m1", "helpfulness"]["mean"] == pytest.approx((3 + 5) / 2)
    assert scores["m1", "accuracy"]["mean"] == pytest.approx((3 + 7) / 2)
    assert scores["m2", "helpfulness"]["mean"] == pytest.approx(1.5)
    for score in scores.values():
        assert score["items"] == 2 and score["lower"] <= score["mean"] <= score["upper"]
    worker = factory.worker()
    answer = {"quality": {"helpfulness": {"score": 4}, "accuracy": {"score": "n/a"}}}
    for _ in range(5):
        work(built, worker, {f"r-{n}": answer for n in range(4)} | {"r-anon": answer})
    human = _scores(_get(built, "rubric-scores", source="human", bootstrap=0))
    assert human["m1", "helpfulness"]["mean"] == 4.0 and human["m1", "helpfulness"]["lower"] is None
    assert human["m1", "accuracy"]["mean"] is None
    assert human["m1", "accuracy"]["not_applicable"] == 2
    both = _scores(_get(built, "rubric-scores", bootstrap=0))
    assert both["m2", "helpfulness"]["scores"] == 4
    assert both["m2", "helpfulness"]["mean"] == pytest.approx((1 + 2 + 4 + 4) / 4)


def test_rubric_scores_bad_parameters(factory: Factory) -> None:
    built = _rubric_project(factory)
    assert _get(built, "rubric-scores", 422, source="robots")["error"]["field"] == "source"
    battles = build_project(factory, [{"name": "better", "type": "pairwise"}], [])
    refused = _get(battles, "rubric-scores", 422)
    assert refused["error"]["field"] == "question"


#: v2's response is the longer on prompts 0-2 (it wins them) and the shorter on 3.
VERSIONS = [
    (("v1", "v2"), "code", False),
    (("v2", "v1"), "code", True),
    (("v1", "v2"), "chat", False),
    (("v2", "v1"), "chat", False),
]


def test_a_new_version_against_the_old_on_the_same_prompts(
    factory: Factory, standin: StandIn
) -> None:
    pairwise = [{"name": "better", "type": "pairwise", "settings": {"field": "responses"}}]
    built = build_project(factory, pairwise, battle_items(VERSIONS))
    run(built, judge(built, factory, standin)["id"])
    body = _get(built, "versions", baseline="v1", candidate="v2", source="judge", bootstrap=300)
    overall = body["overall"]
    assert (overall["battles"], overall["prompts"]) == (4, 4)
    assert (overall["wins"], overall["losses"], overall["ties"]) == (3, 1, 0)
    assert overall["win_rate"] == pytest.approx(0.75)
    assert overall["lower"] <= 0.75 <= overall["upper"]
    by_category = {c["category"]: c for c in body["categories"]}
    assert by_category["code"]["win_rate"] == 1.0 and by_category["chat"]["win_rate"] == 0.5
    flipped = _get(built, "versions", baseline="v2", candidate="v1", source="judge", bootstrap=0)
    assert flipped["overall"]["win_rate"] == pytest.approx(0.25)
    worker = factory.worker()
    for _ in VERSIONS:
        work(built, worker, {f"battle-{n}": {"better": {"choice": "tie"}} for n in range(4)})
    human = _get(built, "versions", baseline="v1", candidate="v2", source="human", bootstrap=0)
    assert human["overall"]["ties"] == 4 and human["overall"]["win_rate"] == 0.5
    both = _get(built, "versions", baseline="v1", candidate="v2", bootstrap=0)
    assert both["overall"]["battles"] == 8 and both["overall"]["win_rate"] == pytest.approx(0.625)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"baseline": "v1", "candidate": "v1"}, "candidate"),
        ({"baseline": "v0", "candidate": "v2"}, "baseline"),
        ({"baseline": "v1", "candidate": "v9"}, "candidate"),
        ({"baseline": "v1", "candidate": "v2", "source": "robots"}, "source"),
        ({"baseline": "v1", "candidate": "v2", "question": "nope"}, "question"),
    ],
)
def test_version_comparison_bad_parameters(
    factory: Factory, params: dict[str, str], field: str
) -> None:
    pairwise = [{"name": "better", "type": "pairwise"}]
    built = build_project(factory, pairwise, battle_items(VERSIONS), overlap=1)
    worker = factory.worker()
    for _ in VERSIONS:
        work(built, worker, {f"battle-{n}": {"better": {"choice": "a"}} for n in range(4)})
    body = _get(built, "versions", 422, **params)
    assert body["error"]["field"] == field, body
