"""The leaderboard through the real API: pairwise votes submitted by workers through the
queue over items naming each candidate's model, fitted, filtered by category, with style
control, and who may read it; bad parameters are specific 422s."""

import itertools
import json
from typing import Any

import pytest

from fairlabel.evaluation import bradley_terry as bt
from tests.exports.helpers import Built, build_project, work
from tests.factories import Factory

QUESTIONS = [
    {"name": "better", "type": "pairwise", "settings": {"field": "responses"}},
    {"name": "note", "type": "text", "required": False},
]
LONG = "## Answer\n\n- **one**\n- two\n\n```py\nx = 1\n```\n"
PAIRS = list(itertools.combinations(["m1", "m2", "m3"], 2))
#: Per item: its pair of models, category and the choice every worker makes.
PLAN = [
    (PAIRS[0], "code", "a"),
    (PAIRS[1], "code", "a"),
    (PAIRS[2], "chat", "a"),
    (PAIRS[0], "chat", "tie"),
    (PAIRS[2], "chat", "both_bad"),
    (tuple(reversed(PAIRS[1])), "code", "b"),
]


def _items() -> list[dict[str, Any]]:
    return [
        {
            "external_id": f"battle-{n}",
            "category": category,
            "responses": [
                {"id": "x", "model": pair[0], "text": LONG if pair[0] == "m1" else "Short."},
                {"id": "y", "model": pair[1], "text": "Short answer."},
            ],
        }
        for n, (pair, category, _) in enumerate(PLAN)
    ]


def _voted(factory: Factory, workers: int = 3) -> Built:
    built = build_project(factory, QUESTIONS, _items(), overlap=workers)
    answers = {
        f"battle-{n}": {"better": {"choice": choice}} for n, (_, _, choice) in enumerate(PLAN)
    }
    for _ in range(workers):
        worker = factory.worker()
        for _ in PLAN:
            work(built, worker, answers)
    return built


def _board(built: Built, **params: Any) -> dict[str, Any]:
    response = built.owner.get(f"/api/projects/{built.project_id}/leaderboard", params=params)
    assert response.status_code == 200, response.text
    assert "NaN" not in response.text and "Infinity" not in response.text
    body: dict[str, Any] = json.loads(response.text)
    return body


def test_the_leaderboard_of_voted_battles(factory: Factory) -> None:
    built = _voted(factory)
    body = _board(built, bootstrap=200, seed=3)
    assert body["question"] == "better" and body["votes"] == 18 and body["both_bad"] == 3
    assert body["weighting"] == "none" and body["bootstrap_rounds"] == 200
    assert [s["model"] for s in body["standings"]] == ["m1", "m2", "m3"]
    assert body["has_mle"] is True  # m1 never lost, but its tie with m2 links it back
    top = body["standings"][0]
    assert (top["wins"], top["losses"], top["ties"], top["battles"]) == (9, 0, 3, 12)
    for standing in body["standings"]:
        assert standing["lower"] <= standing["score"] <= standing["upper"]
        assert 1 <= standing["rank_best"] <= standing["rank"] <= standing["rank_worst"] <= 3
        assert standing["style_score"] is None
    assert body["battle_matrix"] == [[0, 6, 6], [6, 0, 6], [6, 6, 0]]
    assert body["win_rate_matrix"][0][1] == pytest.approx(0.75)
    assert body["win_rate_matrix"][0][0] is None
    assert [(r["leader"], r["challenger"]) for r in body["robustness"]] == [
        ("m1", "m2"),
        ("m2", "m3"),
    ]
    assert all(r["votes_to_change"] >= 1 for r in body["robustness"])
    assert body["categories"] == [
        {"category": "chat", "votes": 9},
        {"category": "code", "votes": 9},
    ]
    assert _board(built, bootstrap=200, seed=3) == body  # seeded: the same answer


def test_category_style_control_and_no_bootstrap(factory: Factory) -> None:
    built = _voted(factory, workers=2)
    code = _board(built, category="code", bootstrap=0)
    assert code["votes"] == 6 and code["category"] == "code"
    assert all(s["lower"] is None and s["rank_best"] is None for s in code["standings"])
    styled = _board(built, style_control="true", bootstrap=50)
    assert styled["style_control"] is True
    assert set(styled["style_weights"]) == set(bt.STYLE_FEATURES)
    for standing in styled["standings"]:
        assert standing["style_lower"] <= standing["style_score"] <= standing["style_upper"]


