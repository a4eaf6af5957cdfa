"""The workspace as a worker uses it: pages, choice questions and free text, by keyboard
only and by mouse, with the stored answers checked through the API and in the JSONL export."""

from typing import Any

import pytest

from tests.browser.conftest import Session, Team
from tests.browser.test_shapes import upload_scene

pytestmark = pytest.mark.browser

TRIAGE: list[dict[str, Any]] = [
    {
        "name": "category",
        "type": "label",
        "prompt": "What does the customer need?",
        "settings": {"labels": ["billing", "shipping", "refund"]},
    },
    {
        "name": "urgency",
        "type": "rating",
        "prompt": "How urgent?",
        "settings": {"min": 1, "max": 4},
    },
    {
        "name": "topics",
        "type": "multi_label",
        "prompt": "Topics",
        "required": False,
        "settings": {"labels": ["delay", "damage", "price"]},
    },
    {
        "name": "summary",
        "type": "text",
        "prompt": "One-line summary",
        "settings": {"multiline": False},
    },
]
TICKETS = [
    {"external_id": "t1", "fields": {"text": "My parcel is late and the box was crushed."}},
    {"external_id": "t2", "fields": {"text": "I was charged twice for one order."}},
]


def test_home_lists_open_projects_with_questions_and_guidelines(
    session: Session, make_team: Any
) -> None:
    team: Team = make_team(TRIAGE, name="Ticket triage", guidelines="# Rules\n\n*Be kind.*")
    team.import_items(TICKETS)
    session.sign_in(team.worker)
    page = session.page
    card = page.locator("article", has_text="Ticket triage")
    assert "choose one label: billing, shipping, refund" in card.inner_text()
    assert "rate from 1 to 4" in card.inner_text()
    session.screenshot("home")
    card.get_by_role("link", name="Read the guidelines").click()
    page.wait_for_selector("h1:has-text('guidelines')")
    assert page.locator(".guidelines em").inner_text() == "Be kind."
    session.screenshot("guidelines")
    page.get_by_role("link", name="Start labelling").click()
    page.wait_for_selector(".fl-task")
    session.screenshot("workspace")


def test_keyboard_only_labelling(session: Session, make_team: Any) -> None:
    team: Team = make_team(TRIAGE)
    first, _second = team.import_items(TICKETS)
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)
    page = session.page
    assert session.current_item() == first
    page.keyboard.press("2")  # shipping, and on to the rating
    page.keyboard.press("3")  # urgency 3, and on to the topics
    page.keyboard.press("1")  # toggle delay
    page.keyboard.press("2")  # toggle damage
    page.keyboard.press("Tab")  # to the summary box
    page.keyboard.type("Late & crushed <box>")
    page.keyboard.press("Escape")  # leave the text box
    page.keyboard.press("?")
    assert page.locator("dialog.fl-help").is_visible()
    session.screenshot("shortcuts")
    page.keyboard.press("Escape")
    assert not page.locator("dialog.fl-help").is_visible()
    page.keyboard.press("g")
    assert page.locator("#fl-guidelines").is_visible()
    page.keyboard.press("g")
    assert page.locator("#fl-guidelines").is_hidden()
    session.screenshot("answered-by-keyboard")
    page.keyboard.press("Enter")
    session.wait_for_next_item(first)
    assert team.stored_answers(first) == {
        "category": "shipping",
        "urgency": 3,
        "topics": ["delay", "damage"],
        "summary": "Late & crushed <box>",
    }
    assert team.annotations()[0]["time_spent_ms"] > 0
    session.screenshot("next-item")


def test_mouse_labelling(session: Session, make_team: Any) -> None:
    team: Team = make_team(TRIAGE)
    first, _second = team.import_items(TICKETS)
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)
    page = session.page
    category = page.locator("[data-question=category]")
    category.get_by_role("radio", name="refund").click()
    page.locator("[data-question=urgency]").get_by_role("radio", name="4").click()
    page.locator("[data-question=topics]").get_by_role("checkbox", name="price").click()
    page.locator("[data-question=summary] input").fill("Double charge")
    assert category.get_by_role("radio", name="refund").get_attribute("aria-checked") == "true"
    page.get_by_role("button", name="Submit").click()
    session.wait_for_next_item(first)
    assert team.stored_answers(first) == {
        "category": "refund",
        "urgency": 4,
        "topics": ["price"],
        "summary": "Double charge",
    }


def test_item_markup_renders_as_text_and_never_runs(session: Session, make_team: Any) -> None:
    hostile = (
        "<script>window.__pwned = 1</script><b>bold</b>"
        '<img src="/nowhere.png" onerror="window.__pwned = 2"> & more'
    )
    team: Team = make_team(TRIAGE[:1])
    team.import_items([{"fields": {"text": hostile, "note": "<i>note</i>"}}])
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)
    page = session.page
    field = page.locator("fl-item-view [data-field=text] .fl-text")
    assert field.inner_text() == hostile
    assert (
        page.locator(
            "fl-item-view script, fl-item-view b, fl-item-view img, fl-item-view i"
        ).count()
        == 0
    )
    assert page.evaluate("window.__pwned") is None
    session.screenshot("markup-as-text")


