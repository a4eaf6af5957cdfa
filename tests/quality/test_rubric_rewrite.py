"""Quality of rubric and rewrite answers: ordinal alpha per rubric criterion checked against the
`krippendorff` package, consensus per criterion and the rewrite medoid with their confidences,
edit-distance agreement, gold scoring, and the aggregated export, through the API."""

import json
from itertools import combinations
from typing import Any

import krippendorff
import numpy as np
import pytest
from rapidfuzz.distance import Levenshtein
from sqlalchemy import insert

from fairlabel.db import utcnow
from fairlabel.models import Item
from fairlabel.quality.kinds import aggregator_for
from fairlabel.questions import get_question_type
from tests.factories import Account, Factory
from tests.gold.helpers import scores
from tests.quality.helpers import consensus_rows
from tests.queue.helpers import lease

CRITERIA = [
    {"name": "helpful", "min": 1, "max": 5},
    {"name": "correct", "min": 0, "max": 3, "allow_na": True},
]
RUBRIC = {"name": "rubric", "type": "rubric", "settings": {"criteria": CRITERIA}}
REWRITE = {"name": "rewrite", "type": "rewrite", "settings": {}}
ORIGINAL = "The cat sat on the mat."


def _settings(question: dict[str, Any]) -> Any:
    return get_question_type(question["type"]).parse_settings(question["settings"])


def _rubric(helpful: int, correct: int | str) -> dict[str, Any]:
    return {"helpful": {"score": helpful}, "correct": {"score": correct}}


def _peer_alpha(matrix: np.ndarray) -> float:
    return float(krippendorff.alpha(reliability_data=matrix, level_of_measurement="ordinal"))


def _matrix(by_item: dict[int, list[tuple[int, Any]]], criterion: str, workers: int) -> np.ndarray:
    """The coders x units reliability matrix of one criterion, n/a and gaps as NaN."""
    matrix = np.full((workers, len(by_item)), np.nan)
    for unit, answers in enumerate(by_item.values()):
        for worker, answer in answers:
            score = answer[criterion]["score"]
            if score != "n/a":
                matrix[worker, unit] = score
    return matrix


def test_rubric_alpha_per_criterion_matches_the_krippendorff_package() -> None:
    rng = np.random.default_rng(7)
    by_item: dict[int, list[tuple[int, Any]]] = {}
    for item in range(200):
        truth = rng.integers(1, 6), rng.integers(0, 4)
        answers = []
        for worker in rng.choice(6, size=rng.integers(1, 5), replace=False):
            helpful = int(np.clip(truth[0] + rng.integers(-1, 2), 1, 5))
            correct: int | str = "n/a" if rng.random() < 0.15 else int(truth[1])
            if rng.random() < 0.3:
                correct = int(rng.integers(0, 4))
            answers.append((int(worker), _rubric(helpful, correct)))
        by_item[item] = answers
    figures = {
        f.name: f.value for f in aggregator_for("rubric").figures(_settings(RUBRIC), by_item)
    }
    helpful = _peer_alpha(_matrix(by_item, "helpful", 6))
    correct = _peer_alpha(_matrix(by_item, "correct", 6))
    assert figures["alpha_ordinal[helpful]"] == pytest.approx(helpful, abs=1e-9)
    assert figures["alpha_ordinal[correct]"] == pytest.approx(correct, abs=1e-9)
    assert figures["alpha_ordinal_mean"] == pytest.approx((helpful + correct) / 2, abs=1e-9)


