"""Suggestions API: a client's model answers, pre-filled for workers and marked as such."""

from typing import Annotated

from fastapi import APIRouter, Body, Response, status

from fairlabel.assist import jobs, service
from fairlabel.assist.schemas import (
    MAX_SUGGESTIONS_PER_REQUEST,
    PrelabelIn,
    SuggestionIn,
    SuggestionOut,
    SuggestionReport,
)
from fairlabel.auth import policies
from fairlabel.deps import CurrentPrincipal, RunnerDep, SessionDep, job_accepted
from fairlabel.items import service as items_service
from fairlabel.jobs.schemas import JobOut
from fairlabel.projects import service as projects_service

router = APIRouter(tags=["assist"])


@router.post(
    "/projects/{project_id}/suggestions",
    operation_id="store_suggestions",
    status_code=status.HTTP_201_CREATED,
)
def store_suggestions(
    project_id: int,
    principal: CurrentPrincipal,
    db: SessionDep,
    suggestions: Annotated[
        list[SuggestionIn], Body(min_length=1, max_length=MAX_SUGGESTIONS_PER_REQUEST)
    ],
) -> SuggestionReport:
    """Store model answers (upserted on item, question and agent); all or none."""
    project = projects_service.get_project(db, project_id)
    policies.manage_project(principal, project)
    return SuggestionReport(stored=service.store(db, project, suggestions))


@router.get("/items/{item_id}/suggestions", operation_id="list_item_suggestions")
def list_item_suggestions(
    item_id: int, principal: CurrentPrincipal, db: SessionDep
) -> list[SuggestionOut]:
    """An item's suggestions, for its organization's members."""
    item = items_service.get_item(db, item_id)
    policies.read_project_data(principal, projects_service.get_project(db, item.project_id))
    return [SuggestionOut(**row) for row in service.for_item(db, item_id)]


@router.post(
    "/projects/{project_id}/prelabel",
    operation_id="start_prelabel",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobOut,
    responses={409: {"description": "a pre-labelling job of this project is queued or running"}},
)
def start_prelabel(
    project_id: int,
    body: PrelabelIn,
    principal: CurrentPrincipal,
    db: SessionDep,
    runner: RunnerDep,
) -> Response:
    """Pre-label the project (or `item_ids`) with a backend as a job: follow `Location`;
    its result counts the suggestions stored, the predictions refused and failed batches."""
    project = projects_service.get_project(db, project_id)
    policies.manage_project(principal, project)
    return job_accepted(jobs.start_prelabel(db, runner, project, body, principal.id))
