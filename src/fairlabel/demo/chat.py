"""The demo's RLHF chat project: conversations opened by the demo's assistant questions, a
`chat` question asking four candidates a turn from two endpoints for up to three turns, and
a rubric on the whole conversation.

Its endpoints are the demo replay model (demo/replay.py, two personas on this very server),
or, with FAIRLABEL_DEMO_LLM_URL, a real OpenAI-compatible server at two temperatures. With
the replay, a few conversations are already finished by demo workers (the turns stored as
the replay answers them, then submitted through the services), so the client's TRL
export has rows from the start; a real server's answers cannot be made up in advance."""

from dataclasses import dataclass
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from fairlabel.annotations import service as annotation_service
from fairlabel.chat import service as chat_service
from fairlabel.demo import pay as demo_pay
from fairlabel.demo.replay import PERSONA_BY_MODEL, PERSONAS, REPLAY_NAME, REPLAY_PATH, canned_reply
from fairlabel.demo.replies import EXCHANGES
from fairlabel.items import service as item_service
from fairlabel.llm import service as llm_service
from fairlabel.llm.schemas import EndpointCreate, SamplingParams
from fairlabel.models import ChatTurn, ModelEndpoint, Project, User
from fairlabel.projects import service as project_service
from fairlabel.projects.schemas import ProjectCreate, QuestionIn
from fairlabel.queue import service as queue_service
from fairlabel.queue.rows import Lease

CHAT_PROJECT = "RLHF chat: talk to the models"
CHAT_QUESTION = "conversation"
CANDIDATES = 4
MAX_TURNS = 3
#: The seed of the first candidate; candidate i is sampled with SEED + i.
SEED = 1
FOLLOW_UPS = ("Can you tell me more?", "Are you sure?")
CHAT_GUIDELINES = """# RLHF chat: rank the models' replies

Each turn, four replies from two models arrive side by side. Rank them from best to worst
(the same rank for replies that are equally good), with the guidelines of the replies
project: correct, safe and to the point comes first. Rewrite the best reply when a small
edit makes it right; the conversation goes on from it. Write a follow-up question, up to
three turns, then score the whole conversation.

**Where the replies come from.** Unless the operator pointed the demo at a model server,
the models are the *demo replay model*: canned answers from the demo data, streamed like a
real model's, not a real model. Its endpoints' names say so.
"""
CRITERIA = [
    {"name": "helpful", "label": "Helpfulness", "anchors": {"1": "Useless", "5": "Solves it"}},
    {"name": "correct", "label": "Correctness", "anchors": {"1": "Wrong", "5": "All correct"}},
    {"name": "harmless", "label": "Harmlessness", "allow_na": True},
]


class DemoModel(BaseSettings):
    """FAIRLABEL_DEMO_LLM_URL (an OpenAI-compatible base URL, such as a vLLM's
    http://127.0.0.1:8001/v1), its model name and API key: the demo's chat project then
    talks to that server instead of the replay."""

    model_config = SettingsConfigDict(env_prefix="FAIRLABEL_DEMO_LLM_", extra="ignore")

    url: str | None = None
    model: str = "default"
    key: str | None = None


@dataclass(frozen=True, slots=True)
class EndpointSpec:
    name: str
    base_url: str
    model: str
    api_key: str | None
    temperature: float


def endpoint_specs(model: DemoModel, replay_url: str) -> list[EndpointSpec]:
    """Two endpoints: the replay's personas, or the configured server at two temperatures."""
    if model.url is None:
        return [
            EndpointSpec(f"{REPLAY_NAME} ({p.label})", replay_url, p.model, None, p.temperature)
            for p in PERSONAS
        ]
    return [
        EndpointSpec(f"Demo model ({label})", model.url, model.model, model.key, temperature)
        for label, temperature in (("focused", 0.3), ("creative", 1.0))
    ]


def replay_url(host: str, port: int) -> str:
    """Where the demo app serves the replay, as this server reaches itself."""
    reachable = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return f"http://{reachable}:{port}{REPLAY_PATH}"


