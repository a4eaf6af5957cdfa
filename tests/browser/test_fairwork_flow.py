"""Issue 5's whole flow in the browser, as tests/test_fairwork_flow.py walks it through the
API, on pages wherever a page exists: a worker sees the pay, labels two items in the
workspace; a reviewer rejects one in the review workspace with a reason and a guideline
section; the worker finds it on /history, appeals it on /appeals and, nobody having
answered in time, sees it decided for them; the operator approves due pay and runs the
payout on /pay/payouts, downloads the batch, and reads all ten thresholds on
/reports/fairwork; the worker sees the pay as paid on /earnings.

The project is set up through the API (blocked below the floor, raised, refused unfunded,
funded, activated): its client form is being built separately. Time cannot pass in a test:
the appeal's deadline is moved into the past in its row, and the review-deadline sweep is
called with a clock 73 hours ahead, because the sweep approves only pay earned more than the
deadline ago and ledger entries cannot be back-dated (the table's triggers refuse updates);
the page's own "Approve due pay" button is pressed first and rightly approves nothing."""

import csv
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from fairlabel.db import utcnow
from fairlabel.models import Appeal
from fairlabel.pay import service as pay_service
from tests.browser.conftest import Session, Team
from tests.browser.test_review import GUIDELINES, QUESTIONS, open_review, project_reviews
from tests.factories import Account, Factory
from tests.pay.floor_flow import project_raised_to_the_floor
from tests.pay.helpers import balances
from tests.workforce.helpers import move_back

pytestmark = pytest.mark.browser
THRESHOLDS = ["1.1", "1.2", "2.1", "2.2", "3.1", "3.2", "4.1", "4.2", "5.1", "5.2"]


def funded_project(factory: Factory) -> Team:
    """Through the API: refused below the Kenyan floor and while unfunded, then active."""
    owner, project = project_raised_to_the_floor(
        factory, questions=QUESTIONS, guidelines=GUIDELINES
    )
    team = Team(owner, factory.worker(), project["id"])
    rows = [{"external_id": f"f{n}", "fields": {"text": f"Oh great, {n}."}} for n in range(2)]
    team.import_items(rows)
    return team


def switch_to(session: Session, account: Account) -> None:
    """One browser, people taking turns: sign out by dropping the cookies, sign in."""
    session.page.context.clear_cookies()
    session.sign_in(account)


def label_two(session: Session, team: Team) -> None:
    """The worker reads the pay before accepting, then labels both items by keyboard."""
    page = session.page
    card = page.locator("article", has_text="What is the sentiment?")
    assert "0.60 USD per item, about 60 s each: 36.00 USD an hour" in card.inner_text()
    session.open_workspace(team.project_id)
    for _ in range(2):
        item = session.current_item()
        page.keyboard.press("1")  # positive
        page.keyboard.press("Enter")
        session.wait_for_next_item(item)
    page.wait_for_selector(".fl-empty")
    session.screenshot("flow-labelled")


def reject_first(session: Session, team: Team) -> dict[str, Any]:
    """The reviewer rejects the first work with a reason and a section, and leaves the
    second unreviewed (its pay waits for the review deadline)."""
    open_review(session, team.project_id)
    page = session.page
    page.get_by_role("button", name="Reject").click()
    form = page.locator("form.fl-reject")
    form.get_by_label("Reason").select_option("wrong_answer")
    form.get_by_label("Guideline section").select_option("Sarcasm")
    form.get_by_label("Comment (optional)").fill("reads as sarcasm")
    form.get_by_role("button", name="Reject").click()
    page.locator(".fl-notice").wait_for()
    session.screenshot("flow-rejected")
    (rejection,) = project_reviews(team)
    assert rejection["verdict"] == "reject" and rejection["guideline_ref"] == "Sarcasm"
    return rejection


