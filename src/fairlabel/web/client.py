"""Client pages: the project list, a project's dashboard, the project form with its question
builder, the import page and the export page. Organization members only: a project of
another organization answers 404 (as the API does), a viewer asking to change one 403."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from fairlabel.auth import policies
from fairlabel.auth.policies import MANAGING_ROLES, Principal
from fairlabel.db import Database, settings_of
from fairlabel.deps import DatabaseDep, SessionDep
from fairlabel.errors import FairlabelError, ValidationFailed
from fairlabel.exports import aggregated as aggregated_export
from fairlabel.exports import service as export_service
from fairlabel.formats import format_names, get_format
from fairlabel.models import Organization, Project, ProjectStatus
from fairlabel.pay import service as pay_service
from fairlabel.pay.floors import money
from fairlabel.pay.schemas import MAX_AMOUNT, FundingIn, RefundIn
from fairlabel.projects import service as project_service
from fairlabel.projects.schemas import ProjectCreate, ProjectUpdate
from fairlabel.web import builder, dashboard, project_settings
from fairlabel.web.routes import (
    SignedIn,
    check_form_csrf,
    page_error,
    templates,
)
from fairlabel.wellness import service as wellness

router = APIRouter(include_in_schema=False)

Policy = Callable[[Principal, Project], None]


def _context(principal: Principal, **values: Any) -> dict[str, Any]:
    return {"principal": principal, "csrf_token": principal.csrf_token, **values}


def _is_member(principal: Principal) -> bool:
    return principal.is_operator or bool(principal.roles)


def _not_a_member(request: Request, principal: Principal) -> Response:
    """Workers (and anyone in no organization) have no client pages."""
    return page_error(
        request,
        _context(principal),
        403,
        "Client pages are for organization members",
        "Your account belongs to no organization. Your projects are on the home page.",
    )


def _project_for(
    request: Request, db: Session, principal: Principal, project_id: int, policy: Policy
) -> Project | Response:
    """The project if `policy` allows this person; otherwise the page that says why."""
    try:
        project = project_service.get_project(db, project_id)
        policies.read_project_data(principal, project)
        policy(principal, project)
    except FairlabelError as error:
        title = (
            "Project not found" if error.status_code == 404 else "You cannot change this project"
        )
        return page_error(request, _context(principal), error.status_code, title, error.message)
    return project


def _can_manage(principal: Principal, project: Project) -> bool:
    return principal.is_operator or principal.roles.get(project.organization_id) in MANAGING_ROLES


@router.get("/projects", response_class=HTMLResponse)
def project_list(request: Request, db: SessionDep, principal: SignedIn) -> Response:
    """Every project of the person's organizations, with its progress."""
    if not _is_member(principal):
        return _not_a_member(request, principal)
    org_ids = None if principal.is_operator else list(principal.roles)
    projects = project_service.list_projects(db, org_ids, include_active=False)
    context = _context(
        principal,
        projects=projects,
        counts=dashboard.item_counts(db, [p.id for p in projects]),
        organizations=_organization_names(db, {p.organization_id for p in projects}),
        can_create=bool(_managed_organizations(db, principal)),
    )
    return templates.TemplateResponse(request, "client/projects.html", context)


