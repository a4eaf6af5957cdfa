"""Review API: a reviewer's next task at a stage, verdicts, and the verdicts on one's work."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy import select

from fairlabel.auth import policies
from fairlabel.deps import CurrentPrincipal, SessionDep, commits_in_endpoint, model_response
from fairlabel.models import Project
from fairlabel.projects import service as projects
from fairlabel.queue import service as queue_service
from fairlabel.queue.routes import assignment_out
from fairlabel.queue.schemas import ASSIGNMENT_ERRORS
from fairlabel.review import service
from fairlabel.review.schemas import (
    EarlierVerdict,
    NextReviewOut,
    ReviewedAnnotation,
    ReviewOut,
    ReviewTaskOut,
    VerdictIn,
)
from fairlabel.review.service import ReviewLease

router = APIRouter(tags=["review"])

Before = Annotated[int | None, Query(description="a review id: older ones only")]
Limit = Annotated[int, Query(ge=1, le=500)]


@router.post(
    "/projects/{project_id}/reviews/next",
    operation_id="next_review",
    response_model=NextReviewOut,
)
@commits_in_endpoint
def next_review(
    project_id: int,
    principal: CurrentPrincipal,
    db: SessionDep,
    stage: Annotated[str, Query(description="review or audit")] = "review",
    exclude: Annotated[
        int | None,
        Query(
            description="the review assignment on screen: lease another one beside it "
            "(prefetch), holding at most two at the stage"
        ),
    ] = None,
) -> Response:
    """Lease the oldest work waiting at a stage to the calling reviewer (never their own),
    or return the review lease they hold there (a retry never leases a second one)."""
    loaded = queue_service.load_project_with_questions(db, project_id)
    project = loaded[0]
    service.check_reviewer(db, principal, project, stage)
    leased = service.next_review(db, project, principal.id, stage, exclude=exclude)
    if not isinstance(leased, ReviewLease):
        return model_response(NextReviewOut(task=None, reason=leased.reason))
    view = queue_service.view_assignment(db, leased.assignment, loaded)
    reasons = db.scalar(select(Project.rejection_reasons).where(Project.id == project_id))
    annotation = leased.annotation
    task = ReviewTaskOut(
        assignment=assignment_out(view),
        annotation=ReviewedAnnotation(
            **annotation._asdict(), worker=service.pseudonym(db, annotation.worker_id)
        ),
        rejection_reasons=reasons or [],
        guideline_sections=projects.guideline_sections(projects.current_guidelines(db, project_id)),
        earlier_verdicts=[EarlierVerdict(**v) for v in service.earlier_verdicts(db, annotation)],
    )
    return model_response(NextReviewOut(task=task))


@router.post(
    "/assignments/{assignment_id}/verdict",
    operation_id="give_verdict",
    status_code=status.HTTP_201_CREATED,
    response_model=ReviewOut,
    responses=ASSIGNMENT_ERRORS,
)
def give_verdict(
    assignment_id: int, body: VerdictIn, principal: CurrentPrincipal, db: SessionDep
) -> Response:
    """accept, reject (reason code + guideline section) or correct (answers) the work a
    review lease holds. The same verdict again answers 200 with the first."""
    recorded = service.record_verdict(db, principal.id, assignment_id, body)
    (review,) = service.list_reviews(db, review_id=recorded.review.id)
    code = status.HTTP_200_OK if recorded.replayed else status.HTTP_201_CREATED
    return model_response(ReviewOut(**review), status_code=code)


@router.get("/reviews/mine", operation_id="list_my_reviews")
def list_my_reviews(
    principal: CurrentPrincipal, db: SessionDep, before: Before = None, limit: Limit = 100
) -> list[ReviewOut]:
    """Every verdict on the caller's work, newest first, with its reason."""
    rows = service.list_reviews(db, worker_id=principal.id, before=before, limit=limit)
    return [ReviewOut(**row) for row in rows]


@router.get("/projects/{project_id}/reviews", operation_id="list_project_reviews")
def list_project_reviews(
    project_id: int,
    principal: CurrentPrincipal,
    db: SessionDep,
    before: Before = None,
    limit: Limit = 100,
) -> list[ReviewOut]:
    """A project's verdicts, newest first, for its organization's members."""
    policies.read_project_data(principal, queue_service.load_project(db, project_id))
    rows = service.list_reviews(db, project_id=project_id, before=before, limit=limit)
    return [ReviewOut(**row) for row in rows]
