"""Rubric evaluations: per model and criterion, the mean score with a 95% interval, from the
rubric answers (people's, a judge's, or both) on items that name the model they show
(`fields.model`, else `meta.model`). Several people may score one item, so the interval's
bootstrap resamples items, each with all its scores, rather than single scores."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from fairlabel.evaluation import agreement
from fairlabel.evaluation import judge_schemas as schemas
from fairlabel.evaluation.service import item_label, typed_question
from fairlabel.models import Item, Project
from fairlabel.questions.rubric import NA, score_of

#: (model, criterion) -> item id -> its numeric scores, and the n/a count per key.
Scores = defaultdict[tuple[str, str], defaultdict[int, list[int]]]


def report(
    db: Session, project: Project, question: str | None, source: str, rounds: int, seed: int
) -> schemas.RubricReport:
    context = typed_question(project, question, ("rubric",), "a rubric report")
    models = {
        item_id: item_label(fields, meta, "model")
        for item_id, fields, meta in db.execute(
            select(Item.id, Item.fields, Item.meta).where(Item.project_id == project.id)
        )
    }
    settings: Any = context.settings
    criteria = [c.name for c in settings.criteria]
    scores: Scores = defaultdict(lambda: defaultdict(list))
    not_applicable: Counter[tuple[str, str]] = Counter()
    skipped: Counter[str] = Counter()
    for vote in agreement.votes_by_source(db, project, source):
        answer = vote.answers.get(context.name)
        if answer is None:
            continue
        model = models.get(vote.item_id)
        if model is None:
            skipped["items_without_model"] += 1
            continue
        for criterion in criteria:
            score = score_of(answer, criterion)
            if score == NA:
                not_applicable[model, criterion] += 1
            elif isinstance(score, int):
                scores[model, criterion][vote.item_id].append(score)
    keys = sorted(set(scores) | set(not_applicable), key=lambda k: (k[0], criteria.index(k[1])))
    return schemas.RubricReport(
        project_id=project.id,
        question=context.name,
        source=source,
        bootstrap_rounds=rounds,
        seed=seed,
        skipped=dict(skipped),
        scores=[_score(k, scores[k], not_applicable[k], rounds, seed) for k in keys],
    )


def _score(
    key: tuple[str, str], by_item: dict[int, list[int]], na: int, rounds: int, seed: int
) -> schemas.RubricScore:
    sums = np.array([sum(v) for v in by_item.values()], dtype=float)
    counts = np.array([len(v) for v in by_item.values()], dtype=float)
    mean = float(sums.sum() / counts.sum()) if counts.size else None
    lower, upper = pooled_interval(sums, counts, rounds, seed)
    return schemas.RubricScore(
        model=key[0],
        criterion=key[1],
        items=len(by_item),
        scores=int(counts.sum()),
        not_applicable=na,
        mean=mean,
        lower=lower,
        upper=upper,
    )


def pooled_interval(
    sums: Any, counts: Any, rounds: int, seed: int
) -> tuple[float | None, float | None]:
    """The 95% percentile interval of sum(sums) / sum(counts) over a seeded bootstrap that
    resamples the units (items, prompts) whole; None without rounds or units."""
    if not rounds or not len(sums):
        return None, None
    picks = np.random.default_rng(seed).integers(0, len(sums), size=(rounds, len(sums)))
    means = sums[picks].sum(axis=1) / counts[picks].sum(axis=1)
    lower, upper = np.percentile(means, [2.5, 97.5])
    return float(lower), float(upper)