def test_votes_on_items_without_models_are_left_out_and_counted(factory: Factory) -> None:
    items = _items()
    del items[0]["responses"][0]["model"]
    built = build_project(factory, QUESTIONS, items, overlap=1)
    worker = factory.worker()
    for _ in PLAN:
        work(built, worker, {f"battle-{n}": {"better": {"choice": "a"}} for n in range(6)})
    body = _board(built, bootstrap=0)
    assert body["votes"] == 5 and body["skipped"] == {"candidates_without_model": 1}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"bootstrap": -1}, "bootstrap"),
        ({"bootstrap": 10001}, "bootstrap"),
        ({"bootstrap": "many"}, "bootstrap"),
        ({"style_control": "maybe"}, "style_control"),
        ({"category": "poetry"}, "category"),
        ({"weighting": "loudest"}, "weighting"),
        ({"weighting": "gold"}, "weighting"),
        ({"question": "note"}, "question"),
        ({"question": "nope"}, "question"),
    ],
)
def test_bad_parameters_are_specific_422s(
    factory: Factory, params: dict[str, Any], field: str
) -> None:
    built = _voted(factory, workers=1)
    response = built.owner.get(f"/api/projects/{built.project_id}/leaderboard", params=params)
    assert response.status_code == 422, response.text
    assert field in response.json()["error"]["field"]


def test_style_control_needs_the_candidates_text(factory: Factory) -> None:
    items = _items()
    del items[2]["responses"][1]["text"]
    built = build_project(factory, QUESTIONS, items, overlap=1)
    worker = factory.worker()
    for _ in PLAN:
        work(built, worker, {f"battle-{n}": {"better": {"choice": "a"}} for n in range(6)})
    url = f"/api/projects/{built.project_id}/leaderboard"
    response = built.owner.get(url, params={"style_control": "true"})
    assert response.status_code == 422 and response.json()["error"]["field"] == "style_control"
    assert built.owner.get(url, params={"bootstrap": 0}).status_code == 200


def test_who_may_read_the_leaderboard(factory: Factory) -> None:
    built = _voted(factory, workers=1)
    url = f"/api/projects/{built.project_id}/leaderboard?bootstrap=0"
    project = built.owner.get(f"/api/projects/{built.project_id}").json()
    viewer = factory.user(org_id=project["organization_id"], role="viewer")
    stranger, _ = factory.owner()
    assert viewer.get(url).status_code == 200
    assert stranger.get(url).status_code == 404
    assert factory.worker().get(url).status_code == 404
    assert built.owner.client.get(url).status_code == 401


def test_votes_weigh_by_gold_accuracy_where_the_project_has_gold(factory: Factory) -> None:
    """Two workers disagree on every battle; one got the gold battle right, one wrong. Unweighted
    the models are level; weighted by (correct + 1) / (seen + 2) the right one's pick leads."""
    items = [_items()[0] | {"external_id": f"battle-{n}"} for n in range(3)]
    built = build_project(factory, QUESTIONS, items, overlap=2, gold_rate=1.0)
    gold_item = built.owner.get(f"/api/projects/{built.project_id}/items").json()["items"][0]
    marked = built.owner.put(
        f"/api/items/{gold_item['id']}/gold", json={"answers": {"better": {"choice": "a"}}}
    )
    assert marked.status_code == 200, marked.text
    for choice in ("a", "b"):
        worker = factory.worker()
        for _ in items:
            work(built, worker, {i["external_id"]: {"better": {"choice": choice}} for i in items})
    plain = _board(built, bootstrap=0, weighting="none")
    assert plain["weighting"] == "none" and plain["votes"] == 6
    assert plain["standings"][0]["score"] == pytest.approx(plain["standings"][1]["score"])
    weighted = _board(built, bootstrap=0)
    assert weighted["weighting"] == "gold"
    assert [s["model"] for s in weighted["standings"]] == ["m1", "m2"]
    assert weighted["standings"][0]["score"] > weighted["standings"][1]["score"] + 50
    assert weighted["standings"][0]["wins"] == 3  # votes are counted, weights only fitted


def test_an_undefeated_model_is_finite_and_the_answer_says_the_prior_decides(
    factory: Factory,
) -> None:
    items = _items()[:1]
    built = build_project(factory, QUESTIONS, items, overlap=2)
    for _ in range(2):
        work(built, factory.worker(), {"battle-0": {"better": {"choice": "a"}}})
    body = _board(built, bootstrap=20)
    assert body["has_mle"] is False and body["votes"] == 2
    top, second = body["standings"]
    assert top["model"] == "m1" and 1000 < top["score"] < 1000 + 400 * 10
    assert (second["model"], second["losses"]) == ("m2", 2)
    assert top["rank_best"] == 1 and body["robustness"][0]["votes_to_change"] == 2
