"""Evaluation projects API for the client: create an evaluation with its models, import the
eval set (and responses of models run elsewhere), start the generation job, create the
blind battles, and read the status. Managing needs the project's managers; reading, any
member who reads the project's data."""

import io
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from fairlabel.auth import policies
from fairlabel.auth.policies import Principal
from fairlabel.db import Database
from fairlabel.deps import (
    CurrentPrincipal,
    DatabaseDep,
    RunnerDep,
    SessionDep,
    SettingsDep,
    job_accepted,
)
from fairlabel.evaluation import arena, battles, evalsets, evaluations, generation
from fairlabel.evaluation import evaluation_schemas as schemas
from fairlabel.items import transfer
from fairlabel.jobs.schemas import JobOut
from fairlabel.models import Evaluation, Project
from fairlabel.projects import service as projects_service

router = APIRouter(tags=["evaluation"])

FileFormat = Annotated[str | None, Query(alias="format", description="jsonl or csv")]


@router.post(
    "/projects/{project_id}/evaluations",
    operation_id="create_evaluation",
    status_code=status.HTTP_201_CREATED,
)
def create_evaluation(
    project_id: int, body: schemas.EvaluationCreate, principal: CurrentPrincipal, db: SessionDep
) -> schemas.EvaluationOut:
    """An evaluation of at least two models, whose battles are voted on with the project's
    pairwise question."""
    project = projects_service.get_project(db, project_id)
    policies.manage_project(principal, project)
    evaluation = evaluations.create_evaluation(db, project, body, principal.id)
    return evaluations.describe(db, evaluation)


@router.get("/projects/{project_id}/evaluations", operation_id="list_evaluations")
def list_evaluations(
    project_id: int, principal: CurrentPrincipal, db: SessionDep
) -> list[schemas.EvaluationOut]:
    project = projects_service.get_project(db, project_id)
    policies.read_project_data(principal, project)
    return [evaluations.describe(db, e) for e in evaluations.list_evaluations(db, project_id)]


@router.get("/evaluations/{evaluation_id}", operation_id="get_evaluation")
def get_evaluation(
    evaluation_id: int, principal: CurrentPrincipal, db: SessionDep
) -> schemas.EvaluationOut:
    """Prompts, responses per model (ok, failed, missing), battles, votes, the latest
    generation job with its progress."""
    evaluation, _ = _readable(db, principal, evaluation_id)
    return evaluations.describe(db, evaluation)


@router.post(
    "/evaluations/{evaluation_id}/models",
    operation_id="add_evaluation_model",
    status_code=status.HTTP_201_CREATED,
)
def add_model(
    evaluation_id: int, body: schemas.ModelIn, principal: CurrentPrincipal, db: SessionDep
) -> schemas.EvaluationOut:
    evaluation, project = _managed(db, principal, evaluation_id)
    evaluations.add_model(db, evaluation, project, body)
    return evaluations.describe(db, evaluation)


@router.post(
    "/evaluations/{evaluation_id}/prompts",
    operation_id="import_eval_prompts",
    status_code=status.HTTP_201_CREATED,
)
def import_prompts(
    evaluation_id: int,
    request: Request,
    principal: CurrentPrincipal,
    db: SessionDep,
    settings: SettingsDep,
    format_: FileFormat = None,
) -> schemas.ImportOut:
    """The body, JSONL or CSV: id, prompt, and optionally category, difficulty, language,
    reference. A file with a bad line is refused whole, each bad line listed by number."""
    return _import(
        request,
        db,
        principal,
        settings.max_upload_bytes,
        evaluation_id,
        format_,
        evalsets.import_prompts,
    )


@router.post(
    "/evaluations/{evaluation_id}/responses",
    operation_id="import_eval_responses",
    status_code=status.HTTP_201_CREATED,
)
def import_responses(
    evaluation_id: int,
    request: Request,
    principal: CurrentPrincipal,
    db: SessionDep,
    settings: SettingsDep,
    format_: FileFormat = None,
) -> schemas.ImportOut:
    """Responses of models run elsewhere, JSONL or CSV: prompt_id, model, response."""
    return _import(
        request,
        db,
        principal,
        settings.max_upload_bytes,
        evaluation_id,
        format_,
        evalsets.import_responses,
    )


@router.post(
    "/evaluations/{evaluation_id}/generate",
    operation_id="generate_eval_responses",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobOut,
    responses={409: {"description": "a generation of this project is already queued or running"}},
)
def generate(
    evaluation_id: int, principal: CurrentPrincipal, db: SessionDep, runner: RunnerDep
) -> Response:
    """Generate every missing or failed response of the models with an endpoint, as a job:
    follow `Location` (GET /api/jobs/{id}) for its progress."""
    evaluation, _ = _managed(db, principal, evaluation_id)
    job = generation.start_generation(db, runner, evaluation, principal.id)
    return job_accepted(job)


