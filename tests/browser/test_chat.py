"""A chat task in the real browser, keyboard first, against two endpoints on the stand-in
OpenAI-compatible server (a real process standing in for model servers, since no model
weights can be loaded here): three turns of four candidates streamed side by side, ranked
with a tie, one reply rewritten, submitted; the client's JSONL export holds every turn,
candidate, ranking and rewrite."""

import re

import pytest

from tests.browser.conftest import Session, Team
from tests.factories import Factory
from tests.llm.helpers import register
from tests.llm.standin import StandIn, unique_model

pytestmark = pytest.mark.browser

STREAMING = "ttft=50;gap=40;tokens=12"


def _chat_team(
    factory: Factory, standin: StandIn, second: str = STREAMING
) -> tuple[Team, list[int]]:
    owner, org_id = factory.owner()
    endpoints = [
        register(owner, org_id, standin, name=name, model=unique_model(options))["id"]
        for name, options in (("alpha-model", STREAMING), ("beta-model", second))
    ]
    settings = {"endpoints": endpoints, "candidates": 4, "max_turns": 3}
    question = {"name": "q", "type": "chat", "prompt": "Talk to the models", "settings": settings}
    project = factory.project(owner, org_id, questions=[question])
    return Team(owner, factory.worker(), project["id"]), endpoints


def _wait_turn(session: Session, turn: int) -> None:
    page = session.page
    page.wait_for_function(
        "t => { const s = document.querySelector(`.fl-chat-turn[data-turn='${t}']`);"
        " return s && !s.hasAttribute('aria-busy')"
        " && s.querySelectorAll('[data-candidate]').length === 4; }",
        arg=turn,
    )


def _send(session: Session, text: str, turn: int) -> None:
    page = session.page
    if not page.locator("[data-chat-message]").evaluate("e => e === document.activeElement"):
        page.keyboard.press("m")  # to the message box
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    # Token by token: a pane shows part of its reply while the turn is still streaming.
    page.wait_for_function(
        "t => { const s = document.querySelector(`.fl-chat-turn[data-turn='${t}'][aria-busy]`);"
        " return s && [...s.querySelectorAll('[data-text]')].some(e => e.textContent.trim()); }",
        arg=turn,
    )
    _wait_turn(session, turn)
    if page.evaluate("document.activeElement.matches('textarea')"):
        page.keyboard.press("Escape")  # out of the message box, where number keys rank


def test_a_three_turn_chat_ranked_rewritten_and_exported(
    session: Session, factory: Factory, standin: StandIn
) -> None:
    team, endpoints = _chat_team(factory, standin)
    (item,) = team.import_items([{"external_id": "chat-1", "fields": {"topic": "greetings"}}])
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)
    page = session.page

    _send(session, "Hello there", 0)
    assert page.locator(".fl-chat-turn[data-turn='0'] [data-candidate]").count() == 4
    for key in ("2", "Shift+Digit3", "1", "4"):  # c2 and c3 tied best, then c1, then c4
        page.keyboard.press(key)
    assert page.locator("[data-candidate=c3] .fl-chat-rank").inner_text() == "rank 1"
    first = {
        c: page.locator(
            f".fl-chat-turn[data-turn='0'] [data-candidate={c}] [data-text]"
        ).inner_text()
        for c in ("c1", "c2", "c3", "c4")
    }
    page.keyboard.press("r")  # rewrite the chosen reply (c2)
    rewrite_box = page.locator("[data-chat-rewrite]")
    assert rewrite_box.input_value() == first["c2"]
    page.keyboard.press("Control+End")
    page.keyboard.type(" Thanks.")
    assert "Thanks" in page.locator(".fl-chat-rewrite .fl-diff ins").inner_text()
    session.screenshot("chat-rewrite")
    page.keyboard.press("Enter")  # on to the message box

    _send(session, "Tell me more", 1)
    assert first["c2"] + " Thanks." in page.locator("[data-reply]").first.inner_text()
    for key in ("1", "2", "3", "4"):
        page.keyboard.press(key)
    _send(session, "One last thing", 2)
    for key in ("4", "3", "2", "1"):
        page.keyboard.press(key)
    session.screenshot("chat-turn-3")
    page.keyboard.press("Enter")  # submit the task
    session.wait_for_next_item(item)

    turns = team.stored_answers(item)["q"]["turns"]
    assert [t["ranking"] for t in turns] == [
        [["c2", "c3"], ["c1"], ["c4"]],
        [["c1"], ["c2"], ["c3"], ["c4"]],
        [["c4"], ["c3"], ["c2"], ["c1"]],
    ]
    assert [t["user"] for t in turns] == ["Hello there", "Tell me more", "One last thing"]
    assert {c["id"]: c["text"] for c in turns[0]["candidates"]} == first
    assert turns[0]["rewrite"]["text"] == first["c2"] + " Thanks."
    assert turns[0]["reply"] == first["c2"] + " Thanks."
    assert turns[1]["rewrite"] is None and turns[1]["chosen"] == "c1"
    assert turns[1]["prompt"][-2]["content"] == first["c2"] + " Thanks."
    for stored in turns:
        assert [c["endpoint_id"] for c in stored["candidates"]] == endpoints * 2
        assert all(c["model"].startswith("standin") and c["text"] for c in stored["candidates"])


def test_a_failing_endpoint_is_said_in_the_page_and_the_task_returned_freely(
    session: Session, factory: Factory, standin: StandIn
) -> None:
    team, _ = _chat_team(factory, standin, second="status=500")
    team.import_items([{"external_id": "chat-1", "fields": {"topic": "greetings"}}])
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)
    page = session.page
    page.keyboard.press("m")
    page.keyboard.type("Hello there")
    page.keyboard.press("Enter")
    problem = page.locator("[data-chat-problem]")
    problem.wait_for()
    text = problem.inner_text()
    assert re.match(r"c[24] failed", text), text  # the candidates from the failing endpoint
    assert "lease was extended" in text and "without penalty" in text
    assert page.locator(".fl-chat-turn").count() == 0  # nothing kept of the failed turn
    page.keyboard.press("Escape")  # out of the message box
    page.keyboard.press("Escape")  # return the task, which asks first
    page.keyboard.press("Enter")
    page.get_by_text("Task returned without penalty.").wait_for()
    (assignment,) = team.worker.get("/api/assignments").json()
    assert assignment["status"] == "returned"