def _organization_names(db: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.execute(select(Organization.id, Organization.name).where(Organization.id.in_(ids)))
    return {org_id: name for org_id, name in rows}


def _managed_organizations(db: Session, principal: Principal) -> list[tuple[int, str]]:
    """Organizations this person may create projects in (all, for an operator)."""
    query = select(Organization.id, Organization.name).order_by(Organization.name)
    if not principal.is_operator:
        managed = [org for org, role in principal.roles.items() if role in MANAGING_ROLES]
        query = query.where(Organization.id.in_(managed))
    return [(org_id, name) for org_id, name in db.execute(query)]


@router.get("/projects/new", response_class=HTMLResponse)
def new_project_form(request: Request, db: SessionDep, principal: SignedIn) -> Response:
    organizations = _managed_organizations(db, principal)
    if not organizations:
        return _cannot_create(request, principal)
    form = builder.ProjectForm(questions=[builder.QuestionForm()], question_indexes=[0])
    return _form_page(request, db, principal, form, organizations=organizations)


def _cannot_create(request: Request, principal: Principal) -> Response:
    if not _is_member(principal):
        return _not_a_member(request, principal)
    return page_error(
        request,
        _context(principal),
        403,
        "You cannot create projects",
        "Only an owner or a manager of an organization may create its projects.",
    )


@router.post("/projects/new", response_class=HTMLResponse)
async def create_project(request: Request, db: SessionDep, principal: SignedIn) -> Response:
    """Goes through projects.service.create_project with the API's own schema, in this
    request's transaction; any error rolls it back and shows the form again, filled in."""
    data = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    check_form_csrf(principal, data.get("csrf_token", ""))
    organizations = _managed_organizations(db, principal)
    if not organizations:
        return _cannot_create(request, principal)
    form, body = builder.parse_form(data)
    chosen = data.get("organization_id", "")
    organization_id = int(chosen) if chosen.isdigit() else 0
    if organization_id not in {org_id for org_id, _ in organizations}:
        form.add_error("f-organization_id", "choose one of your organizations")
    project = _save(db, principal, form, lambda: _create(db, principal, organization_id, body))
    if project is None:
        return _form_page(
            request, db, principal, form, organizations=organizations, chosen=organization_id
        )
    return RedirectResponse(f"/projects/{project.id}", status_code=303)


def _create(
    db: Session, principal: Principal, organization_id: int, body: dict[str, Any]
) -> Project:
    validated = ProjectCreate.model_validate(body | {"organization_id": organization_id})
    policies.create_project(principal, organization_id)
    return project_service.create_project(db, validated, principal.user)


def _save(
    db: Session, principal: Principal, form: builder.ProjectForm, save: Callable[[], Project]
) -> Project | None:
    """Runs `save` unless the form already has errors; on an error, rolls the transaction back
    and places the error on the form."""
    if form.errors:
        return None
    try:
        return save()
    except ValidationError as error:
        db.rollback()
        builder.place_validation_error(form, error)
    except FairlabelError as error:
        db.rollback()
        builder.place_service_error(form, error)
    return None


def _form_page(
    request: Request,
    db: Session,
    principal: Principal,
    form: builder.ProjectForm,
    *,
    project: Project | None = None,
    organizations: list[tuple[int, str]] | None = None,
    chosen: int | None = None,
) -> Response:
    context = _context(
        principal,
        form=form,
        project=project,
        organizations=organizations or [],
        chosen=chosen,
        statuses=[s.value for s in ProjectStatus],
        type_names=builder.type_names(),
        type_settings=builder.TYPE_SETTINGS,
        setting_types=builder.setting_types(),
        setting_keys=builder.all_setting_keys(),
        setting_labels=builder.SETTING_LABELS,
        bool_settings=builder.BOOL_SETTINGS,
        int_settings=builder.INT_SETTINGS,
        float_settings=builder.FLOAT_SETTINGS,
        blank_question=builder.QuestionForm(),
        content_risks=wellness.published(settings_of(db).exposure_cap_per_day),
        pay_stages=project_settings.PAY_STAGES,
        tier_options=project_settings.TIER_OPTIONS,
        blank_rows=project_settings.BLANK_ROWS,
    )
    status = 422 if form.errors else 200
    return templates.TemplateResponse(
        request, "client/project_form.html", context, status_code=status
    )


@router.get("/projects/{project_id}", response_class=HTMLResponse)
def project_dashboard(
    request: Request, project_id: int, db: SessionDep, principal: SignedIn
) -> Response:
    """Progress, throughput, per-worker counts by pseudonym, time per item, the budget and
    the pay line workers see."""
    project = _project_for(request, db, principal, project_id, policies.read_project_data)
    if isinstance(project, Response):
        return project
    return _dashboard_page(request, db, principal, project)


def _dashboard_page(
    request: Request,
    db: Session,
    principal: Principal,
    project: Project,
    budget_errors: dict[str, str] | None = None,
    amounts: dict[str, str] | None = None,
) -> Response:
    context = _context(
        principal,
        project=project,
        stats=dashboard.dashboard(db, project),
        can_manage=_can_manage(principal, project),
        budget=pay_service.budget(db, project),
        money=money,
        errors=budget_errors or {},
        amounts=amounts or {},
        done=request.query_params.get("budget", ""),
    )
    status = 422 if budget_errors else 200
    return templates.TemplateResponse(request, "client/dashboard.html", context, status_code=status)


@router.post("/projects/{project_id}/fund", response_class=HTMLResponse)
async def fund_project(
    request: Request, project_id: int, db: SessionDep, principal: SignedIn
) -> Response:
    """Funding in major units, through the same service and FundingIn checks as the API;
    owners and managers only."""
    return await _budget_form(request, db, principal, project_id, "fund")


@router.post("/projects/{project_id}/refund", response_class=HTMLResponse)
async def refund_project(
    request: Request, project_id: int, db: SessionDep, principal: SignedIn
) -> Response:
    """Unused budget back to the organization (blank: all of it), through RefundIn and the
    API's service; owners and managers only."""
    return await _budget_form(request, db, principal, project_id, "refund")


async def _budget_form(
    request: Request, db: Session, principal: Principal, project_id: int, action: str
) -> Response:
    """One handler for the budget card's two forms: the amount in major units, the API's
    schema and service, and the error under the form's own field."""
    data = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    check_form_csrf(principal, data.get("csrf_token", ""))
    project = _project_for(request, db, principal, project_id, policies.manage_project)
    if isinstance(project, Response):
        return project
    element = "f-amount" if action == "fund" else "r-amount"
    text = data.get("amount", "").strip()
    errors: dict[str, str] = {}
    minor = project_settings.to_minor(errors.setdefault, element, text, project.currency)
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


@router.get("/projects/{project_id}/edit", response_class=HTMLResponse)
def edit_project_form(
    request: Request, project_id: int, db: SessionDep, principal: SignedIn
) -> Response:
    project = _project_for(request, db, principal, project_id, policies.manage_project)
    if isinstance(project, Response):
        return project
    versions = project_service.list_guidelines(db, project.id)
    form = builder.form_from_project(project, versions[0].body if versions else "")
    return _form_page(request, db, principal, form, project=project)


@router.post("/projects/{project_id}/edit", response_class=HTMLResponse)
async def update_project(
    request: Request, project_id: int, db: SessionDep, principal: SignedIn
) -> Response:
    """Through projects.service.update_project with the API's ProjectUpdate, like PATCH."""
    data = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    check_form_csrf(principal, data.get("csrf_token", ""))
    project = _project_for(request, db, principal, project_id, policies.manage_project)
    if isinstance(project, Response):
        return project
    form, body = builder.parse_form(data)
    if builder.same_questions(body["questions"], project):
        del body["questions"]
    current = project

    def save() -> Project:
        return project_service.update_project(
            db, current, ProjectUpdate.model_validate(body), principal.user
        )

    saved = _save(db, principal, form, save)
    if saved is None:
        return _form_page(request, db, principal, form, project=project)
    return RedirectResponse(f"/projects/{saved.id}", status_code=303)


@router.get("/projects/{project_id}/import", response_class=HTMLResponse)
def import_page(request: Request, project_id: int, db: SessionDep, principal: SignedIn) -> Response:
    """The upload form; the browser posts the file to the import API itself."""
    project = _project_for(request, db, principal, project_id, policies.manage_project)
    if isinstance(project, Response):
        return project
    context = _context(principal, project=project)
    return templates.TemplateResponse(request, "client/import.html", context)


@router.get("/projects/{project_id}/export", response_class=HTMLResponse)
def export_page(request: Request, project_id: int, db: SessionDep, principal: SignedIn) -> Response:
    """Every registered format, those this project cannot fill marked with the reason."""
    project = _project_for(request, db, principal, project_id, policies.read_project_data)
    if isinstance(project, Response):
        return project
    return _export_form(request, db, principal, project, ExportAsk(), {})


@dataclass(frozen=True, slots=True)
class ExportAsk:
    """The export form as sent: empty fields are absent, not empty values."""

    format: str = ""
    aggregated: bool = False
    split: str = ""
    seed: str = ""
    include_media: bool = False

    def params(self) -> dict[str, str]:
        asked = {
            "format": self.format,
            "aggregated": "true" if self.aggregated else "",
            "split": self.split,
            "seed": self.seed,
            "include_media": "true" if self.include_media else "",
        }
        return {name: value for name, value in asked.items() if value}


@router.get("/projects/{project_id}/export/download", response_class=HTMLResponse)
def export_download(
    request: Request,
    project_id: int,
    db: SessionDep,
    database: DatabaseDep,
    principal: SignedIn,
    format: str = "jsonl",
    aggregated: bool = False,
    split: str = "",
    seed: str = "",
    include_media: bool = False,
) -> Response:
    """The form's target: the options checked as the API checks them, then a redirect to
    the API's download; a bad one shows the form again with its error (a 422)."""
    project = _project_for(request, db, principal, project_id, policies.read_project_data)
    if isinstance(project, Response):
        return project
    asked = ExportAsk(format, aggregated, split.strip(), seed.strip(), include_media)
    try:
        _check_export(db, database, project, asked)
    except FairlabelError as error:
        errors = {f"export-{error.field or 'format'}": error.message}
        return _export_form(request, db, principal, project, asked, errors, 422)
    query = urlencode(asked.params())
    return RedirectResponse(f"/api/projects/{project.id}/export?{query}", status_code=303)


def _check_export(db: Session, database: Database, project: Project, asked: ExportAsk) -> None:
    if asked.seed and not asked.seed.isdigit():
        raise ValidationFailed(
            f"the seed {asked.seed!r} is not a whole number",
            field="seed",
            value=asked.seed,
            expected="a whole number from 0",
        )
    options = export_service.export_options(
        db,
        database,
        project,
        split=asked.split or None,
        seed=int(asked.seed) if asked.seed else None,
        include_media=asked.include_media,
    )
    info = export_service.describe_project(db, project, options)
    if asked.aggregated:
        aggregated_export.variant(asked.format).check_options(options)
    get_format(asked.format).check_project(info)


def _export_form(
    request: Request,
    db: Session,
    principal: Principal,
    project: Project,
    asked: ExportAsk,
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    info = export_service.describe_project(db, project)
    formats = []
    for name in format_names():
        fmt = get_format(name)
        try:
            fmt.check_project(info)
            reason = None
        except FairlabelError as error:
            reason = error.expected or error.message
        formats.append({"name": name, "description": fmt.description, "unavailable": reason})
    context = _context(
        principal,
        project=project,
        formats=formats,
        asked=asked,
        errors=errors,
        has_media=export_service.has_media(db, project.id),
        can_manage=_can_manage(principal, project),
    )
    return templates.TemplateResponse(
        request, "client/export.html", context, status_code=status_code
    )
