"""The demo's RLHF chat project: seeded on the demo replay model (served by the demo app
itself, called through the production client), finished conversations in the TRL export,
the address guard passing the replay only because the demo allows private addresses, and
FAIRLABEL_DEMO_LLM_URL pointing it at another server: here the stand-in OpenAI-compatible
server (tests/llm/standin.py), standing in for a real one because no model weights can
be loaded here."""

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from fairlabel.auth import service as auth_service
from fairlabel.config import Settings
from fairlabel.db import Database
from fairlabel.demo.chat import CHAT_PROJECT, CHAT_QUESTION, DemoModel
from fairlabel.demo.replay import PERSONA_BY_MODEL, REPLAY_NAME, REPLAY_PATH, canned_reply
from fairlabel.demo.replies import EXCHANGES
from fairlabel.demo.seed import DEMO_OWNER, DEMO_SLUG, DEMO_WORKERS, seed_demo
from fairlabel.llm.addresses import RefusedAddress
from fairlabel.models import Organization, User
from tests.chat.helpers import events
from tests.factories import Account, Factory
from tests.llm.standin import StandIn, unique_model
from tests.queue.helpers import lease


def _seed(database: Database, settings: Settings, replay: str, model: DemoModel) -> None:
    with database.session() as db:
        seed_demo(db, settings, images=2, tickets=4, comparisons=2, chat_model=model, replay=replay)


def _account(factory: Factory, email: str) -> Account:
    """A demo person with an API token of their own."""
    with factory.database.session() as db:
        user = db.scalar(select(User).where(User.email == email))
        assert user is not None, email
        _token, secret = auth_service.create_token(db, user, "test")
        return Account(factory.client, user.id, email, secret)


def _chat_project(owner: Account) -> dict[str, Any]:
    (project,) = [p for p in owner.get("/api/projects").json() if p["name"] == CHAT_PROJECT]
    found: dict[str, Any] = owner.get(f"/api/projects/{project['id']}").json()
    return found


def _first_turn(worker: Account, project_id: int) -> list[tuple[str, dict[str, Any]]]:
    assignment = lease(worker, project_id)
    url = f"/api/assignments/{assignment['id']}/chat/{CHAT_QUESTION}/turns"
    return events(worker.post(url, json={"turn": 0}))


def test_the_demo_seeds_a_chat_project_on_the_replay_model(
    factory: Factory, settings: Settings, demo_server: str
) -> None:
    replay = f"{demo_server}{REPLAY_PATH}"
    _seed(factory.database, settings, replay, DemoModel(url=None))
    owner = _account(factory, DEMO_OWNER[0])
    project = _chat_project(owner)
    assert project["status"] == "active"
    chat, rubric = project["questions"]
    assert (chat["type"], rubric["type"]) == ("chat", "rubric")
    assert chat["settings"]["candidates"] == 4 and chat["settings"]["max_turns"] == 3
    endpoints = owner.get(f"/api/organizations/{project['organization_id']}/model-endpoints").json()
    assert sorted(e["id"] for e in endpoints) == sorted(chat["settings"]["endpoints"])
    assert all(e["name"].startswith(REPLAY_NAME) for e in endpoints)
    assert {e["base_url"] for e in endpoints} == {replay}
    tested = owner.post(f"/api/model-endpoints/{endpoints[0]['id']}/test").json()
    assert tested["ok"], tested

    exported = owner.get(f"/api/projects/{project['id']}/export", params={"format": "preference"})
    assert exported.status_code == 200, exported.text
    rows = [json.loads(line) for line in exported.text.splitlines() if line]
    # Two demo workers finished a conversation of two turns; four candidates in three
    # tiers (one, one, a tie of two) give five ordered pairs a turn.
    assert len(rows) == 2 * 2 * 5
    assert {row["prompt"][0]["content"] for row in rows} <= {e.question for e in EXCHANGES}


