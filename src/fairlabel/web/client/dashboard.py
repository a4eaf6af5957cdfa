"""A project's dashboard for its client: progress, throughput, per-worker counts by
pseudonym, time per item, the budget with its fund and refund forms, and the pay line
workers see."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from fairlabel.auth import policies
from fairlabel.auth.policies import Principal
from fairlabel.deps import SessionDep
from fairlabel.errors import FairlabelError
from fairlabel.models import Project
from fairlabel.pay import service as pay_service
from fairlabel.pay.floors import money
from fairlabel.pay.schemas import MAX_AMOUNT, FundingIn, RefundIn
from fairlabel.web.client import stats
from fairlabel.web.forms import text_fields, to_minor
from fairlabel.web.pages import (
    ManagedProject,
    MemberProject,
    SignedIn,
    check_form_csrf,
    context,
    render,
)

router = APIRouter(include_in_schema=False)


@router.get("/projects/{project_id}", response_class=HTMLResponse)
def project_dashboard(
    request: Request, project: MemberProject, db: SessionDep, principal: SignedIn
) -> Response:
    """Progress, throughput, per-worker counts by pseudonym, time per item, the budget and
    the pay line workers see."""
    return _dashboard_page(request, db, principal, project)


def _dashboard_page(
    request: Request,
    db: Session,
    principal: Principal,
    project: Project,
    budget_errors: dict[str, str] | None = None,
    amounts: dict[str, str] | None = None,
) -> Response:
    values = context(
        principal,
        project=project,
        stats=stats.dashboard(db, project),
        can_manage=policies.manages_project(principal, project),
        budget=pay_service.budget(db, project),
        money=money,
        errors=budget_errors or {},
        amounts=amounts or {},
        done=request.query_params.get("budget", ""),
    )
    status = 422 if budget_errors else 200
    return render(request, "client/dashboard.html", values, status)


@router.post("/projects/{project_id}/fund", response_class=HTMLResponse)
async def fund_project(
    request: Request, project: ManagedProject, db: SessionDep, principal: SignedIn
) -> Response:
    """Funding in major units, through the same service and FundingIn checks as the API;
    owners and managers only."""
    return await _budget_form(request, db, principal, project, "fund")


@router.post("/projects/{project_id}/refund", response_class=HTMLResponse)
async def refund_project(
    request: Request, project: ManagedProject, db: SessionDep, principal: SignedIn
) -> Response:
    """Unused budget back to the organization (blank: all of it), through RefundIn and the
    API's service; owners and managers only."""
    return await _budget_form(request, db, principal, project, "refund")


async def _budget_form(
    request: Request, db: Session, principal: Principal, project: Project, action: str
) -> Response:
    """One handler for the budget card's two forms: the amount in major units, the API's
    schema and service, and the error under the form's own field."""
    data = await text_fields(request)
    check_form_csrf(principal, data.get("csrf_token", ""))
    element = "f-amount" if action == "fund" else "r-amount"
    text = data.get("amount", "").strip()
    errors: dict[str, str] = {}
    minor = to_minor(errors.setdefault, element, text, project.currency)
    if not errors:
        try:
            _move_budget(db, project, action, minor, principal.id)
        except ValidationError:
            errors[element] = _amount_message(project.currency)
        except FairlabelError as error:
            db.rollback()
            errors[element] = error.message
    if errors:
        return _dashboard_page(request, db, principal, project, errors, {element: text})
    return RedirectResponse(
        f"/projects/{project.id}?budget={action}ed#budget-heading", status_code=303
    )


def _move_budget(
    db: Session, project: Project, action: str, minor: int | None, actor_id: int
) -> None:
    if action == "fund":
        body = FundingIn(amount_minor=minor or 0, currency=project.currency)
        pay_service.fund(db, project, body.amount_minor, body.currency, actor_id)
    else:
        refund = RefundIn(amount_minor=minor)
        pay_service.refund(db, project, refund.amount_minor, actor_id)


def _amount_message(currency: str) -> str:
    """The amount's bounds in major units, as the forms ask for them."""
    most = money(MAX_AMOUNT, currency)
    return f"expected an amount above 0 and at most {most}"
