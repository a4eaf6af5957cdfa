"""Pay API: project funding and bonuses, pay floors and exchange rates (operator), payout
runs (operator), and a worker's earnings."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import PlainTextResponse
from sqlalchemy.orm import Session

from fairlabel.auth import policies
from fairlabel.auth.policies import Principal
from fairlabel.config import Settings
from fairlabel.db import utcnow
from fairlabel.deps import CurrentPrincipal, SessionDep, SettingsDep
from fairlabel.errors import NotFound, ValidationFailed
from fairlabel.pay import batches, earnings, floors, payouts, service
from fairlabel.pay.schemas import (
    BonusIn,
    BudgetOut,
    EarningEntry,
    EarningsOut,
    FloorIn,
    FloorOut,
    FundingIn,
    PayoutBatchOut,
    PayoutOut,
    RateIn,
    RateOut,
    RefundIn,
    ReloadOut,
    SweepOut,
    Totals,
)
from fairlabel.projects import service as project_service

router = APIRouter(tags=["pay"])


def _budget_out(budget: service.Budget) -> BudgetOut:
    return BudgetOut(**budget._asdict(), available_minor=budget.available_minor)


@router.post(
    "/projects/{project_id}/funding",
    operation_id="fund_project",
    status_code=status.HTTP_201_CREATED,
)
def fund_project(
    project_id: int, body: FundingIn, principal: CurrentPrincipal, db: SessionDep
) -> BudgetOut:
    """Put money in the project's escrow budget (owner or manager; its currency only)."""
    project = project_service.get_project(db, project_id)
    policies.manage_project(principal, project)
    funded = service.fund(db, project, body.amount_minor, body.currency, principal.id)
    return _budget_out(funded)


@router.post(
    "/projects/{project_id}/refunds",
    operation_id="refund_project_budget",
    status_code=status.HTTP_201_CREATED,
)
def refund_project(
    project_id: int, body: RefundIn, principal: CurrentPrincipal, db: SessionDep
) -> BudgetOut:
    """Return unused escrow to the client (owner or manager); what tasks in progress may
    still earn stays in the budget."""
    project = project_service.get_project(db, project_id)
    policies.manage_project(principal, project)
    return _budget_out(service.refund(db, project, body.amount_minor, principal.id))


@router.get("/projects/{project_id}/budget", operation_id="get_project_budget")
def get_budget(project_id: int, principal: CurrentPrincipal, db: SessionDep) -> BudgetOut:
    project = project_service.get_project(db, project_id)
    policies.read_project_data(principal, project)
    return _budget_out(service.budget(db, project))


@router.post(
    "/projects/{project_id}/bonuses",
    operation_id="give_bonus",
    status_code=status.HTTP_204_NO_CONTENT,
)
def give_bonus(project_id: int, body: BonusIn, principal: CurrentPrincipal, db: SessionDep) -> None:
    """A bonus from the budget to a worker of the project, with a reason they see."""
    project = project_service.get_project(db, project_id)
    policies.manage_project(principal, project)
    service.bonus(db, project, body.worker_id, body.amount_minor, body.reason, principal.id)


# --- floors and exchange rates ------------------------------------------------------------


@router.get("/pay/floors", operation_id="list_pay_floors")
def list_floors(principal: CurrentPrincipal, db: SessionDep) -> list[FloorOut]:
    """Anyone signed in may read the floors: workers see what pay is checked against."""
    return [FloorOut.model_validate(floor) for floor in floors.list_floors(db)]


@router.put("/pay/floors/{country}", operation_id="set_pay_floor")
def set_floor(
    country: str,
    body: FloorIn,
    principal: CurrentPrincipal,
    db: SessionDep,
) -> FloorOut:
    policies.require_operator(principal)
    _check_code(country, 2, "an ISO 3166 country code, such as KE")
    return FloorOut.model_validate(floors.set_floor(db, country, body.model_dump(), principal.id))


def _check_code(code: str, length: int, expected: str) -> None:
    if len(code) != length or not code.isalpha() or not code.isupper():
        raise ValidationFailed("not a valid code", field="code", value=code, expected=expected)


@router.post("/pay/floors/reload", operation_id="reload_pay_floors")
def reload_floors(principal: CurrentPrincipal, db: SessionDep) -> ReloadOut:
    """Replace every floor with the data shipped with this version (edits are lost)."""
    policies.require_operator(principal)
    return ReloadOut(floors=floors.load_shipped(db, replace=True, actor_id=principal.id))


@router.get("/pay/exchange-rates", operation_id="list_exchange_rates")
def list_rates(principal: CurrentPrincipal, db: SessionDep) -> list[RateOut]:
    return [RateOut.model_validate(rate) for rate in floors.list_rates(db)]


