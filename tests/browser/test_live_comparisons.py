"""Live pairwise and ranking tasks in the real browser, keyboard first, with the candidates
streamed from two endpoints on the stand-in OpenAI-compatible server (a real process
standing in for model servers, since no model weights can be loaded here): G generates, the
panes fill token by token, the worker answers (a tie in the ranking) and submits; the
client's TRL preference export as Parquet loads with Hugging Face `datasets` with a row per
preference, holding the texts the models generated."""

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Session, Team
from tests.factories import Factory
from tests.llm.helpers import register
from tests.llm.standin import StandIn, unique_model

pytestmark = pytest.mark.browser

STREAMING = "ttft=50;gap=40;tokens=10"
PROMPT = [{"role": "user", "content": "Name a lake in Kenya."}]


def _live_team(factory: Factory, standin: StandIn, kind: str, **live: Any) -> Team:
    owner, org_id = factory.owner()
    endpoints = [
        register(owner, org_id, standin, name=name, model=unique_model(STREAMING))["id"]
        for name in ("alpha-model", "beta-model")
    ]
    settings = {"live": {"endpoints": endpoints, **live}}
    question = {"name": "q", "type": kind, "prompt": "Which reply is better?", "settings": settings}
    project = factory.project(owner, org_id, questions=[question])
    return Team(owner, factory.worker(), project["id"])


def _generate(session: Session, count: int) -> dict[str, str]:
    """G, then the panes streaming until every candidate is stored; their texts by id."""
    page = session.page
    page.keyboard.press("g")
    page.wait_for_function(  # token by token: a pane shows part of its reply while streaming
        "() => [...document.querySelectorAll('[data-streaming=yes] [data-text]')]"
        ".some(e => e.textContent.trim())"
    )
    page.wait_for_function(
        "n => document.querySelectorAll('.fl-live[aria-busy=false] [data-streaming=no]').length"
        " === n",
        arg=count,
    )
    panes = page.locator(".fl-live [data-candidate]")
    return {
        panes.nth(i).get_attribute("data-candidate") or "": panes.nth(i)
        .locator("[data-text]")
        .inner_text()
        for i in range(count)
    }


def _reply(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


def test_live_pairwise_and_ranking_tasks_are_streamed_answered_and_exported(
    session: Session, factory: Factory, standin: StandIn, tmp_path: Path
) -> None:
    pair = _live_team(factory, standin, "pairwise")
    (pair_item,) = pair.import_items([{"external_id": "lake-1", "fields": {"messages": PROMPT}}])
    session.sign_in(pair.worker)
    session.open_workspace(pair.project_id)
    page = session.page
    pair_texts = _generate(session, 2)
    assert list(pair_texts) == ["a", "b"]
    session.screenshot("live-pairwise")
    page.keyboard.press("2")  # B is better
    page.keyboard.press("Enter")
    session.wait_for_next_item(pair_item)
    stored = pair.stored_answers(pair_item)["q"]
    assert stored["choice"] == "b"
    assert {c["id"]: c["text"] for c in stored["live"]["candidates"]} == pair_texts
    assert [c["endpoint"] for c in stored["live"]["candidates"]] == ["alpha-model", "beta-model"]

    rank = _live_team(factory, standin, "ranking", candidates=3, field="prompt")
    rank.worker = pair.worker
    (rank_item,) = rank.import_items(
        [{"external_id": "lake-2", "fields": {"prompt": "Name a lake in Kenya."}}]
    )
    session.open_workspace(rank.project_id)
    texts = _generate(session, 3)
    for key in ("1", "1", "2"):  # c1 and c2 tied best, then c3
        page.keyboard.press(key)
    assert page.locator(".fl-live [data-candidate=c2] .fl-chat-rank").inner_text() == "1st"
    session.screenshot("live-ranking")
    page.keyboard.press("Enter")
    session.wait_for_next_item(rank_item)
    assert rank.stored_answers(rank_item)["q"]["ranking"] == [["c1", "c2"], ["c3"]]

    (pair_row,) = pair.dataset_rows("preference-parquet", tmp_path)
    assert pair_row["prompt"] == PROMPT
    assert (pair_row["chosen"], pair_row["rejected"]) == (
        _reply(pair_texts["b"]),
        _reply(pair_texts["a"]),
    )
    rows = rank.dataset_rows("preference-parquet", tmp_path)
    assert [(r["chosen_id"], r["rejected_id"], r["margin"]) for r in rows] == [
        ("c1", "c3", 1.0),
        ("c2", "c3", 1.0),
    ]
    assert all(r["prompt"] == PROMPT and r["rejected"] == _reply(texts["c3"]) for r in rows)
    assert rows[0]["chosen"] == _reply(texts["c1"])
