"""Rubric and rewrite tasks in the real browser, keyboard first: a worker scores each criterion
(number keys, N for n/a, arrows, a justification where required), rewrites a response and a
conversation's last reply (the live diff on D), submits; the client's JSONL export holds
exactly what was done, and its rubric and SFT Parquet exports load with `datasets`. And the
client makes both from the project form."""

import json
from pathlib import Path
from typing import Any

import pytest

from fairlabel.questions.rewrite import word_diff
from tests.browser.conftest import Session, Team
from tests.factories import Factory

pytestmark = pytest.mark.browser

CRITERIA = [
    {"name": "helpful", "label": "Helpfulness", "anchors": {"1": "Useless", "5": "Solves it"}},
    {"name": "correct", "label": "Correctness", "min": 0, "max": 3, "justification": "required"},
    {"name": "harmless", "label": "Harmlessness", "allow_na": True, "justification": "none"},
]
ITEM = {
    "external_id": "greeting",
    "fields": {"prompt": "Greet the user.", "response": "The cat sat on the mat."},
}


def test_a_rubric_scored_from_the_keyboard(
    session: Session, make_team: Any, tmp_path: Path
) -> None:
    labels = {"labels": ["keep", "discard"]}
    verdict = {"name": "verdict", "type": "label", "required": False, "settings": labels}
    rubric = {"name": "q", "type": "rubric", "settings": {"criteria": CRITERIA}}
    team: Team = make_team([rubric, verdict])
    (item,) = team.import_items([ITEM])
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)
    page = session.page
    assert page.locator(".fl-criterion").count() == 3
    assert page.locator(".fl-anchor", has_text="Solves it").is_visible()

    session.allow_console(r"status of 422 .*/api/assignments/\d+/submit")  # the refusal below
    page.keyboard.press("4")  # helpfulness 4; on to correctness
    page.keyboard.press("Enter")  # too soon: the server names the criterion still unscored
    error = page.locator(".fl-field-error")
    error.wait_for()
    assert "correct" in error.inner_text()

    page.keyboard.press("ArrowUp")  # back to helpfulness
    page.keyboard.press("5")  # changed to 5; on to correctness
    page.keyboard.press("2")  # correctness 2; its justification is required: the box has focus
    page.keyboard.type("Right, but not a greeting.")
    page.keyboard.press("Tab")  # on to harmlessness
    page.keyboard.press("n")  # does not apply; the last criterion, so on to the next question
    assert (
        page.get_attribute("[data-criterion=harmless] [aria-checked=true]", "data-score") == "n/a"
    )
    page.keyboard.press("1")  # keep
    session.screenshot("rubric")
    page.keyboard.press("Enter")
    session.wait_for_next_item(item)
    assert team.stored_answers(item) == {
        "q": {
            "helpful": {"score": 5},
            "correct": {"score": 2, "justification": "Right, but not a greeting."},
            "harmless": {"score": "n/a"},
        },
        "verdict": "keep",
    }
    (row,) = team.dataset_rows("rubric-parquet", tmp_path)
    assert row.pop("worker").startswith("W-")  # a pseudonym, never the account
    assert row == {
        "prompt": [{"role": "user", "content": "Greet the user."}],
        "completion": [{"role": "assistant", "content": "The cat sat on the mat."}],
        "external_id": "greeting",
        "question": "q",
        "helpful": 5,
        "helpful_justification": None,
        "correct": 2,
        "correct_justification": "Right, but not a greeting.",
        "harmless": None,  # n/a
        "harmless_justification": None,
    }


