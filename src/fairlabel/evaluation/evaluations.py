"""Evaluations of a project: creating one with its models under test, adding models, and
what its status page and API show (prompts, responses per model, battles and votes)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session

from fairlabel.errors import Conflict, NotFound, ValidationFailed
from fairlabel.evaluation import evaluation_schemas as schemas
from fairlabel.jobs import service as jobs_service
from fairlabel.llm import service as llm_service
from fairlabel.models import (
    Annotation,
    Battle,
    EvalModel,
    EvalPrompt,
    EvalResponse,
    Evaluation,
    Job,
    Project,
    ResponseStatus,
)
from fairlabel.questions.base import one_of

GENERATION_KIND = "evaluation_generation"
MIN_MODELS = 2


def get_evaluation(db: Session, evaluation_id: int) -> Evaluation:
    evaluation = db.get(Evaluation, evaluation_id)
    if evaluation is None:
        raise NotFound(
            "no such evaluation",
            field="evaluation_id",
            value=evaluation_id,
            expected="an evaluation of a project you can see",
        )
    return evaluation


def list_evaluations(db: Session, project_id: int) -> list[Evaluation]:
    query = select(Evaluation).where(Evaluation.project_id == project_id)
    return list(db.scalars(query.order_by(Evaluation.id)))


def create_evaluation(
    db: Session, project: Project, body: schemas.EvaluationCreate, actor_id: int | None
) -> Evaluation:
    """Every check runs before anything is added: a refused request stores nothing."""
    question = _pairwise_question(project, body.question)
    if len(body.models) < MIN_MODELS:
        raise too_few_models(len(body.models))
    names = [m.name for m in body.models]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValidationFailed(
            f"model {repeated[0]!r} is named twice",
            field="models",
            value=repeated[0],
            expected="a distinct name per model",
        )
    for model in body.models:
        if model.endpoint_id is not None:
            _organization_endpoint(db, project, model.endpoint_id)
    taken = db.scalar(
        select(Evaluation.id).where(
            Evaluation.project_id == project.id, Evaluation.name == body.name
        )
    )
    if taken is not None:
        raise Conflict(
            "the project has an evaluation of this name",
            field="name",
            value=body.name,
            expected="a name not yet taken in the project",
        )
    evaluation = Evaluation(
        project_id=project.id,
        name=body.name,
        question=question,
        seed=body.seed,
        created_by_id=actor_id,
    )
    db.add(evaluation)
    db.flush()
    db.add_all(
        EvalModel(evaluation_id=evaluation.id, name=m.name, endpoint_id=m.endpoint_id)
        for m in body.models
    )
    db.flush()
    return evaluation


def add_model(
    db: Session, evaluation: Evaluation, project: Project, body: schemas.ModelIn
) -> EvalModel:
    if body.endpoint_id is not None:
        _organization_endpoint(db, project, body.endpoint_id)
    if body.name in {m.name for m in models_of(db, evaluation.id)}:
        raise Conflict(
            "the evaluation has a model of this name",
            field="name",
            value=body.name,
            expected="a name not yet taken in the evaluation",
        )
    model = EvalModel(evaluation_id=evaluation.id, name=body.name, endpoint_id=body.endpoint_id)
    db.add(model)
    db.flush()
    return model


def in_eval_set() -> ColumnElement[bool]:
    """The eval set's prompts, leaving out those a worker wrote in arena mode (each is
    answered by its own two models only)."""
    return ~exists().where(Battle.prompt_id == EvalPrompt.id, Battle.mode == "arena")


def too_few_models(count: int) -> ValidationFailed:
    return ValidationFailed(
        f"an evaluation compares at least {MIN_MODELS} models; it has {count}",
        field="models",
        value=count,
        expected=f"{MIN_MODELS} or more models (endpoints, or names with imported responses)",
    )


def models_of(db: Session, evaluation_id: int) -> list[EvalModel]:
    query = select(EvalModel).where(EvalModel.evaluation_id == evaluation_id)
    return list(db.scalars(query.order_by(EvalModel.id)))


def _pairwise_question(project: Project, name: str | None) -> str:
    names = [q.name for q in project.questions if q.type == "pairwise"]
    if name is None and names:
        return names[0]
    if name in names:
        return name
    raise ValidationFailed(
        "battles are voted on with a pairwise question of the project",
        field="question",
        value=name,
        expected=one_of(names, "a pairwise question (the project has none)"),
    )


def _organization_endpoint(db: Session, project: Project, endpoint_id: int) -> None:
    """An endpoint of another organization is not found, as if it did not exist."""
    endpoint = llm_service.get_endpoint(db, endpoint_id)
    if endpoint.organization_id != project.organization_id:
        raise llm_service.endpoint_not_found(endpoint_id)


# --- status ---------------------------------------------------------------------------------


def describe(db: Session, evaluation: Evaluation) -> schemas.EvaluationOut:
    categories = Counter(
        db.scalars(
            select(EvalPrompt.category).where(
                EvalPrompt.evaluation_id == evaluation.id, in_eval_set()
            )
        )
    )
    prompts = sum(categories.values())
    counts = Counter(
        {
            (model_id, status): n
            for model_id, status, n in db.execute(
                select(EvalResponse.model_id, EvalResponse.status, func.count())
                .join(EvalPrompt, EvalPrompt.id == EvalResponse.prompt_id)
                .where(EvalResponse.evaluation_id == evaluation.id, in_eval_set())
                .group_by(EvalResponse.model_id, EvalResponse.status)
            ).all()
        }
    )
    battles, voted, votes = _battle_counts(db, evaluation.id)
    job = latest_generation(db, evaluation)
    return schemas.EvaluationOut(
        id=evaluation.id,
        project_id=evaluation.project_id,
        name=evaluation.name,
        question=evaluation.question,
        seed=evaluation.seed,
        prompts=prompts,
        categories={c or "": n for c, n in sorted(categories.items(), key=lambda kv: kv[0] or "")},
        models=[_model_out(m, counts, prompts) for m in models_of(db, evaluation.id)],
        battles=battles,
        battles_voted=voted,
        votes=votes,
        generation=None if job is None else jobs_service.job_out(job),
        created_at=evaluation.created_at,
    )


def _model_out(
    model: EvalModel, counts: Counter[tuple[int, str]], prompts: int
) -> schemas.ModelOut:
    ok = counts[(model.id, ResponseStatus.ok)]
    failed = counts[(model.id, ResponseStatus.failed)]
    return schemas.ModelOut(
        id=model.id,
        name=model.name,
        endpoint_id=model.endpoint_id,
        source="imported" if model.endpoint_id is None else "generated",
        responses_ok=ok,
        responses_failed=failed,
        responses_missing=prompts - ok - failed,
    )


def _battle_counts(db: Session, evaluation_id: int) -> tuple[int, int, int]:
    """Battles, those voted and their votes: a blind battle's votes are its item's, an arena
    battle's (one per assignment) the vote of its assignment."""
    battles = db.scalar(
        select(func.count()).select_from(Battle).where(Battle.evaluation_id == evaluation_id)
    )
    voted = db.execute(
        select(func.count(func.distinct(Battle.id)), func.count())
        .select_from(Battle)
        .join(
            Annotation,
            or_(
                Annotation.item_id == Battle.item_id,
                Annotation.assignment_id == Battle.assignment_id,
            ),
        )
        .where(Battle.evaluation_id == evaluation_id, Annotation.is_latest)
    ).one()
    return battles or 0, voted[0], voted[1]


def latest_generation(db: Session, evaluation: Evaluation) -> Job | None:
    query = select(Job).where(Job.project_id == evaluation.project_id, Job.kind == GENERATION_KIND)
    jobs = db.scalars(query.order_by(Job.id.desc()))
    return next(
        (
            j
            for j in jobs
            if j.kind == GENERATION_KIND and j.params.get("evaluation_id") == evaluation.id
        ),
        None,
    )


def failures(db: Session, evaluation: Evaluation) -> list[schemas.ResponseFailure]:
    rows = db.execute(
        select(EvalPrompt.external_id, EvalModel.name, EvalResponse)
        .join(EvalPrompt, EvalPrompt.id == EvalResponse.prompt_id)
        .join(EvalModel, EvalModel.id == EvalResponse.model_id)
        .where(
            EvalResponse.evaluation_id == evaluation.id,
            EvalResponse.status == ResponseStatus.failed,
        )
        .order_by(EvalResponse.id)
    ).all()
    return [
        schemas.ResponseFailure(
            prompt_id=prompt,
            model=model,
            attempts=response.attempts,
            error_code=response.error_code,
            error_message=response.error_message,
        )
        for prompt, model, response in rows
    ]
