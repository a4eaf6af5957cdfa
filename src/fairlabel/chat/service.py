"""Live generation for any question type that declares it (`QuestionType.live`: chat, and
pairwise or ranking in live mode): what a worker holding an assignment may generate next,
the candidates streamed from the project's endpoints, the turn stored once every candidate
is complete, and the submitted answer checked against the stored turns by the question
type's `resolve_live` (fairlabel.questions.chat has the chat turns' stored shape).

Fair work: the worker's task time runs through the wait (the workspace's timer counts the
visible page, and pay is bounded by how long the lease was held, which the wait is inside);
a failed, timed-out or stopped generation extends the lease by the time it took, so a model
never costs the worker the task, and the worker may retry or return it without penalty."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from fairlabel.db import Database, utcnow
from fairlabel.errors import NotFound
from fairlabel.items.conversations import ROLES
from fairlabel.llm import generation
from fairlabel.llm import service as llm_service
from fairlabel.llm.client import CallResult, EndpointConfig, TextDelta
from fairlabel.models import Assignment, AssignmentStatus, ChatTurn, Item, Project, Question
from fairlabel.questions.base import LiveGeneration, fail
from fairlabel.questions.chat import message_text
from fairlabel.questions.registry import get_question_type
from fairlabel.queue.service import ensure_active, get_own_assignment

T = TypeVar("T")
logger = logging.getLogger(__name__)

#: Generations running in this process, by (assignment, question): each one's stop signal.
_running: dict[tuple[int, str], asyncio.Event] = {}


class QuestionLike(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def type(self) -> str: ...

    @property
    def settings(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class TurnPlan:
    """Everything a turn's generation needs, loaded before any model is called."""

    assignment_id: int
    project_id: int
    question: str
    turn: int
    user_message: str | None
    prompt: list[dict[str, str]]
    candidates: list[generation.Candidate]
    ids: list[str]
    stop: asyncio.Event = field(default_factory=asyncio.Event, compare=False)


# --- before the stream --------------------------------------------------------------------


def live_question(db: Session, project_id: int, name: str) -> LiveGeneration:
    """The live generation of the project's question `name`; a question that generates
    nothing live (or none of that name) is not found."""
    question = db.scalar(
        select(Question).where(Question.project_id == project_id, Question.name == name)
    )
    live = None if question is None else live_settings(question)
    if live is None:
        raise NotFound(
            "no such live question in this project",
            field="question",
            value=name,
            expected="the name of one of the project's chat questions or live pairwise or"
            " ranking questions",
        )
    return live


def live_settings(question: QuestionLike) -> LiveGeneration | None:
    kind = get_question_type(question.type)
    return kind.live(kind.parse_settings(question.settings, question=question.name))


def stored_turns(db: Session, assignment_id: int, question: str) -> list[ChatTurn]:
    query = select(ChatTurn).where(
        ChatTurn.assignment_id == assignment_id, ChatTurn.question == question
    )
    return list(db.scalars(query.order_by(ChatTurn.turn)))


def plan_turn(
    db: Session,
    worker_id: int,
    assignment_id: int,
    question: str,
    turn: int,
    message: str | None,
    previous: Mapping[str, Any] | None,
) -> TurnPlan:
    """Check the request against the assignment and the turns so far; turn k may be any
    turn up to the next one (an earlier one starts a new branch from there)."""
    assignment = get_own_assignment(db, assignment_id, worker_id)
    ensure_active(assignment, utcnow())
    live = live_question(db, assignment.project_id, question)
    turns = stored_turns(db, assignment_id, question)
    if not 0 <= turn <= len(turns) or turn >= live.max_turns:
        last = min(len(turns), live.max_turns - 1)
        fail("turn", turn, f"a turn from 0 to {last} (max_turns is {live.max_turns})")
    if message is not None:
        if not live.worker_message:
            fail("message", message, f"no message (the prompt is the item's {live.field!r})")
        message = message_text(live.max_message_length, message, "message")
    if turn == 0:
        prompt = _opening(live, _item_fields(db, assignment.item_id), message, previous)
    else:
        prompt = _continued(live, turns[turn - 1], message, previous)
    project = db.get(Project, assignment.project_id)
    assert project is not None  # an assignment's project is never deleted under it
    configs = llm_service.organization_configs(db, project.organization_id, _endpoint_ids(live))
    return TurnPlan(
        assignment_id=assignment_id,
        project_id=assignment.project_id,
        question=question,
        turn=turn,
        user_message=message,
        prompt=prompt,
        candidates=_candidates(live, configs),
        ids=list(live.ids),
    )


