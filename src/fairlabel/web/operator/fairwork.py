"""The operators' Fairwork report: the ten thresholds computed from the recorded data."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from fairlabel.auth import policies
from fairlabel.deps import SessionDep, SettingsDep
from fairlabel.reports import fairwork
from fairlabel.web.pages import SignedIn, context, render, titled

router = APIRouter(include_in_schema=False)


@router.get("/reports/fairwork", response_class=HTMLResponse)
def fairwork_page(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    principal: SignedIn,
    since: Annotated[date | None, Query()] = None,
) -> Response:
    with titled("Operators only"):
        policies.require_operator(principal)
    values = context(principal, report=fairwork.report(db, settings, since))
    return render(request, "wellness/fairwork.html", values)
