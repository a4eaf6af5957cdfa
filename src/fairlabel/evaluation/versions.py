"""Two versions of a model compared on the same prompts: re-run the eval set with the new
version, put each prompt's two responses in a battle, and the candidate's paired win rate
over the baseline is (wins + ties / 2) / votes, from the votes between the two (people's,
a judge's, or both; both-bad counts as a tie, as on the leaderboard). Its 95% interval is a
seeded bootstrap over prompts (items), each with all its votes, overall and per category."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from sqlalchemy.orm import Session

from fairlabel.errors import ValidationFailed
from fairlabel.evaluation import bradley_terry as bt
from fairlabel.evaluation import judge_schemas as schemas
from fairlabel.evaluation import service
from fairlabel.evaluation.rubrics import pooled_interval
from fairlabel.models import Project
from fairlabel.questions.base import one_of

#: Points for the candidate per leaderboard outcome, seen from side a.
_POINTS = {bt.A_WINS: 1.0, bt.B_WINS: 0.0, bt.TIE: 0.5}


def report(
    db: Session,
    project: Project,
    baseline: str,
    candidate: str,
    question: str | None,
    source: str,
    rounds: int,
    seed: int,
) -> schemas.VersionReport:
    if baseline == candidate:
        raise ValidationFailed(
            "the baseline and the candidate are the same model",
            field="candidate",
            value=candidate,
            expected="a model other than the baseline",
        )
    name, votes = service.pairwise_votes(db, project, question, source)
    known = set(votes.a) | set(votes.b)
    for field, model in (("baseline", baseline), ("candidate", candidate)):
        if model not in known:
            raise ValidationFailed(
                f"no votes name the model {model!r}",
                field=field,
                value=model,
                expected=one_of(sorted(known), "a model with votes"),
            )
    # per category (None: all) -> item -> [points, votes] for the candidate
    tallies: defaultdict[str | None, defaultdict[int, list[float]]] = defaultdict(
        lambda: defaultdict(lambda: [0.0, 0.0])
    )
    outcomes: defaultdict[str | None, list[float]] = defaultdict(list)
    for a, b, outcome, item, category in zip(
        votes.a, votes.b, votes.outcome, votes.items, votes.labels, strict=True
    ):
        if {a, b} != {baseline, candidate}:
            continue
        points = _POINTS[outcome] if a == candidate else 1.0 - _POINTS[outcome]
        for key in {None, category}:
            tallies[key][item][0] += points
            tallies[key][item][1] += 1
            outcomes[key].append(points)
    overall = _compared(None, tallies[None], outcomes[None], rounds, seed)
    categories = [
        _compared(c, tallies[c], outcomes[c], rounds, seed)
        for c in sorted(k for k in tallies if k is not None)
    ]
    return schemas.VersionReport(
        project_id=project.id,
        question=name,
        baseline=baseline,
        candidate=candidate,
        source=source,
        bootstrap_rounds=rounds,
        seed=seed,
        overall=overall,
        categories=categories,
    )


def _compared(
    category: str | None,
    by_item: dict[int, list[float]],
    points: list[float],
    rounds: int,
    seed: int,
) -> schemas.VersionComparison:
    sums = np.array([v[0] for v in by_item.values()])
    counts = np.array([v[1] for v in by_item.values()])
    lower, upper = pooled_interval(sums, counts, rounds, seed)
    return schemas.VersionComparison(
        category=category,
        battles=len(points),
        prompts=len(by_item),
        wins=sum(p == 1.0 for p in points),
        losses=sum(p == 0.0 for p in points),
        ties=sum(p == 0.5 for p in points),
        win_rate=float(sums.sum() / counts.sum()) if points else None,
        lower=lower,
        upper=upper,
    )