def test_a_criterion_without_pairs_says_why() -> None:
    by_item = {1: [(1, _rubric(4, "n/a")), (2, _rubric(5, 2))]}
    figures = aggregator_for("rubric").figures(_settings(RUBRIC), by_item)
    reasons = {f.name: f.reason for f in figures}
    assert (
        reasons["alpha_ordinal[correct]"] is not None
        and "two annotat" in reasons["alpha_ordinal[correct]"]
    )
    assert reasons["alpha_ordinal[helpful]"] is None


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        # the lower median of 2, 4, 5 and 5 is 4; "n/a" wins only with more votes than scores
        (
            [_rubric(2, 1), _rubric(4, "n/a"), _rubric(5, "n/a"), _rubric(5, 3)],
            {
                "helpful": {"score": 4, "confidence": 0.25},
                "correct": {"score": 1, "confidence": 0.25},
            },
        ),
        (
            [_rubric(3, "n/a"), _rubric(3, "n/a"), _rubric(1, 2)],
            {
                "helpful": {"score": 3, "confidence": 2 / 3},
                "correct": {"score": "n/a", "confidence": 2 / 3},
            },
        ),
        (
            [_rubric(5, 0)],
            {
                "helpful": {"score": 5, "confidence": 1.0},
                "correct": {"score": 0, "confidence": 1.0},
            },
        ),
    ],
)
def test_rubric_consensus_is_the_lower_median_per_criterion(
    answers: list[Any], expected: dict[str, Any]
) -> None:
    consensus = aggregator_for("rubric").consensus(_settings(RUBRIC), list(enumerate(answers)))
    assert consensus == {name: pytest.approx(entry) for name, entry in expected.items()}


def test_tolerance_widens_what_agrees_with_the_consensus() -> None:
    loose = {**RUBRIC, "settings": {"criteria": CRITERIA, "tolerance": 1}}
    answers = list(enumerate([_rubric(2, 1), _rubric(3, 1), _rubric(5, 1)]))
    consensus = aggregator_for("rubric").consensus(_settings(loose), answers)
    assert consensus["helpful"] == {"score": 3, "confidence": pytest.approx(2 / 3)}


def test_the_rewrite_consensus_is_the_medoid() -> None:
    texts = [
        "The black cat sat on the mat.",
        "The black cat sat on a mat.",
        "A cat, black, sat on the mat.",
        "The black cat sat on the mat!",
    ]
    answers = [(k, {"text": t, "diff": [["-", ORIGINAL], ["+", t]]}) for k, t in enumerate(texts)]
    distances = np.array([[Levenshtein.normalized_distance(a, b) for b in texts] for a in texts])
    medoid = int(np.argmin(distances.sum(axis=1)))
    kind = aggregator_for("rewrite")
    assert kind.consensus(_settings(REWRITE), answers) == answers[medoid][1]
    figures = {f.name: f.value for f in kind.figures(_settings(REWRITE), {1: answers})}
    pairs = [Levenshtein.normalized_distance(a, b) for a, b in combinations(texts, 2)]
    moved = [Levenshtein.normalized_distance(ORIGINAL, t) for t in texts]
    assert figures["edit_distance_between_annotators"] == pytest.approx(np.mean(pairs))
    assert figures["edit_distance_from_original"] == pytest.approx(np.mean(moved))


def test_a_tie_between_rewrites_goes_to_the_earliest() -> None:
    answers = [(1, {"text": "Alpha.", "diff": []}), (2, {"text": "Beta.", "diff": []})]
    assert aggregator_for("rewrite").consensus(_settings(REWRITE), answers)["text"] == "Alpha."


# --- through the API ----------------------------------------------------------------------


def _project(
    factory: Factory, items: int, **extra: Any
) -> tuple[Account, dict[str, Any], list[int]]:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, questions=[RUBRIC, REWRITE], **extra)
    now = utcnow()
    rows = [
        {
            "project_id": project["id"],
            "external_id": f"chat-{n}",
            "fields": {"prompt": "Describe it.", "response": ORIGINAL},
            "meta": {},
            "created_at": now,
            "updated_at": now,
        }
        for n in range(items)
    ]
    with factory.database.session() as db:
        ids = db.scalars(insert(Item).returning(Item.id, sort_by_parameter_order=True), rows)
        return owner, project, list(ids)


def _work(worker: Account, project_id: int, answers: dict[int, dict[str, Any]]) -> None:
    """Lease each next item and submit the answers meant for it."""
    for _ in answers:
        assignment = lease(worker, project_id)
        response = worker.post(
            f"/api/assignments/{assignment['id']}/submit",
            json={"answers": answers[assignment["item_id"]], "time_spent_ms": 1000},
        )
        assert response.status_code == 201, response.text


