"""The operators' pay pages: the pay floors, editable in place (everyone may read them),
and the payouts page: what is due per currency, the run and the review-deadline sweep as
buttons, and every past run's batch to download again."""

import re
from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from fairlabel.auth import policies
from fairlabel.auth.policies import Principal
from fairlabel.deps import SessionDep, SettingsDep
from fairlabel.errors import ValidationFailed
from fairlabel.models import Payout
from fairlabel.pay import batches, floors, payouts, service
from fairlabel.pay.floors import money
from fairlabel.pay.schemas import FloorIn
from fairlabel.web.pages import PagePrincipal, SignedIn, check_form_csrf, context, render, titled

router = APIRouter(include_in_schema=False)


@router.get("/pay/floors", response_class=HTMLResponse)
def floors_page(request: Request, db: SessionDep, principal: SignedIn) -> Response:
    return _floors(request, db, principal, None)


def _floors(
    request: Request, db: SessionDep, principal: PagePrincipal, error: str | None, status: int = 200
) -> Response:
    values = context(
        principal,
        floors=floors.list_floors(db),
        rates=floors.list_rates(db),
        can_edit=bool(principal and principal.is_operator),
        error=error,
        money=money,
    )
    return render(request, "pay_floors.html", values, status)


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
    with titled("Floor not changed"):
        check_form_csrf(principal, csrf_token)
        policies.require_operator(principal)
        floor = floors.floor_of(db, country)
        try:
            body = FloorIn(
                name=floor.name,
                currency=floor.currency,
                hourly_minor=hourly_minor,
                effective_date=floor.effective_date,
                source_url=source_url or floor.source_url,
                notes=floor.notes,
            )
        except ValueError as error:  # the amount failed FloorIn's checks
            return _floors(request, db, principal, str(error), 422)
        floors.set_floor(db, country, body.model_dump(), principal.id)
    return RedirectResponse("/pay/floors", status_code=303)


# --- payouts ------------------------------------------------------------------------------


def _require_operator(principal: Principal) -> None:
    with titled("Operators only"):
        policies.require_operator(principal)


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
    _require_operator(principal)
    minimum = settings.payout_minimum_minor
    values = context(
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
    return render(request, "payouts.html", values)


def _operator_action(principal: Principal, csrf_token: str, action: Callable[[], str]) -> Response:
    """CSRF and the operator policy, then the action, which answers where to go next; a
    refusal rolls back whatever the action wrote (the request's transaction) and is a page
    that says why."""
    with titled("Not done"):
        check_form_csrf(principal, csrf_token)
        policies.require_operator(principal)
        done = action()
    return RedirectResponse(done, status_code=303)


@router.post("/pay/payouts/run", response_class=HTMLResponse)
def run_payout(
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

    return _operator_action(principal, csrf_token, run)


@router.post("/pay/payouts/approve-due", response_class=HTMLResponse)
def approve_due(
    db: SessionDep,
    principal: SignedIn,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """The review-deadline sweep now, rather than at its next scheduled run."""

    def sweep() -> str:
        return f"/pay/payouts?approved={service.approve_due(db)}"

    return _operator_action(principal, csrf_token, sweep)


@router.get("/pay/payouts/{payout_id}/batch.{file_format}")
def download_batch(
    payout_id: int,
    file_format: Literal["csv", "json"],
    db: SessionDep,
    principal: SignedIn,
) -> Response:
    """A past payout's batch for the payment provider, as a file, as often as needed."""
    _require_operator(principal)
    with titled("No such payout"):
        payout = batches.get_payout(db, payout_id)
    lines = batches.lines_of(db, payout)
    name = f"payout-{payout.id}-{payout.currency}.{file_format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if file_format == "csv":
        return Response(payouts.batch_csv(payout, lines), media_type="text/csv", headers=headers)
    body = batches.batch_out(payout, lines).model_dump(mode="json")
    return JSONResponse(body, headers=headers)
