"""Ranking (drag and drop with ties) and pairwise preference, by mouse and by keyboard."""

from typing import Any

import pytest

from tests.browser.conftest import Session, Team

pytestmark = pytest.mark.browser

RESPONSES: list[dict[str, Any]] = [
    {
        "fields": {
            "prompt": "How do I reset my password?",
            "responses": [
                "Click 'Forgot password' on the sign-in page.",
                "Passwords cannot be reset.",
                "Ask support <script>alert(1)</script> to reset it.",
            ],
        }
    },
    {
        "fields": {
            "prompt": "What is 2 + 2?",
            "responses": [
                {"id": "x", "text": "4"},
                {"id": "y", "text": "22"},
                {"id": "z", "text": "four"},
            ],
        }
    },
]


def test_ranking_by_keyboard_then_by_drag_and_drop(session: Session, make_team: Any) -> None:
    team: Team = make_team([{"name": "order", "type": "ranking", "prompt": "Best first"}])
    first, second = team.import_items(RESPONSES)
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)
    page = session.page
    assert page.locator(".fl-candidate").count() == 3  # shown side by side
    page.keyboard.press("1")  # A (focused first) into the first tier; focus moves on to B
    page.keyboard.press("2")  # B into a new second tier
    page.keyboard.press("2")  # C ties with B, and keeps the focus
    page.keyboard.press("Alt+ArrowUp")  # C gets a tier of its own, above B
    session.screenshot("ranking-keyboard")
    page.keyboard.press("Enter")
    session.wait_for_next_item(first)
    assert team.stored_answers(first) == {"order": [["0"], ["2"], ["1"]]}

    chip = page.locator(".fl-chip")
    chip.filter(has_text="four").drag_to(page.locator(".fl-pool"))  # nothing happens
    chip.filter(has_text="four").drag_to(page.locator("[data-gap='0']"))
    chip.filter(has_text="22").drag_to(page.locator("[data-gap='1']"))
    chip.filter(has_text="4").first.drag_to(page.locator("[data-tier='0']"))  # ties with z
    assert page.locator(".fl-tier[data-tier='0'] .fl-chip").count() == 2
    session.screenshot("ranking-mouse")
    page.get_by_role("button", name="Submit").click()
    session.wait_for_next_item(second)
    assert team.stored_answers(second) == {"order": [["z", "x"], ["y"]]}


def test_pairwise_by_keyboard_and_by_mouse(session: Session, make_team: Any) -> None:
    questions = [
        {"name": "better", "type": "pairwise", "settings": {"strength_levels": 3}},
    ]
    pairs = [
        {
            "external_id": f"pair-{n}",
            "fields": {"responses": ["Yes.", "Yes, because <b>it is</b>."]},
        }
        for n in (1, 2)
    ]
    team: Team = make_team(questions)
    first, second = team.import_items(pairs)
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)
    page = session.page
    page.keyboard.press("2")  # B is better
    page.keyboard.press("3")  # much better
    session.screenshot("pairwise")
    page.keyboard.press("Enter")
    session.wait_for_next_item(first)
    assert team.stored_answers(first) == {"better": {"choice": "b", "strength": 3}}

    page.get_by_role("radio", name="A is better").click()
    page.get_by_role("radio", name="1").click()
    page.get_by_role("radio", name="Tie").click()  # changed my mind: a tie has no strength
    page.get_by_role("button", name="Submit").click()
    session.wait_for_next_item(second)
    assert team.stored_answers(second) == {"better": {"choice": "tie", "strength": None}}
