"""Evaluation API: a project's leaderboard from its pairwise votes between models (its
organization's members, viewers included)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from fairlabel.auth import policies
from fairlabel.deps import CurrentPrincipal, SessionDep
from fairlabel.evaluation import leaderboard_export, service
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


@router.get(
    "/projects/{project_id}/leaderboard/export",
    operation_id="export_leaderboard",
    response_class=Response,
    responses={200: {"content": {t: {} for t in leaderboard_export.MEDIA_TYPES.values()}}},
)
def export_leaderboard(
    project_id: int,
    board: Annotated[Leaderboard, Depends(leaderboard)],
    file_format: Annotated[str, Query(alias="format", description="csv, json or parquet")] = "csv",
) -> Response:
    """The leaderboard as a file, with the same parameters as the leaderboard: CSV or Parquet
    with one row per model (score, interval, rank interval, tallies), or JSON as the
    leaderboard API answers it."""
    body = leaderboard_export.export(board, file_format)
    name = f"leaderboard-project-{project_id}.{file_format}"
    return Response(
        body,
        media_type=leaderboard_export.MEDIA_TYPES[file_format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
