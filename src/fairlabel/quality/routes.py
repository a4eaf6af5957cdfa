"""Quality API: the project's agreement report and consensus rows (its organization's
members, viewers included), and a whole-project consensus recompute (owners and managers)."""

from typing import Annotated

from fastapi import APIRouter, Query

from fairlabel.auth import policies
from fairlabel.deps import CurrentPrincipal, SessionDep
from fairlabel.projects import service as projects_service
from fairlabel.quality import service
from fairlabel.quality.schemas import ConsensusPage, QualityReport, Recomputed

router = APIRouter(tags=["quality"])


@router.get("/projects/{project_id}/quality", operation_id="quality_report")
def quality_report(project_id: int, principal: CurrentPrincipal, db: SessionDep) -> QualityReport:
    """Agreement per question (Krippendorff's alpha, IoU F1, span F1, Kendall's tau), the
    lowest-agreement items, per-worker accuracy against the consensus, accuracy per day."""
    project = projects_service.get_project(db, project_id)
    policies.read_project_data(principal, project)
    return service.quality_report(db, project)


@router.get("/projects/{project_id}/consensus", operation_id="list_consensus")
def list_consensus(
    project_id: int,
    principal: CurrentPrincipal,
    db: SessionDep,
    after: Annotated[int | None, Query(description="an item id: later ones only")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="items per page")] = 100,
) -> ConsensusPage:
    project = projects_service.get_project(db, project_id)
    policies.read_project_data(principal, project)
    rows, next_after = service.list_consensus(db, project.id, after, limit)
    return ConsensusPage(consensus=rows, next_after=next_after)


@router.post("/projects/{project_id}/consensus", operation_id="recompute_consensus")
def recompute_consensus(
    project_id: int,
    principal: CurrentPrincipal,
    db: SessionDep,
    method: Annotated[
        str | None, Query(description="default: dawid_skene where the type has it")
    ] = None,
    question: Annotated[str | None, Query(description="default: every question")] = None,
) -> Recomputed:
    """Recompute the consensus of the whole project, then reopen items under the project's
    consensus threshold for one more annotator (up to its max overlap)."""
    project = projects_service.get_project(db, project_id)
    policies.manage_project(principal, project)
    return service.recompute(db, project, method, question)