def _item_fields(db: Session, item_id: int) -> Mapping[str, Any]:
    item = db.get(Item, item_id)
    assert item is not None  # an assignment's item is never deleted under it
    return item.fields


def _opening(
    live: LiveGeneration,
    fields: Mapping[str, Any],
    message: str | None,
    previous: Mapping[str, Any] | None,
) -> list[dict[str, str]]:
    """The first turn's prompt: the item's messages (or text), then the worker's, if any."""
    if previous is not None:
        fail("previous", previous, "nothing for turn 0 (no reply to continue from)")
    start = _item_messages(fields, live.field)
    if message is not None:
        return [*start, {"role": "user", "content": message}]
    if not start or start[-1]["role"] != "user":
        if not live.worker_message:
            fail(
                f"item.fields.{live.field}",
                fields.get(live.field),
                "the prompt: chat messages ending with a user turn, or a non-blank text",
            )
        fail("message", None, "a message (the item's conversation does not end with a user turn)")
    return start


def _item_messages(fields: Mapping[str, Any], name: str) -> list[dict[str, str]]:
    """The item's conversation; a text field is one user message."""
    value = fields.get(name)
    if value is None:
        return []
    if isinstance(value, str):
        return [{"role": "user", "content": value}] if value.strip() else []
    if not isinstance(value, list) or not all(_is_message(m) for m in value):
        fail(f"item.fields.{name}", value, "chat messages ({role, content} each) or a text")
    return [{"role": m["role"], "content": m["content"]} for m in value]


def _is_message(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and value.get("role") in ROLES
        and isinstance(value.get("content"), str)
    )


def _continued(
    live: LiveGeneration,
    before: ChatTurn,
    message: str | None,
    previous: Mapping[str, Any] | None,
) -> list[dict[str, str]]:
    """Turn k's prompt: turn k - 1's, its chosen (or rewritten) reply, the worker's message."""
    if message is None:
        fail("message", None, "the worker's next message")
    if not isinstance(previous, Mapping):
        fail("previous", previous, "the reply the conversation continues from: {chosen, rewrite}")
    reply = _reply(live, before, previous.get("chosen"), previous.get("rewrite"), "previous")
    return [
        *before.prompt,
        {"role": "assistant", "content": reply},
        {"role": "user", "content": message},
    ]


def _reply(live: LiveGeneration, turn: ChatTurn, chosen: Any, rewrite: Any, path: str) -> str:
    texts = {c["id"]: c["text"] for c in turn.candidates}
    if chosen not in texts:
        fail(f"{path}.chosen", chosen, f"a candidate of turn {turn.turn}: {', '.join(texts)}")
    if rewrite is None:
        return texts[chosen]
    if not live.allow_rewrite:
        fail(f"{path}.rewrite", rewrite, "no rewrite (the project does not allow rewriting)")
    return message_text(live.max_message_length, rewrite, f"{path}.rewrite")


def _endpoint_ids(live: LiveGeneration) -> list[int]:
    return [live.endpoints[i % len(live.endpoints)] for i in range(len(live.ids))]


def _candidates(
    live: LiveGeneration, configs: Sequence[EndpointConfig]
) -> list[generation.Candidate]:
    """Each candidate's sampling: the question's overrides, a seed moved on by its index
    so that samples of one endpoint differ."""
    base = live.sampling
    wanted = []
    for index, config in enumerate(configs):
        sampling = base
        seed = base.seed if base.seed is not None else config.sampling.seed
        if seed is not None:
            sampling = base.model_copy(update={"seed": seed + index})
        wanted.append(generation.Candidate(config, sampling))
    return wanted