def test_undo_redo_and_required_questions(session: Session, make_team: Any) -> None:
    team: Team = make_team(TRIAGE[:2])
    first, _ = team.import_items(TICKETS)
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)
    page = session.page
    page.keyboard.press("1")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Control+z")
    checked = page.locator("[data-question=category] [aria-checked=true]")
    assert checked.count() == 0
    page.keyboard.press("Control+Shift+z")
    assert checked.inner_text().endswith("billing")
    page.keyboard.press("Enter")  # the rating is still missing: nothing is sent
    error = page.locator("[data-question=urgency] .fl-field-error")
    assert error.inner_text() == "This question needs an answer."
    session.screenshot("required-missing")
    page.keyboard.press("2")
    assert error.count() == 0
    page.keyboard.press("Enter")
    session.wait_for_next_item(first)
    assert team.stored_answers(first) == {"category": "billing", "urgency": 2}


def test_draft_survives_a_reload(session: Session, make_team: Any) -> None:
    team: Team = make_team(TRIAGE[:2])
    first, _ = team.import_items(TICKETS)
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)
    page = session.page
    page.keyboard.press("3")
    session.wait_saved()
    page.reload()
    page.wait_for_selector(".fl-task")
    assert session.current_item() == first
    assert (
        page.locator("[data-question=category] [aria-checked=true]").inner_text().endswith("refund")
    )
    assert "draft was restored" in page.locator(".fl-notice").inner_text()


def test_field_errors_from_the_server_show_beside_the_question(
    session: Session, make_team: Any
) -> None:
    questions = [{"name": "why", "type": "text", "settings": {"min_length": 20}}]
    team: Team = make_team(questions)
    team.import_items(TICKETS[:1])
    session.allow_console(r"status of 422")  # Chromium logs every 4xx answer to a fetch
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)
    page = session.page
    page.locator("[data-question=why] textarea").fill("too short")
    page.get_by_role("button", name="Submit").click()
    error = page.locator("[data-question=why] .fl-field-error")
    error.wait_for()
    assert "between 20 and 10000 characters" in error.inner_text()
    session.screenshot("server-field-error")
    assert team.annotations() == []


def test_return_without_penalty_then_nothing_left(session: Session, make_team: Any) -> None:
    team: Team = make_team(TRIAGE[:1])
    team.import_items(TICKETS[:1])
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)
    page = session.page
    page.keyboard.press("Escape")
    page.locator(".fl-confirm").wait_for()
    session.screenshot("confirm-return")
    page.keyboard.press("Enter")
    empty = page.locator(".fl-empty")
    empty.wait_for()
    assert empty.get_attribute("data-reason") == "already_worked_on"
    assert "Task returned without penalty" in page.locator(".fl-notice").inner_text()
    mine = team.worker.get("/api/assignments").json()
    assert [a["status"] for a in mine] == ["returned"]
    session.screenshot("nothing-left")


def test_chat_candidates_and_a_zoomable_image(session: Session, make_team: Any) -> None:
    team: Team = make_team(TRIAGE[:1])
    scene = upload_scene(team)
    image = team.owner.get(f"/api/items/{scene}").json()["fields"]["image"]
    chat = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Where is my <b>parcel</b>?"},
        {"role": "assistant", "content": "On its way."},
    ]
    rows = [
        {
            "external_id": "rich",
            "fields": {"messages": chat, "photo": image, "responses": ["a", "b"]},
        }
    ]
    ids = team.import_items(rows)
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)
    page = session.page
    assert session.current_item() == scene  # the bare image comes first: label it, move on
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    session.wait_for_next_item(scene)
    assert session.current_item() == max(ids)
    roles = page.locator(".fl-message").evaluate_all("els => els.map(e => e.dataset.role)")
    assert roles == ["system", "user", "assistant"]
    assert "Where is my <b>parcel</b>?" in page.locator(".fl-chat").inner_text()
    assert page.locator(".fl-candidate").count() == 2
    stage = page.locator("[data-field=photo] .fl-stage")
    page.locator("[data-field=photo] .fl-stage img").wait_for()
    before = stage.evaluate("e => e.style.transform")
    page.locator("[data-field=photo]").get_by_role("button", name="Zoom in").click()
    assert stage.evaluate("e => e.style.transform") != before
    viewport = page.locator("[data-field=photo] .fl-viewport")
    viewport.focus()
    page.keyboard.press("0")  # fit again; the key stays with the image, not the labels
    assert page.locator("[data-question=category] [aria-checked=true]").count() == 0
    session.screenshot("rich-fields")
