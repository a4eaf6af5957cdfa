"""Blind battles: two responses to one prompt, put left and right by a seeded draw that is
recorded, and shown to workers as an item of the project's pairwise question holding the
prompt and the two texts only. Which model is behind each side lives in the battles table,
which the leaderboard and the arena export read (`battle_sides`)."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from fairlabel.errors import ValidationFailed
from fairlabel.evaluation import evaluation_schemas as schemas
from fairlabel.evaluation.evaluations import in_eval_set, models_of
from fairlabel.formats.base import ArenaSides
from fairlabel.items import service as items_service
from fairlabel.models import (
    Assignment,
    Battle,
    EvalModel,
    EvalPrompt,
    EvalResponse,
    Evaluation,
    Item,
    Project,
    ResponseStatus,
    User,
)

#: The candidates' ids in the item: a worker's choice "a" is the left response.
SIDES = ("a", "b")


def draw(seed: int, *key: Any) -> random.Random:
    """A generator seeded by the evaluation's seed and what is drawn for: the same battle
    gets the same draw on any server, whatever was drawn before it."""
    return random.Random(":".join(map(str, (seed, *key))))


def create_battles(
    db: Session, evaluation: Evaluation, project: Project, body: schemas.BattlesCreate
) -> schemas.BattlesOut:
    """`per_pair` more battles for each prompt and model pair (or `pairs_per_prompt` pairs
    drawn per prompt) whose two responses are ok; a pair with a response missing or failed
    is skipped and counted. Each battle becomes one item of the project."""
    models = models_of(db, evaluation.id)
    ready = _ok_responses(db, evaluation.id)
    before = Counter(
        (p, min(left, right), max(left, right))
        for p, left, right in db.execute(
            select(Battle.prompt_id, Battle.left_model_id, Battle.right_model_id).where(
                Battle.evaluation_id == evaluation.id, Battle.mode == "eval"
            )
        ).all()
    )
    prompts = list(
        db.scalars(
            select(EvalPrompt)
            .where(EvalPrompt.evaluation_id == evaluation.id, in_eval_set())
            .order_by(EvalPrompt.id)
        )
    )
    pairs = list(combinations(sorted(m.id for m in models), 2))
    names = {m.id: m.name for m in models}
    planned: list[tuple[Battle, EvalPrompt]] = []
    skipped = 0
    for prompt in prompts:
        for first, second in _pairs_for(evaluation, prompt, pairs, body, before):
            responses = ready.get((prompt.id, first)), ready.get((prompt.id, second))
            if responses[0] is None or responses[1] is None:
                skipped += 1
                continue
            for _ in range(body.per_pair):
                battle = _battle(evaluation, prompt, responses, names, before)
                planned.append((battle, prompt))
    if not planned:
        raise ValidationFailed(
            "no battle can be created: no prompt has ok responses from two models",
            field="evaluation_id",
            value=evaluation.id,
            expected="prompts imported and responses generated or imported for 2+ models",
        )
    _add_items(db, evaluation, project, planned, ready)
    total = sum(before.values())
    return schemas.BattlesOut(created=len(planned), skipped_pairs=skipped, battles=total)


def _ok_responses(db: Session, evaluation_id: int) -> dict[tuple[int, int], EvalResponse]:
    query = select(EvalResponse).where(
        EvalResponse.evaluation_id == evaluation_id, EvalResponse.status == ResponseStatus.ok
    )
    return {(r.prompt_id, r.model_id): r for r in db.scalars(query)}


def _pairs_for(
    evaluation: Evaluation,
    prompt: EvalPrompt,
    pairs: list[tuple[int, int]],
    body: schemas.BattlesCreate,
    before: Counter[tuple[int | None, int, int]],
) -> Sequence[tuple[int, int]]:
    if body.pairs_per_prompt is None or body.pairs_per_prompt >= len(pairs):
        return pairs
    round_ = sum(before[(prompt.id, *pair)] for pair in pairs)
    rng = draw(evaluation.seed, prompt.external_id, "pairs", round_)
    return rng.sample(pairs, body.pairs_per_prompt)


def _battle(
    evaluation: Evaluation,
    prompt: EvalPrompt,
    responses: tuple[EvalResponse | None, EvalResponse | None],
    names: dict[int, str],
    before: Counter[tuple[int | None, int, int]],
) -> Battle:
    """The k-th battle of a (prompt, pair) draws its side from its own key, by the
    prompt's and models' names: battles added later never change the sides of those made
    before, and the same eval set and seed give the same sides in any evaluation."""
    first, second = responses
    assert first is not None and second is not None
    key = (prompt.id, first.model_id, second.model_id)
    names_key = (prompt.external_id, names[first.model_id], names[second.model_id])
    swapped = draw(evaluation.seed, *names_key, before[key]).random() < 0.5
    before[key] += 1
    left, right = (second, first) if swapped else (first, second)
    return Battle(
        evaluation_id=evaluation.id,
        project_id=evaluation.project_id,
        mode="eval",
        prompt_id=prompt.id,
        left_model_id=left.model_id,
        right_model_id=right.model_id,
        left_response_id=left.id,
        right_response_id=right.id,
        swapped=swapped,
    )


def _add_items(
    db: Session,
    evaluation: Evaluation,
    project: Project,
    planned: list[tuple[Battle, EvalPrompt]],
    ready: dict[tuple[int, int], EvalResponse],
) -> None:
    """The items go through the ordinary import, so they are checked against the project's
    questions as any item is; their external ids name the battle, never a model."""
    db.add_all(battle for battle, _ in planned)
    db.flush()
    rows: list[Any] = []
    for line, (battle, prompt) in enumerate(planned, start=1):
        texts = (
            ready[(prompt.id, battle.left_model_id)].text,
            ready[(prompt.id, battle.right_model_id)].text,
        )
        rows.append(
            (line, {"external_id": item_external_id(battle), "fields": _fields(prompt, texts)})
        )
    items_service.import_rows(db, project, rows, skip_invalid=False)
    ids = dict(
        db.execute(
            select(Item.external_id, Item.id).where(
                Item.project_id == project.id,
                Item.external_id.in_([item_external_id(b) for b, _ in planned]),
            )
        ).all()
    )
    for battle, _ in planned:
        battle.item_id = ids[item_external_id(battle)]
    db.flush()


def item_external_id(battle: Battle) -> str:
    return f"evaluation-{battle.evaluation_id}-battle-{battle.id}"


def _fields(prompt: EvalPrompt, texts: tuple[str | None, str | None]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "prompt": prompt.prompt,
        "responses": [
            {"id": side, "text": text or ""} for side, text in zip(SIDES, texts, strict=True)
        ],
    }
    if prompt.category:
        fields["category"] = prompt.category
    if prompt.reference:
        fields["reference"] = prompt.reference
    if prompt.language:
        fields["language"] = prompt.language
    return fields


def battle_sides(db: Session, project_id: int) -> dict[int, tuple[str, str]]:
    """The models behind candidates a and b of each battle item of the project."""
    left, right = aliased(EvalModel), aliased(EvalModel)
    rows = db.execute(
        select(Battle.item_id, left.name, right.name)
        .join(left, left.id == Battle.left_model_id)
        .join(right, right.id == Battle.right_model_id)
        .where(Battle.project_id == project_id, Battle.item_id.is_not(None))
    ).all()
    return {item_id: (a, b) for item_id, a, b in rows if item_id is not None}


@dataclass(frozen=True, slots=True)
class ArenaVote:
    """What an arena task's item cannot say (each worker prompts models of their own):
    the models and texts behind a and b of one worker's battle."""

    models: tuple[str, str]
    texts: dict[str, str]


