"""Model suggestions as a worker meets them: pre-filled, marked with the model and its score,
marked as edited once changed, never over a draft; suggested spans and boxes are ordinary
shapes that the worker keeps, moves or deletes."""

from typing import Any

import pytest

from tests.browser.conftest import Session, Team
from tests.browser.test_shapes import LABELS, upload_scene

pytestmark = pytest.mark.browser

TEXT = "Refund my order ORD-12 please, Kwame Mensah."
QUESTIONS: list[dict[str, Any]] = [
    {
        "name": "category",
        "type": "label",
        "prompt": "What does the customer need?",
        "settings": {"labels": ["billing", "shipping", "refund"]},
    },
    {
        "name": "entities",
        "type": "span",
        "prompt": "Mark the entities",
        "required": False,
        "settings": {"labels": ["ORDER_ID", "PERSON"]},
    },
]


def span(text: str, label: str) -> dict[str, Any]:
    start = TEXT.index(text)
    return {"start": start, "end": start + len(text), "label": label, "text": text}


def test_suggestions_prefill_are_marked_and_a_draft_wins(session: Session, make_team: Any) -> None:
    team: Team = make_team(QUESTIONS)
    (item,) = team.import_items([{"external_id": "t1", "fields": {"text": TEXT}}])
    team.suggest(
        [
            {
                "external_id": "t1",
                "question": "category",
                "answer": "refund",
                "score": 0.87,
                "agent": "triage-bot",
            },
            {
                "external_id": "t1",
                "question": "entities",
                "answer": [span("ORD-12", "ORDER_ID"), span("Kwame Mensah", "PERSON")],
                "score": None,
                "agent": "ner-small",
            },
        ]
    )
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)
    page = session.page
    category = page.locator("[data-question=category]")
    mark = category.locator(".fl-suggestion")
    assert mark.get_attribute("data-state") == "suggested"
    assert "Suggested by triage-bot, 87%" in mark.inner_text()
    assert category.locator("[aria-checked=true]").inner_text().endswith("refund")
    spans = page.locator(".fl-span-list li")
    assert spans.count() == 2
    entities_mark = page.locator("[data-question=entities] .fl-suggestion")
    assert "Suggested by ner-small" in entities_mark.inner_text()
    assert "%" not in entities_mark.inner_text()  # no score, no percentage
    assert page.locator(".fl-save").get_attribute("data-state") == "idle"  # nothing to save yet
    session.screenshot("suggested")

    page.keyboard.press("1")  # the worker disagrees: billing
    assert mark.get_attribute("data-state") == "edited"
    assert "Edited by you" in mark.inner_text()
    assert "triage-bot, 87%" in mark.inner_text()
    page.keyboard.press("Control+z")  # back to the model's answer: marked as suggested again
    assert mark.get_attribute("data-state") == "suggested"
    page.keyboard.press("Control+Shift+z")
    page.get_by_role("button", name="Remove PERSON “Kwame Mensah”").click()
    assert spans.count() == 1
    assert entities_mark.get_attribute("data-state") == "edited"
    session.wait_saved()
    session.screenshot("suggestion-edited")

    page.reload()  # the draft wins over the suggestions
    page.wait_for_selector(".fl-task")
    assert category.locator("[aria-checked=true]").inner_text().endswith("billing")
    assert mark.get_attribute("data-state") == "edited"
    assert spans.count() == 1
    page.keyboard.press("Enter")
    session.wait_for_next_item(item)
    assert team.stored_answers(item) == {
        "category": "billing",
        "entities": [span("ORD-12", "ORDER_ID")],
    }


def test_accepting_every_suggestion_submits_it(session: Session, make_team: Any) -> None:
    team: Team = make_team(QUESTIONS[:1])
    first, _second = team.import_items(
        [
            {"external_id": "a", "fields": {"text": "x"}},
            {"external_id": "b", "fields": {"text": "y"}},
        ]
    )
    team.suggest(
        [
            {"external_id": "a", "question": "category", "answer": "billing", "score": 0.4},
            {"external_id": "a", "question": "category", "answer": "shipping", "score": 0.9},
        ]
    )
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)
    page = session.page
    assert "model, 90%" in page.locator(".fl-suggestion").inner_text()  # the best score
    page.keyboard.press("Enter")
    session.wait_for_next_item(first)
    assert team.stored_answers(first) == {"category": "shipping"}
    assert page.locator(".fl-suggestion").count() == 0  # the next item has none


def test_suggested_boxes_can_be_kept_moved_or_deleted(session: Session, make_team: Any) -> None:
    team: Team = make_team([{"name": "objects", "type": "bbox", "settings": {"labels": LABELS}}])
    item = upload_scene(team)
    square = {"x": 100, "y": 75, "width": 100, "height": 75, "label": "square"}
    wrong = {"x": 300, "y": 200, "width": 40, "height": 40, "label": "circle"}
    kept = {"x": 10, "y": 10, "width": 30, "height": 20, "label": "circle"}
    team.suggest(
        [
            {
                "item_id": item,
                "question": "objects",
                "answer": [square, wrong, kept],
                "score": 0.61,
                "agent": "detector-v2",
            }
        ]
    )
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)
    page = session.page
    page.wait_for_selector(".fl-shapes svg")
    mark = page.locator("[data-question=objects] .fl-suggestion")
    assert "Suggested by detector-v2, 61%" in mark.inner_text()
    assert page.locator(".fl-shape-list li").count() == 3
    # The suggested shapes are drawn on the image, as the annotator's own shapes.
    page.wait_for_function(
        "() => document.querySelectorAll('.fl-shapes svg rect, .fl-shapes svg polygon').length >= 3"
    )
    session.screenshot("suggested-boxes")
    page.locator(".fl-shapes").focus()
    page.keyboard.press("]")  # pick the square
    page.keyboard.press("ArrowRight")  # and move it right by 1% of the width
    page.keyboard.press("]")  # pick the wrong circle
    page.keyboard.press("Delete")
    assert page.locator(".fl-shape-list li").count() == 2
    assert mark.get_attribute("data-state") == "edited"
    page.keyboard.press("Enter")
    session.wait_for_next_item(item)
    moved, still = team.stored_answers(item)["objects"]
    assert moved == {**square, "x": 104}
    assert still == kept
