"""LLM judges: an endpoint of the organization with a prompt template, answering one of the
project's pairwise questions (each battle judged twice, the responses swapped the second
time, to measure position bias) or rubric questions (each item scored once), as a job.

A reply that is not the JSON asked for, or a call that fails, is recorded on its verdict
(status unparseable or failed, with the reason) and listed in the job's result; it is never
a vote. Re-running the judge asks again only for what has no ok verdict yet. When the job
ends, the items the judge is unsure of are routed to people (fairlabel.evaluation.agreement)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from fairlabel.db import Database
from fairlabel.errors import Conflict, NotFound, ValidationFailed
from fairlabel.evaluation import agreement, verdicts
from fairlabel.evaluation.judge_schemas import JudgeCreate, JudgeOut, VerdictOut
from fairlabel.evaluation.service import typed_question
from fairlabel.jobs import service as jobs_service
from fairlabel.jobs.runner import Link, Progress, Runner, batch_transaction, register
from fairlabel.llm import generation
from fairlabel.llm import service as llm_service
from fairlabel.llm.client import CallResult, EndpointConfig
from fairlabel.models import Item, Job, Project
from fairlabel.models.judges import Judge, JudgeVerdict, VerdictStatus
from fairlabel.quality.service import QuestionContext
from fairlabel.questions.base import one_of

KIND = "judge"
TYPES = ("pairwise", "rubric")
#: A reply is kept for people to read, up to this many characters.
OUTPUT_LIMIT = 4000
#: Errors listed in the job's result (every one is on its verdict).
LISTED_ERRORS = 50
#: Calls asked for at once per batch, as a multiple of the endpoint's concurrency cap.
BATCH_PER_SLOT = 4


def create_judge(db: Session, project: Project, body: JudgeCreate, actor_id: int | None) -> Judge:
    """Every check runs before the judge is added: the question, the endpoint, the
    template and a free name."""
    context = judged_question(project, body.question)
    endpoint = llm_service.get_endpoint(db, body.endpoint_id)
    if endpoint.organization_id != project.organization_id:
        raise llm_service.endpoint_not_found(body.endpoint_id)
    template = verdicts.check_template(
        body.template or verdicts.DEFAULT_TEMPLATES[context.type], context.type
    )
    taken = db.scalar(
        select(Judge.id).where(Judge.project_id == project.id, Judge.name == body.name)
    )
    if taken is not None:
        raise Conflict(
            "the project has a judge of this name",
            field="name",
            value=body.name,
            expected="a name not yet taken in the project",
        )
    judge = Judge(
        project_id=project.id,
        name=body.name,
        endpoint_id=endpoint.id,
        question=context.name,
        template=template,
        rubric=body.rubric,
        response_format=body.response_format,
        min_confidence=body.min_confidence,
        created_by_id=actor_id,
    )
    db.add(judge)
    db.flush()
    return judge


def judged_question(project: Project, question: str | None) -> QuestionContext:
    """The named question, which a judge must be able to answer; default: the first pairwise
    question, else the first rubric."""
    has_pairwise = any(q.type == "pairwise" for q in project.questions)
    types = ("pairwise",) if question is None and has_pairwise else TYPES
    return typed_question(project, question, types, "a judge")


def list_judges(db: Session, project_id: int) -> list[Judge]:
    return list(db.scalars(select(Judge).where(Judge.project_id == project_id).order_by(Judge.id)))


def get_judge(db: Session, judge_id: int) -> Judge:
    judge = db.get(Judge, judge_id)
    if judge is None:
        raise judge_not_found(judge_id)
    return judge


def judge_not_found(judge_id: int) -> NotFound:
    return NotFound(
        "no such judge", field="judge_id", value=judge_id, expected="a judge of your organization"
    )


def judge_out(judge: Judge, project: Project) -> JudgeOut:
    return JudgeOut(
        id=judge.id,
        project_id=judge.project_id,
        name=judge.name,
        endpoint_id=judge.endpoint_id,
        question=judge.question,
        question_type=judged_question(project, judge.question).type,
        template=judge.template,
        rubric=judge.rubric,
        response_format=judge.response_format,
        min_confidence=judge.min_confidence,
        created_at=judge.created_at,
    )


def list_verdicts(
    db: Session, judge: Judge, status: str | None, after: int | None, limit: int
) -> list[VerdictOut]:
    """A page of the judge's verdicts in (item, order) order; `status` filters."""
    if status is not None and status not in set(VerdictStatus):
        raise ValidationFailed(
            f"unknown verdict status {status!r}",
            field="status",
            value=status,
            expected=one_of(list(VerdictStatus)),
        )
    query = (
        select(JudgeVerdict, Item.external_id)
        .join(Item, Item.id == JudgeVerdict.item_id)
        .where(JudgeVerdict.judge_id == judge.id, JudgeVerdict.item_id > (after or 0))
        .order_by(JudgeVerdict.item_id, JudgeVerdict.swapped)
        .limit(limit)
    )
    if status is not None:
        query = query.where(JudgeVerdict.status == status)
    return [
        VerdictOut(
            item_id=v.item_id,
            external_id=external_id,
            swapped=v.swapped,
            status=v.status,
            answer=v.answer,
            confidence=v.confidence,
            output=v.output,
            error=v.error,
            model=v.model,
            job_id=v.job_id,
            created_at=v.created_at,
        )
        for v, external_id in db.execute(query)
    ]


