"""Wellness and voice API: the published content risks, a worker's opt-ins, and ratings of
projects (a worker's own; aggregates for everyone who can see the project)."""

from fastapi import APIRouter, Response, status

from fairlabel.auth import policies
from fairlabel.db import utcnow
from fairlabel.deps import CurrentPrincipal, SessionDep, SettingsDep
from fairlabel.errors import NotFound
from fairlabel.projects import service as project_service
from fairlabel.wellness import service
from fairlabel.wellness.schemas import ContentRisks, OptInOut, RatingIn, RatingOut, RatingSummary

router = APIRouter(tags=["wellness"])


@router.get("/content-risks", operation_id="list_content_risks")
def list_content_risks(settings: SettingsDep) -> ContentRisks:
    """Public: what each category covers and where to find support, before anyone signs up."""
    return service.published(settings.exposure_cap_per_day)


@router.get("/me/risk-opt-ins", operation_id="list_risk_opt_ins")
def list_risk_opt_ins(principal: CurrentPrincipal, db: SessionDep) -> list[OptInOut]:
    found = service.list_opt_ins(db, principal.id)
    return [OptInOut(category=o.category, created_at=o.created_at) for o in found]


@router.put("/me/risk-opt-ins/{category}", operation_id="opt_into_risk")
def opt_into_risk(category: str, principal: CurrentPrincipal, db: SessionDep) -> OptInOut:
    """Consent to be given tasks of this category; idempotent."""
    service.require_worker(principal.is_worker)
    found = service.opt_in(db, principal.id, category)
    return OptInOut(category=found.category, created_at=found.created_at)


@router.delete(
    "/me/risk-opt-ins/{category}",
    operation_id="opt_out_of_risk",
    status_code=status.HTTP_204_NO_CONTENT,
)
def opt_out_of_risk(category: str, principal: CurrentPrincipal, db: SessionDep) -> Response:
    """Withdraw consent: no new tasks of this category from the next one on."""
    service.require_worker(principal.is_worker)
    service.opt_out(db, principal.id, category)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/projects/{project_id}/rating", operation_id="rate_project")
def rate_project(
    project_id: int, body: RatingIn, principal: CurrentPrincipal, db: SessionDep
) -> RatingOut:
    """A worker who submitted work here rates it; clients only ever see aggregates."""
    project_service.get_project(db, project_id)
    service.require_worker(principal.is_worker)
    rating = service.rate(db, project_id, principal.id, body, utcnow())
    return _rating_out(rating)


@router.get("/projects/{project_id}/rating", operation_id="get_my_rating")
def get_my_rating(project_id: int, principal: CurrentPrincipal, db: SessionDep) -> RatingOut:
    rating = service.own_rating(db, project_id, principal.id)
    if rating is None:
        raise NotFound(
            "you have not rated this project",
            field="project_id",
            value=project_id,
            expected="a project you rated",
        )
    return _rating_out(rating)


@router.get("/projects/{project_id}/ratings", operation_id="get_project_ratings")
def get_project_ratings(
    project_id: int, principal: CurrentPrincipal, db: SessionDep
) -> RatingSummary:
    """Means and count for anyone who can see the project; comments, without names, only
    for its organization and operators, and only from COMMENTS_FROM ratings on."""
    project = project_service.get_project(db, project_id)
    policies.view_project(principal, project)
    clients = principal.is_operator or project.organization_id in principal.roles
    return service.summaries(db, [project_id], with_comments=clients)[project_id]


def _rating_out(rating: object) -> RatingOut:
    return RatingOut.model_validate(rating, from_attributes=True)
