"""A project's leaderboard from its pairwise votes between models.

A vote counts when its item names the model behind each candidate: the pairwise question's
field (default `responses`) holds two objects, each with a string `model` and, for style
control, its text (`text`, `content` or `response`):
`{"responses": [{"model": "m1", "text": "..."}, {"model": "m2", "text": "..."}]}`. Choice a
is the first candidate. The category is the item's `fields.category`, else `meta.category`.
A battle of an evaluation (evaluation.battles) names its models in the battles table
instead, so that its item, which workers see, names none; so does an arena battle, by the
item and worker of its assignment, with the texts the worker was shown.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from fairlabel.errors import ValidationFailed
from fairlabel.evaluation import agreement, schemas
from fairlabel.evaluation import bradley_terry as bt
from fairlabel.evaluation.battles import arena_votes, battle_sides
from fairlabel.formats.chat import candidate_texts
from fairlabel.models import GoldScore, Item, Project
from fairlabel.quality.service import QuestionContext, contexts
from fairlabel.questions.base import one_of

WEIGHTINGS = ("auto", "gold", "none")
SOURCES = ("human", "judge", "all")
_OUTCOMES = {"a": bt.A_WINS, "b": bt.B_WINS, "tie": bt.TIE, "both_bad": bt.TIE}
_TOP_PAIRS = 3


@dataclass
class _Votes:
    """Votes as model indices, with what was left out and why."""

    models: list[str] = field(default_factory=list)
    a: list[str] = field(default_factory=list)
    b: list[str] = field(default_factory=list)
    outcome: list[int] = field(default_factory=list)
    weight: list[float] = field(default_factory=list)
    texts: list[tuple[str, str] | None] = field(default_factory=list)
    categories: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    both_bad: int = 0
    judge: int = 0
    items: list[int] = field(default_factory=list)
    labels: list[str | None] = field(default_factory=list)
    """Each vote's item and category, for comparisons paired by prompt."""


def leaderboard(
    db: Session,
    project: Project,
    *,
    question: str | None = None,
    category: str | None = None,
    style_control: bool = False,
    rounds: int = 1000,
    seed: int = 0,
    weighting: str = "auto",
    source: str = "all",
) -> schemas.Leaderboard:
    """Fit, bootstrap, rank intervals, robustness of the top pairs and the matrices; an
    unknown question, category, weighting or source is a 422. `source`: people's votes, LLM
    judges' (fairlabel.evaluation.agreement), or both."""
    context = _pairwise_question(project, question)
    if source not in SOURCES:
        raise ValidationFailed(
            f"unknown vote source {source!r}",
            field="source",
            value=source,
            expected=one_of(SOURCES),
        )
    if weighting not in WEIGHTINGS:
        raise ValidationFailed(
            f"unknown weighting {weighting!r}",
            field="weighting",
            value=weighting,
            expected=one_of(WEIGHTINGS),
        )
    weights = _gold_weights(db, project.id, context.name, weighting)
    votes = _collect(db, project, context, category, weights, source)
    if category is not None and category not in votes.categories:
        raise ValidationFailed(
            f"no votes in category {category!r}",
            field="category",
            value=category,
            expected=one_of(sorted(votes.categories), "a category of the project's items"),
        )
    used = "gold" if weights else "none"
    board = _board(project.id, context.name, category, votes, style_control, rounds, seed, used)
    judged = {"source": source, "judge_votes": votes.judge}
    return board.model_copy(update={**judged, "human_votes": board.votes - votes.judge})


def _pairwise_question(project: Project, question: str | None) -> QuestionContext:
    return typed_question(project, question, ("pairwise",), "a leaderboard")


def typed_question(
    project: Project, question: str | None, types: tuple[str, ...], needed_by: str
) -> QuestionContext:
    """The named question, or the project's first of these types; a 422 naming the
    questions that would do when it has none or the named one is of another type."""
    found = [c for c in contexts(project, question) if c.type in types]
    if not found:
        names = [q.name for q in project.questions if q.type in types]
        kinds = " or ".join(types)
        raise ValidationFailed(
            f"{needed_by} needs a {kinds} question",
            field="question",
            value=question,
            expected=one_of(names, f"a {kinds} question (the project has none)"),
        )
    return found[0]


def _gold_weights(db: Session, project_id: int, question: str, weighting: str) -> dict[int, float]:
    """Each worker's gold accuracy as (correct + 1) / (seen + 2), the posterior mean under a
    uniform prior, so a worker seen on few gold items neither counts fully nor vanishes."""
    if weighting == "none":
        return {}
    rows = db.execute(
        select(GoldScore.worker_id, GoldScore.seen, GoldScore.correct).where(
            GoldScore.project_id == project_id, GoldScore.question == question
        )
    )
    weights = {worker: (correct + 1) / (seen + 2) for worker, seen, correct in rows}
    if weighting == "gold" and not weights:
        raise ValidationFailed(
            "the project has no gold scores for this question",
            field="weighting",
            value=weighting,
            expected="auto or none (no worker has answered a gold item of this question)",
        )
    return weights


