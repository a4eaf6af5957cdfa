"""Monitoring API: a project's streams of production conversations (owners and managers
create them and send conversations to them, with an API token), and the flagged rate over
time (the organization's members, viewers included)."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from fairlabel.auth import policies as auth_policies
from fairlabel.deps import CurrentPrincipal, SessionDep
from fairlabel.monitoring import policies, schemas, service
from fairlabel.projects import service as projects_service

router = APIRouter(tags=["monitoring"])


@router.post(
    "/projects/{project_id}/monitoring-streams",
    operation_id="create_monitoring_stream",
    status_code=status.HTTP_201_CREATED,
)
def create_stream(
    project_id: int, body: schemas.StreamCreate, principal: CurrentPrincipal, db: SessionDep
) -> schemas.StreamOut:
    project = projects_service.get_project(db, project_id)
    auth_policies.manage_project(principal, project)
    return service.describe(service.create_stream(db, project, body, principal.id))


@router.get("/projects/{project_id}/monitoring-streams", operation_id="list_monitoring_streams")
def list_streams(
    project_id: int, principal: CurrentPrincipal, db: SessionDep
) -> list[schemas.StreamOut]:
    auth_policies.read_project_data(principal, projects_service.get_project(db, project_id))
    return [service.describe(s) for s in service.list_streams(db, project_id)]


@router.get("/monitoring-streams/{stream_id}", operation_id="get_monitoring_stream")
def get_stream(stream_id: int, principal: CurrentPrincipal, db: SessionDep) -> schemas.StreamOut:
    return service.describe(policies.visible_stream(db, principal, stream_id)[0])


@router.post("/monitoring-streams/{stream_id}/conversations", operation_id="ingest_conversations")
def ingest(
    stream_id: int, body: schemas.Ingest, principal: CurrentPrincipal, db: SessionDep
) -> schemas.Ingested:
    """Up to 1,000 conversations at once. Each is sampled by its stratum's rate, decided by
    its id, so sending a batch again adds nothing; one bad conversation refuses the batch
    (422, each listed in `details`)."""
    stream, project = policies.visible_stream(db, principal, stream_id)
    auth_policies.manage_project(principal, project)
    return service.ingest(db, stream, body)


@router.get("/monitoring-streams/{stream_id}/flagged-rate", operation_id="flagged_rate")
def flagged_rate(
    stream_id: int,
    principal: CurrentPrincipal,
    db: SessionDep,
    stratum: Annotated[str | None, Query(description="only this stratum value")] = None,
) -> schemas.FlaggedRate:
    """Per day: received, sampled, reviewed and flagged conversations, the flagged share
    with its 95% interval, and the production rate estimated across strata."""
    stream, _project = policies.visible_stream(db, principal, stream_id)
    return service.flagged_rate(db, stream, stratum)
