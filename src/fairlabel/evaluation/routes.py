"""Evaluation API: a project's leaderboard from its pairwise votes between models (its
organization's members, viewers included)."""

from typing import Annotated

from fastapi import APIRouter, Query

from fairlabel.auth import policies
from fairlabel.deps import CurrentPrincipal, SessionDep
from fairlabel.evaluation import service
from fairlabel.evaluation.schemas import Leaderboard
from fairlabel.projects import service as projects_service

router = APIRouter(tags=["evaluation"])


@router.get("/projects/{project_id}/leaderboard", operation_id="leaderboard")
def leaderboard(
    project_id: int,
    principal: CurrentPrincipal,
    db: SessionDep,
    question: Annotated[str | None, Query(description="default: the first pairwise")] = None,
    category: Annotated[str | None, Query(description="only items of this category")] = None,
    style_control: Annotated[
        bool, Query(description="also fit with length and Markdown structure as covariates")
    ] = False,
    bootstrap: Annotated[
        int, Query(ge=0, le=10000, description="bootstrap rounds; 0: no intervals")
    ] = 1000,
    seed: Annotated[int, Query(ge=0, le=2**32 - 1, description="of the bootstrap")] = 0,
    weighting: Annotated[
        str, Query(description="auto (gold where the project has gold), gold or none")
    ] = "auto",
    source: Annotated[
        str, Query(description="human (workers' votes), judge (LLM judges') or all")
    ] = "all",
) -> Leaderboard:
    """Davidson's Bradley-Terry with ties over the project's pairwise votes: scores on the Elo
    scale with 95% bootstrap intervals, rank intervals, the style-controlled score beside the
    raw one, how many votes would change each top pair, battle and win-rate matrices."""
    project = projects_service.get_project(db, project_id)
    policies.read_project_data(principal, project)
    return service.leaderboard(
        db,
        project,
        question=question,
        category=category,
        style_control=style_control,
        rounds=bootstrap,
        seed=seed,
        weighting=weighting,
        source=source,
    )
