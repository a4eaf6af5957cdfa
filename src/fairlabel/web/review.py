"""The review workspace page: the same item view and widgets as labelling, with the
worker's answers read-only and accept / reject / correct actions. The page checks that the
reviewer may review at the stage, so that a refusal is a page that says why."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from fairlabel.deps import SessionDep
from fairlabel.errors import FairlabelError
from fairlabel.queue import service as queue_service
from fairlabel.review import service as review_service
from fairlabel.web.routes import (
    SignedIn,
    _visible_project,
    page_error,
    workspace_shell,
)

router = APIRouter(include_in_schema=False)


@router.get("/projects/{project_id}/review", response_class=HTMLResponse)
def review_page(
    request: Request,
    project_id: int,
    db: SessionDep,
    principal: SignedIn,
    stage: Annotated[str, Query(max_length=50)] = "review",
) -> Response:
    project = _visible_project(request, db, principal, project_id)
    if isinstance(project, Response):
        return project
    context: dict[str, object] = {
        "principal": principal,
        "csrf_token": principal.csrf_token,
        "project": project,
        "stage": stage,
    }
    try:
        row = queue_service.load_project(db, project.id)
        review_service.check_reviewer(db, principal, row, stage)
    except FairlabelError as error:
        status, title, message = _refusal(error, stage)
        return page_error(request, context, status, title, message)
    return workspace_shell(request, db, project, context, "review.html")


def _refusal(error: FairlabelError, stage: str) -> tuple[int, str, str]:
    """The API's refusal in plain words: which stage, which qualification, what to do."""
    if error.field == "stage":
        return (
            404,
            "No such review stage",
            f"This project has no “{stage}” stage. Its review stages: {error.expected or 'none'}.",
        )
    if error.field == "qualification":
        return (
            403,
            "You cannot review here yet",
            f"{error.message[0].upper()}{error.message[1:]}, which your worker profile does "
            "not have. Labelling work in this project stays open to you; ask the project's "
            "operator how to gain the qualification.",
        )
    return 403, "You cannot review here", error.message[0].upper() + error.message[1:] + "."