def _collect(
    db: Session,
    project: Project,
    context: QuestionContext,
    category: str | None,
    weights: dict[int, float],
    source: str,
) -> _Votes:
    items = {
        row.id: (row.fields, row.meta)
        for row in db.execute(
            select(Item.id, Item.fields, Item.meta).where(Item.project_id == project.id)
        )
    }
    field_name: str = getattr(context.settings, "field", "responses")
    sides = battle_sides(db, project.id)
    arena = arena_votes(db, project.id)
    votes = _Votes()
    for vote in agreement.votes_by_source(db, project, source):
        answer = vote.answers.get(context.name)
        if not isinstance(answer, dict) or answer.get("choice") not in _OUTCOMES:
            continue
        fields, meta = items[vote.item_id]
        arena_vote = arena.get((vote.item_id, vote.worker_id))
        pair = sides.get(vote.item_id) or _models(fields, field_name)
        if arena_vote is not None:
            pair = arena_vote.models
        if pair is None:
            votes.skipped["candidates_without_model"] += 1
            continue
        if pair[0] == pair[1]:
            votes.skipped["same_model_both_sides"] += 1
            continue
        item_category = _category(fields, meta)
        if item_category is not None:
            votes.categories[item_category] += 1
        if category is not None and item_category != category:
            continue
        _add(votes, pair, answer["choice"], weights.get(vote.worker_id, 0.5) if weights else 1.0)
        votes.judge += vote.worker_id < 0
        votes.items.append(vote.item_id)
        votes.labels.append(item_category)
        texts = arena_vote.texts if arena_vote else candidate_texts(fields, field_name)
        votes.texts.append(None if texts is None else _two(list(texts.values())))
    return votes


def _add(votes: _Votes, pair: tuple[str, str], choice: str, weight: float) -> None:
    votes.a.append(pair[0])
    votes.b.append(pair[1])
    votes.outcome.append(_OUTCOMES[choice])
    votes.weight.append(weight)
    votes.both_bad += choice == "both_bad"


def _models(fields: dict[str, Any], field_name: str) -> tuple[str, str] | None:
    value = fields.get(field_name)
    if not isinstance(value, list) or len(value) != 2:
        return None
    models = [entry.get("model") if isinstance(entry, dict) else None for entry in value]
    first, second = models
    if isinstance(first, str) and isinstance(second, str) and first and second:
        return first, second
    return None


def _two(texts: list[str]) -> tuple[str, str]:
    return texts[0], texts[1]


def _category(fields: dict[str, Any], meta: dict[str, Any]) -> str | None:
    return item_label(fields, meta, "category")


def item_label(fields: dict[str, Any], meta: dict[str, Any], key: str) -> str | None:
    """A non-blank string under `key` in the item's fields, else in its meta."""
    for source in (fields, meta):
        value = source.get(key) if isinstance(source, dict) else None
        if isinstance(value, str) and value:
            return value
    return None


def pairwise_votes(
    db: Session, project: Project, question: str | None, source: str
) -> tuple[str, _Votes]:
    """The question's name and the votes the leaderboard fits (unweighted), each with its
    item and category."""
    context = _pairwise_question(project, question)
    return context.name, _collect(db, project, context, None, {}, source)


def _board(
    project_id: int,
    question: str,
    category: str | None,
    votes: _Votes,
    style_control: bool,
    rounds: int,
    seed: int,
    weighting: str,
) -> schemas.Leaderboard:
    models = sorted(set(votes.a) | set(votes.b))
    index = {m: i for i, m in enumerate(models)}
    n = len(models)
    a = np.array([index[m] for m in votes.a], dtype=np.int64)
    b = np.array([index[m] for m in votes.b], dtype=np.int64)
    data = bt.battles(a, b, votes.outcome, votes.weight)
    base = _empty(project_id, question, category, votes, style_control, rounds, seed, weighting)
    if n < 2:
        return base
    point = bt.fit(data, n)
    intervals = bt.bootstrap(data, n, rounds, seed, point=point) if rounds else None
    style = _style(votes, a, b, n, rounds, seed) if style_control else None
    order = [int(i) for i in np.argsort(-point.scores, kind="stable")]
    standings = _standings(models, order, data, point, intervals, style)
    return base.model_copy(
        update={
            "has_mle": bt.has_mle(data, n),
            "tie_parameter": float(np.exp(point.log_nu)),
            "style_weights": None
            if style is None
            else dict(zip(bt.STYLE_FEATURES, map(float, style[0].beta), strict=True)),
            "standings": standings,
            "robustness": _robustness(models, order, data, n),
            **_matrices(data, n, order),
        }
    )