def verdict_counts(db: Session, judge_id: int) -> dict[str, int]:
    """How many of the judge's verdicts are ok, unparseable and failed."""
    rows = db.execute(
        select(JudgeVerdict.status, func.count())
        .where(JudgeVerdict.judge_id == judge_id)
        .group_by(JudgeVerdict.status)
    )
    return {str(status): 0 for status in VerdictStatus} | {s: int(n) for s, n in rows}


# --- the job ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Task:
    """One call to make: an item, in which order, and the prompt built for it."""

    item_id: int
    swapped: bool
    prompt: str
    fields: dict[str, Any]


@dataclass(frozen=True)
class Plan:
    """What a run of the judge needs, read in one short transaction before any call."""

    judge_id: int
    project_id: int
    question: str
    context: QuestionContext
    config: EndpointConfig
    response_format: dict[str, Any] | None
    tasks: list[Task]
    skipped: int


def start_judging(
    db: Session, runner: Runner, project: Project, judge: Judge, actor_id: int | None
) -> Job:
    """Queue a run of the judge, once it is known to have something to judge (a 422 for a
    project with no battles, or a judge whose endpoint was deleted; a 409 while one runs)."""
    plan(db, project, judge)
    params = {"judge_id": judge.id, "project_id": project.id}
    job = jobs_service.create(
        db, runner, KIND, params, project_id=project.id, created_by_id=actor_id, exclusive=True
    )
    job.params = {**params, "job_id": job.id}  # each verdict names the run that gave it
    db.flush()
    return job


def plan(db: Session, project: Project, judge: Judge) -> Plan:
    context = judged_question(project, judge.question)
    if judge.endpoint_id is None:
        raise ValidationFailed(
            "the judge's model endpoint was deleted",
            field="endpoint_id",
            value=None,
            expected="a new judge with an endpoint of the organization",
        )
    config = llm_service.endpoint_config(db, llm_service.get_endpoint(db, judge.endpoint_id))
    tasks, skipped = _tasks(db, project, judge, context)
    if not tasks and not _has_verdicts(db, judge.id):
        raise ValidationFailed(
            f"project {project.id} has nothing for the judge: no {_wanted(context)}",
            field="project_id",
            value=project.id,
            expected=f"a project with {_wanted(context)}",
        )
    schema = (
        verdicts.pairwise_schema(context.settings)  # type: ignore[arg-type]
        if context.type == "pairwise"
        else verdicts.rubric_schema(context.settings)  # type: ignore[arg-type]
    )
    return Plan(
        judge.id,
        project.id,
        context.name,
        context,
        config,
        verdicts.response_format(judge.response_format, schema),
        tasks,
        skipped,
    )


def _wanted(context: QuestionContext) -> str:
    if context.type == "pairwise":
        field = getattr(context.settings, "field", "responses")
        return f"battles (items with a prompt and two responses in {field!r})"
    return "items with a prompt and a response to score"


def _has_verdicts(db: Session, judge_id: int) -> bool:
    return (
        db.scalar(select(JudgeVerdict.id).where(JudgeVerdict.judge_id == judge_id).limit(1))
        is not None
    )


def _tasks(
    db: Session, project: Project, judge: Judge, context: QuestionContext
) -> tuple[list[Task], int]:
    """The calls still to make (no ok verdict yet), and how many items cannot be judged."""
    done = {
        (item_id, swapped)
        for item_id, swapped in db.execute(
            select(JudgeVerdict.item_id, JudgeVerdict.swapped).where(
                JudgeVerdict.judge_id == judge.id, JudgeVerdict.status == VerdictStatus.ok
            )
        )
    }
    items = db.execute(
        select(Item.id, Item.fields)
        .where(Item.project_id == project.id, Item.is_gold.is_(False))
        .order_by(Item.id)
    )
    tasks: list[Task] = []
    skipped = 0
    for item_id, fields in items:
        built = _prompts(judge, context, fields)
        if built is None:
            skipped += 1
            continue
        tasks.extend(
            Task(item_id, swapped, text, fields)
            for swapped, text in built
            if (item_id, swapped) not in done
        )
    return tasks, skipped


def _prompts(
    judge: Judge, context: QuestionContext, fields: dict[str, Any]
) -> list[tuple[bool, str]] | None:
    settings: Any = context.settings
    if context.type == "pairwise":
        pair = verdicts.pairwise_inputs(fields, settings.field)
        if pair is None:
            return None
        return [
            (
                swapped,
                verdicts.pairwise_prompt(
                    judge.template, judge.rubric, settings, pair, swapped, fields.get("reference")
                ),
            )
            for swapped in (False, True)
        ]
    scored = verdicts.rubric_inputs(fields)
    if scored is None:
        return None
    text = verdicts.rubric_prompt(
        judge.template, judge.rubric, settings, scored, fields.get("reference")
    )
    return [(False, text)]


