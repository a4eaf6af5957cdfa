"""Chat turns: what a worker holding an assignment may generate next, the candidates streamed
from the project's endpoints, the turn stored once every candidate is complete, and the
submitted chat answer checked against the stored turns (fairlabel.questions.chat has the
stored shape).

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
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from fairlabel.db import Database, utcnow
from fairlabel.errors import NotFound
from fairlabel.items.conversations import ROLES
from fairlabel.llm import generation
from fairlabel.llm import service as llm_service
from fairlabel.llm.client import CallResult, EndpointConfig, TextDelta
from fairlabel.models import Assignment, AssignmentStatus, ChatTurn, Item, Project, Question
from fairlabel.questions.base import fail
from fairlabel.questions.chat import ChatQuestion, ChatSettings, message_text
from fairlabel.questions.rewrite import word_diff
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


def chat_question(db: Session, project_id: int, name: str) -> ChatSettings:
    question = db.scalar(
        select(Question).where(Question.project_id == project_id, Question.name == name)
    )
    if question is None or question.type != ChatQuestion.name:
        raise NotFound(
            "no such chat question in this project",
            field="question",
            value=name,
            expected="the name of one of the project's chat questions",
        )
    return cast(ChatSettings, ChatQuestion().parse_settings(question.settings, question=name))


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
    settings = chat_question(db, assignment.project_id, question)
    turns = stored_turns(db, assignment_id, question)
    if not 0 <= turn <= len(turns) or turn >= settings.max_turns:
        last = min(len(turns), settings.max_turns - 1)
        fail("turn", turn, f"a turn from 0 to {last} (max_turns is {settings.max_turns})")
    if message is not None:
        message = message_text(settings, message, "message")
    if turn == 0:
        prompt = _opening(settings, _item_fields(db, assignment.item_id), message, previous)
    else:
        prompt = _continued(settings, turns[turn - 1], message, previous)
    project = db.get(Project, assignment.project_id)
    assert project is not None  # an assignment's project is never deleted under it
    configs = llm_service.organization_configs(db, project.organization_id, _endpoint_ids(settings))
    return TurnPlan(
        assignment_id=assignment_id,
        project_id=assignment.project_id,
        question=question,
        turn=turn,
        user_message=message,
        prompt=prompt,
        candidates=_candidates(settings, configs),
        ids=settings.candidate_ids,
    )


def _item_fields(db: Session, item_id: int) -> Mapping[str, Any]:
    item = db.get(Item, item_id)
    assert item is not None  # an assignment's item is never deleted under it
    return item.fields


def _opening(
    settings: ChatSettings,
    fields: Mapping[str, Any],
    message: str | None,
    previous: Mapping[str, Any] | None,
) -> list[dict[str, str]]:
    """The first turn's prompt: the item's messages, then the worker's, if any."""
    if previous is not None:
        fail("previous", previous, "nothing for turn 0 (no reply to continue from)")
    start = _item_messages(fields, settings.field)
    if message is not None:
        return [*start, {"role": "user", "content": message}]
    if not start or start[-1]["role"] != "user":
        fail("message", None, "a message (the item's conversation does not end with a user turn)")
    return start


def _item_messages(fields: Mapping[str, Any], name: str) -> list[dict[str, str]]:
    value = fields.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(_is_message(m) for m in value):
        fail(f"item.fields.{name}", value, "chat messages ({role, content} each)")
    return [{"role": m["role"], "content": m["content"]} for m in value]


def _is_message(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and value.get("role") in ROLES
        and isinstance(value.get("content"), str)
    )


def _continued(
    settings: ChatSettings,
    before: ChatTurn,
    message: str | None,
    previous: Mapping[str, Any] | None,
) -> list[dict[str, str]]:
    """Turn k's prompt: turn k - 1's, its chosen (or rewritten) reply, the worker's message."""
    if message is None:
        fail("message", None, "the worker's next message")
    if not isinstance(previous, Mapping):
        fail("previous", previous, "the reply the conversation continues from: {chosen, rewrite}")
    reply = _reply(settings, before, previous.get("chosen"), previous.get("rewrite"), "previous")
    return [
        *before.prompt,
        {"role": "assistant", "content": reply},
        {"role": "user", "content": message},
    ]


def _reply(settings: ChatSettings, turn: ChatTurn, chosen: Any, rewrite: Any, path: str) -> str:
    texts = {c["id"]: c["text"] for c in turn.candidates}
    if chosen not in texts:
        fail(f"{path}.chosen", chosen, f"a candidate of turn {turn.turn}: {', '.join(texts)}")
    if rewrite is None:
        return texts[chosen]
    if not settings.allow_rewrite:
        fail(f"{path}.rewrite", rewrite, "no rewrite (the project does not allow rewriting)")
    return message_text(settings, rewrite, f"{path}.rewrite")


