"""The demo's chat project in the real browser, on the demo's own server: a demo worker
opens it from the demo home and does one turn, four candidates streamed from the demo
replay model (the demo app's canned answers, called through the production client), each
marked in the page as the replay it is, then ranks them from the keyboard."""

import pytest

from fairlabel.config import Settings
from fairlabel.db import Database
from fairlabel.demo.chat import CHAT_PROJECT, DemoModel
from fairlabel.demo.replay import REPLAY_NAME, REPLAY_PATH
from fairlabel.demo.seed import DEMO_PASSWORD, DEMO_WORKERS, seed_demo
from tests.browser.conftest import Session

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(demo_server: str) -> str:
    """The browser talks to the demo's server, as after `fairlabel demo --serve`."""
    return demo_server


def test_a_demo_worker_does_a_chat_turn_with_the_replay_model(
    session: Session, database: Database, settings: Settings, demo_server: str
) -> None:
    with database.session() as db:
        seed_demo(
            db,
            settings,
            images=2,
            tickets=4,
            comparisons=2,
            chat_model=DemoModel(url=None),
            replay=f"{demo_server}{REPLAY_PATH}",
        )
    page = session.page
    page.goto(f"{session.base_url}/login")
    page.fill("#email", DEMO_WORKERS[0][0])
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{session.base_url}/")
    page.get_by_role("article").filter(has_text=CHAT_PROJECT).get_by_role(
        "link", name="Start labelling"
    ).click()
    page.wait_for_selector(".fl-task")

    page.keyboard.press("m")  # to the message box; the item's question is the first message
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => { const s = document.querySelector(\".fl-chat-turn[data-turn='0']\");"
        " return s && !s.hasAttribute('aria-busy')"
        " && s.querySelectorAll('[data-candidate]').length === 4; }"
    )
    turn = page.locator(".fl-chat-turn[data-turn='0']")
    for candidate in ("c1", "c2", "c3", "c4"):
        pane = turn.locator(f"[data-candidate={candidate}]")
        assert REPLAY_NAME in pane.locator("header").inner_text()
        assert pane.locator("[data-text]").inner_text().strip()
    if page.evaluate("document.activeElement.matches('textarea')"):
        page.keyboard.press("Escape")
    for key in ("1", "3", "2", "4"):
        page.keyboard.press(key)
    assert turn.locator("[data-candidate=c1] .fl-chat-rank").inner_text() == "rank 1"
    session.screenshot("demo-chat-replay")
