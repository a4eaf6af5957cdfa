"""Conversation items in the browser: the workspace shows `fields.messages` as a transcript
with a heading per role, the system prompt folded (Enter on it opens it and submits
nothing), code blocks and tool calls as code; script in a message (an <img onerror>, a
<script>, a javascript: link) reads as text and never runs, a dialog listener hears
nothing. The qualification test page, rendered on the server, shows the same transcript."""

from typing import Any

import pytest
from playwright.sync_api import Dialog, Page

from tests.browser.conftest import Session, Team
from tests.factories import Factory

pytestmark = pytest.mark.browser

IMG = "<img src=x onerror=alert('img')>"
SCRIPT = "<script>alert('script')</script>"
SYSTEM = f"You are a careful assistant. {SCRIPT}"
QUESTION = f"How do I sort a list? {IMG}"
ANSWER = (
    "Use `sorted`:\n\n```python\nprint(sorted([3, 1, 2]))\n```\n\n"
    f"{SCRIPT}\n\n[docs](javascript:alert('link'))"
)
CONVERSATION = [
    {"role": "system", "content": SYSTEM},
    {"role": "user", "content": QUESTION},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "search_docs", "arguments": '{"query": "sort"}'},
            }
        ],
    },
    {"role": "tool", "content": '{"hits": 1}', "tool_call_id": "call_1"},
    {"role": "assistant", "content": ANSWER},
]
HELPFUL = {"name": "helpful", "type": "label", "settings": {"labels": ["yes", "no"]}}


def listen_for_dialogs(page: Page) -> list[str]:
    opened: list[str] = []

    def record(dialog: Dialog) -> None:
        opened.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    return opened


def nothing_runs(page: Page, root: str, opened: list[str]) -> None:
    """The payloads are text: no element they would make exists, no dialog opened."""
    for selector in ("img", "script", "iframe", "a[href^='javascript' i]", "[onerror]"):
        assert page.locator(f"{root} {selector}").count() == 0, selector
    page.wait_for_timeout(300)  # an onerror would have fired by now
    assert opened == []


def test_the_workspace_shows_a_transcript_and_runs_nothing(
    session: Session, make_team: Any
) -> None:
    team: Team = make_team([HELPFUL])
    (item_id,) = team.import_items(
        [{"external_id": "chat", "conversation_id": 7, "messages": CONVERSATION}]
    )
    page = session.page
    opened = listen_for_dialogs(page)
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)

    chat = page.get_by_role("list", name="Conversation, 5 messages")
    headings = chat.get_by_role("heading").all_inner_texts()
    assert [h.lower() for h in headings] == [
        "system prompt",
        "user",
        "assistant",
        "tool result: search_docs",
        "assistant",
    ]
    user = chat.locator(".fl-message[data-role=user]")
    assert user.inner_text().endswith(QUESTION)  # the tag reads as text
    code = chat.locator(".fl-message[data-role=assistant] pre code.language-python")
    assert code.inner_text().strip() == "print(sorted([3, 1, 2]))"
    assert SCRIPT in chat.locator(".fl-message[data-role=assistant]").last.inner_text()
    call = chat.locator(".fl-tool-call[data-call=call_1]")
    assert "search_docs" in call.inner_text() and '"query": "sort"' in call.inner_text()
    nothing_runs(page, ".fl-chat", opened)

    system = page.get_by_text("You are a careful assistant.")
    assert not system.is_visible()  # folded until asked for
    page.locator(".fl-message[data-role=system] summary").focus()
    page.keyboard.press("Enter")
    system.wait_for(state="visible")
    assert SCRIPT in system.inner_text()
    assert session.current_item() == item_id and team.annotations() == []  # nothing submitted
    session.screenshot("conversation")

    page.keyboard.press("1")
    page.evaluate("document.activeElement.blur()")  # Enter away from the summary submits
    page.keyboard.press("Enter")
    session.wait_for_next_item(item_id)
    assert team.stored_answers(item_id) == {"helpful": "yes"}
    assert opened == []


def test_the_qualification_test_page_shows_the_same_transcript(
    session: Session, factory: Factory
) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, questions=[HELPFUL])
    team = Team(owner, factory.worker(), project["id"])
    ids = team.import_items(
        [{"external_id": f"chat-{n}", "n": n, "messages": CONVERSATION} for n in (1, 2)]
    )
    for item_id in ids:
        marked = owner.put(f"/api/items/{item_id}/gold", json={"answers": {"helpful": "yes"}})
        assert marked.status_code == 200, marked.text
    created = owner.post(
        f"/api/projects/{project['id']}/qualification-tests",
        json={"qualification": "chat", "level": 1, "item_ids": ids},
    )
    assert created.status_code == 201, created.text
    page = session.page
    opened = listen_for_dialogs(page)
    session.sign_in(team.worker)
    page.goto(f"{session.base_url}/qualification-tests/{created.json()['id']}")
    page.get_by_role("button", name="Start the test").click()

    chats = page.locator("ol.chat")
    chats.first.wait_for()
    assert chats.count() == 2
    first = chats.first
    assert first.get_attribute("aria-label") == "Conversation, 5 messages"
    headings = first.get_by_role("heading").all_inner_texts()
    assert [h.lower() for h in headings] == [
        "system prompt",
        "user",
        "assistant",
        "tool result",
        "assistant",
    ]
    assert first.locator("[data-role=user]").inner_text().endswith(QUESTION)
    assert '{"n": 1}' in page.locator("fieldset").first.inner_text()  # the other fields
    code = first.locator("pre code.language-python")
    assert code.inner_text().strip() == "print(sorted([3, 1, 2]))"
    system = first.get_by_text("You are a careful assistant.")
    assert not system.is_visible()
    first.locator("summary").click()
    assert SCRIPT in system.inner_text()
    session.screenshot("qualification-conversation")
    nothing_runs(page, "ol.chat", opened)