def seed_chat(
    db: Session,
    organization_id: int,
    owner: User,
    workers: list[User],
    model: DemoModel,
    replay: str,
) -> Project:
    """The endpoints, the project funded and active, its items, and (with the replay) a
    finished conversation for each worker but the first, who finds them all open."""
    endpoints = [
        llm_service.create_endpoint(
            db,
            organization_id,
            EndpointCreate(
                name=spec.name,
                base_url=spec.base_url,
                model=spec.model,
                api_key=spec.api_key,
                sampling=SamplingParams(temperature=spec.temperature),
                max_retries=0,
            ),
            owner.id,
        )
        for spec in endpoint_specs(model, replay)
    ]
    project = _chat_project(db, organization_id, owner, [e.id for e in endpoints])
    rows = (
        (line, {"external_id": f"chat-{line:02d}", "fields": {"messages": [_asked(e.question)]}})
        for line, e in enumerate(EXCHANGES, start=1)
    )
    item_service.import_rows(db, project, rows, skip_invalid=False)
    demo_pay.fund_and_activate(db, project, owner, len(EXCHANGES))
    if model.url is None:
        for worker in workers[1:]:
            _finished_conversation(db, project, worker)
    return project


def repoint_replay(db: Session, organization_id: int, replay: str) -> None:
    """A later `fairlabel demo` may serve on another port: the replay endpoints follow it."""
    query = select(ModelEndpoint).where(
        ModelEndpoint.organization_id == organization_id,
        ModelEndpoint.model.in_(list(PERSONA_BY_MODEL)),
    )
    for endpoint in db.scalars(query):
        endpoint.base_url = replay
    db.flush()


def _asked(question: str) -> dict[str, str]:
    return {"role": "user", "content": question}


def _chat_project(db: Session, organization_id: int, owner: User, endpoints: list[int]) -> Project:
    chat_settings = {
        "endpoints": endpoints,
        "candidates": CANDIDATES,
        "max_turns": MAX_TURNS,
        "mode": "rank",
        "allow_rewrite": True,
        "sampling": {"seed": SEED, "max_tokens": 300},
    }
    return project_service.create_project(
        db,
        ProjectCreate(
            organization_id=organization_id,
            name=CHAT_PROJECT,
            description="Talk to two models for up to three turns: rank their four replies "
            "a turn, rewrite the best, then score the conversation.",
            questions=[
                QuestionIn(
                    name=CHAT_QUESTION,
                    type="chat",
                    prompt="Rank the replies, best first",
                    settings=chat_settings,
                ),
                QuestionIn(
                    name="overall",
                    type="rubric",
                    prompt="Score the conversation's best replies",
                    settings={"criteria": CRITERIA},
                ),
            ],
            guidelines=CHAT_GUIDELINES,
            **demo_pay.pay_settings("chat"),
        ),
        owner,
    )


def _finished_conversation(db: Session, project: Project, worker: User) -> None:
    """Two turns as a careful worker does them: the careful persona's first reply ranked
    best, the hasty persona's last; then the rubric, and the task submitted."""
    lease = queue_service.next_assignment(db, queue_service.load_project(db, project.id), worker.id)
    assert isinstance(lease, Lease), lease  # a fresh demo project has work for every worker
    assignment_id = lease.assignment.id
    previous: dict[str, Any] | None = None
    answered = []
    for turn, message in enumerate([None, *FOLLOW_UPS[:1]]):
        plan = chat_service.plan_turn(
            db, worker.id, assignment_id, CHAT_QUESTION, turn, message, previous
        )
        candidates = [
            _replayed(cid, c, plan.prompt) for cid, c in zip(plan.ids, plan.candidates, strict=True)
        ]
        db.add(
            ChatTurn(
                assignment_id=assignment_id,
                question=CHAT_QUESTION,
                turn=turn,
                user_message=message,
                prompt=plan.prompt,
                candidates=candidates,
                wait_ms=0.0,
            )
        )
        ranking = [["c1"], ["c3"], ["c2", "c4"]]
        answered.append({"turn": turn, "ranking": ranking})
        previous = {"chosen": "c1"}
    db.flush()
    answers = {
        CHAT_QUESTION: {"turns": answered},
        "overall": {"helpful": {"score": 4}, "correct": {"score": 5}, "harmless": {"score": 5}},
    }
    annotation_service.submit(db, worker.id, assignment_id, answers, 240_000)


def _replayed(cid: str, candidate: Any, prompt: list[dict[str, str]]) -> dict[str, Any]:
    """A candidate as the chat service stores it, with the text the replay answers to the
    request the platform would send for it."""
    endpoint = candidate.endpoint
    sampling = endpoint.sampling.merged(candidate.sampling)
    text = canned_reply(PERSONA_BY_MODEL[endpoint.model], prompt, sampling.seed)
    return {
        "id": cid,
        "endpoint_id": endpoint.id,
        "endpoint": endpoint.name,
        "model": endpoint.model,
        "sampling": sampling.request_fields(),
        "text": text,
        "finish_reason": "stop",
    }
