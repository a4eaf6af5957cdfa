"""Chat turns API for the worker holding an assignment: start (or regenerate) a turn as a
server-sent-events stream of the candidates, stop it, and read the turns stored so far."""

from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from fairlabel.chat import service
from fairlabel.chat.schemas import StopOut, TurnOut, TurnRequest
from fairlabel.db import Database
from fairlabel.deps import CurrentPrincipal, DatabaseDep, SessionDep
from fairlabel.queue.service import get_own_assignment

router = APIRouter(tags=["chat"])

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@router.post(
    "/assignments/{assignment_id}/chat/{question}/turns",
    operation_id="start_chat_turn",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def start_turn(
    assignment_id: int,
    question: str,
    body: TurnRequest,
    principal: CurrentPrincipal,
    database: DatabaseDep,
) -> StreamingResponse:
    """Events `start`, `delta` ({candidate, text}) as each candidate streams, `done` per
    candidate, then `turn` (stored), `error` (a candidate failed: nothing stored, the
    lease extended) or `stopped`. A refused request is an ordinary 4xx before any event."""
    previous = None if body.previous is None else body.previous.model_dump()
    plan = await run_in_threadpool(
        _plan, database, principal.id, assignment_id, question, body, previous
    )
    service.claim(plan)
    return StreamingResponse(
        _events(service.generate(database, plan)),
        media_type="text/event-stream",
        headers=SSE_HEADERS,
    )


@router.post("/assignments/{assignment_id}/chat/{question}/stop", operation_id="stop_chat_turn")
def stop_turn(
    assignment_id: int, question: str, principal: CurrentPrincipal, db: SessionDep
) -> StopOut:
    get_own_assignment(db, assignment_id, principal.id)
    return StopOut(stopped=service.stop(assignment_id, question))


@router.get("/assignments/{assignment_id}/chat/{question}/turns", operation_id="list_chat_turns")
def list_turns(
    assignment_id: int, question: str, principal: CurrentPrincipal, db: SessionDep
) -> list[TurnOut]:
    assignment = get_own_assignment(db, assignment_id, principal.id)
    service.live_question(db, assignment.project_id, question)
    turns = service.stored_turns(db, assignment_id, question)
    return [TurnOut.model_validate(service.describe(t)) for t in turns]


def _plan(
    database: Database,
    worker_id: int,
    assignment_id: int,
    question: str,
    body: TurnRequest,
    previous: dict[str, Any] | None,
) -> service.TurnPlan:
    """In a read session closed before the stream starts: no transaction waits on a model."""
    with database.session(write=False) as db:
        return service.plan_turn(
            db, worker_id, assignment_id, question, body.turn, body.message, previous
        )


async def _events(events: AsyncIterator[tuple[str, dict[str, Any]]]) -> AsyncIterator[bytes]:
    async for name, data in events:
        yield b"event: " + name.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"
