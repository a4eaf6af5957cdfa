"""Client pages: the project list and the project form with its question builder, for
creating and editing a project. Organization members only: a project of another
organization answers 404 (as the API does), a viewer asking to change one 403."""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from fairlabel.auth import policies
from fairlabel.auth.policies import MANAGING_ROLES, Principal
from fairlabel.db import settings_of
from fairlabel.deps import SessionDep
from fairlabel.errors import FairlabelError, Forbidden
from fairlabel.llm import service as llm_service
from fairlabel.models import Organization, Project, ProjectStatus
from fairlabel.projects import service as project_service
from fairlabel.projects.schemas import ProjectCreate, ProjectUpdate
from fairlabel.web.client import builder, settings_form, stats
from fairlabel.web.forms import text_fields
from fairlabel.web.pages import (
    ManagedProject,
    PageError,
    SignedIn,
    check_form_csrf,
    context,
    render,
)
from fairlabel.wellness import service as wellness

router = APIRouter(include_in_schema=False)


def _require_member(principal: Principal) -> None:
    """Workers (and anyone in no organization) have no client pages."""
    if not (principal.is_operator or principal.roles):
        raise PageError(
            "Client pages are for organization members",
            Forbidden(
                "Your account belongs to no organization. Your projects are on the home page."
            ),
        )


@router.get("/projects", response_class=HTMLResponse)
def project_list(request: Request, db: SessionDep, principal: SignedIn) -> Response:
    """Every project of the person's organizations, with its progress."""
    _require_member(principal)
    org_ids = None if principal.is_operator else list(principal.roles)
    projects = project_service.list_projects(db, org_ids, include_active=False)
    values = context(
        principal,
        projects=projects,
        counts=stats.item_counts(db, [p.id for p in projects]),
        organizations=_organization_names(db, {p.organization_id for p in projects}),
        can_create=bool(_managed_organizations(db, principal)),
    )
    return render(request, "client/projects.html", values)


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
    _require_creator(principal, organizations)
    form = builder.ProjectForm(questions=[builder.QuestionForm()], question_indexes=[0])
    return _form_page(request, db, principal, form, organizations=organizations)


def _require_creator(principal: Principal, organizations: list[tuple[int, str]]) -> None:
    if organizations:
        return
    _require_member(principal)
    raise PageError(
        "You cannot create projects",
        Forbidden("Only an owner or a manager of an organization may create its projects."),
    )


@router.post("/projects/new", response_class=HTMLResponse)
async def create_project(request: Request, db: SessionDep, principal: SignedIn) -> Response:
    """Goes through projects.service.create_project with the API's own schema, in this
    request's transaction; any error rolls it back and shows the form again, filled in."""
    data = await text_fields(request)
    check_form_csrf(principal, data.get("csrf_token", ""))
    organizations = _managed_organizations(db, principal)
    _require_creator(principal, organizations)
    form, body = builder.parse_form(data)
    chosen = data.get("organization_id", "")
    organization_id = int(chosen) if chosen.isdigit() else 0
    if organization_id not in {org_id for org_id, _ in organizations}:
        form.add_error("f-organization_id", "choose one of your organizations")
    builder.check_endpoints(form, body, _organization_endpoints(db, organization_id))
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


def _endpoint_options(
    db: Session, project: Project | None, organizations: list[tuple[int, str]]
) -> list[dict[str, Any]]:
    """The model endpoints a chat question may use: the project's organization's, or on a
    new project those of every organization the person may create it in (named when
    there are several)."""
    names = dict(organizations) if project is None else {project.organization_id: ""}
    return [
        {
            "id": e.id,
            "name": e.name,
            "model": e.model,
            "organization": names[org_id] if len(names) > 1 else "",
        }
        for org_id in names
        for e in llm_service.list_endpoints(db, org_id)
    ]


def _organization_endpoints(db: Session, organization_id: int) -> set[int]:
    return {e.id for e in llm_service.list_endpoints(db, organization_id)}


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
    values = context(
        principal,
        form=form,
        project=project,
        organizations=organizations or [],
        chosen=chosen,
        statuses=[s.value for s in ProjectStatus],
        type_names=builder.type_names(),
        setting_types=builder.setting_types(),
        setting_keys=builder.all_setting_keys(),
        setting_labels=builder.SETTING_LABELS,
        bool_settings=builder.BOOL_SETTINGS,
        list_settings=builder.LIST_SETTINGS,
        setting_needs=builder.setting_needs(),
        setting_defaults=builder.setting_defaults(),
        offered=builder.offered,
        int_settings=builder.INT_SETTINGS,
        float_settings=builder.FLOAT_SETTINGS,
        float_ranges=builder.FLOAT_RANGES,
        chat_modes=builder.CHAT_MODES,
        endpoints=_endpoint_options(db, project, organizations or []),
        blank_question=builder.QuestionForm(),
        content_risks=wellness.published(settings_of(db).exposure_cap_per_day),
        pay_stages=settings_form.PAY_STAGES,
        tier_options=settings_form.TIER_OPTIONS,
        blank_rows=settings_form.BLANK_ROWS,
    )
    status = 422 if form.errors else 200
    return render(request, "client/project_form.html", values, status)


@router.get("/projects/{project_id}/edit", response_class=HTMLResponse)
def edit_project_form(
    request: Request, project: ManagedProject, db: SessionDep, principal: SignedIn
) -> Response:
    versions = project_service.list_guidelines(db, project.id)
    form = builder.form_from_project(project, versions[0].body if versions else "")
    return _form_page(request, db, principal, form, project=project)


@router.post("/projects/{project_id}/edit", response_class=HTMLResponse)
async def update_project(
    request: Request, project: ManagedProject, db: SessionDep, principal: SignedIn
) -> Response:
    """Through projects.service.update_project with the API's ProjectUpdate, like PATCH."""
    data = await text_fields(request)
    check_form_csrf(principal, data.get("csrf_token", ""))
    form, body = builder.parse_form(data)
    builder.check_endpoints(form, body, _organization_endpoints(db, project.organization_id))
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
