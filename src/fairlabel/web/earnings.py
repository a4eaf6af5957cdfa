"""Pay pages: a worker's earnings (pending, approved and paid, and every entry with its task
and verdict, paged by entry), the operator's page of pay floors, editable in place, and the
operator's payouts page: what is due per currency, the run and the review-deadline sweep as
buttons, and every past run's batch to download again."""

import re
from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from fairlabel.auth import policies
from fairlabel.auth.policies import Principal
from fairlabel.db import utcnow
from fairlabel.deps import SessionDep, SettingsDep
from fairlabel.errors import FairlabelError, ValidationFailed
from fairlabel.models import Payout
from fairlabel.pay import batches, earnings, floors, payouts, service
from fairlabel.pay.floors import money
from fairlabel.pay.schemas import FloorIn
from fairlabel.web.profile import context as page_context
from fairlabel.web.routes import (
    PagePrincipal,
    SignedIn,
    check_form_csrf,
    page_error,
    templates,
)

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


def pay_line(project: floors.PayPolicy) -> str:
    """What a task pays, as a worker reads it before accepting."""
    hourly = money(round(floors.hourly_minor(project)), project.currency)
    if project.pay_basis == "hour":
        return f"{hourly} an hour of measured time"
    rate = money(floors.label_rate(project), project.currency)
    return f"{rate} per item, about {project.estimated_seconds} s each: {hourly} an hour"


templates.env.globals.update(pay_line=pay_line)


def _refusal(request: Request, principal: Principal, error: FairlabelError, title: str) -> Response:
    """A page with the refusal's message and status."""
    return page_error(request, page_context(principal), error.status_code, title, error.message)


