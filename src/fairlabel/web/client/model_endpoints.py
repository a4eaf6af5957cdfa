"""The model endpoints pages: an organization's OpenAI-compatible endpoints (each with its
key's last four characters and its last test connection), and for owners and managers the
forms to add one, test one and remove one, through the API's schemas and services; a
refusal is shown beside the field it names, with the status the API would answer."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from fairlabel.auth import policies
from fairlabel.auth.policies import Principal
from fairlabel.deps import DatabaseDep, SessionDep
from fairlabel.errors import FairlabelError
from fairlabel.llm import generation, service, usage
from fairlabel.llm import policies as llm_policies
from fairlabel.llm.client import EndpointConfig
from fairlabel.llm.schemas import EndpointCreate, SamplingParams
from fairlabel.models import ModelEndpoint, Organization
from fairlabel.organizations import service as org_service
from fairlabel.web.forms import text_fields
from fairlabel.web.pages import SignedIn, check_form_csrf, context, render, titled

router = APIRouter(include_in_schema=False)

#: The add form's fields: the endpoint's own, then its default sampling parameters.
FIELDS = (
    "name",
    "base_url",
    "model",
    "api_key",
    "max_concurrency",
    "timeout_seconds",
    "max_retries",
    "currency",
    "input_price_per_million",
    "output_price_per_million",
)
SAMPLING_FIELDS = ("temperature", "top_p", "max_tokens", "seed", "stop")


@router.get("/model-endpoints", response_class=HTMLResponse)
def organizations_page(request: Request, db: SessionDep, principal: SignedIn) -> Response:
    """The organizations whose endpoints this person sees; with one, straight to it."""
    query = select(Organization).order_by(Organization.name)
    if not principal.is_operator:
        query = query.where(Organization.id.in_(list(principal.roles)))
    organizations = list(db.scalars(query))
    if len(organizations) == 1:
        return RedirectResponse(f"/organizations/{organizations[0].id}/model-endpoints", 303)
    values = context(principal, organizations=organizations)
    return render(request, "client/model_endpoint_orgs.html", values)


@router.get("/organizations/{organization_id}/model-endpoints", response_class=HTMLResponse)
def endpoints_page(
    request: Request, organization_id: int, db: SessionDep, principal: SignedIn
) -> Response:
    return _page(request, db, principal, organization_id, {}, {}, 200)


def _page(
    request: Request,
    db: Session,
    principal: Principal,
    organization_id: int,
    values: dict[str, str],
    errors: dict[str, str],
    status: int,
) -> Response:
    with titled("Organization not found"):
        llm_policies.view_endpoints(principal, organization_id)
        organization = org_service.get_organization(db, organization_id)
    endpoints = service.list_endpoints(db, organization_id)
    page = context(
        principal,
        organization=organization,
        endpoints=[service.describe(e) for e in endpoints],
        tests=usage.last_tests(db, [e.id for e in endpoints]),
        can_manage=llm_policies.can_manage(principal, organization_id),
        values=values,
        errors=errors,
        done=request.query_params.get("done", ""),
        tested=request.query_params.get("tested", ""),
        sampling_line=sampling_line,
    )
    return render(request, "client/model_endpoints.html", page, status)


@router.post("/organizations/{organization_id}/model-endpoints", response_class=HTMLResponse)
async def add_endpoint(
    request: Request, organization_id: int, db: SessionDep, principal: SignedIn
) -> Response:
    form = await text_fields(request)
    check_form_csrf(principal, form.get("csrf_token", ""))
    return await run_in_threadpool(_add, request, db, principal, organization_id, form)


def _add(
    request: Request,
    db: Session,
    principal: Principal,
    organization_id: int,
    form: dict[str, str],
) -> Response:
    values = {k: v for k, v in form.items() if k in FIELDS + SAMPLING_FIELDS and k != "api_key"}
    db.commit()  # the sign-in lookup's transaction ends before the URL's host is resolved
    try:
        llm_policies.manage_endpoints(principal, organization_id)
        body = EndpointCreate.model_validate(_body(form))
        service.create_endpoint(db, organization_id, body, principal.id)
    except (FairlabelError, ValidationError) as error:
        db.rollback()
        status = error.status_code if isinstance(error, FairlabelError) else 422
        return _page(request, db, principal, organization_id, values, _errors(error), status)
    return RedirectResponse(
        f"/organizations/{organization_id}/model-endpoints?done=added", status_code=303
    )


def _body(form: dict[str, str]) -> dict[str, Any]:
    """The form as the API's body: blank fields left out (the defaults apply), the stop
    sequences one per line."""
    body: dict[str, Any] = {k: form[k].strip() for k in FIELDS if form.get(k, "").strip()}
    sampling: dict[str, Any] = {
        k: form[k].strip() for k in SAMPLING_FIELDS if form.get(k, "").strip()
    }
    if "stop" in sampling:
        sampling["stop"] = [line for line in form["stop"].splitlines() if line.strip()]
    if sampling:
        body["sampling"] = sampling
    return body


def _errors(error: FairlabelError | ValidationError) -> dict[str, str]:
    """Each problem under its form field's id (`e-<field>`); one naming none, `e-form`."""
    known = set(FIELDS + SAMPLING_FIELDS)

    def element(name: str) -> str:
        return f"e-{name if name in known else 'form'}"

    if isinstance(error, FairlabelError):
        text = error.message + (f" (expected: {error.expected})" if error.expected else "")
        return {element(error.field or "form"): text}
    found: dict[str, str] = {}
    for problem in error.errors():
        names = [str(part) for part in problem["loc"] if isinstance(part, str)]
        name = names[1] if names[:1] == ["sampling"] and len(names) > 1 else names[0]
        found.setdefault(element(name), str(problem["msg"]))
    return found


