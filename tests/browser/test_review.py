"""Review as reviewers and workers meet it in the browser: the worker's answers read-only
in the labelling widgets, accept by keyboard, reject with a reason and a guideline section
(never without), correct in the same widgets (with undo and redo), the rework banner with
the answers sent back, the verdict on the worker's history page, and the refusals (own
work, no qualification, no such stage)."""

from typing import Any

import pytest
from playwright.sync_api import Route

from tests.browser.conftest import Session, Team
from tests.factories import Account, Factory

pytestmark = pytest.mark.browser

GUIDELINES = "# Guidelines\n## Sarcasm\nSarcasm is negative.\n## Mixed feelings\nUse neutral."
QUESTIONS: list[dict[str, Any]] = [
    {
        "name": "sentiment",
        "type": "label",
        "prompt": "What is the sentiment?",
        "settings": {"labels": ["positive", "negative", "neutral"]},
    }
]
REVIEW = [{"stage": "review", "sample_rate": 1.0}]
REVIEWS_422 = r"status of 422"  # Chromium logs every 4xx answer to a fetch


def reviewed_team(make_team: Any, items: int = 1, **project: Any) -> Team:
    project.setdefault("workflow", REVIEW)
    team: Team = make_team(QUESTIONS, guidelines=GUIDELINES, **project)
    rows = [{"external_id": f"r{n}", "fields": {"text": f"Oh great, {n}."}} for n in range(items)]
    team.import_items(rows)
    return team


def label(worker: Account, project_id: int, answer: str = "positive") -> dict[str, Any]:
    """Lease and submit one item through the API; the annotation."""
    leased = worker.post(f"/api/projects/{project_id}/assignments/next").json()["assignment"]
    assert leased is not None
    response = worker.post(
        f"/api/assignments/{leased['id']}/submit",
        json={"answers": {"sentiment": answer}, "time_spent_ms": 4200},
    )
    assert response.status_code == 201, response.text
    annotation: dict[str, Any] = response.json()
    return annotation


def project_reviews(team: Team) -> list[dict[str, Any]]:
    response = team.owner.get(f"/api/projects/{team.project_id}/reviews")
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def open_review(session: Session, project_id: int, stage: str = "review") -> None:
    session.page.goto(f"{session.base_url}/projects/{project_id}/review?stage={stage}")
    session.page.wait_for_selector(".fl-review-task, .fl-empty")


def shown_assignment(session: Session) -> int:
    return int(session.page.get_attribute(".fl-task", "data-assignment") or 0)


def wait_for_next_review(session: Session, previous: int) -> None:
    session.page.wait_for_function(
        "previous => { const t = document.querySelector('.fl-task');"
        " return t === null ? document.querySelector('.fl-empty') !== null"
        " : Number(t.dataset.assignment) !== previous; }",
        arg=previous,
    )


def prefetched_behind(session: Session, on_screen: int) -> int:
    """Wait until the next review is leased behind the one on screen; its assignment id."""
    task = session.page.locator(
        f".fl-task[data-assignment='{on_screen}']"
        ":not([data-prefetch=pending]):not([data-prefetch=none]):not([data-prefetch=failed])"
    )
    return int(task.get_attribute("data-prefetch") or 0)


def checked(session: Session, question: str = "sentiment") -> str:
    return session.page.locator(f"[data-question={question}] [aria-checked=true]").inner_text()


