"""A judge's votes, its agreement with people, and the items it is unsure of sent to people.

A battle's vote is the judge's verdict when both orders give the same one; when the two
orders disagree the judge has no preference but the position, and the vote is a tie (the
convention of Zheng et al. 2023, "Judging LLM-as-a-Judge", for MT-Bench). A battle judged in
one order only has no vote yet. A rubric judge's vote is its one verdict.

Agreement is Cohen's kappa between the judge's vote and the people's majority answer on the
items both answered (an item whose people tie for the majority is left out, and counted),
with a 95% percentile interval from a seeded bootstrap over those items.

Routing: an item whose judge verdicts are inconsistent across the swap, a tie or both-bad,
or below the judge's `min_confidence`, is raised to at least ROUTED_PRIORITY in the queue
(which serves higher priorities first) and, when it is closed with every place answered,
reopened for one more person under the project's `max_overlap` (the dynamic-overlap rule of
fairlabel.quality.service)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fairlabel.db import utcnow
from fairlabel.evaluation import judge_schemas as schemas
from fairlabel.models import Item, Project
from fairlabel.models.judges import Judge, JudgeVerdict, VerdictStatus
from fairlabel.quality.service import REOPEN_ITEM, Vote, contexts, project_votes
from fairlabel.questions.rubric import NA, score_of

ROUTED_PRIORITY = 100
NO_PREFERENCE = ("tie", "both_bad")


@dataclass(frozen=True)
class JudgeVote:
    """The judge's vote on one item and what it rests on."""

    item_id: int
    answer: dict[str, Any]
    answers: list[Any]
    consistent: bool | None
    confidence: float | None
    created_at: datetime


def judge_votes(db: Session, judge: Judge, pairwise: bool) -> dict[int, JudgeVote]:
    """Item id -> the judge's vote, for the items that have one."""
    rows = db.execute(
        select(JudgeVerdict.item_id, JudgeVerdict.answer, JudgeVerdict.confidence)
        .add_columns(JudgeVerdict.created_at)
        .where(JudgeVerdict.judge_id == judge.id, JudgeVerdict.status == VerdictStatus.ok)
        .order_by(JudgeVerdict.item_id, JudgeVerdict.swapped)
    )
    by_item: defaultdict[int, list[tuple[Any, float | None, datetime]]] = defaultdict(list)
    for item_id, answer, confidence, created_at in rows:
        by_item[item_id].append((answer, confidence, created_at))
    votes = {}
    for item_id, verdicts in by_item.items():
        if pairwise and len(verdicts) < 2:
            continue
        answers = [v[0] for v in verdicts]
        consistent = len({a["choice"] for a in answers}) == 1 if pairwise else None
        answer = answers[0] if consistent in (True, None) else {"choice": "tie", "strength": None}
        known = [v[1] for v in verdicts if v[1] is not None]
        votes[item_id] = JudgeVote(
            item_id,
            answer,
            answers,
            consistent,
            min(known) if known else None,
            max(v[2] for v in verdicts),
        )
    return votes


def reasons(vote: JudgeVote, min_confidence: float) -> list[str]:
    """Why people should answer this item too; empty when the judge is sure."""
    found = []
    if vote.consistent is False:
        found.append("inconsistent")
    elif vote.consistent and vote.answer.get("choice") in NO_PREFERENCE:
        found.append("tie")
    if vote.confidence is not None and vote.confidence < min_confidence:
        found.append("unsure")
    return found


def _is_pairwise(project: Project, judge: Judge) -> bool:
    return contexts(project, judge.question)[0].type == "pairwise"


def _flagged(
    votes: dict[int, JudgeVote], min_confidence: float
) -> list[tuple[JudgeVote, list[str]]]:
    found = [(vote, reasons(vote, min_confidence)) for vote in votes.values()]
    return [(vote, why) for vote, why in found if why]


def route_unsure(db: Session, judge_id: int) -> int:
    """Raise and, where allowed, reopen the items the judge is unsure of; how many."""
    judge = db.get(Judge, judge_id)
    project = db.get(Project, judge.project_id) if judge else None
    if judge is None or project is None:
        return 0
    votes = judge_votes(db, judge, _is_pairwise(project, judge))
    ids = [vote.item_id for vote, _ in _flagged(votes, judge.min_confidence)]
    if not ids:
        return 0
    db.execute(
        update(Item)
        .where(Item.id.in_(ids), Item.priority < ROUTED_PRIORITY)
        .values(priority=ROUTED_PRIORITY, updated_at=utcnow())
    )
    now = utcnow()
    db.connection().execute(REOPEN_ITEM, [{"p_item": i, "p_now": now} for i in ids])
    return len(ids)


def project_judge_votes(db: Session, project: Project) -> list[Vote]:
    """Every judge's votes on the project, shaped as workers' votes are for the leaderboard:
    the worker id is minus the judge's id (never a person's) and the pseudonym names it."""
    types = {q.name: q.type for q in project.questions}
    found: list[Vote] = []
    for judge in db.scalars(select(Judge).where(Judge.project_id == project.id)):
        if judge.question not in types:
            continue  # its question was removed from the project: its votes answer nothing
        votes = judge_votes(db, judge, types[judge.question] == "pairwise")
        found.extend(
            Vote(
                v.item_id,
                -judge.id,
                f"judge:{judge.name}",
                {judge.question: v.answer},
                v.created_at,
            )
            for v in votes.values()
        )
    return sorted(found, key=lambda v: (v.item_id, v.worker_id))


def votes_by_source(db: Session, project: Project, source: str) -> list[Vote]:
    """People's votes, the judges', or both (`human`, `judge`, `all`)."""
    human = project_votes(db, project.id) if source in ("human", "all") else []
    judged = project_judge_votes(db, project) if source in ("judge", "all") else []
    return human + judged