def summary(result: dict[str, Any]) -> str:
    words = (
        f"Judged {result['items']:,} items: {result['ok']:,} verdicts, "
        f"{result['unparseable']:,} unparseable replies, {result['failed']:,} failed calls"
    )
    if result.get("routed"):
        words += f"; {result['routed']:,} items routed to people"
    return words + "."


def leaderboard_link(job: Job) -> Link | None:
    if job.project_id is None:
        return None
    return Link(f"/projects/{job.project_id}/leaderboard", "the project's leaderboard")


@register(KIND, title="LLM judge", summary=summary, link=leaderboard_link)
def run_judge(database: Database, params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """The calls go out in batches (a few per slot of the endpoint's cap); each batch's
    verdicts are written in a short transaction of their own, so a stopped run keeps them."""
    with database.session(write=False) as db:
        project = db.get(Project, params["project_id"])
        judge = db.get(Judge, params["judge_id"])
        if project is None or judge is None:
            raise NotFound("the judge or its project was deleted", field="judge_id")
        work = plan(db, project, judge)
    job_id = params.get("job_id")
    tally = asyncio.run(_run(database, work, progress, job_id))
    with batch_transaction(database) as db:
        tally["routed"] = agreement.route_unsure(db, work.judge_id)
    tally["not_judgeable"] = work.skipped
    return tally


async def _run(
    database: Database, work: Plan, progress: Progress, job_id: int | None
) -> dict[str, Any]:
    size = max(1, work.config.max_concurrency * BATCH_PER_SLOT)
    tally: dict[str, Any] = {"items": len({t.item_id for t in work.tasks}), "ok": 0}
    tally.update(unparseable=0, failed=0, errors=[])
    total = len(work.tasks)
    progress.update(0, total, f"Asking {work.config.name} for {total:,} verdicts")
    for start in range(0, total, size):
        batch = work.tasks[start : start + size]
        results = await asyncio.gather(*(_ask(database, work, task) for task in batch))
        rows = [
            _verdict(work, task, result, job_id)
            for task, result in zip(batch, results, strict=True)
        ]
        _store(database, work.judge_id, rows)
        _count(tally, rows)
        done = start + len(batch)
        progress.update(done, total, f"{done:,} of {total:,} verdicts asked of {work.config.name}")
    return tally


async def _ask(database: Database, work: Plan, task: Task) -> CallResult:
    return await generation.complete(
        database,
        work.config,
        verdicts.messages_for(task.prompt),
        project_id=work.project_id,
        purpose="judge",
        response_format=work.response_format,
    )


def _verdict(work: Plan, task: Task, result: CallResult, job_id: int | None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "judge_id": work.judge_id,
        "project_id": work.project_id,
        "item_id": task.item_id,
        "question": work.question,
        "swapped": task.swapped,
        "output": result.text[:OUTPUT_LIMIT],
        "model": work.config.model,
        "job_id": job_id,
        "answer": None,
        "confidence": None,
        "error": None,
    }
    if not result.ok:
        error = result.error
        reason = f"{error.code}: {error.message}" if error else "the call did not finish"
        return {**row, "status": VerdictStatus.failed, "error": reason}
    try:
        reading = _read(work, task, result.text)
    except verdicts.Unreadable as unread:
        return {**row, "status": VerdictStatus.unparseable, "error": unread.message}
    return {
        **row,
        "status": VerdictStatus.ok,
        "answer": reading.answer,
        "confidence": reading.confidence,
    }


def _read(work: Plan, task: Task, text: str) -> verdicts.Reading:
    settings: Any = work.context.settings
    if work.context.type == "pairwise":
        return verdicts.read_pairwise(text, settings, task.swapped)
    return verdicts.read_rubric(text, settings, task.fields)


def _store(database: Database, judge_id: int, rows: list[dict[str, Any]]) -> None:
    """Each (item, order) keeps its latest verdict: the earlier failed one is replaced."""
    with batch_transaction(database) as db:
        for row in rows:
            db.execute(
                delete(JudgeVerdict).where(
                    JudgeVerdict.judge_id == judge_id,
                    JudgeVerdict.item_id == row["item_id"],
                    JudgeVerdict.swapped == row["swapped"],
                )
            )
        db.add_all(JudgeVerdict(**row) for row in rows)


def _count(tally: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    for row in rows:
        tally[row["status"]] += 1
        if row["status"] != VerdictStatus.ok and len(tally["errors"]) < LISTED_ERRORS:
            tally["errors"].append(
                {
                    "item_id": row["item_id"],
                    "swapped": row["swapped"],
                    "status": row["status"],
                    "error": row["error"],
                }
            )
