"""Work queue API: lease the next item, look at one's assignments, give one back.

When nothing is left, next-task answers 200 with `{"assignment": null, "reason": ...}` rather
than 204, so that every client reads one JSON shape and learns whether to wait or stop."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from fairlabel.annotations.schemas import DraftOut
from fairlabel.assist.schemas import SuggestionOut
from fairlabel.auth import policies
from fairlabel.db import utcnow
from fairlabel.deps import CurrentPrincipal, SessionDep, commits_in_endpoint, model_response
from fairlabel.models import AssignmentStatus
from fairlabel.projects.schemas import QuestionOut
from fairlabel.queue import service
from fairlabel.queue.schemas import (
    ASSIGNMENT_ERRORS,
    AssignmentOut,
    AssignmentSummary,
    ItemOut,
    NextAssignmentOut,
    ReworkFeedback,
)
from fairlabel.queue.service import AssignmentRow, AssignmentView, Empty

router = APIRouter(tags=["queue"])


@router.post(
    "/projects/{project_id}/assignments/next",
    operation_id="next_assignment",
    response_model=NextAssignmentOut,
)
@commits_in_endpoint
def next_assignment(
    project_id: int,
    principal: CurrentPrincipal,
    db: SessionDep,
    exclude: Annotated[
        int | None,
        Query(
            description="the assignment on screen: lease another one beside it (prefetch), "
            "holding at most two"
        ),
    ] = None,
) -> Response:
    """Lease the next item to the calling worker, or return the lease it already holds
    (a retry or a double-click never leases two items)."""
    loaded = service.load_project_with_questions(db, project_id)
    project = loaded[0]
    policies.work_on_project(principal, project)
    leased = service.next_assignment(db, project, principal.id, exclude=exclude)
    if isinstance(leased, Empty):
        empty = NextAssignmentOut(
            assignment=None,
            reason=leased.reason,
            retry_after_seconds=leased.retry_after_seconds,
            detail=leased.detail,
        )
        return model_response(empty)
    view = service.view_assignment(db, leased.assignment, loaded, leased.claimed)
    return model_response(NextAssignmentOut(assignment=assignment_out(view)))


@router.get("/assignments", operation_id="list_my_assignments")
def list_my_assignments(
    principal: CurrentPrincipal,
    db: SessionDep,
    status: AssignmentStatus | None = None,
    project_id: int | None = None,
    before: Annotated[int | None, Query(description="an assignment id: older ones only")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AssignmentSummary]:
    """The caller's own assignments, newest first."""
    found = service.list_own_assignments(
        db, principal.id, status=status, project_id=project_id, before=before, limit=limit
    )
    now = utcnow()
    return [_summary(a, now) for a in found]


@router.get(
    "/assignments/{assignment_id}", operation_id="get_assignment", response_model=AssignmentOut
)
@commits_in_endpoint
def get_assignment(assignment_id: int, principal: CurrentPrincipal, db: SessionDep) -> Response:
    """One of the caller's assignments with its item, questions and draft (for a reload)."""
    assignment = service.get_own_assignment(db, assignment_id, principal.id)
    return model_response(assignment_out(service.view_assignment(db, assignment)))


@router.post(
    "/assignments/{assignment_id}/return",
    operation_id="return_assignment",
    response_model=AssignmentSummary,
    responses=ASSIGNMENT_ERRORS,
)
@commits_in_endpoint
def return_assignment(assignment_id: int, principal: CurrentPrincipal, db: SessionDep) -> Response:
    """Give a live lease back without penalty, even if the project was paused meanwhile."""
    assignment = service.get_own_assignment(db, assignment_id, principal.id, lock=True)
    returned = service.return_assignment(db, assignment)
    return model_response(_summary(returned, utcnow()))


def _summary(assignment: AssignmentRow, now: datetime) -> AssignmentSummary:
    return AssignmentSummary(**_lease_fields(assignment, now))


def _lease_fields(assignment: AssignmentRow, now: datetime) -> dict[str, Any]:
    return {
        "id": assignment.id,
        "project_id": assignment.project_id,
        "item_id": assignment.item_id,
        "stage": assignment.stage,
        "status": service.effective_status(assignment, now),
        "leased_at": assignment.leased_at,
        "expires_at": assignment.expires_at,
        "seconds_left": service.seconds_left(assignment, now),
        "ended_at": assignment.ended_at,
        "rate_minor": assignment.rate_minor,
        "currency": assignment.currency,
    }


def assignment_out(view: AssignmentView) -> AssignmentOut:
    return AssignmentOut(
        **_lease_fields(view.assignment, utcnow()),
        item=ItemOut(**view.item._asdict()),
        questions=[QuestionOut(**q._asdict()) for q in view.questions],
        guideline_version=view.guideline_version,
        draft=DraftOut(**view.draft._asdict()) if view.draft is not None else None,
        annotation_id=view.annotation_id,
        suggestions=[SuggestionOut(**row) for row in view.suggestions],
        feedback=ReworkFeedback(**view.feedback) if view.feedback is not None else None,
        content=view.content,
    )