#: Per worker, per item position: (helpful, correct) and the rewrite.
PLAN = [
    [((4, 2), "The black cat sat on the mat."), ((2, "n/a"), "A cat sat on the mat.")],
    [((5, 2), "The black cat sat on a mat."), ((2, 1), "A cat sat on the mat!")],
    [((4, 3), "The black cat sat on the mat!"), ((1, "n/a"), "One cat sat on the mat.")],
]


def test_quality_report_consensus_and_aggregated_export(factory: Factory) -> None:
    owner, project, items = _project(factory, items=2, overlap=3)
    given: dict[int, list[tuple[int, dict[str, Any]]]] = {item: [] for item in items}
    for number, plan in enumerate(PLAN):
        worker = factory.worker()
        answers = {
            item: {"rubric": _rubric(*scores_), "rewrite": text}
            for item, (scores_, text) in zip(items, plan, strict=True)
        }
        _work(worker, project["id"], answers)
        for item, answer in answers.items():
            given[item].append((number, answer["rubric"]))

    report = owner.get(f"/api/projects/{project['id']}/quality")
    assert report.status_code == 200, report.text
    questions = {q["name"]: q for q in report.json()["questions"]}
    figures = {f["name"]: f["value"] for f in questions["rubric"]["figures"]}
    for criterion in ("helpful", "correct"):
        expected = _peer_alpha(_matrix(given, criterion, 3))
        assert figures[f"alpha_ordinal[{criterion}]"] == pytest.approx(expected, abs=1e-9)
    rewrite_figures = {f["name"] for f in questions["rewrite"]["figures"]}
    assert rewrite_figures == {"edit_distance_between_annotators", "edit_distance_from_original"}

    rows = consensus_rows(factory.database, project["id"])
    first = rows[(items[0], "rubric")]
    assert first["method"] == "median" and first["annotators"] == 3
    assert first["answer"] == {
        "helpful": {"score": 4, "confidence": pytest.approx(2 / 3)},
        "correct": {"score": 2, "confidence": pytest.approx(2 / 3)},
    }
    assert first["confidence"] == pytest.approx(2 / 3)  # the mean of the criteria's
    second = rows[(items[1], "rubric")]["answer"]
    assert second["correct"] == {"score": "n/a", "confidence": pytest.approx(2 / 3)}
    medoid = rows[(items[0], "rewrite")]
    assert (
        medoid["method"] == "medoid" and medoid["answer"]["text"] == "The black cat sat on the mat."
    )

    exported = owner.get(f"/api/projects/{project['id']}/export?aggregated=true")
    assert exported.status_code == 200, exported.text
    lines = [json.loads(line) for line in exported.text.splitlines()]
    assert lines[0]["consensus"]["rubric"]["answer"]["helpful"]["score"] == 4
    assert lines[0]["consensus"]["rewrite"]["answer"]["text"] == "The black cat sat on the mat."
    assert lines[1]["consensus"]["rubric"]["answer"]["correct"]["score"] == "n/a"


def test_gold_rubric_and_rewrite_items_score_the_worker(factory: Factory) -> None:
    owner, project, (ordinary, item) = _project(factory, items=2, gold_rate=1.0)
    gold = {"rubric": _rubric(4, 2), "rewrite": "The black cat sat on the mat."}
    marked = owner.put(f"/api/items/{item}/gold", json={"answers": gold})
    assert marked.status_code == 200, marked.text
    assert marked.json()["answers"]["rewrite"]["diff"][0] == ["=", "The "]
    worker = factory.worker()
    # helpful right, correct one point off: half the rubric; the rewrite 1 character off passes
    answers = {"rubric": _rubric(4, 3), "rewrite": "The black cat sat on the mat!"}
    _work(worker, project["id"], {item: answers, ordinary: answers})
    assert scores(factory.database, worker.user_id) == {
        "rubric": (1, 0.5),
        "rewrite": (1, 1.0),
        "*": (1, pytest.approx(0.75)),
    }