@router.post("/model-endpoints/{endpoint_id}/test", response_class=HTMLResponse)
async def test_endpoint(
    request: Request,
    endpoint_id: int,
    db: SessionDep,
    database: DatabaseDep,
    principal: SignedIn,
) -> Response:
    """A one-token completion; the page then shows it as the endpoint's last test. The
    request's transaction ends before the model is waited on."""
    form = await request.form()
    check_form_csrf(principal, str(form.get("csrf_token", "")))
    organization_id, config = await run_in_threadpool(_managed, db, principal, endpoint_id)
    await run_in_threadpool(db.commit)
    await generation.test_connection(database, config)
    return RedirectResponse(
        f"/organizations/{organization_id}/model-endpoints?tested={endpoint_id}#endpoint-"
        f"{endpoint_id}",
        status_code=303,
    )


@router.post("/model-endpoints/{endpoint_id}/delete", response_class=HTMLResponse)
async def remove_endpoint(
    request: Request, endpoint_id: int, db: SessionDep, principal: SignedIn
) -> Response:
    form = await request.form()
    check_form_csrf(principal, str(form.get("csrf_token", "")))
    return await run_in_threadpool(_remove, db, principal, endpoint_id)


def _remove(db: Session, principal: Principal, endpoint_id: int) -> Response:
    found = _endpoint(db, principal, endpoint_id)
    organization_id = found.organization_id
    service.delete_endpoint(db, found)
    return RedirectResponse(
        f"/organizations/{organization_id}/model-endpoints?done=removed", status_code=303
    )


def _endpoint_title(error: FairlabelError) -> str:
    return "Model endpoint not found" if error.status_code == 404 else "You cannot do this"


def _endpoint(db: Session, principal: Principal, endpoint_id: int) -> ModelEndpoint:
    """The endpoint if this person may change it; otherwise the page that says why."""
    with titled(_endpoint_title):
        endpoint = service.get_endpoint(db, endpoint_id)
        try:
            policies.view_organization(principal, endpoint.organization_id)
        except FairlabelError:
            raise service.endpoint_not_found(endpoint_id) from None
        llm_policies.manage_endpoints(principal, endpoint.organization_id)
    return endpoint


def _managed(db: Session, principal: Principal, endpoint_id: int) -> tuple[int, EndpointConfig]:
    found = _endpoint(db, principal, endpoint_id)
    with titled("The key cannot be read"):
        return found.organization_id, service.endpoint_config(db, found)


def sampling_line(sampling: SamplingParams) -> str:
    """The defaults that are set, in words: "temperature 0.7, max tokens 512"."""
    shown = sampling.model_dump(exclude_none=True)
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in shown.items()) or "server defaults"