@router.put("/pay/exchange-rates/{currency}", operation_id="set_exchange_rate")
def set_rate(currency: str, body: RateIn, principal: CurrentPrincipal, db: SessionDep) -> RateOut:
    policies.require_operator(principal)
    _check_code(currency, 3, "an ISO 4217 currency code, such as KES")
    rate = floors.set_rate(db, currency, body.per_usd, body.as_of, body.source, principal.id)
    return RateOut.model_validate(rate)


# --- payouts ------------------------------------------------------------------------------


@router.post("/pay/approve-due", operation_id="approve_due_pay")
def approve_due(principal: CurrentPrincipal, db: SessionDep) -> SweepOut:
    """Approve pending pay past its project's review deadline now (it also runs by itself)."""
    policies.require_operator(principal)
    return SweepOut(approved=service.approve_due(db))


@router.post(
    "/payouts",
    operation_id="run_payout",
    status_code=status.HTTP_201_CREATED,
    response_model=PayoutBatchOut,
    responses={200: {"content": {"text/csv": {}}}},
)
def run_payout(
    principal: CurrentPrincipal,
    db: SessionDep,
    settings: SettingsDep,
    currency: Annotated[str, Query(pattern=r"^[A-Z]{3}$")],
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> PayoutBatchOut | Response:
    """Pay every approved balance of at least the deployment's minimum in one currency; the
    answer is the batch for the payment provider."""
    policies.require_operator(principal)
    payout, lines = payouts.run_payout(
        db, currency, minimum=settings.payout_minimum_minor, actor_id=principal.id
    )
    if format == "csv":
        return PlainTextResponse(
            payouts.batch_csv(payout, lines), status_code=201, media_type="text/csv"
        )
    return batches.batch_out(payout, lines)


@router.get("/payouts", operation_id="list_payouts")
def list_payouts(principal: CurrentPrincipal, db: SessionDep) -> list[PayoutOut]:
    """The latest payout runs, newest first (operator)."""
    policies.require_operator(principal)
    return [PayoutOut.model_validate(p) for p in batches.recent(db)]


@router.get(
    "/payouts/{payout_id}",
    operation_id="get_payout_batch",
    response_model=PayoutBatchOut,
    responses={200: {"content": {"text/csv": {}}}},
)
def get_payout_batch(
    payout_id: int,
    principal: CurrentPrincipal,
    db: SessionDep,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> PayoutBatchOut | Response:
    """A past run's batch again, rebuilt line for line from the ledger (operator)."""
    policies.require_operator(principal)
    payout = batches.get_payout(db, payout_id)
    lines = batches.lines_of(db, payout)
    if format == "csv":
        return PlainTextResponse(payouts.batch_csv(payout, lines), media_type="text/csv")
    return batches.batch_out(payout, lines)


# --- earnings -----------------------------------------------------------------------------

Before = Annotated[int | None, Query(ge=1, description="an entry id: older ones only")]
Limit = Annotated[int, Query(ge=1, le=500)]


@router.get("/me/earnings", operation_id="my_earnings")
def my_earnings(
    principal: CurrentPrincipal,
    db: SessionDep,
    settings: SettingsDep,
    before: Before = None,
    limit: Limit = 50,
) -> EarningsOut:
    """Pending, approved and paid per currency, and the entries behind them, newest first."""
    return earnings_out(db, settings, principal.id, before, limit)


@router.get("/workers/{worker_id}/earnings", operation_id="worker_earnings")
def worker_earnings(
    worker_id: int,
    principal: CurrentPrincipal,
    db: SessionDep,
    settings: SettingsDep,
    before: Before = None,
    limit: Limit = 50,
) -> EarningsOut:
    """A worker's earnings: the worker themself or an operator; to anyone else, 404."""
    _view_earnings(principal, worker_id)
    return earnings_out(db, settings, worker_id, before, limit)


def _view_earnings(principal: Principal, worker_id: int) -> None:
    if principal.id != worker_id and not principal.is_operator:
        raise NotFound(
            "no such worker", field="worker_id", value=worker_id, expected="your own worker id"
        )


def earnings_out(
    db: Session, settings: Settings, worker_id: int, before: int | None, limit: int
) -> EarningsOut:
    now = utcnow()
    totals = {
        currency: Totals(
            **{f"{state}_minor": amount for state, amount in states.items()},
            next_payout_by=payouts.next_run_by(db, currency, settings.payout_every_days, now),
        )
        for currency, states in earnings.totals(db, worker_id).items()
    }
    rows = earnings.entries(db, worker_id, before=before, limit=limit)
    return EarningsOut(
        totals=totals,
        entries=[EarningEntry(**row) for row in rows],
        older=rows[-1]["id"] if len(rows) == limit else None,
    )