# --- the stream -----------------------------------------------------------------------------


def claim(plan: TurnPlan) -> None:
    """One generation per (assignment, question) in this process: a new one (regenerate
    while streaming, a second tab) stops the one running."""
    key = (plan.assignment_id, plan.question)
    running = _running.get(key)
    if running is not None:
        running.set()
    _running[key] = plan.stop


def _release(plan: TurnPlan) -> None:
    key = (plan.assignment_id, plan.question)
    if _running.get(key) is plan.stop:
        del _running[key]


def stop(assignment_id: int, question: str) -> bool:
    signal = _running.get((assignment_id, question))
    if signal is None:
        return False
    signal.set()
    return True


async def generate(
    database: Database, plan: TurnPlan
) -> AsyncGenerator[tuple[str, dict[str, Any]]]:
    """(event, data) pairs: start, delta per piece of text, done per candidate, then turn
    (stored), error (a candidate failed: nothing stored) or stopped (nothing stored)."""
    started = time.perf_counter()
    results: dict[str, CallResult] = {}
    try:
        yield "start", _start(plan)
        failure: dict[str, Any] | None = None
        try:
            async for name, data in _candidate_events(database, plan, results):
                if name == "error":
                    failure = data
                    break
                yield name, data
        except Exception:
            logger.exception("the generation of a chat turn failed")
            failure = {"candidate": None, "code": "failed", "message": "the generation failed"}
        if failure is not None:
            yield "error", await _lost(database, plan, started, failure)
        elif len(results) < len(plan.ids):
            yield "stopped", await _lost(database, plan, started, {"candidate": None})
        else:
            wait_ms = (time.perf_counter() - started) * 1000
            candidates = [_stored_candidate(cid, results[cid]) for cid in plan.ids]
            yield "turn", await asyncio.to_thread(_store, database, plan, candidates, wait_ms)
    finally:
        _release(plan)


async def _candidate_events(
    database: Database, plan: TurnPlan, results: dict[str, CallResult]
) -> AsyncGenerator[tuple[str, dict[str, Any]]]:
    """Deltas and each candidate's end, until all are done, one fails or the stop signal;
    a finished candidate's result goes into `results`."""
    events = generation.candidates(
        database, plan.candidates, plan.prompt, project_id=plan.project_id
    )
    async with aclosing(events) as stream:
        async for event in until(plan.stop, stream):
            cid = plan.ids[event.index]
            if isinstance(event.event, TextDelta):
                yield "delta", {"candidate": cid, "text": event.event.text}
            elif event.event.ok:
                results[cid] = event.event
                yield "done", {"candidate": cid, "finish_reason": event.event.finish_reason}
            else:
                yield "error", _failure(cid, event.event)
                return