@router.get("/evaluations/{evaluation_id}/failures", operation_id="list_eval_failures")
def list_failures(
    evaluation_id: int, principal: CurrentPrincipal, db: SessionDep
) -> list[schemas.ResponseFailure]:
    """Responses whose last generation failed, with the error; the next run retries them."""
    evaluation, _ = _readable(db, principal, evaluation_id)
    return evaluations.failures(db, evaluation)


@router.post(
    "/evaluations/{evaluation_id}/battles",
    operation_id="create_battles",
    status_code=status.HTTP_201_CREATED,
)
def create_battles(
    evaluation_id: int, body: schemas.BattlesCreate, principal: CurrentPrincipal, db: SessionDep
) -> schemas.BattlesOut:
    """Blind battles between the models' ok responses, each an item of the project."""
    evaluation, project = _managed(db, principal, evaluation_id)
    return battles.create_battles(db, evaluation, project, body)


def _import(
    request: Request,
    db: Session,
    principal: Principal,
    limit: int,
    evaluation_id: int,
    format_: str | None,
    importer: evalsets.Importer,
) -> schemas.ImportOut:
    """The body is read whole before the write transaction starts: an eval set is small,
    and a slow upload must not hold the database's write lock."""
    fmt = evalsets.checked_format(format_)
    transfer.refuse_declared_size(request, limit)
    body = io.BytesIO(b"".join(transfer.body_chunks(request, limit)))
    evaluation, _ = _managed(db, principal, evaluation_id)
    return schemas.ImportOut(imported=importer(db, evaluation, fmt, body))


def _readable(db: Session, principal: Principal, evaluation_id: int) -> tuple[Evaluation, Project]:
    evaluation = evaluations.get_evaluation(db, evaluation_id)
    project = projects_service.get_project(db, evaluation.project_id)
    policies.read_project_data(principal, project)
    return evaluation, project


def _managed(db: Session, principal: Principal, evaluation_id: int) -> tuple[Evaluation, Project]:
    evaluation, project = _readable(db, principal, evaluation_id)
    policies.manage_project(principal, project)
    return evaluation, project


@router.post(
    "/evaluations/{evaluation_id}/arena-tasks",
    operation_id="add_arena_tasks",
    status_code=status.HTTP_201_CREATED,
)
def add_arena_tasks(
    evaluation_id: int, body: schemas.ArenaTasks, principal: CurrentPrincipal, db: SessionDep
) -> schemas.ImportOut:
    """Arena tasks: each worker writes a prompt that two of the evaluation's models, drawn
    at random, answer live (POST /api/assignments/{id}/arena)."""
    evaluation, project = _managed(db, principal, evaluation_id)
    return schemas.ImportOut(imported=arena.add_tasks(db, evaluation, project, body.count))


@router.post("/assignments/{assignment_id}/arena", operation_id="answer_arena_prompt")
async def answer_arena_prompt(
    assignment_id: int,
    body: schemas.ArenaPrompt,
    principal: CurrentPrincipal,
    database: DatabaseDep,
) -> schemas.ArenaAnswers:
    """The worker's prompt answered by two anonymous models (a and b); vote on them with the
    task's pairwise question, then GET this path for their names. A model that fails is a
    502, nothing is stored, and the lease is extended by the time it took."""
    plan = await run_in_threadpool(_arena_plan, database, principal.id, assignment_id, body.prompt)
    return await arena.answer(database, plan)


@router.get("/assignments/{assignment_id}/arena/answers", operation_id="arena_answers")
def arena_answers(
    assignment_id: int, principal: CurrentPrincipal, db: SessionDep
) -> schemas.ArenaAnswers | None:
    """The worker's prompt and the two anonymous answers, for a page reloaded after the
    prompt was answered; null before."""
    return arena.answers(db, principal.id, assignment_id)


@router.get("/assignments/{assignment_id}/arena", operation_id="reveal_arena_models")
def reveal_arena_models(
    assignment_id: int, principal: CurrentPrincipal, db: SessionDep
) -> schemas.ArenaReveal:
    """The models behind a and b, once the vote is submitted (409 before)."""
    return arena.reveal(db, principal.id, assignment_id)


def _arena_plan(
    database: Database, worker_id: int, assignment_id: int, prompt: str
) -> arena.ArenaPlan:
    """In a read session closed before the models are called: no transaction waits on one."""
    with database.session(write=False) as db:
        return arena.plan(db, worker_id, assignment_id, prompt)