def test_reviewer_accepts_with_the_keyboard_only(
    session: Session, make_team: Any, factory: Factory
) -> None:
    team = reviewed_team(make_team, items=2)
    first = label(team.worker, team.project_id, "positive")
    label(team.worker, team.project_id, "negative")
    reviewer = factory.worker()
    session.sign_in(reviewer)
    page = session.page
    card = page.locator("article", has_text="What is the sentiment?")
    card.get_by_role("link", name="Review", exact=True).click()
    page.wait_for_selector(".fl-review-task")
    assert page.locator(".fl-worker").inner_text() == first["worker"]
    assert checked(session).endswith("positive")
    assert page.locator("[data-question=sentiment] .fl-choice").first.is_disabled()  # read-only
    assert page.locator(".fl-lease [role=timer]").inner_text().count(":") == 1
    page.keyboard.press("?")
    help_text = page.locator("dialog.fl-help").inner_text()
    assert "accept the work as it is" in help_text and "reject" in help_text
    session.screenshot("review-shortcuts")
    page.keyboard.press("Escape")
    page.keyboard.press("g")
    assert page.locator("#fl-guidelines").is_visible()
    page.keyboard.press("g")
    session.screenshot("review-task")

    on_screen = shown_assignment(session)
    page.keyboard.press("a")
    wait_for_next_review(session, on_screen)
    assert checked(session).endswith("negative")
    assert "Accepted." in page.locator(".fl-notice").inner_text()
    page.keyboard.press("a")
    page.wait_for_selector(".fl-empty")
    assert page.locator(".fl-empty h2").inner_text() == "Nothing waiting for review"
    session.screenshot("review-queue-empty")
    assert sorted(r["verdict"] for r in project_reviews(team)) == ["accept", "accept"]
    page.get_by_role("button", name="Check again").click()
    page.wait_for_selector(".fl-empty")


def test_rejection_needs_reason_and_section_then_the_worker_redoes_it(
    session: Session, make_team: Any, factory: Factory
) -> None:
    team = reviewed_team(make_team)
    label(team.worker, team.project_id, "positive")
    session.sign_in(factory.worker())
    open_review(session, team.project_id)
    page = session.page
    page.get_by_role("button", name="Reject").click()
    form = page.locator("form.fl-reject")
    form.get_by_role("button", name="Reject").click()  # neither reason nor section: not sent
    assert form.locator("[data-field-row=reason_code] .fl-field-error").is_visible()
    assert form.locator("[data-field-row=guideline_ref] .fl-field-error").is_visible()
    session.screenshot("reject-form-incomplete")
    form.get_by_label("Reason").select_option("wrong_answer")
    form.get_by_role("button", name="Reject").click()  # still no section
    assert form.locator("[data-field-row=reason_code] .fl-field-error").count() == 0
    assert form.locator("[data-field-row=guideline_ref] .fl-field-error").is_visible()
    assert project_reviews(team) == []
    form.get_by_label("Guideline section").select_option("Sarcasm")
    form.get_by_label("Comment (optional)").fill("“Oh great” is sarcastic here.")
    session.screenshot("reject-form")
    form.get_by_role("button", name="Reject").click()
    page.wait_for_selector(".fl-empty")
    (rejection,) = project_reviews(team)
    assert rejection["verdict"] == "reject" and rejection["guideline_ref"] == "Sarcasm"

    page.context.clear_cookies()  # the worker signs in on the same browser
    session.sign_in(team.worker)
    session.open_workspace(team.project_id)
    banner = page.locator(".fl-rework")
    assert banner.locator("h2").inner_text() == "Sent back for rework"
    assert banner.locator(".fl-rework-reason").inner_text() == "The answer is wrong"
    link = banner.get_by_role("link", name="Sarcasm")
    assert link.get_attribute("href") == f"/projects/{team.project_id}/guidelines"
    assert banner.locator(".fl-rework-comment").inner_text() == "“Oh great” is sarcastic here."
    assert checked(session).endswith("positive")  # the answers sent back, pre-filled
    session.screenshot("rework")
    item = session.current_item()
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    session.wait_for_next_item(item)
    redone = [a for a in team.annotations() if a["item_id"] == item][-1]  # a new annotation
    assert redone["answers"] == {"sentiment": "negative"}
    assert redone["awaiting_stage"] == "review"

    page.goto(f"{session.base_url}/history")
    verdict = page.locator("article.verdict-reject")
    text = verdict.inner_text()
    assert "Rejected" in text and "The answer is wrong" in text and "Sarcasm" in text
    assert "“Oh great” is sarcastic here." in text
    session.screenshot("history-rejection")