def test_a_response_rewritten_from_the_keyboard(
    session: Session, make_team: Any, tmp_path: Path
) -> None:
    team: Team = make_team([{"name": "q", "type": "rewrite", "settings": {"min_length": 5}}])
    (item,) = team.import_items([ITEM])
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)
    page = session.page
    box = page.locator("fl-rewrite-widget textarea")
    assert box.input_value() == "The cat sat on the mat."  # starts from the original
    assert box.evaluate("el => el === document.activeElement")
    page.keyboard.press("Control+End")
    page.keyboard.type(" It purred.")
    assert page.locator("[data-count=words]").inner_text() == "8"
    page.keyboard.press("Escape")  # out of the box, where D works
    page.keyboard.press("d")
    assert page.locator(".fl-diff ins").inner_text() == ". It purred"  # as the server splits it
    session.screenshot("rewrite")
    page.keyboard.press("Enter")
    session.wait_for_next_item(item)
    text = "The cat sat on the mat. It purred."
    answers = team.stored_answers(item)
    assert answers == {"q": {"text": text, "diff": word_diff(ITEM["fields"]["response"], text)}}
    (row,) = team.dataset_rows("sft-parquet", tmp_path)
    assert row.pop("worker").startswith("W-")
    assert row == {
        "messages": [
            {"role": "user", "content": "Greet the user."},
            {"role": "assistant", "content": text},
        ],
        "external_id": "greeting",
        "question": "q",
    }


def test_a_conversations_last_reply_rewritten(session: Session, make_team: Any) -> None:
    team: Team = make_team([{"name": "q", "type": "rewrite", "settings": {"field": "messages"}}])
    messages = [
        {"role": "user", "content": "Say hello."},
        {"role": "assistant", "content": "Hello."},
        {"role": "user", "content": "Warmer, please."},
        {"role": "assistant", "content": "Hi there."},
    ]
    (conversation,) = team.import_items([{"fields": {"messages": messages}}])
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)
    page = session.page
    box = page.locator("fl-rewrite-widget textarea")
    assert box.input_value() == "Hi there."  # the last assistant message
    box.fill("Hi there, lovely to see you!")
    page.get_by_role("button", name="Show changes").click()
    assert page.locator(".fl-diff del").inner_text() == "."
    box.press("Control+Enter")
    session.wait_for_next_item(conversation)
    stored = team.stored_answers(conversation)["q"]
    assert stored["text"] == "Hi there, lovely to see you!"
    assert stored["diff"] == word_diff("Hi there.", "Hi there, lovely to see you!")


def test_the_client_builds_both_from_the_project_form(session: Session, factory: Factory) -> None:
    owner, _org_id = factory.owner()
    page = session.page
    session.sign_in(owner)
    page.goto(f"{session.base_url}/projects/new")
    page.fill("#f-name", "Chat evaluation")
    page.fill("#q-0-name", "quality")
    page.select_option("#q-0-type", "rubric")
    assert page.is_visible("#q-0-criteria") and not page.is_visible("#q-0-labels")
    page.fill(
        "#q-0-criteria", "helpful | Helpfulness | 1-5 | 1=Useless; 5=Solves it\nsafe | | | | n/a"
    )
    page.click("text=Add a question")
    page.fill("#q-1-name", "ideal")
    page.select_option("#q-1-type", "rewrite")
    page.fill("#q-1-field", "response")
    page.check("#q-1-allow_unchanged")
    session.screenshot("builder")
    page.check("#mode-json")  # the builder's questions carried into the JSON alternative
    questions = json.loads(page.input_value("#f-questions_json"))
    assert questions[0]["settings"]["criteria"] == [
        {
            "name": "helpful",
            "label": "Helpfulness",
            "min": 1,
            "max": 5,
            "anchors": {"1": "Useless", "5": "Solves it"},
        },
        {"name": "safe", "allow_na": True},
    ]
    assert questions[1]["settings"]["allow_unchanged"] is True
    page.click("text=Create project")
    page.wait_for_selector("#item-counts")
    project_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    stored = owner.get(f"/api/projects/{project_id}").json()["questions"]
    assert [(q["name"], q["type"]) for q in stored] == [("quality", "rubric"), ("ideal", "rewrite")]
    assert stored[0]["settings"]["criteria"][1]["allow_na"] is True