def appeal(session: Session, factory: Factory, team: Team, rejection: dict[str, Any]) -> None:
    """The worker sees the rejection, appeals it; nobody answers by the deadline (moved into
    the past in its row), and the appeal is decided for the worker."""
    page = session.page
    page.goto(f"{session.base_url}/history")
    verdict = page.locator("article.verdict-reject").inner_text()
    assert "The answer is wrong" in verdict and "Sarcasm" in verdict
    page.goto(f"{session.base_url}/appeals")
    statement = page.get_by_label(f"Rejection (wrong_answer) of item {rejection['item_id']}")
    statement.fill("There is no sarcasm here; it is plainly positive.")
    page.get_by_role("button", name="Appeal").click()
    page.wait_for_url(f"{session.base_url}/appeals")
    mine = page.locator("section[aria-labelledby=appeals] li")
    assert "open" in mine.inner_text() and "decision due by" in mine.inner_text()
    session.screenshot("flow-appealed")
    (filed,) = team.worker.get("/api/me/appeals").json()
    move_back(factory.database, Appeal, filed["id"], 0.01, "due_at")
    page.reload()
    decided = mine.inner_text()
    assert "upheld" in decided and "open" not in decided
    session.screenshot("flow-appeal-upheld")


def approve_and_pay(session: Session, factory: Factory, team: Team) -> Path:
    """The operator's payouts page: the sweep button (nothing due yet), the sweep with a
    clock past the deadline, the run, and the batch downloaded; its path."""
    page = session.page
    page.get_by_role("link", name="Payouts").click()  # the header's link
    page.get_by_role("button", name="Approve due pay").click()
    assert "Nothing was past its review deadline" in page.locator("[role=status]").inner_text()
    with factory.database.session() as db:
        assert pay_service.approve_due(db, now=utcnow() + timedelta(hours=73)) == 1
    assert balances(factory.database, team.worker.user_id)["approved"] == 120
    page.reload()
    due = page.locator("tr[data-currency=USD]").inner_text()
    assert "1.20 USD" in due
    session.screenshot("flow-payout-due")
    page.locator("tr[data-currency=USD]").get_by_role("button", name="Run payout").click()
    done = page.locator("[role=status]").inner_text()
    assert "paid 1 worker 1.20 USD" in done
    session.screenshot("flow-payout-run")
    with page.expect_download() as download:
        page.locator("[role=status]").get_by_role("link", name="CSV").click()
    path = download.value.path()
    assert download.value.suggested_filename.endswith("-USD.csv")
    return path


def check_batch(path: Path, worker: str) -> None:
    (row,) = list(csv.DictReader(path.open()))
    assert row["worker"] == worker
    assert (row["amount"], row["amount_minor"], row["currency"]) == ("1.20", "120", "USD")
    assert row["entries"] == "2"


def check_report(session: Session) -> None:
    page = session.page
    page.goto(f"{session.base_url}/reports/fairwork")
    shown = page.locator("article.threshold")
    assert [shown.nth(n).get_attribute("data-threshold") for n in range(10)] == THRESHOLDS
    assert shown.count() == 10
    for held in ("1.1", "4.1"):
        status = page.locator(f"[data-threshold='{held}'] [data-holds]")
        assert status.get_attribute("data-holds") == "True", status.inner_text()
    session.screenshot("flow-fairwork-report")


def test_a_project_from_the_pay_floor_to_the_fairwork_report_in_the_browser(
    session: Session, factory: Factory
) -> None:
    team = funded_project(factory)
    operator = factory.user(operator=True)
    session.sign_in(team.worker)
    label_two(session, team)
    assert balances(factory.database, team.worker.user_id)["pending"] == 120

    switch_to(session, factory.worker())
    rejection = reject_first(session, team)
    assert balances(factory.database, team.worker.user_id)["approved"] == 60  # pay kept

    switch_to(session, team.worker)
    appeal(session, factory, team, rejection)

    switch_to(session, operator)
    batch = approve_and_pay(session, factory, team)
    check_batch(batch, team.annotations()[0]["worker"])
    check_report(session)

    switch_to(session, team.worker)
    session.page.goto(f"{session.base_url}/earnings")
    totals = session.page.locator("section[aria-label='Totals in USD']").inner_text()
    assert "Paid\n1.20 USD" in totals and "Pending\n0.00 USD" in totals
    session.screenshot("flow-earnings-paid")