def test_reviewer_corrects_and_rejects_by_keyboard(
    session: Session, make_team: Any, factory: Factory
) -> None:
    team = reviewed_team(make_team, items=2)
    original = label(team.worker, team.project_id, "positive")
    label(team.worker, team.project_id, "neutral")
    session.allow_console(REVIEWS_422)
    session.sign_in(factory.worker())
    open_review(session, team.project_id)
    page = session.page
    page.keyboard.press("c")
    page.keyboard.press("Enter")  # nothing changed: the server says so, nothing is stored
    alert = page.locator(".fl-alert")
    alert.wait_for()
    assert "same as the worker's" in alert.inner_text()
    page.keyboard.press("2")  # negative
    assert checked(session).endswith("negative")
    session.screenshot("correcting")
    on_screen = shown_assignment(session)
    page.keyboard.press("Enter")
    wait_for_next_review(session, on_screen)
    (correction,) = project_reviews(team)
    assert correction["verdict"] == "correct"
    assert correction["corrected_answers"] == {"sentiment": "negative"}
    versions = team.owner.get(f"/api/annotations/{original['id']}/versions").json()
    assert [v["source"] for v in versions] == ["worker", "correction"]
    assert versions[-1]["id"] == correction["correction_id"]
    assert versions[-1]["answers"] == {"sentiment": "negative"}

    page.keyboard.press("c")  # Esc cancels a correction: the worker's answer is back
    page.keyboard.press("1")
    page.keyboard.press("Escape")
    assert checked(session).endswith("neutral")
    page.keyboard.press("r")
    page.keyboard.press("Enter")  # nothing chosen: the form stays, with its errors
    assert page.locator("form.fl-reject .fl-field-error").count() == 2
    page.keyboard.press("1")  # the first reason, then on to the section
    page.keyboard.press("2")  # the second section: Sarcasm
    page.keyboard.type("Sarcasm reads as negative")
    page.keyboard.press("Enter")
    page.wait_for_selector(".fl-empty")
    rejection = next(r for r in project_reviews(team) if r["verdict"] == "reject")
    assert rejection["reason_code"] == "wrong_answer"
    assert rejection["guideline_ref"] == "Sarcasm"
    assert rejection["comment"] == "Sarcasm reads as negative"


def test_correction_has_undo_and_redo(session: Session, make_team: Any, factory: Factory) -> None:
    team = reviewed_team(make_team)
    label(team.worker, team.project_id, "positive")
    session.sign_in(factory.worker())
    open_review(session, team.project_id)
    page = session.page
    page.keyboard.press("Control+z")  # while only viewing there is nothing to undo
    assert checked(session).endswith("positive")
    page.keyboard.press("c")
    page.keyboard.press("2")
    page.keyboard.press("3")
    assert checked(session).endswith("neutral")
    page.keyboard.press("Control+z")
    assert checked(session).endswith("negative")
    page.keyboard.press("Control+z")
    assert checked(session).endswith("positive")
    page.keyboard.press("Control+z")  # nothing further back: the worker's answer stays
    assert checked(session).endswith("positive")
    page.keyboard.press("Control+Shift+z")
    assert checked(session).endswith("negative")
    page.keyboard.press("?")
    assert "while correcting: undo / redo" in page.locator("dialog.fl-help").inner_text()
    page.keyboard.press("?")
    page.keyboard.press("Enter")
    page.wait_for_selector(".fl-empty")
    (correction,) = project_reviews(team)
    assert correction["corrected_answers"] == {"sentiment": "negative"}


def test_review_never_shows_ones_own_work_and_esc_returns_the_task(
    session: Session, make_team: Any, factory: Factory
) -> None:
    team = reviewed_team(make_team)
    label(team.worker, team.project_id)
    session.sign_in(team.worker)
    open_review(session, team.project_id)
    page = session.page
    assert page.locator(".fl-empty h2").inner_text() == "Nothing waiting for review"

    page.context.clear_cookies()
    session.sign_in(factory.worker())
    open_review(session, team.project_id)
    page.keyboard.press("Escape")
    page.locator(".fl-confirm").wait_for()
    page.keyboard.press("Enter")  # returned without penalty, and never offered back here
    page.wait_for_selector(".fl-empty")
    assert "returned without penalty" in page.locator(".fl-notice").inner_text()
    assert project_reviews(team) == []
    other = factory.worker()
    task = other.post(f"/api/projects/{team.project_id}/reviews/next").json()["task"]
    assert task is not None  # back in the queue for someone else


