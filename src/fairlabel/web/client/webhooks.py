"""The webhooks pages: an organization's receivers, and for owners and managers the form
to add one (its signing secret shown once, on the page that answers the form) and to
remove one; each receiver's deliveries with every attempt, its answer or its error."""

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from fairlabel.auth.policies import Principal
from fairlabel.deps import SessionDep
from fairlabel.errors import FairlabelError
from fairlabel.organizations import service as org_service
from fairlabel.web.pages import SignedIn, check_form_csrf, context, render, titled
from fairlabel.webhooks import events, policies, service
from fairlabel.webhooks.events import EVENT_TYPES
from fairlabel.webhooks.schemas import ReceiverCreate

router = APIRouter(include_in_schema=False)


@router.get("/organizations/{organization_id}/webhooks", response_class=HTMLResponse)
def receivers_page(
    request: Request, organization_id: int, db: SessionDep, principal: SignedIn
) -> Response:
    return _page(request, db, principal, organization_id)


def _page(
    request: Request,
    db: Session,
    principal: Principal,
    organization_id: int,
    *,
    values: dict[str, object] | None = None,
    error: str | None = None,
    created: tuple[int, str] | None = None,
    status: int = 200,
) -> Response:
    with titled("Organization not found"):
        policies.view_webhooks(principal, organization_id)
        organization = org_service.get_organization(db, organization_id)
    page = context(
        principal,
        organization=organization,
        receivers=[service.describe(r) for r in service.list_receivers(db, organization_id)],
        event_types=EVENT_TYPES,
        can_manage=policies.can_manage(principal, organization_id),
        values=values or {"events": []},
        error=error,
        created=created,
        done=request.query_params.get("done", ""),
    )
    return render(request, "client/webhooks.html", page, status)


@router.post("/organizations/{organization_id}/webhooks", response_class=HTMLResponse)
async def add_receiver(
    request: Request, organization_id: int, db: SessionDep, principal: SignedIn
) -> Response:
    form = await request.form()
    check_form_csrf(principal, str(form.get("csrf_token", "")))
    values: dict[str, object] = {
        "url": str(form.get("url", "")).strip(),
        "description": str(form.get("description", "")),
        "events": [str(v) for v in form.getlist("events")],
    }
    return await run_in_threadpool(_add, request, db, principal, organization_id, values)


def _add(
    request: Request,
    db: Session,
    principal: Principal,
    organization_id: int,
    values: dict[str, object],
) -> Response:
    db.commit()  # the sign-in lookup's transaction ends before the URL's host is resolved
    try:
        policies.manage_webhooks(principal, organization_id)
        body = ReceiverCreate.model_validate(values)
        receiver, secret = service.create_receiver(db, organization_id, body, principal.id)
    except FairlabelError as refused:
        db.rollback()
        expected = f" (expected: {refused.expected})" if refused.expected else ""
        message = f"{refused.message}{expected}"
        return _page(
            request,
            db,
            principal,
            organization_id,
            values=values,
            error=message,
            status=refused.status_code,
        )
    except ValidationError as invalid:
        db.rollback()
        problem = invalid.errors()[0]
        message = f"{'.'.join(str(p) for p in problem['loc'])}: {problem['msg']}"
        return _page(
            request, db, principal, organization_id, values=values, error=message, status=422
        )
    db.commit()
    return _page(request, db, principal, organization_id, created=(receiver.id, secret), status=201)


@router.post("/webhooks/{receiver_id}/delete", response_class=HTMLResponse)
async def remove_receiver(
    request: Request, receiver_id: int, db: SessionDep, principal: SignedIn
) -> Response:
    form = await request.form()
    check_form_csrf(principal, str(form.get("csrf_token", "")))
    return await run_in_threadpool(_remove, db, principal, receiver_id)


def _remove(db: Session, principal: Principal, receiver_id: int) -> Response:
    with titled(_title):
        receiver = policies.managed_receiver(db, principal, receiver_id)
    organization_id = receiver.organization_id
    service.delete_receiver(db, receiver)
    return RedirectResponse(f"/organizations/{organization_id}/webhooks?done=removed", 303)


@router.post("/webhooks/{receiver_id}/test", response_class=HTMLResponse)
async def test_receiver(
    request: Request, receiver_id: int, db: SessionDep, principal: SignedIn
) -> Response:
    form = await request.form()
    check_form_csrf(principal, str(form.get("csrf_token", "")))
    return await run_in_threadpool(_test, db, principal, receiver_id)


def _test(db: Session, principal: Principal, receiver_id: int) -> Response:
    with titled(_title):
        receiver = policies.managed_receiver(db, principal, receiver_id)
    events.ping(db, receiver, principal.id)
    return RedirectResponse(f"/webhooks/{receiver_id}?done=tested", 303)


@router.get("/webhooks/{receiver_id}", response_class=HTMLResponse)
def deliveries_page(
    request: Request, receiver_id: int, db: SessionDep, principal: SignedIn
) -> Response:
    status = request.query_params.get("status") or None
    with titled(_title):
        receiver = policies.visible_receiver(db, principal, receiver_id)
        found = service.list_deliveries(db, receiver.id, status, 100)
    page = context(
        principal,
        receiver=service.describe(receiver),
        deliveries=found,
        status=status or "",
        can_manage=policies.can_manage(principal, receiver.organization_id),
        done=request.query_params.get("done", ""),
    )
    return render(request, "client/webhook_deliveries.html", page)


def _title(error: FairlabelError) -> str:
    return "Webhook receiver not found" if error.status_code == 404 else "You cannot do this"
