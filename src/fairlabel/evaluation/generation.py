"""The generation job: every prompt x endpoint model of an evaluation, through the
production client (recorded calls, each endpoint's retries and timeouts), at most each
endpoint's `max_concurrency` calls at once. Each response is written as soon as it ends,
in a short transaction of its own, so a restart or a second run generates only what is
missing or failed (a failure is recorded on its response, with the attempt counted)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fairlabel.db import Database
from fairlabel.errors import ValidationFailed
from fairlabel.evaluation.evaluations import (
    GENERATION_KIND,
    get_evaluation,
    in_eval_set,
    models_of,
)
from fairlabel.jobs import service as jobs_service
from fairlabel.jobs.runner import Link, Progress, Runner, register
from fairlabel.llm import generation
from fairlabel.llm import service as llm_service
from fairlabel.llm.client import CallResult, EndpointConfig
from fairlabel.models import (
    EvalPrompt,
    EvalResponse,
    Evaluation,
    Job,
    ModelEndpoint,
    ResponseStatus,
)

PURPOSE = "evaluation"


@dataclass(frozen=True)
class _Call:
    response_id: int
    prompt: str


@dataclass
class _Plan:
    project_id: int
    configs: dict[int, EndpointConfig]
    calls: dict[int, list[_Call]]
    """Per endpoint id, the responses still to generate."""
    done: int
    total: int


def start_generation(
    db: Session, runner: Runner, evaluation: Evaluation, created_by_id: int | None
) -> Job:
    """Queue the job once the evaluation is known to have something to generate; one
    generation per project at a time (409)."""
    endpoints = [m for m in models_of(db, evaluation.id) if m.endpoint_id is not None]
    prompts = db.scalar(
        select(EvalPrompt.id).where(EvalPrompt.evaluation_id == evaluation.id).limit(1)
    )
    if not endpoints or prompts is None:
        what = "no model with an endpoint" if not endpoints else "no prompt"
        raise ValidationFailed(
            f"nothing to generate: the evaluation has {what}",
            field="evaluation_id",
            value=evaluation.id,
            expected="prompts imported and at least one model with an endpoint",
        )
    return jobs_service.create(
        db,
        runner,
        GENERATION_KIND,
        {"evaluation_id": evaluation.id},
        project_id=evaluation.project_id,
        created_by_id=created_by_id,
        exclusive=True,
    )


def summary(result: dict[str, Any]) -> str:
    return (
        f"Generated {result['generated']} responses, {result['failed']} failed "
        f"(run it again to retry them); {result['kept']} were already there."
    )


def evaluation_page(job: Job) -> Link | None:
    if job.project_id is None:
        return None
    href = f"/projects/{job.project_id}/evaluations/{job.params.get('evaluation_id')}"
    return Link(href, "the evaluation")


@register(GENERATION_KIND, title="Evaluation generation", summary=summary, link=evaluation_page)
def run_generation(
    database: Database, params: dict[str, Any], progress: Progress
) -> dict[str, Any]:
    with database.session() as db:
        plan = _plan(db, int(params["evaluation_id"]))
    progress.update(plan.done, plan.total, "Generating responses")
    counts = asyncio.run(_generate(database, plan, progress))
    return {"generated": counts["ok"], "failed": counts["failed"], "kept": plan.done}


def _plan(db: Session, evaluation_id: int) -> _Plan:
    """A pending response for every prompt x endpoint model that has none; every response
    not ok is to be generated (again)."""
    evaluation = get_evaluation(db, evaluation_id)
    models = [m for m in models_of(db, evaluation_id) if m.endpoint_id is not None]
    prompts = dict(
        db.execute(
            select(EvalPrompt.id, EvalPrompt.prompt).where(
                EvalPrompt.evaluation_id == evaluation_id, in_eval_set()
            )
        ).all()
    )
    stored = {
        (r.prompt_id, r.model_id): r
        for r in db.scalars(select(EvalResponse).where(EvalResponse.evaluation_id == evaluation_id))
    }
    for model in models:
        for prompt_id in prompts:
            if (prompt_id, model.id) not in stored:
                response = EvalResponse(
                    evaluation_id=evaluation_id,
                    prompt_id=prompt_id,
                    model_id=model.id,
                    status=ResponseStatus.pending,
                    source="generated",
                )
                db.add(response)
                stored[(prompt_id, model.id)] = response
    db.flush()
    endpoints = {
        e.id: e
        for e in db.scalars(
            select(ModelEndpoint).where(ModelEndpoint.id.in_({m.endpoint_id for m in models}))
        )
    }
    configs = {i: llm_service.endpoint_config(db, e) for i, e in endpoints.items()}
    calls: dict[int, list[_Call]] = defaultdict(list)
    done = 0
    for model in models:
        for prompt_id, text in prompts.items():
            response = stored[(prompt_id, model.id)]
            if response.status == ResponseStatus.ok:
                done += 1
            elif model.endpoint_id in configs:
                calls[model.endpoint_id].append(_Call(response.id, text))
    total = len(models) * len(prompts)
    return _Plan(evaluation.project_id, configs, dict(calls), done, total)


async def _generate(database: Database, plan: _Plan, progress: Progress) -> dict[str, int]:
    """Per endpoint, `max_concurrency` workers taking the next call from its list."""
    counts = {"ok": 0, "failed": 0}

    async def worker(config: EndpointConfig, calls: list[_Call]) -> None:
        while calls:
            call = calls.pop()
            messages = [{"role": "user", "content": call.prompt}]
            result = await generation.complete(
                database, config, messages, project_id=plan.project_id, purpose=PURPOSE
            )
            await asyncio.to_thread(_record, database, call.response_id, result)
            counts["ok" if result.ok else "failed"] += 1
            progress.update(plan.done + counts["ok"] + counts["failed"], plan.total)

    await asyncio.gather(
        *(
            worker(plan.configs[endpoint_id], calls)
            for endpoint_id, calls in plan.calls.items()
            for _ in range(plan.configs[endpoint_id].max_concurrency)
        )
    )
    return counts


def _record(database: Database, response_id: int, result: CallResult) -> None:
    with database.session() as db:
        response = db.get(EvalResponse, response_id)
        if response is None:
            return  # the evaluation was deleted while it ran
        response.attempts += 1
        response.latency_ms = result.latency_ms
        if result.ok:
            response.status, response.text = ResponseStatus.ok, result.text
            response.finish_reason = result.finish_reason
            response.error_code = response.error_message = None
        else:
            response.status = ResponseStatus.failed
            response.error_code = result.error.code if result.error else "failed"
            response.error_message = result.error.message if result.error else None