def _endpoint_ids(settings: ChatSettings) -> list[int]:
    return [settings.endpoints[i % len(settings.endpoints)] for i in range(settings.candidates)]


def _candidates(
    settings: ChatSettings, configs: Sequence[EndpointConfig]
) -> list[generation.Candidate]:
    """Each candidate's sampling: the question's overrides, a seed moved on by its index
    so that samples of one endpoint differ."""
    base = settings.sampling_params
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
    """Each chat answer checked against the turns the platform generated, and completed
    from them (prompts, candidates with model and sampling, rewrite diffs)."""
    for question in questions:
        if question.type != ChatQuestion.name or question.name not in answers:
            continue
        settings = cast(
            ChatSettings, ChatQuestion().parse_settings(question.settings, question=question.name)
        )
        turns = stored_turns(db, assignment_id, question.name)
        path = f"answers.{question.name}"
        answers[question.name] = resolved(settings, turns, answers[question.name], path)
    return answers


def waited_ms(answers: Mapping[str, Any]) -> int:
    """The time the submitted turns waited on models, which the task time always includes
    (the page's timer stops while the tab is hidden, a model's wait is work all the same)."""
    return round(
        sum(
            turn.get("wait_ms", 0)
            for answer in answers.values()
            if isinstance(answer, dict) and isinstance(answer.get("turns"), list)
            for turn in answer["turns"]
            if isinstance(turn, dict) and "prompt" in turn
        )
    )


def resolved(
    settings: ChatSettings, turns: Sequence[ChatTurn], answer: dict[str, Any], path: str
) -> dict[str, Any]:
    given = answer["turns"]
    if len(given) != len(turns):
        fail(
            f"{path}.turns",
            len(given),
            f"an answer for each of the {len(turns)} turns generated",
        )
    out = []
    for index, (turn, stored) in enumerate(zip(given, turns, strict=True)):
        out.append(_resolved_turn(settings, turn, stored, f"{path}.turns[{index}]"))
        if index + 1 < len(turns):
            _continues(turns[index + 1], stored, out[-1]["reply"], f"{path}.turns[{index}]")
    return {"turns": out}


def _resolved_turn(
    settings: ChatSettings, turn: dict[str, Any], stored: ChatTurn, path: str
) -> dict[str, Any]:
    texts = {c["id"]: c["text"] for c in stored.candidates}
    for k, shown in enumerate(turn["candidates"]):
        if texts.get(shown["id"]) != shown["text"]:
            fail(
                f"{path}.candidates[{k}]",
                shown["id"],
                f"a candidate the platform generated for turn {stored.turn}, with its text"
                f" ({', '.join(texts)})",
            )
    ranking = _checked_ranking(turn["ranking"], turn["picked"], list(texts), stored.turn, path)
    rewrite = turn["rewrite"]
    chosen_text = texts[turn["chosen"]]
    return {
        "turn": stored.turn,
        "prompt": stored.prompt,
        "user": stored.user_message,
        "candidates": stored.candidates,
        "ranking": ranking,
        "picked": turn["picked"],
        "chosen": turn["chosen"],
        "rewrite": None
        if rewrite is None
        else {"text": rewrite, "diff": word_diff(chosen_text, rewrite)},
        "reply": chosen_text if rewrite is None else rewrite,
        "wait_ms": round(stored.wait_ms, 1),
    }


def _checked_ranking(
    ranking: list[list[str]], picked: bool, ids: list[str], turn: int, path: str
) -> list[list[str]]:
    for g, group in enumerate(ranking):
        for k, cid in enumerate(group):
            if cid not in ids:
                where = f"{path}.pick" if picked else f"{path}.ranking[{g}][{k}]"
                fail(where, cid, f"a candidate of turn {turn}: {', '.join(ids)}")
    if picked:
        rest = [cid for cid in ids if cid != ranking[0][0]]
        return [ranking[0], rest] if rest else ranking
    ranked = {cid for group in ranking for cid in group}
    missing = [cid for cid in ids if cid not in ranked]
    if missing:
        fail(
            f"{path}.ranking",
            ranking,
            f"every candidate of turn {turn} ranked (missing: {', '.join(missing)})",
        )
    return ranking


def _continues(following: ChatTurn, turn: ChatTurn, reply: str, path: str) -> None:
    """The next turn was generated from this turn's chosen or rewritten reply."""
    sent = following.prompt[len(turn.prompt) : len(turn.prompt) + 1]
    if sent != [{"role": "assistant", "content": reply}]:
        fail(
            f"{path}.chosen",
            reply[:80],
            f"the reply turn {following.turn} continued from (its chosen or rewritten text)",
        )
