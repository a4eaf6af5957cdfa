"""Unused escrow back to the client, through the API and the dashboard form: never what
leases out now may still earn, and every bad request refused with nothing changed."""

import re
from typing import Any

import pytest
from sqlalchemy import select

from fairlabel.models import LedgerEntry
from tests.factories import Factory
from tests.pay.helpers import budget, paid_project, pay_snapshot
from tests.queue.helpers import lease, submit
from tests.web.helpers import page_csrf, sign_in


def refund(account: Any, project_id: int, **body: Any) -> Any:
    return account.post(f"/api/projects/{project_id}/refunds", json=body)


def test_part_of_the_unused_budget_goes_back_to_the_organization(factory: Factory) -> None:
    owner, project, _items = paid_project(factory, fund=500, rates={"label": 50})
    lease(factory.worker(), project["id"])  # 50 committed to a task in progress
    returned = refund(owner, project["id"], amount_minor=200)
    assert returned.status_code == 201, returned.text
    assert returned.json() == {
        "currency": "USD",
        "balance_minor": 300,
        "committed_minor": 50,
        "available_minor": 250,
    }
    with factory.database.session(write=False) as db:
        legs = db.execute(
            select(LedgerEntry.account, LedgerEntry.amount_minor).where(
                LedgerEntry.kind == "refund"
            )
        ).all()
    assert sorted(legs) == sorted(
        [
            (f"project:{project['id']}:budget", -200),
            (f"client:{project['organization_id']}:funding", 200),
        ]
    )


def test_without_an_amount_all_that_is_unused_returns_and_earned_pay_stays_funded(
    factory: Factory,
) -> None:
    owner, project, _items = paid_project(factory, fund=500, rates={"label": 50})
    worker = factory.worker()
    assignment = lease(worker, project["id"])
    returned = refund(owner, project["id"])
    assert returned.status_code == 201, returned.text
    assert returned.json()["balance_minor"] == 50  # the lease out now may still earn it
    assert submit(worker, assignment["id"]).status_code == 201
    after = budget(owner, project["id"])
    assert (after["balance_minor"], after["available_minor"]) == (0, 0)
    before = pay_snapshot(factory.database)
    empty = refund(owner, project["id"])
    assert empty.status_code == 409, empty.text
    assert "nothing in this budget is unused" in empty.json()["error"]["message"]
    assert pay_snapshot(factory.database) == before


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"amount_minor": 501}, 422),
        ({"amount_minor": 0}, 422),
        ({"amount_minor": -5}, 422),
        ({"amount_minor": "all"}, 422),
        ({"amount_minor": 10**13}, 422),
    ],
)
def test_a_bad_refund_is_refused_and_changes_nothing(
    factory: Factory, body: dict[str, Any], status: int
) -> None:
    owner, project, _items = paid_project(factory, fund=500)
    before = pay_snapshot(factory.database)
    response = refund(owner, project["id"], **body)
    assert response.status_code == status, response.text
    assert pay_snapshot(factory.database) == before


def test_more_than_is_unused_names_the_most_that_can_return(factory: Factory) -> None:
    owner, project, _items = paid_project(factory, fund=500, rates={"label": 50})
    lease(factory.worker(), project["id"])
    response = refund(owner, project["id"], amount_minor=451)
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["field"], error["value"]) == ("amount_minor", 451)
    assert error["expected"].startswith("at most 450")


def test_only_the_projects_managers_take_money_back(factory: Factory) -> None:
    _owner, project, _items = paid_project(factory, fund=500)
    stranger, _other_org = factory.owner()
    viewer = factory.user(org_id=project["organization_id"], role="viewer")
    before = pay_snapshot(factory.database)
    assert refund(factory.worker(), project["id"]).status_code == 404
    assert refund(stranger, project["id"]).status_code == 404
    assert refund(viewer, project["id"]).status_code == 403
    assert pay_snapshot(factory.database) == before


def test_the_dashboard_returns_unused_budget_in_major_units(factory: Factory) -> None:
    owner, project, _items = paid_project(factory, fund=2550)
    sign_in(factory.client, owner.email)
    url = f"/projects/{project['id']}"
    token = page_csrf(factory.client)
    for amount, text in [("30", "more than the unused budget"), ("1.001", "at most 2 decimals")]:
        refused = factory.client.post(f"{url}/refund", data={"csrf_token": token, "amount": amount})
        assert refused.status_code == 422
        assert re.search(rf'id="r-amount-error">[^<]*{text}', refused.text), refused.text
    part = factory.client.post(f"{url}/refund", data={"csrf_token": token, "amount": "5.50"})
    assert part.status_code == 200 and "The unused budget was returned" in part.text
    assert 'data-budget="balance">20.00 USD' in part.text
    rest = factory.client.post(f"{url}/refund", data={"csrf_token": token, "amount": ""})
    assert 'data-budget="balance">0.00 USD' in rest.text
    assert 'action="/projects/' + str(project["id"]) + '/refund"' not in rest.text
    assert budget(owner, project["id"])["balance_minor"] == 0