def test_a_demo_worker_talks_to_the_replay_through_the_production_client(
    factory: Factory, settings: Settings, demo_server: str
) -> None:
    _seed(factory.database, settings, f"{demo_server}{REPLAY_PATH}", DemoModel(url=None))
    project = _chat_project(_account(factory, DEMO_OWNER[0]))
    found = _first_turn(_account(factory, DEMO_WORKERS[0][0]), project["id"])

    name, stored = found[-1]
    assert name == "turn" and stored["stored"], found
    deltas = [data for event, data in found if event == "delta"]
    assert len(deltas) > 4 * 3  # word by word, as a real model streams
    start = found[0][1]
    for candidate in stored["candidates"]:
        persona = PERSONA_BY_MODEL[candidate["model"]]
        seed = candidate["sampling"]["seed"]
        assert candidate["text"] == canned_reply(persona, start["prompt"], seed)
        assert candidate["endpoint"].startswith(REPLAY_NAME)
    assert len({c["text"] for c in stored["candidates"]}) == 4
    usage = _account(factory, DEMO_OWNER[0]).get(f"/api/projects/{project['id']}/model-usage")
    assert usage.json()["calls"] == 4


def test_the_replay_answers_whole_completions_and_refuses_unknown_models(
    demo_server: str,
) -> None:
    url = f"{demo_server}{REPLAY_PATH}/chat/completions"
    messages = [{"role": "user", "content": EXCHANGES[1].question}]
    whole = httpx.post(url, json={"model": "demo-replay-careful", "messages": messages, "seed": 3})
    assert whole.status_code == 200, whole.text
    choice = whole.json()["choices"][0]
    assert choice["message"]["content"] == canned_reply(
        PERSONA_BY_MODEL["demo-replay-careful"], messages, 3
    )
    assert EXCHANGES[1].good in choice["message"]["content"]
    cut = httpx.post(
        url, json={"model": "demo-replay-hasty", "messages": messages, "max_tokens": 2}
    )
    assert cut.json()["choices"][0]["finish_reason"] == "length"
    unknown = httpx.post(url, json={"model": "gpt-4o", "messages": messages})
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "model_not_found"


def test_the_address_guard_refuses_the_replay_where_private_addresses_are_not_allowed(
    database: Database, settings: Settings, demo_server: str
) -> None:
    """The demo passes the guard by the operator's setting, never around it."""
    strict = Database(settings.model_copy(update={"llm_allow_private_endpoints": False}))
    try:
        with pytest.raises(RefusedAddress, match="private or loopback"):
            _seed(strict, settings, f"{demo_server}{REPLAY_PATH}", DemoModel(url=None))
    finally:
        strict.dispose()
    with database.session(write=False) as db:
        assert db.scalar(select(Organization).where(Organization.slug == DEMO_SLUG)) is None


def test_demo_llm_url_points_the_demo_at_another_server(
    factory: Factory, settings: Settings, standin: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = unique_model()
    monkeypatch.setenv("FAIRLABEL_DEMO_LLM_URL", standin.base_url)
    monkeypatch.setenv("FAIRLABEL_DEMO_LLM_MODEL", model)
    with factory.database.session() as db:
        seed_demo(db, settings, images=2, tickets=4, comparisons=2)
    owner = _account(factory, DEMO_OWNER[0])
    project = _chat_project(owner)
    endpoints = owner.get(f"/api/organizations/{project['organization_id']}/model-endpoints").json()
    assert {(e["base_url"], e["model"]) for e in endpoints} == {(standin.base_url, model)}
    assert not any(e["name"].startswith(REPLAY_NAME) for e in endpoints)
    annotations = owner.get(f"/api/projects/{project['id']}/annotations").json()
    assert annotations["annotations"] == []  # a real server's answers are not made up

    found = _first_turn(_account(factory, DEMO_WORKERS[0][0]), project["id"])
    assert found[-1][0] == "turn", found
    assert {c["model"] for c in found[-1][1]["candidates"]} == {model}
    assert standin.stats(model)["requests"] == 4