@router.get("/earnings", response_class=HTMLResponse)
def earnings_page(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    principal: SignedIn,
    before: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """Totals per currency with when the schedule pays them, and every entry behind them."""
    rows = earnings.entries(db, principal.id, before=before, limit=PAGE_SIZE)
    totals = earnings.totals(db, principal.id)
    now = utcnow()
    context = {
        "principal": principal,
        "csrf_token": principal.csrf_token,
        "totals": totals,
        "next_payout": {
            currency: payouts.next_run_by(db, currency, settings.payout_every_days, now)
            for currency in totals
        },
        "payout_every_days": settings.payout_every_days,
        "payout_minimum": settings.payout_minimum_minor,
        "entries": rows,
        "older": rows[-1]["id"] if len(rows) == PAGE_SIZE else None,
        "money": money,
    }
    return templates.TemplateResponse(request, "earnings.html", context)


@router.get("/pay/floors", response_class=HTMLResponse)
def floors_page(request: Request, db: SessionDep, principal: SignedIn) -> Response:
    return _floors(request, db, principal, None)


def _floors(
    request: Request, db: SessionDep, principal: PagePrincipal, error: str | None, status: int = 200
) -> Response:
    context = {
        "principal": principal,
        "csrf_token": principal.csrf_token if principal else None,
        "floors": floors.list_floors(db),
        "rates": floors.list_rates(db),
        "can_edit": bool(principal and principal.is_operator),
        "error": error,
        "money": money,
    }
    return templates.TemplateResponse(request, "pay_floors.html", context, status_code=status)


@router.post("/pay/floors/{country}", response_class=HTMLResponse)
def edit_floor(
    request: Request,
    country: str,
    db: SessionDep,
    principal: SignedIn,
    hourly_minor: Annotated[int, Form()],
    source_url: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """The operator changes a floor's hourly amount and source; the rest stays."""
    try:
        check_form_csrf(principal, csrf_token)
        policies.require_operator(principal)
        floor = floors.floor_of(db, country)
        body = FloorIn(
            name=floor.name,
            currency=floor.currency,
            hourly_minor=hourly_minor,
            effective_date=floor.effective_date,
            source_url=source_url or floor.source_url,
            notes=floor.notes,
        )
        floors.set_floor(db, country, body.model_dump(), principal.id)
    except FairlabelError as error:
        return _refusal(request, principal, error, "Floor not changed")
    except ValueError as error:  # the amount failed FloorIn's checks
        return _floors(request, db, principal, str(error), 422)
    return RedirectResponse("/pay/floors", status_code=303)


# --- payouts ------------------------------------------------------------------------------


def _not_an_operator(request: Request, principal: Principal) -> Response | None:
    """The page that says why, for anyone but an operator; None for an operator."""
    try:
        policies.require_operator(principal)
    except FairlabelError as error:
        return _refusal(request, principal, error, "Operators only")
    return None


@router.get("/pay/payouts", response_class=HTMLResponse)
def payouts_page(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    principal: SignedIn,
    ran: Annotated[int | None, Query(ge=1)] = None,
    approved: Annotated[int | None, Query(ge=0)] = None,
    nothing: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
) -> Response:
    """`ran`, `approved` and `nothing` are what the last button did, said once on the page."""
    refused = _not_an_operator(request, principal)
    if refused:
        return refused
    minimum = settings.payout_minimum_minor
    context = page_context(
        principal,
        due=batches.due_now(db, minimum),
        minimum=minimum,
        every_days=settings.payout_every_days,
        payouts=batches.recent(db),
        ran=db.get(Payout, ran) if ran else None,
        approved=approved,
        nothing=nothing,
        money=money,
    )
    return templates.TemplateResponse(request, "payouts.html", context)


def _operator_action(
    request: Request, db: Session, principal: Principal, csrf_token: str, action: Callable[[], str]
) -> Response:
    """CSRF and the operator policy, then the action, which answers where to go next; a
    refusal rolls back whatever the action wrote and is a page that says why."""
    try:
        check_form_csrf(principal, csrf_token)
        policies.require_operator(principal)
        done = action()
    except FairlabelError as error:
        db.rollback()
        return _refusal(request, principal, error, "Not done")
    return RedirectResponse(done, status_code=303)


@router.post("/pay/payouts/run", response_class=HTMLResponse)
def run_payout(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    principal: SignedIn,
    currency: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Run a payout in one currency, unless nothing is due there: then nothing is written
    (the API's run would record an empty Payout), and the page says so."""

    def run() -> str:
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise ValidationFailed(
                "not a currency", field="currency", value=currency, expected="such as USD"
            )
        minimum = settings.payout_minimum_minor
        if not payouts.due_lines(db, currency, minimum):
            return f"/pay/payouts?nothing={currency}"
        payout, _lines = payouts.run_payout(db, currency, minimum=minimum, actor_id=principal.id)
        return f"/pay/payouts?ran={payout.id}"

    return _operator_action(request, db, principal, csrf_token, run)


@router.post("/pay/payouts/approve-due", response_class=HTMLResponse)
def approve_due(
    request: Request,
    db: SessionDep,
    principal: SignedIn,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """The review-deadline sweep now, rather than at its next scheduled run."""

    def sweep() -> str:
        return f"/pay/payouts?approved={service.approve_due(db)}"

    return _operator_action(request, db, principal, csrf_token, sweep)


@router.get("/pay/payouts/{payout_id}/batch.{file_format}")
def download_batch(
    request: Request,
    payout_id: int,
    file_format: Literal["csv", "json"],
    db: SessionDep,
    principal: SignedIn,
) -> Response:
    """A past payout's batch for the payment provider, as a file, as often as needed."""
    refused = _not_an_operator(request, principal)
    if refused:
        return refused
    try:
        payout = batches.get_payout(db, payout_id)
    except FairlabelError as error:
        return _refusal(request, principal, error, "No such payout")
    lines = batches.lines_of(db, payout)
    name = f"payout-{payout.id}-{payout.currency}.{file_format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if file_format == "csv":
        return Response(payouts.batch_csv(payout, lines), media_type="text/csv", headers=headers)
    body = batches.batch_out(payout, lines).model_dump(mode="json")
    return JSONResponse(body, headers=headers)