# --- agreement with people ----------------------------------------------------------------


def report(
    db: Session, project: Project, judge: Judge, rounds: int, seed: int
) -> schemas.JudgeAgreement:
    pairwise = _is_pairwise(project, judge)
    votes = judge_votes(db, judge, pairwise)
    people = _people(db, project.id, judge.question)
    criteria: list[str | None] = [None]
    if not pairwise:
        settings: Any = contexts(project, judge.question)[0].settings
        criteria = [c.name for c in settings.criteria]
    kappas = []
    split = 0
    for criterion in criteria:
        pairs, ties = _paired(votes, people, criterion)
        split = max(split, ties)
        kappas.append(_kappa(criterion, pairs, rounds, seed))
    return schemas.JudgeAgreement(
        judge_id=judge.id,
        question=judge.question,
        judged=len(votes),
        human_split=split,
        bootstrap_rounds=rounds,
        seed=seed,
        kappa=kappas,
        swap=_swap(votes) if pairwise else None,
        flagged=_flagged_out(db, _flagged(votes, judge.min_confidence)),
    )


def _people(db: Session, project_id: int, question: str) -> dict[int, list[Any]]:
    by_item: defaultdict[int, list[Any]] = defaultdict(list)
    for vote in project_votes(db, project_id):
        answer = vote.answers.get(question)
        if answer is not None:
            by_item[vote.item_id].append(answer)
    return by_item


def label(answer: Any, criterion: str | None) -> Hashable | None:
    """A pairwise answer's choice, or a rubric answer's score for the criterion."""
    if criterion is None:
        return answer.get("choice") if isinstance(answer, dict) else None
    score = score_of(answer, criterion)
    return score if isinstance(score, int) or score == NA else None


def majority(labels: Sequence[Hashable]) -> Hashable | None:
    """The most common label, None when two or more share the top."""
    ranked = Counter(labels).most_common(2)
    if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]


def _paired(
    votes: dict[int, JudgeVote], people: dict[int, list[Any]], criterion: str | None
) -> tuple[list[tuple[Hashable, Hashable]], int]:
    pairs = []
    split = 0
    for item_id, vote in votes.items():
        given = [x for x in (label(a, criterion) for a in people.get(item_id, ())) if x is not None]
        mine = label(vote.answer, criterion)
        if not given or mine is None:
            continue
        theirs = majority(given)
        if theirs is None:
            split += 1
            continue
        pairs.append((mine, theirs))
    return pairs, split


def cohen_kappa(
    first: Sequence[Hashable], second: Sequence[Hashable], rounds: int, seed: int
) -> tuple[float | None, float | None, float | None, float | None]:
    """(observed agreement, kappa, lower, upper): kappa = (po - pe) / (1 - pe), undefined
    (None) where chance agreement pe is 1; bootstrap rounds resample the pairs, those where
    kappa is undefined are left out of the interval."""
    n = len(first)
    if n == 0:
        return None, None, None, None
    labels = sorted(set(first) | set(second), key=repr)
    index = {value: i for i, value in enumerate(labels)}
    a = np.eye(len(labels))[[index[x] for x in first]]
    b = np.eye(len(labels))[[index[x] for x in second]]
    agree = (a * b).sum(axis=1)
    observed, kappa = _kappa_of(agree[None, :], a[None, :, :], b[None, :, :])
    lower = upper = None
    if rounds:
        rng = np.random.default_rng(seed)
        picks = rng.integers(0, n, size=(rounds, n))
        _, sampled = _kappa_of(agree[picks], a[picks], b[picks])
        defined = sampled[~np.isnan(sampled)]
        if defined.size:
            lower, upper = (float(x) for x in np.percentile(defined, [2.5, 97.5]))
    value = None if np.isnan(kappa[0]) else float(kappa[0])
    return float(observed[0]), value, lower, upper


def _kappa_of(agree: Any, a: Any, b: Any) -> tuple[Any, Any]:
    """Observed agreement and kappa per row of a batch of resampled pairs."""
    observed = agree.mean(axis=1)
    chance = (a.mean(axis=1) * b.mean(axis=1)).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = np.where(chance < 1 - 1e-12, (observed - chance) / (1 - chance), np.nan)
    return observed, kappa


def _kappa(
    criterion: str | None, pairs: list[tuple[Hashable, Hashable]], rounds: int, seed: int
) -> schemas.Kappa:
    observed, kappa, lower, upper = cohen_kappa(
        [p[0] for p in pairs], [p[1] for p in pairs], rounds, seed
    )
    return schemas.Kappa(
        criterion=criterion,
        items=len(pairs),
        observed=observed,
        kappa=kappa,
        lower=lower,
        upper=upper,
    )


def _swap(votes: dict[int, JudgeVote]) -> schemas.SwapConsistency:
    consistent = sum(1 for v in votes.values() if v.consistent)
    return schemas.SwapConsistency(
        items=len(votes), consistent=consistent, rate=consistent / len(votes) if votes else None
    )


def _flagged_out(
    db: Session, flagged: list[tuple[JudgeVote, list[str]]]
) -> list[schemas.FlaggedItem]:
    ids = [vote.item_id for vote, _ in flagged]
    rows = db.execute(select(Item.id, Item.external_id, Item.priority).where(Item.id.in_(ids)))
    items = {item_id: (external_id, priority) for item_id, external_id, priority in rows}
    return [
        schemas.FlaggedItem(
            item_id=vote.item_id,
            external_id=items[vote.item_id][0],
            reasons=why,
            answers=vote.answers,
            confidence=vote.confidence,
            routed=items[vote.item_id][1] >= ROUTED_PRIORITY,
        )
        for vote, why in flagged
    ]
