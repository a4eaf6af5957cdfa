"""The pages around labelling: a project's guidelines to read before taking a task, the
labelling workspace, and the review workspace (the same item view and widgets, with the
worker's answers read-only and accept / reject / correct actions). Each is a shell page
that loads the built bundle, which then talks to the API with the session cookie and the
CSRF token passed here; a refusal is a page that says why."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from fairlabel.auth.policies import Principal
from fairlabel.deps import SessionDep
from fairlabel.errors import FairlabelError, Forbidden, NotFound
from fairlabel.models import Project, ProjectStatus
from fairlabel.projects import service as project_service
from fairlabel.queue import service as queue_service
from fairlabel.review import service as review_service
from fairlabel.web import service
from fairlabel.web.pages import (
    PageError,
    SignedIn,
    VisibleProject,
    context,
    render,
    workspace_shell,
)

router = APIRouter(include_in_schema=False)


def _can_work(principal: Principal, project: Project) -> bool:
    return principal.is_worker and project.status == ProjectStatus.active


@router.get("/projects/{project_id}/guidelines", response_class=HTMLResponse)
def guidelines_page(
    request: Request, project: VisibleProject, db: SessionDep, principal: SignedIn
) -> Response:
    """The current guidelines as a page of their own, to read before taking a task."""
    versions = project_service.list_guidelines(db, project.id)
    values = context(
        principal,
        project=project,
        guidelines=service.render_markdown(versions[0].body) if versions else None,
        version=versions[0].version if versions else 0,
        can_work=_can_work(principal, project),
    )
    return render(request, "guidelines.html", values)


@router.get("/projects/{project_id}/work", response_class=HTMLResponse)
def work_page(
    request: Request, project: VisibleProject, db: SessionDep, principal: SignedIn
) -> Response:
    """The labelling workspace, for workers on a project taking work."""
    if not _can_work(principal, project):
        reason = (
            "This project is not taking work right now."
            if principal.is_worker
            else "Only worker accounts take labelling tasks."
        )
        raise PageError("You cannot label here", Forbidden(reason))
    return workspace_shell(request, db, project, context(principal, project=project), "work.html")


@router.get("/projects/{project_id}/review", response_class=HTMLResponse)
def review_page(
    request: Request,
    project: VisibleProject,
    db: SessionDep,
    principal: SignedIn,
    stage: Annotated[str, Query(max_length=50)] = "review",
) -> Response:
    """The review workspace, once the reviewer may review at the stage."""
    try:
        row = queue_service.load_project(db, project.id)
        review_service.check_reviewer(db, principal, row, stage)
    except FairlabelError as error:
        raise _refusal(error, stage) from error
    values = context(principal, project=project, stage=stage)
    return workspace_shell(request, db, project, values, "review.html")


def _refusal(error: FairlabelError, stage: str) -> PageError:
    """The API's refusal in plain words: which stage, which qualification, what to do."""
    if error.field == "stage":
        expected = error.expected or "none"
        return PageError(
            "No such review stage",
            NotFound(f"This project has no “{stage}” stage. Its review stages: {expected}."),
        )
    if error.field == "qualification":
        return PageError(
            "You cannot review here yet",
            Forbidden(
                f"{error.message[0].upper()}{error.message[1:]}, which your worker profile "
                "does not have. Labelling work in this project stays open to you; ask the "
                "project's operator how to gain the qualification."
            ),
        )
    return PageError(
        "You cannot review here", Forbidden(error.message[0].upper() + error.message[1:] + ".")
    )