def test_review_page_says_why_it_is_refused(
    session: Session, make_team: Any, factory: Factory
) -> None:
    workflow = [{"stage": "review", "sample_rate": 1.0, "qualification": "senior-reviewer"}]
    team = reviewed_team(make_team, workflow=workflow)
    session.allow_console(r"status of 40[34]")
    session.sign_in(factory.worker())
    page = session.page
    card = page.locator("article", has_text="What is the sentiment?")
    assert "(needs senior-reviewer)" in card.inner_text()
    card.get_by_role("link", name="Review", exact=True).click()
    page.wait_for_selector("[role=alert] h1")
    assert page.locator("h1").inner_text() == "You cannot review here yet"
    assert "senior-reviewer" in page.locator("[role=alert]").inner_text()
    session.screenshot("review-needs-qualification")
    response = page.goto(f"{session.base_url}/projects/{team.project_id}/review?stage=audit")
    assert response is not None and response.status == 404
    assert "no “audit” stage" in page.locator("[role=alert]").inner_text()


def test_the_next_review_is_prefetched_and_shows_at_once_after_a_verdict(
    session: Session, make_team: Any, factory: Factory
) -> None:
    team = reviewed_team(make_team, items=3)
    first = label(team.worker, team.project_id, "positive")
    second = label(team.worker, team.project_id, "negative")
    third = label(team.worker, team.project_id, "neutral")
    reviewer = factory.worker()
    session.sign_in(reviewer)
    open_review(session, team.project_id)
    page = session.page
    on_screen = shown_assignment(session)
    prefetched = prefetched_behind(session, on_screen)
    held = reviewer.get("/api/assignments", params={"status": "active"}).json()
    assert sorted(a["id"] for a in held) == sorted([on_screen, prefetched])  # two, never more

    # From here a plain next-review call fails: the next task must come from the prefetch.
    plain: list[str] = []
    asked: list[str] = []

    def is_plain_next(url: str) -> bool:
        return "/reviews/next" in url and "exclude=" not in url

    def refuse(route: Route) -> None:
        plain.append(route.request.url)
        route.abort()

    page.route(is_plain_next, refuse)
    page.on("request", lambda r: asked.append(r.url) if "/reviews/next" in r.url else None)
    page.keyboard.press("a")
    wait_for_next_review(session, on_screen)
    assert shown_assignment(session) == prefetched
    assert checked(session).endswith("negative")
    assert "Accepted." in page.locator(".fl-notice").inner_text()
    # All that was asked after the verdict is the prefetch of the one after, behind this one.
    following = prefetched_behind(session, prefetched)
    assert plain == [] and len(asked) == 1 and f"exclude={prefetched}" in asked[0], asked

    # Returning a task without penalty shows the next prefetched one at once too.
    page.keyboard.press("Escape")
    page.locator(".fl-confirm").wait_for()
    with page.expect_response(lambda r: f"exclude={following}" in r.url):
        page.keyboard.press("Enter")  # and then the prefetch behind it finds nothing more
    wait_for_next_review(session, prefetched)
    assert shown_assignment(session) == following
    assert checked(session).endswith("neutral")
    assert "returned without penalty" in page.locator(".fl-notice").inner_text()
    assert plain == []

    page.unroute(is_plain_next, refuse)
    assert session.wait_prefetched() == "none"
    page.keyboard.press("a")
    page.wait_for_selector(".fl-empty")
    stored = {r["annotation_id"]: r["verdict"] for r in project_reviews(team)}
    assert stored == {first["id"]: "accept", third["id"]: "accept"}
    mine = {a["id"]: a["status"] for a in reviewer.get("/api/assignments").json()}
    assert mine == {on_screen: "submitted", prefetched: "returned", following: "submitted"}
    # The returned work is back in the queue for another reviewer.
    other = factory.worker()
    task = other.post(f"/api/projects/{team.project_id}/reviews/next").json()["task"]
    assert task["annotation"]["id"] == second["id"]
