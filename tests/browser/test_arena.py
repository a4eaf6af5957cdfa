"""Arena mode in the real browser, against endpoints on the stand-in server (a real process
standing in for model servers, since no model weights can run here): the worker writes a
prompt, sends it with Ctrl+Enter, votes on the two anonymous answers with the number keys and
submits, and only then does the page name the models, before the next task; a model that
fails is said in the page and the worker may send again."""

from typing import Any

import pytest

from fairlabel.models import Battle, EvalModel
from tests.browser.conftest import Session
from tests.evaluation.evalproj import MODEL_NAMES, build
from tests.factories import Factory
from tests.llm.standin import StandIn

pytestmark = pytest.mark.browser


def _arena_project(factory: Factory, standin: StandIn, **options: Any) -> Any:
    evaluation = build(factory, standin, prompts=1, **options)
    added = evaluation.post("arena-tasks", json={"count": 2})
    assert added.status_code == 201, added.text
    return evaluation


def _send(session: Session, prompt: str) -> None:
    """The prompt typed into its box (focused when the task opens) and sent by keyboard."""
    page = session.page
    page.wait_for_selector("[data-arena-prompt]:focus")
    page.keyboard.type(prompt)
    page.keyboard.press("Control+Enter")


def _names(factory: Factory, assignment: int) -> tuple[str, str]:
    with factory.database.session(write=False) as db:
        battle = db.query(Battle).filter(Battle.assignment_id == assignment).one()
        names = {m.id: m.name for m in db.query(EvalModel)}
        return names[battle.left_model_id], names[battle.right_model_id]


def test_two_arena_tasks_from_the_keyboard_name_the_models_only_after_each_vote(
    session: Session, factory: Factory, standin: StandIn
) -> None:
    evaluation = _arena_project(factory, standin)
    secrets = [*MODEL_NAMES, *(e["name"] for e in evaluation.endpoints), standin.base_url]
    page = session.page
    session.sign_in(factory.worker())
    session.open_workspace(evaluation.project_id)
    for n, choice in enumerate(["1", "2"]):
        assignment = int(page.get_attribute(".fl-task", "data-assignment") or 0)
        assert not [s for s in secrets if s in page.content()], "a model named before the vote"
        _send(session, f"Write a limerick about tide pools, number {n}.")
        page.wait_for_selector("fl-pairwise-widget [data-candidate=b] [data-text]")
        assert page.locator("fl-pairwise-widget [data-candidate]").count() == 2
        assert all(t for t in page.locator("fl-pairwise-widget [data-text]").all_inner_texts())
        assert not [s for s in secrets if s in page.content()], "a model named before the vote"
        if n == 0:  # a reload brings the prompt and its answers back, still anonymous
            page.reload()
            page.wait_for_selector("fl-pairwise-widget [data-candidate=b] [data-text]")
            assert page.input_value("[data-arena-prompt]").endswith("number 0.")
            assert not [s for s in secrets if s in page.content()], "a model named on reload"
        page.keyboard.press(choice)
        page.keyboard.press("Control+Enter")
        names = page.locator("[data-arena-names]")
        names.wait_for()
        model_a, model_b = _names(factory, assignment)
        assert names.inner_text() == f"Model A was {model_a}; model B was {model_b}."
        session.screenshot(f"arena-revealed-{n}")
        page.keyboard.press("Enter")
        page.wait_for_selector(".fl-task, .fl-empty")
    page.wait_for_selector(".fl-empty")

    board = evaluation.owner.get(f"/api/projects/{evaluation.project_id}/leaderboard").json()
    assert board["votes"] == 2
    status = evaluation.get()
    assert (status["battles"], status["battles_voted"], status["votes"]) == (2, 2, 2)


def test_a_failing_model_is_said_in_the_page_and_the_worker_may_send_again(
    session: Session, factory: Factory, standin: StandIn
) -> None:
    evaluation = _arena_project(factory, standin, model_options=("status=500",))
    session.allow_console("502")
    page = session.page
    session.sign_in(factory.worker())
    session.open_workspace(evaluation.project_id)
    _send(session, "Explain tides to a child.")
    problem = page.locator("[data-live-problem]")
    problem.wait_for()
    assert "a model did not answer" in problem.inner_text()
    assert "Ctrl+Enter" in problem.inner_text()
    assert page.locator("fl-pairwise-widget [data-candidate]").count() == 0
    assert page.locator("[data-arena-send]").is_enabled()
    page.keyboard.press("Control+Enter")  # the retry fails the same way, and says so again
    page.wait_for_selector("[data-live-problem]")
    assert page.locator("fl-pairwise-widget .fl-choice").count() == 0
