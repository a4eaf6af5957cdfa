"""The client's gold page: the project's gold items, a form to mark an item gold by its
external id with answers as JSON, and every worker's gold accuracy. Members see the
accuracy; owners and managers also see and change the gold items."""

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from fairlabel.auth import policies
from fairlabel.auth.policies import Principal
from fairlabel.deps import SessionDep
from fairlabel.errors import FairlabelError, ValidationFailed
from fairlabel.gold import service as gold_service
from fairlabel.models import Item, Project
from fairlabel.web.pages import (
    ManagedProject,
    MemberProject,
    SignedIn,
    check_form_csrf,
    context,
    render,
)

router = APIRouter(include_in_schema=False)

#: Gold items listed on the page; the API pages through the rest.
LISTED = 200


@router.get("/projects/{project_id}/gold", response_class=HTMLResponse)
def gold_page(
    request: Request, project: MemberProject, db: SessionDep, principal: SignedIn
) -> Response:
    return _render(request, db, principal, project, {}, {})


@router.post("/projects/{project_id}/gold", response_class=HTMLResponse)
def mark_gold(
    request: Request,
    project: ManagedProject,
    db: SessionDep,
    principal: SignedIn,
    external_id: Annotated[str, Form()] = "",
    answers: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Through gold.service.set_gold, like the API; an error shows on the field it names."""
    check_form_csrf(principal, csrf_token)
    values = {"external_id": external_id, "answers": answers}
    try:
        item_id = _item_id(db, project.id, external_id.strip())
        gold_service.set_gold(db, project, item_id, _parsed(answers), principal.id)
    except FairlabelError as error:
        db.rollback()
        return _render(request, db, principal, project, values, _form_errors(error), 422)
    return RedirectResponse(f"/projects/{project.id}/gold", status_code=303)


@router.post("/projects/{project_id}/gold/{item_id}/unset")
def unmark_gold(
    project: ManagedProject,
    item_id: int,
    db: SessionDep,
    principal: SignedIn,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_form_csrf(principal, csrf_token)
    gold_service.unset_gold(db, project, item_id)
    return RedirectResponse(f"/projects/{project.id}/gold", status_code=303)


def _item_id(db: Session, project_id: int, external_id: str) -> int:
    found = db.scalar(
        select(Item.id).where(Item.project_id == project_id, Item.external_id == external_id)
    )
    if found is None:
        raise ValidationFailed(
            "no item of this project has that external id",
            field="external_id",
            value=external_id,
            expected="the external id of one of the project's items",
        )
    return found


def _parsed(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise ValidationFailed(
            f"the answers are not valid JSON: {error}",
            field="answers",
            value=text,
            expected='a JSON object such as {"question": "answer"}',
        ) from None


def _form_errors(error: FairlabelError) -> dict[str, str]:
    """External id errors go beside that field; everything else names its answer path."""
    problems = error.details or [{"field": error.field, "message": error.message}]
    if error.field == "external_id":
        return {"gold-external-id": error.message}
    lines = [f"{p['field']}: {p.get('message') or p.get('expected')}" for p in problems]
    return {"gold-answers": "; ".join(lines)}


def _render(
    request: Request,
    db: Session,
    principal: Principal,
    project: Project,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    can_manage = policies.manages_project(principal, project)
    page = context(
        principal,
        project=project,
        can_manage=can_manage,
        gold=gold_service.list_gold(db, project.id, None, LISTED) if can_manage else [],
        report=gold_service.accuracy_report(db, project),
        values=values,
        errors=errors,
        example=_example(project),
    )
    return render(request, "client/gold.html", page, status)


def _example(project: Project) -> str:
    """A placeholder naming the project's own questions."""
    return orjson.dumps({q.name: "…" for q in project.questions}).decode()
