"""The operator's payouts page through real sign-in and forms: what is due, the run with
its batch to download (again, later, the same as the API answered), a second run with
nothing due that writes nothing, the review-deadline sweep's button, and everyone but an
operator refused with nothing changed."""

import csv
import io
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from fairlabel.models import Project
from tests.factories import Account, Factory
from tests.pay.helpers import balances, paid_project, pay_snapshot
from tests.queue.helpers import lease, submit
from tests.web.helpers import sign_in

PAGE = "/pay/payouts"


def csrf(client: TestClient) -> str:
    page = client.get(PAGE)
    assert page.status_code == 200, page.text
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def work(factory: Factory, project: dict[str, Any], worker: Account | None = None) -> Account:
    """One item labelled by `worker` (a new one if none); its pay is approved on submit in
    a project without review."""
    worker = worker or factory.worker()
    assert submit(worker, lease(worker, project["id"])["id"]).status_code == 201
    return worker


def operator_signed_in(factory: Factory) -> tuple[TestClient, str]:
    sign_in(factory.client, factory.user(operator=True).email)
    return factory.client, csrf(factory.client)


def test_a_run_from_the_page_pays_and_keeps_its_batch(factory: Factory) -> None:
    _owner, project, _items = paid_project(factory, rates={"label": 150})
    worker = work(factory, project)
    client, token = operator_signed_in(factory)
    due = client.get(PAGE).text
    assert re.search(r'data-currency="USD">\s*<td>USD</td>\s*<td>1</td>\s*<td>1.50 USD', due)

    ran = client.post(f"{PAGE}/run", data={"csrf_token": token, "currency": "USD"})
    assert ran.status_code == 200 and "Payout " in ran.text
    (payout_id,) = re.findall(r'data-payout="(\d+)"', ran.text)
    assert f"Payout {payout_id} paid 1 worker 1.50 USD" in ran.text
    assert f'id="payout-{payout_id}"' in ran.text and "No approved balance" not in ran.text
    assert balances(factory.database, worker.user_id)["paid"] == 150

    download = client.get(f"{PAGE}/{payout_id}/batch.csv")
    assert download.headers["content-type"].startswith("text/csv")
    assert f'filename="payout-{payout_id}-USD.csv"' in download.headers["content-disposition"]
    (row,) = csv.DictReader(io.StringIO(download.text))
    assert row["amount"] == "1.50" and row["amount_minor"] == "150" and row["entries"] == "1"
    batch = client.get(f"{PAGE}/{payout_id}/batch.json").json()
    assert batch["payout"]["total_minor"] == 150 and batch["lines"][0]["worker"] == row["worker"]

    before = pay_snapshot(factory.database)
    again = client.post(f"{PAGE}/run", data={"csrf_token": token, "currency": "USD"})
    assert "Nothing is due in USD" in again.text and "No payout was run." in again.text
    assert pay_snapshot(factory.database) == before  # no empty Payout, no entries


def test_a_stored_batch_is_the_one_the_run_answered(factory: Factory) -> None:
    """Batches are rebuilt from the ledger: the same lines, amounts and entry counts as the
    API's run gave, for a worker paid twice and one paid once."""
    operator = factory.user(operator=True)
    _owner, project, _items = paid_project(factory, items=5, rates={"label": 150})
    twice = work(factory, project)
    first = operator.post("/api/payouts", params={"currency": "USD", "format": "csv"})
    work(factory, project, twice)
    work(factory, project, twice)
    work(factory, project)
    second = operator.post("/api/payouts", params={"currency": "USD"})
    assert second.status_code == 201 and len(second.json()["lines"]) == 2

    client, _token = operator_signed_in(factory)
    first_id = next(csv.DictReader(io.StringIO(first.text)))["payout_id"]
    assert client.get(f"{PAGE}/{first_id}/batch.csv").text == first.text
    second_id = second.json()["payout"]["id"]
    assert client.get(f"{PAGE}/{second_id}/batch.json").json() == second.json()
    assert sorted(line["entries"] for line in second.json()["lines"]) == [1, 2]
    assert client.get(f"{PAGE}/{second_id + 1}/batch.csv").status_code == 404


def test_the_sweep_button_says_how_much_it_approved(factory: Factory) -> None:
    """Ledger entries cannot be back-dated, so the project's review deadline is set to none
    in its row (the API asks for at least an hour) to have something past it."""
    workflow = [{"stage": "review", "sample_rate": 1.0}]
    _owner, project, _items = paid_project(
        factory, rates={"label": 150, "review": 5}, workflow=workflow
    )
    worker = work(factory, project)
    client, token = operator_signed_in(factory)
    none_yet = client.post(f"{PAGE}/approve-due", data={"csrf_token": token})
    assert "Nothing was past its review deadline" in none_yet.text
    with factory.database.session() as db:
        db.execute(update(Project).values(review_deadline_hours=0))
    swept = client.post(f"{PAGE}/approve-due", data={"csrf_token": token})
    assert "Approved the pay of 1 task past its review deadline." in swept.text
    assert balances(factory.database, worker.user_id)["approved"] == 150


def test_only_operators_see_or_use_the_payouts_page(factory: Factory) -> None:
    _owner, project, _items = paid_project(factory, rates={"label": 150})
    worker = work(factory, project)
    operator = factory.user(operator=True)
    client = factory.client
    assert client.get(PAGE, follow_redirects=False).headers["location"] == "/login"
    sign_in(client, operator.email)
    assert client.post(f"{PAGE}/run", data={"currency": "USD"}).status_code == 403  # no token
    for person in (worker.email, factory.owner()[0].email):
        client.cookies.clear()
        sign_in(client, person)
        page = client.get(PAGE)
        assert page.status_code == 403 and "Operators only" in page.text
        assert "/pay/payouts" not in page.text  # nor in the header
        own = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert own
        before = pay_snapshot(factory.database)
        for action in ("run", "approve-due"):
            form = {"csrf_token": own.group(1), "currency": "USD"}
            assert client.post(f"{PAGE}/{action}", data=form).status_code == 403
        assert pay_snapshot(factory.database) == before
    assert balances(factory.database, worker.user_id)["approved"] == 150


def test_the_operator_page_and_the_header_link_to_payouts(factory: Factory) -> None:
    client, _token = operator_signed_in(factory)
    page = client.get("/operator").text
    assert page.count('href="/pay/payouts"') == 2  # header and page
    assert client.get(f"{PAGE}/1/batch.txt").status_code == 422
