"""Projects API: thin routes over the service, every access through a named policy."""

from fastapi import APIRouter, status

from fairlabel.auth import policies
from fairlabel.deps import CurrentPrincipal, SessionDep
from fairlabel.projects import service
from fairlabel.projects.schemas import (
    GuidelineOut,
    ProjectCounts,
    ProjectCreate,
    ProjectOut,
    ProjectUpdate,
)

router = APIRouter(prefix="/projects", tags=["projects"])


@router.post("", operation_id="create_project", status_code=status.HTTP_201_CREATED)
def create_project(body: ProjectCreate, principal: CurrentPrincipal, db: SessionDep) -> ProjectOut:
    policies.create_project(principal, body.organization_id)
    return ProjectOut.model_validate(service.create_project(db, body, principal.user))


@router.get("", operation_id="list_projects")
def list_projects(principal: CurrentPrincipal, db: SessionDep) -> list[ProjectOut]:
    org_ids = None if principal.is_operator else list(principal.roles)
    projects = service.list_projects(db, org_ids, include_active=principal.is_worker)
    return [ProjectOut.model_validate(p) for p in projects]


@router.get("/{project_id}", operation_id="get_project")
def get_project(project_id: int, principal: CurrentPrincipal, db: SessionDep) -> ProjectOut:
    project = service.get_project(db, project_id)
    policies.view_project(principal, project)
    return ProjectOut.model_validate(project)


@router.patch("/{project_id}", operation_id="update_project")
def update_project(
    project_id: int, body: ProjectUpdate, principal: CurrentPrincipal, db: SessionDep
) -> ProjectOut:
    project = service.get_project(db, project_id)
    policies.manage_project(principal, project)
    return ProjectOut.model_validate(service.update_project(db, project, body, principal.user))


@router.get("/{project_id}/counts", operation_id="get_project_counts")
def get_project_counts(
    project_id: int, principal: CurrentPrincipal, db: SessionDep
) -> ProjectCounts:
    project = service.get_project(db, project_id)
    policies.read_project_data(principal, project)
    return service.counts(db, project_id)


@router.get("/{project_id}/guidelines", operation_id="list_guidelines")
def list_guidelines(
    project_id: int, principal: CurrentPrincipal, db: SessionDep
) -> list[GuidelineOut]:
    project = service.get_project(db, project_id)
    policies.view_project(principal, project)
    return [GuidelineOut.model_validate(g) for g in service.list_guidelines(db, project_id)]
