"""Gold API: a client marks items gold and reads its workers' accuracy; a worker reads their
own, and the items they missed once they are below the project's bar."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from fairlabel.auth import policies
from fairlabel.auth.policies import Principal
from fairlabel.deps import CurrentPrincipal, SessionDep
from fairlabel.errors import Forbidden
from fairlabel.gold import service
from fairlabel.gold.schemas import AccuracyReport, GoldIn, GoldOut, GoldPage, MyGold
from fairlabel.items.errors import item_not_found
from fairlabel.models import Item, Project
from fairlabel.projects import service as projects_service

router = APIRouter(tags=["gold"])


def _managed_item_project(db: Session, principal: Principal, item_id: int) -> Project:
    """The project of an item the caller may manage; another organization's item is a 404."""
    project_id = db.scalar(select(Item.project_id).where(Item.id == item_id))
    if project_id is None:
        raise item_not_found(item_id)
    project = projects_service.get_project(db, project_id)
    policies.manage_project(principal, project)
    return project


@router.put("/items/{item_id}/gold", operation_id="set_gold")
def set_gold(item_id: int, body: GoldIn, principal: CurrentPrincipal, db: SessionDep) -> GoldOut:
    """Make an item gold with known answers (owner or manager); it leaves the ordinary queue
    and is served hidden among other items at the project's gold rate."""
    project = _managed_item_project(db, principal, item_id)
    gold = service.set_gold(db, project, item_id, body.answers, principal.id)
    return GoldOut(**gold._asdict())


@router.delete(
    "/items/{item_id}/gold", operation_id="unset_gold", status_code=status.HTTP_204_NO_CONTENT
)
def unset_gold(item_id: int, principal: CurrentPrincipal, db: SessionDep) -> Response:
    """Make an item ordinary again; scores already earned on it stay."""
    project = _managed_item_project(db, principal, item_id)
    service.unset_gold(db, project, item_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/projects/{project_id}/gold", operation_id="list_gold")
def list_gold(
    project_id: int,
    principal: CurrentPrincipal,
    db: SessionDep,
    after: Annotated[int | None, Query(description="an item id: later ones only")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> GoldPage:
    """The project's gold items with their known answers (owner or manager)."""
    policies.manage_project(principal, projects_service.get_project(db, project_id))
    rows = service.list_gold(db, project_id, after, limit)
    return GoldPage(
        gold=[GoldOut(**row._asdict()) for row in rows],
        next_after=rows[-1].item_id if len(rows) == limit else None,
    )


@router.get("/projects/{project_id}/gold/accuracy", operation_id="gold_accuracy")
def gold_accuracy(project_id: int, principal: CurrentPrincipal, db: SessionDep) -> AccuracyReport:
    """Each worker's gold accuracy by pseudonym, per question and overall, with 95% Wilson
    intervals (the project's members, viewers included)."""
    project = projects_service.get_project(db, project_id)
    policies.read_project_data(principal, project)
    return service.accuracy_report(db, project)


@router.get("/projects/{project_id}/gold/mine", operation_id="my_gold")
def my_gold(project_id: int, principal: CurrentPrincipal, db: SessionDep) -> MyGold:
    """The calling worker's own gold accuracy; below the bar, the items missed with the
    expected answers."""
    project = projects_service.get_project(db, project_id)
    policies.view_project(principal, project)
    if not principal.is_worker:
        raise Forbidden(
            "gold accuracy is kept for workers", field="role", value="member", expected="a worker"
        )
    return service.my_gold(db, project, principal.id)