def arena_votes(db: Session, project_id: int) -> dict[tuple[int, int], ArenaVote]:
    """Each arena battle of the project by (item, worker) of its assignment."""
    return {
        (row.item_id, row.worker_id): ArenaVote(
            (row.model_a, row.model_b), dict(zip(SIDES, (row.text_a, row.text_b), strict=True))
        )
        for row in _arena_rows(db, project_id)
    }


def arena_export(db: Session, project_id: int) -> dict[tuple[int, str], ArenaSides]:
    """Each arena battle of the project by the item and the worker's pseudonym, as exports
    name the worker, with the worker's prompt."""
    return {
        (row.item_id, row.pseudonym): ArenaSides(
            (row.model_a, row.model_b), row.prompt, (row.text_a, row.text_b)
        )
        for row in _arena_rows(db, project_id)
    }


def _arena_rows(db: Session, project_id: int) -> list[Any]:
    left, right = aliased(EvalModel), aliased(EvalModel)
    left_text, right_text = aliased(EvalResponse), aliased(EvalResponse)
    query = (
        select(
            Assignment.item_id,
            Assignment.worker_id,
            User.pseudonym,
            left.name.label("model_a"),
            right.name.label("model_b"),
            EvalPrompt.prompt,
            func.coalesce(left_text.text, "").label("text_a"),
            func.coalesce(right_text.text, "").label("text_b"),
        )
        .select_from(Battle)
        .join(Assignment, Assignment.id == Battle.assignment_id)
        .join(User, User.id == Assignment.worker_id)
        .join(EvalPrompt, EvalPrompt.id == Battle.prompt_id)
        .join(left, left.id == Battle.left_model_id)
        .join(right, right.id == Battle.right_model_id)
        .join(left_text, left_text.id == Battle.left_response_id)
        .join(right_text, right_text.id == Battle.right_response_id)
        .where(Battle.project_id == project_id, Battle.mode == "arena")
    )
    return list(db.execute(query).all())