def _empty(
    project_id: int,
    question: str,
    category: str | None,
    votes: _Votes,
    style_control: bool,
    rounds: int,
    seed: int,
    weighting: str,
) -> schemas.Leaderboard:
    return schemas.Leaderboard(
        project_id=project_id,
        question=question,
        category=category,
        categories=[
            schemas.CategoryCount(category=c, votes=k) for c, k in sorted(votes.categories.items())
        ],
        votes=len(votes.outcome),
        both_bad=votes.both_bad,
        skipped=dict(votes.skipped),
        has_mle=None,
        prior_sd=bt.PRIOR_SD,
        tie_parameter=None,
        weighting=weighting,
        bootstrap_rounds=rounds,
        seed=seed,
        style_control=style_control,
        style_weights=None,
        standings=[],
        robustness=[],
        battle_matrix=[],
        win_rate_matrix=[],
    )


def _style(
    votes: _Votes, a: bt.Ints, b: bt.Ints, n: int, rounds: int, seed: int
) -> tuple[bt.Fit, bt.Bootstrap | None]:
    """The fit with style covariates, over every vote (each must have its texts)."""
    if any(t is None for t in votes.texts):
        missing = sum(t is None for t in votes.texts)
        raise ValidationFailed(
            f"style control needs each candidate's text; {missing} votes have none",
            field="style_control",
            value=True,
            expected="false, or items whose candidates carry text, content or response",
        )
    counts = [np.array([bt.style_counts(t[side]) for t in votes.texts if t]) for side in (0, 1)]
    data = bt.battles(a, b, votes.outcome, votes.weight, style=bt.style_covariates(*counts))
    point = bt.fit(data, n)
    return point, bt.bootstrap(data, n, rounds, seed, point=point) if rounds else None


def _standings(
    models: list[str],
    order: list[int],
    data: bt.Battles,
    point: bt.Fit,
    intervals: bt.Bootstrap | None,
    style: tuple[bt.Fit, bt.Bootstrap | None] | None,
) -> list[schemas.ModelStanding]:
    n = len(models)
    ranks = bt.rank_intervals(intervals.lower, intervals.upper) if intervals else None
    tally = _tally(data, n)
    result = []
    for rank, i in enumerate(order, start=1):
        style_fit, style_boot = style if style else (None, None)
        result.append(
            schemas.ModelStanding(
                model=models[i],
                rank=rank,
                score=float(point.scores[i]),
                lower=_at(intervals.lower if intervals else None, i),
                upper=_at(intervals.upper if intervals else None, i),
                rank_best=int(ranks[0][i]) if ranks else None,
                rank_worst=int(ranks[1][i]) if ranks else None,
                battles=int(tally[i].sum()),
                wins=int(tally[i, 0]),
                losses=int(tally[i, 1]),
                ties=int(tally[i, 2]),
                style_score=_at(style_fit.scores if style_fit else None, i),
                style_lower=_at(style_boot.lower if style_boot else None, i),
                style_upper=_at(style_boot.upper if style_boot else None, i),
            )
        )
    return result


def _at(values: bt.Floats | None, i: int) -> float | None:
    return None if values is None else float(values[i])


def _tally(data: bt.Battles, n: int) -> bt.Floats:
    """Wins, losses and ties per model, counting votes (not weights)."""
    tally = np.zeros((n, 3))
    loser = np.where(data.outcome == bt.TIE, bt.TIE, 1 - data.outcome)
    np.add.at(tally, (data.a, data.outcome), data.count)
    np.add.at(tally, (data.b, loser), data.count)
    return tally


def _robustness(
    models: list[str], order: list[int], data: bt.Battles, n: int
) -> list[schemas.Robustness]:
    return [
        schemas.Robustness(
            leader=models[top],
            challenger=models[other],
            votes_to_change=bt.votes_to_flip(data, n, top, other),
        )
        for top, other in pairwise(order[: _TOP_PAIRS + 1])
    ]


def _matrices(data: bt.Battles, n: int, order: list[int]) -> dict[str, Any]:
    counts, rates = bt.matrices(data, n)
    counts, rates = counts[np.ix_(order, order)], rates[np.ix_(order, order)]
    return {
        "battle_matrix": [[int(x) for x in row] for row in counts],
        "win_rate_matrix": [[None if np.isnan(x) else float(x) for x in row] for row in rates],
    }