async def until(signal: asyncio.Event, events: AsyncIterator[T]) -> AsyncGenerator[T]:
    """The events, until the signal is set."""
    stopper = asyncio.ensure_future(signal.wait())
    try:
        while True:
            following = asyncio.ensure_future(anext(events))
            done, _ = await asyncio.wait({following, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if following not in done:
                following.cancel()
                await asyncio.gather(following, return_exceptions=True)
                return
            try:
                yield following.result()
            except StopAsyncIteration:
                return
    finally:
        stopper.cancel()


def _start(plan: TurnPlan) -> dict[str, Any]:
    return {
        "turn": plan.turn,
        "prompt": plan.prompt,
        "candidates": [
            {"id": cid, "endpoint": c.endpoint.name, "model": c.endpoint.model}
            for cid, c in zip(plan.ids, plan.candidates, strict=True)
        ],
    }


def _failure(cid: str, result: CallResult) -> dict[str, Any]:
    error = result.error
    return {
        "candidate": cid,
        "code": error.code if error else "failed",
        "message": error.message if error else "the model call failed",
        "upstream_status": error.upstream_status if error else None,
    }


async def _lost(
    database: Database, plan: TurnPlan, started: float, data: dict[str, Any]
) -> dict[str, Any]:
    """The lease extended by the time the generation took; the event says by how much."""
    lost = time.perf_counter() - started
    seconds_left = await asyncio.to_thread(extend_lease, database, plan.assignment_id, lost)
    return {
        **data,
        "turn": plan.turn,
        "extended_seconds": round(lost, 3),
        "seconds_left": seconds_left,
        "stored": False,
    }


def extend_lease(database: Database, assignment_id: int, seconds: float) -> int | None:
    """Add the time a model took to a live lease's deadline; the seconds now left (None
    where the lease is no longer active)."""
    with database.session() as db:
        assignment = db.get(Assignment, assignment_id, with_for_update=True)
        if assignment is None or assignment.status != AssignmentStatus.active:
            return None
        assignment.expires_at = assignment.expires_at + timedelta(seconds=seconds)
        db.flush()
        return max(0, int((assignment.expires_at - utcnow()).total_seconds()))


def _stored_candidate(cid: str, result: CallResult) -> dict[str, Any]:
    return {
        "id": cid,
        "endpoint_id": result.endpoint.id,
        "endpoint": result.endpoint.name,
        "model": result.endpoint.model,
        "sampling": result.sampling.request_fields(),
        "text": result.text,
        "finish_reason": result.finish_reason,
    }


def _store(
    database: Database, plan: TurnPlan, candidates: list[dict[str, Any]], wait_ms: float
) -> dict[str, Any]:
    """The turn replaces any stored from it on (a regenerated or branched turn)."""
    with database.session() as db:
        db.execute(
            delete(ChatTurn).where(
                ChatTurn.assignment_id == plan.assignment_id,
                ChatTurn.question == plan.question,
                ChatTurn.turn >= plan.turn,
            )
        )
        db.add(
            ChatTurn(
                assignment_id=plan.assignment_id,
                question=plan.question,
                turn=plan.turn,
                user_message=plan.user_message,
                prompt=plan.prompt,
                candidates=candidates,
                wait_ms=wait_ms,
            )
        )
    return {
        "turn": plan.turn,
        "candidates": candidates,
        "wait_ms": round(wait_ms, 1),
        "stored": True,
    }


def describe(turn: ChatTurn) -> dict[str, Any]:
    return {
        "turn": turn.turn,
        "user": turn.user_message,
        "prompt": turn.prompt,
        "candidates": turn.candidates,
        "wait_ms": round(turn.wait_ms, 1),
    }


# --- the submitted answer -------------------------------------------------------------------


def resolve_answers(
    db: Session, assignment_id: int, questions: Sequence[QuestionLike], answers: dict[str, Any]
) -> dict[str, Any]:
    """Each answer to a live question checked against the turns the platform generated,
    and completed from them by its question type (prompts, candidates with model and
    sampling, rewrite diffs)."""
    for question in questions:
        if question.name not in answers:
            continue
        kind = get_question_type(question.type)
        settings = kind.parse_settings(question.settings, question=question.name)
        if kind.live(settings) is None:
            continue
        turns = stored_turns(db, assignment_id, question.name)
        path = f"answers.{question.name}"
        answers[question.name] = kind.resolve_live(settings, turns, answers[question.name], path)
    return answers


def waited_ms(answers: Mapping[str, Any]) -> int:
    """The time the submitted turns waited on models, which the task time always includes
    (the page's timer stops while the tab is hidden, a model's wait is work all the same)."""
    return round(
        sum(
            record.get("wait_ms", 0)
            for answer in answers.values()
            for record in generated_records(answer)
        )
    )


def generated_records(answer: Any) -> list[dict[str, Any]]:
    """The generated turns a stored answer records: a chat answer's `turns`, a live pairwise
    or ranking answer's one turn under `live`."""
    if not isinstance(answer, dict):
        return []
    turns, live = answer.get("turns"), answer.get("live")
    records = turns if isinstance(turns, list) else [live] if isinstance(live, dict) else []
    return [r for r in records if isinstance(r, dict) and "prompt" in r]
