"""Span marking by keyboard and by mouse, with offsets stored as Python code points even
after emoji (which JavaScript counts as two units)."""

from typing import Any

import pytest

from tests.browser.conftest import Session, Team

pytestmark = pytest.mark.browser

ENTITIES = [
    {
        "name": "entities",
        "type": "span",
        "prompt": "Mark the entities",
        "settings": {"labels": ["PRODUCT", "ORDER_ID", "PERSON"]},
    }
]
TEXT = "Hi 🙂 I am Kwame Mensah, order ORD-12 😀 never came <b>back</b>."


def drag_over(session: Session, start: int, end: int) -> None:
    """Press the mouse on the first character of text[start:end] and release on the last."""
    box = session.page.evaluate(
        """([start, end]) => {
          const root = document.querySelector('.fl-span-text');
          const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
          const at = (offset) => {
            let seen = 0;
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
              if (seen + node.length >= offset) return [node, offset - seen];
              seen += node.length;
            }
          };
          const range = document.createRange();
          range.setStart(...at(start));
          walker.currentNode = root;
          range.setEnd(...at(end));
          const rects = range.getClientRects();
          const [first, last] = [rects[0], rects[rects.length - 1]];
          const [y1, y2] = [first.top + first.height / 2, last.top + last.height / 2];
          return [first.left + 1, y1, last.right - 1, y2];
        }""",
        [start, end],
    )
    mouse = session.page.mouse
    mouse.move(box[0], box[1])
    mouse.down()
    mouse.move(box[2], box[3], steps=8)
    mouse.up()


def test_spans_by_keyboard_and_by_mouse(session: Session, make_team: Any) -> None:
    team: Team = make_team(ENTITIES)
    (item,) = team.import_items([{"fields": {"text": TEXT}}])
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)
    page = session.page
    # Keyboard: tokens are Hi, 🙂, I, am, Kwame, Mensah, ... so five steps reach "Kwame".
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("3")  # PERSON
    # Mouse: choose the label, then select the order id. Offsets in the page are JavaScript's
    # (the emoji before it counts twice), which is the conversion under test.
    page.locator("fl-span-widget").get_by_role("radio", name="ORDER_ID").click()
    start = page.evaluate("document.querySelector('.fl-span-text').textContent.indexOf('ORD-12')")
    assert start == TEXT.index("ORD-12") + 1
    drag_over(session, start, start + len("ORD-12"))
    spans = page.locator(".fl-span-list li")
    assert spans.count() == 2
    session.screenshot("spans")
    page.keyboard.press("Enter")
    session.wait_for_next_item(item)
    entities = team.stored_answers(item)["entities"]
    assert [(TEXT[e["start"] : e["end"]], e["label"]) for e in entities] == [
        ("Kwame Mensah", "PERSON"),
        ("ORD-12", "ORDER_ID"),
    ]
    assert all(e["text"] == TEXT[e["start"] : e["end"]] for e in entities)


def test_spans_can_be_relabelled_and_removed(session: Session, make_team: Any) -> None:
    team: Team = make_team(ENTITIES)
    (item,) = team.import_items([{"fields": {"text": TEXT}}])
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)
    page = session.page
    page.keyboard.press("End")  # not a shortcut: nothing happens
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("1")  # "Kwame" as PRODUCT
    page.keyboard.press("3")  # the same selection again: replaced, now PERSON
    assert page.locator(".fl-span-list li").count() == 1
    assert page.locator(".fl-span-list .fl-tag").inner_text() == "PERSON"
    page.keyboard.press("Delete")
    assert page.locator(".fl-span-list li").count() == 0
    page.keyboard.press("Control+z")
    assert page.locator(".fl-span-list li").count() == 1
    page.get_by_role("button", name="Remove PERSON “Kwame”").click()
    assert page.locator(".fl-span-list li").count() == 0
    page.keyboard.press("Enter")
    session.wait_for_next_item(item)
    assert team.stored_answers(item) == {"entities": []}
