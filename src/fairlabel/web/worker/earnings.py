"""A worker's earnings: pending, approved and paid per currency with when the schedule pays
them, and every entry with its task and verdict, paged by entry."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from fairlabel.db import utcnow
from fairlabel.deps import SessionDep, SettingsDep
from fairlabel.pay import earnings, payouts
from fairlabel.pay.floors import money
from fairlabel.web.pages import SignedIn, context, render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


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
    values = context(
        principal,
        totals=totals,
        next_payout={
            currency: payouts.next_run_by(db, currency, settings.payout_every_days, now)
            for currency in totals
        },
        payout_every_days=settings.payout_every_days,
        payout_minimum=settings.payout_minimum_minor,
        entries=rows,
        older=rows[-1]["id"] if len(rows) == PAGE_SIZE else None,
        money=money,
    )
    return render(request, "earnings.html", values)
