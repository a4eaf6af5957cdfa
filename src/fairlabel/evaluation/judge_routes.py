"""LLM judges API: create a judge (managers), run it as a job (managers), read its verdicts
and its agreement with people (members who read the project's data); rubric scores per
model and criterion; two model versions compared on the prompts they were both asked."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.orm import Session

from fairlabel.auth import policies
from fairlabel.auth.policies import Principal
from fairlabel.deps import CurrentPrincipal, RunnerDep, SessionDep, job_accepted
from fairlabel.errors import NotFound
from fairlabel.evaluation import agreement, judges, rubrics, versions
from fairlabel.evaluation import judge_schemas as schemas
from fairlabel.jobs.schemas import JobOut
from fairlabel.models import Project
from fairlabel.models.judges import Judge
from fairlabel.projects import service as projects_service

router = APIRouter(tags=["evaluation"])

Rounds = Annotated[int, Query(ge=0, le=10000, description="bootstrap rounds; 0: no intervals")]
Seed = Annotated[int, Query(ge=0, le=2**32 - 1, description="of the bootstrap")]
SourceQuery = Annotated[
    schemas.Source, Query(description="human (workers), judge (LLM judges) or all")
]


@router.post(
    "/projects/{project_id}/judges",
    operation_id="create_judge",
    status_code=status.HTTP_201_CREATED,
)
def create_judge(
    project_id: int, body: schemas.JudgeCreate, principal: CurrentPrincipal, db: SessionDep
) -> schemas.JudgeOut:
    """A judge of the project's pairwise (or rubric) question: an endpoint of the
    organization and a prompt template (the shipped one by default)."""
    project = projects_service.get_project(db, project_id)
    policies.manage_project(principal, project)
    return judges.judge_out(judges.create_judge(db, project, body, principal.id), project)


@router.get("/projects/{project_id}/judges", operation_id="list_judges")
def list_judges(
    project_id: int, principal: CurrentPrincipal, db: SessionDep
) -> list[schemas.JudgeOut]:
    project = projects_service.get_project(db, project_id)
    policies.read_project_data(principal, project)
    return [judges.judge_out(j, project) for j in judges.list_judges(db, project.id)]


@router.get("/judges/{judge_id}", operation_id="get_judge")
def get_judge(judge_id: int, principal: CurrentPrincipal, db: SessionDep) -> schemas.JudgeOut:
    judge, project = _readable(db, principal, judge_id)
    return judges.judge_out(judge, project)


@router.post(
    "/judges/{judge_id}/runs",
    operation_id="run_judge",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobOut,
    responses={409: {"description": "a run of a judge of this project is queued or running"}},
)
def run_judge(
    judge_id: int, principal: CurrentPrincipal, db: SessionDep, runner: RunnerDep
) -> Response:
    """Ask the judge for every verdict it has no ok one for yet (each battle in both orders),
    as a job: follow `Location`; its result counts verdicts, unparseable replies and failed
    calls, lists the errors, and says how many items were routed to people."""
    judge, project = _readable(db, principal, judge_id)
    policies.manage_project(principal, project)
    job = judges.start_judging(db, runner, project, judge, principal.id)
    return job_accepted(job)


@router.get("/judges/{judge_id}/verdicts", operation_id="list_judge_verdicts")
def list_verdicts(
    judge_id: int,
    principal: CurrentPrincipal,
    db: SessionDep,
    verdict_status: Annotated[
        str | None, Query(alias="status", description="ok, unparseable or failed")
    ] = None,
    after: Annotated[int | None, Query(description="an item id: later ones only")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[schemas.VerdictOut]:
    judge, _ = _readable(db, principal, judge_id)
    return judges.list_verdicts(db, judge, verdict_status, after, limit)


@router.get("/judges/{judge_id}/agreement", operation_id="judge_agreement")
def judge_agreement(
    judge_id: int,
    principal: CurrentPrincipal,
    db: SessionDep,
    bootstrap: Rounds = 1000,
    seed: Seed = 0,
) -> schemas.JudgeAgreement:
    """Cohen's kappa with people on the items both answered (per criterion for a rubric),
    the position-swap consistency, and the items flagged for people with the reason."""
    judge, project = _readable(db, principal, judge_id)
    return agreement.report(db, project, judge, bootstrap, seed)


@router.get("/projects/{project_id}/rubric-scores", operation_id="rubric_scores")
def rubric_scores(
    project_id: int,
    principal: CurrentPrincipal,
    db: SessionDep,
    question: Annotated[str | None, Query(description="default: the first rubric")] = None,
    source: SourceQuery = "all",
    bootstrap: Rounds = 1000,
    seed: Seed = 0,
) -> schemas.RubricReport:
    """Per model and criterion, the mean score with a 95% bootstrap interval over items,
    from the rubric answers on items that name their model (`fields.model` or `meta.model`)."""
    project = projects_service.get_project(db, project_id)
    policies.read_project_data(principal, project)
    return rubrics.report(db, project, question, source, bootstrap, seed)


@router.get("/projects/{project_id}/versions", operation_id="compare_versions")
def compare_versions(
    project_id: int,
    principal: CurrentPrincipal,
    db: SessionDep,
    baseline: Annotated[str, Query(min_length=1, description="the model version to beat")],
    candidate: Annotated[str, Query(min_length=1, description="the new model version")],
    question: Annotated[str | None, Query(description="default: the first pairwise")] = None,
    source: SourceQuery = "all",
    bootstrap: Rounds = 1000,
    seed: Seed = 0,
) -> schemas.VersionReport:
    """The candidate's paired win rate over the baseline (wins plus half the ties, over the
    votes between them on one prompt) with a 95% bootstrap interval over prompts, overall
    and per category."""
    project = projects_service.get_project(db, project_id)
    policies.read_project_data(principal, project)
    return versions.report(db, project, baseline, candidate, question, source, bootstrap, seed)


def _readable(db: Session, principal: Principal, judge_id: int) -> tuple[Judge, Project]:
    judge = judges.get_judge(db, judge_id)
    project = projects_service.get_project(db, judge.project_id)
    try:
        policies.read_project_data(principal, project)
    except NotFound:
        raise judges.judge_not_found(judge_id) from None
    return judge, project
