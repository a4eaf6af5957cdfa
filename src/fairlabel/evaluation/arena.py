"""Arena mode: the worker writes the prompt, two models of the evaluation drawn at random
(seeded by the evaluation's seed and the assignment) answer it at once through the
production client, and the worker votes a / b / tie / both bad on the task as on any
battle. The answers carry no name; the names are shown only once the vote is submitted.

An arena task is an item of the project (`evaluation-<id>-arena-<k>`) whose two candidates
are empty until the worker's prompt is answered; the battle, its prompt and its two
responses are stored per assignment. Fair work: a failed generation extends the lease by
the time it took, and the worker may ask again."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from fairlabel.chat.service import extend_lease
from fairlabel.db import Database, utcnow
from fairlabel.errors import Conflict, FairlabelError, NotFound, ValidationFailed
from fairlabel.evaluation import evaluation_schemas as schemas
from fairlabel.evaluation.battles import SIDES, draw
from fairlabel.evaluation.evaluations import models_of
from fairlabel.items import service as items_service
from fairlabel.llm import generation
from fairlabel.llm import service as llm_service
from fairlabel.llm.client import CallResult, EndpointConfig
from fairlabel.models import (
    AssignmentStatus,
    Battle,
    EvalModel,
    EvalPrompt,
    EvalResponse,
    Evaluation,
    Item,
    Project,
    ResponseStatus,
)
from fairlabel.queue.service import ensure_active, get_own_assignment

MAX_PROMPT = 8000
ARENA_CATEGORY = "arena"
_ITEM = re.compile(r"evaluation-(\d+)-arena-\d+")
PURPOSE = "arena"


class ModelFailed(FairlabelError):
    """A model of the arena did not answer; nothing is stored and the lease is extended."""

    status_code = 502
    code = "model_failed"


@dataclass(frozen=True)
class ArenaPlan:
    """What the two calls need, loaded before any model is called."""

    evaluation_id: int
    project_id: int
    assignment_id: int
    prompt: str
    models: tuple[int, int]
    """Left, right (candidates a and b)."""
    configs: tuple[EndpointConfig, EndpointConfig]
    swapped: bool


def add_tasks(db: Session, evaluation: Evaluation, project: Project, count: int) -> int:
    """`count` more arena tasks in the project; an evaluation needs two models with an
    endpoint to answer them."""
    _answering_models(db, evaluation)
    taken = db.scalars(
        select(Item.external_id).where(
            Item.project_id == project.id,
            Item.external_id.like(f"evaluation-{evaluation.id}-arena-%"),
        )
    )
    start = max((int(e.rsplit("-", 1)[1]) for e in taken), default=0) + 1
    fields = {
        "prompt": "Write a prompt of your own: two anonymous models will answer it.",
        "responses": [{"id": side, "text": ""} for side in SIDES],
        "category": ARENA_CATEGORY,
    }
    rows = [
        (line, {"external_id": f"evaluation-{evaluation.id}-arena-{k}", "fields": fields})
        for line, k in enumerate(range(start, start + count), start=1)
    ]
    items_service.import_rows(db, project, rows, skip_invalid=False)
    return count


def _answering_models(db: Session, evaluation: Evaluation) -> list[EvalModel]:
    models = [m for m in models_of(db, evaluation.id) if m.endpoint_id is not None]
    if len(models) < 2:
        raise ValidationFailed(
            f"arena mode needs 2 models with an endpoint; the evaluation has {len(models)}",
            field="models",
            value=len(models),
            expected="2 or more models with an endpoint (they answer the worker live)",
        )
    return models


def plan(db: Session, worker_id: int, assignment_id: int, prompt: str) -> ArenaPlan:
    """Check the request before any model is called: the worker's own live assignment of an
    arena task, not answered yet, and a prompt within bounds."""
    assignment = get_own_assignment(db, assignment_id, worker_id)
    ensure_active(assignment, utcnow())
    evaluation = _arena_evaluation(db, assignment.item_id, assignment_id)
    if _battle_of(db, assignment_id) is not None:
        raise Conflict(
            "this arena task's prompt is answered already",
            field="assignment_id",
            value=assignment_id,
            expected="one prompt per arena task: vote on its two answers",
        )
    if not prompt.strip() or len(prompt) > MAX_PROMPT:
        raise ValidationFailed(
            "the prompt must be written, and not too long",
            field="prompt",
            value=prompt[:200],
            expected=f"a non-blank text of at most {MAX_PROMPT} characters",
        )
    models = _answering_models(db, evaluation)
    first, second = sorted(
        draw(evaluation.seed, "arena", assignment_id).sample(models, 2), key=lambda m: m.id
    )
    swapped = draw(evaluation.seed, "arena-side", assignment_id).random() < 0.5
    left, right = (second, first) if swapped else (first, second)
    configs = llm_service.organization_configs(
        db, _organization(db, evaluation), [left.endpoint_id or 0, right.endpoint_id or 0]
    )
    return ArenaPlan(
        evaluation_id=evaluation.id,
        project_id=evaluation.project_id,
        assignment_id=assignment_id,
        prompt=prompt,
        models=(left.id, right.id),
        configs=(configs[0], configs[1]),
        swapped=swapped,
    )


def _organization(db: Session, evaluation: Evaluation) -> int:
    project = db.get(Project, evaluation.project_id)
    assert project is not None  # an evaluation's project is never deleted under it
    return project.organization_id


def _arena_evaluation(db: Session, item_id: int, assignment_id: int) -> Evaluation:
    item = db.get(Item, item_id)
    match = _ITEM.fullmatch(item.external_id) if item is not None else None
    evaluation = db.get(Evaluation, int(match.group(1))) if match else None
    if evaluation is None:
        raise NotFound(
            "this assignment is not an arena task",
            field="assignment_id",
            value=assignment_id,
            expected="an assignment of an evaluation's arena task",
        )
    return evaluation


def _battle_of(db: Session, assignment_id: int) -> Battle | None:
    return db.scalar(select(Battle).where(Battle.assignment_id == assignment_id))


async def answer(database: Database, arena: ArenaPlan) -> schemas.ArenaAnswers:
    """Both models at once; the battle is stored only when both answered."""
    started = time.perf_counter()
    messages = [{"role": "user", "content": arena.prompt}]
    results = await asyncio.gather(
        *(
            generation.complete(database, c, messages, project_id=arena.project_id, purpose=PURPOSE)
            for c in arena.configs
        )
    )
    if not all(r.ok for r in results):
        lost = time.perf_counter() - started
        await asyncio.to_thread(extend_lease, database, arena.assignment_id, lost)
        raise ModelFailed(
            "a model did not answer; nothing was stored and the lease was extended by the "
            "time it took",
            field="prompt",
            value=None,
            expected="the same request again, or return the task without penalty",
        )
    return await asyncio.to_thread(_store, database, arena, results[0], results[1])


def _store(
    database: Database, arena: ArenaPlan, left: CallResult, right: CallResult
) -> schemas.ArenaAnswers:
    with database.session() as db:
        prompt = EvalPrompt(
            evaluation_id=arena.evaluation_id,
            external_id=f"arena-{arena.assignment_id}",
            prompt=arena.prompt,
            category=ARENA_CATEGORY,
        )
        db.add(prompt)
        db.flush()
        responses = [
            EvalResponse(
                evaluation_id=arena.evaluation_id,
                prompt_id=prompt.id,
                model_id=model_id,
                status=ResponseStatus.ok,
                text=result.text,
                source="generated",
                attempts=1,
                latency_ms=result.latency_ms,
                finish_reason=result.finish_reason,
            )
            for model_id, result in zip(arena.models, (left, right), strict=True)
        ]
        db.add_all(responses)
        db.flush()
        battle = Battle(
            evaluation_id=arena.evaluation_id,
            project_id=arena.project_id,
            mode="arena",
            prompt_id=prompt.id,
            left_model_id=arena.models[0],
            right_model_id=arena.models[1],
            left_response_id=responses[0].id,
            right_response_id=responses[1].id,
            swapped=arena.swapped,
            assignment_id=arena.assignment_id,
        )
        db.add(battle)
        db.flush()
        return _answers_out(battle, arena.prompt, (left.text, right.text))


def _answers_out(battle: Battle, prompt: str, texts: tuple[str, str]) -> schemas.ArenaAnswers:
    responses = [schemas.ArenaResponse(id=s, text=t) for s, t in zip(SIDES, texts, strict=True)]
    return schemas.ArenaAnswers(battle_id=battle.id, prompt=prompt, responses=responses)


def answers(db: Session, worker_id: int, assignment_id: int) -> schemas.ArenaAnswers | None:
    """The worker's prompt and its two anonymous answers again (a reload of the page), or
    None while the prompt is not answered."""
    get_own_assignment(db, assignment_id, worker_id)
    battle = _battle_of(db, assignment_id)
    if battle is None:
        return None
    ids = (battle.prompt_id, battle.left_response_id, battle.right_response_id)
    assert None not in ids  # _store writes an arena battle with its prompt and both responses
    prompt = db.get_one(EvalPrompt, ids[0])
    left, right = db.get_one(EvalResponse, ids[1]), db.get_one(EvalResponse, ids[2])
    return _answers_out(battle, prompt.prompt, (left.text or "", right.text or ""))


def reveal(db: Session, worker_id: int, assignment_id: int) -> schemas.ArenaReveal:
    """The names behind a and b, once the worker's vote on the task is submitted."""
    assignment = get_own_assignment(db, assignment_id, worker_id)
    battle = _battle_of(db, assignment_id)
    if battle is None or assignment.status != AssignmentStatus.submitted:
        raise Conflict(
            "the models are named only after the vote",
            field="assignment_id",
            value=assignment_id,
            expected="the arena task's prompt answered and the vote submitted",
        )
    names = {m.id: m.name for m in models_of(db, battle.evaluation_id)}
    return schemas.ArenaReveal(
        battle_id=battle.id,
        model_a=names[battle.left_model_id],
        model_b=names[battle.right_model_id],
    )
