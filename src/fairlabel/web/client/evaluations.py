"""The client's evaluation pages: a project's evaluations with the form to create one of
the organization's endpoints (and names whose responses are imported), and one
evaluation's status (prompts, responses per model, the generation job, battles and votes)
with its forms: import the eval set or responses (a file or pasted text), start generation,
create battles. Every form goes through the API's services, so a refusal is the API's."""

import io
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from fairlabel.auth import policies
from fairlabel.auth.policies import Principal
from fairlabel.deps import RunnerDep, SessionDep
from fairlabel.errors import NotFound, ValidationFailed
from fairlabel.evaluation import battles, evalsets, evaluations, generation
from fairlabel.evaluation import evaluation_schemas as schemas
from fairlabel.llm import service as llm_service
from fairlabel.models import Evaluation, Project
from fairlabel.web.forms import act, words
from fairlabel.web.pages import ManagedProject, MemberProject, SignedIn, context, render

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form()]
Upload = Annotated[UploadFile | None, File()]
#: What each import form stores, by the last part of its path.
IMPORTERS: dict[str, evalsets.Importer] = {
    "prompts": evalsets.import_prompts,
    "responses": evalsets.import_responses,
}


@router.get("/projects/{project_id}/evaluations", response_class=HTMLResponse)
def evaluations_page(
    request: Request, project: MemberProject, db: SessionDep, principal: SignedIn
) -> Response:
    return _list(request, db, principal, project, None, 200)


def _list(
    request: Request,
    db: Session,
    principal: Principal,
    project: Project,
    error: str | None,
    status: int,
) -> Response:
    values = context(
        principal,
        project=project,
        can_manage=policies.manages_project(principal, project),
        evaluations=[
            evaluations.describe(db, e) for e in evaluations.list_evaluations(db, project.id)
        ],
        endpoints=llm_service.list_endpoints(db, project.organization_id),
        error=error,
    )
    return render(request, "client/evaluations.html", values, status)


@router.post("/projects/{project_id}/evaluations", response_class=HTMLResponse)
async def create(
    request: Request, project: ManagedProject, db: SessionDep, principal: SignedIn
) -> Response:
    """The checked endpoints (each named as typed beside it, else by the endpoint's name)
    and one imported model per name in `imported`."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    chosen = [int(v) for v in form.getlist("endpoint") if isinstance(v, str) and v.isdigit()]
    names = {e.id: e.name for e in llm_service.list_endpoints(db, project.organization_id)}
    created: list[Evaluation] = []

    def action() -> None:
        models = [
            schemas.ModelIn(name=fields.get(f"name-{i}") or names.get(i, str(i)), endpoint_id=i)
            for i in chosen
        ] + [schemas.ModelIn(name=n) for n in words(fields.get("imported", ""))]
        body = schemas.EvaluationCreate(
            name=fields.get("name", ""), seed=int(fields.get("seed") or 0), models=models
        )
        created.append(evaluations.create_evaluation(db, project, body, principal.id))

    def again(error: str | None, status: int) -> Response:
        return _list(request, db, principal, project, error, status)

    response = act(db, principal, fields.get("csrf_token", ""), action, "", again)
    if created:
        return RedirectResponse(_href(created[0]), status_code=303)
    return response


@router.get("/projects/{project_id}/evaluations/{evaluation_id}", response_class=HTMLResponse)
def evaluation_page(
    request: Request,
    project: MemberProject,
    evaluation_id: int,
    db: SessionDep,
    principal: SignedIn,
) -> Response:
    return _show(request, db, principal, project, _of(db, project, evaluation_id), None, 200)


def _show(
    request: Request,
    db: Session,
    principal: Principal,
    project: Project,
    evaluation: Evaluation,
    error: str | None,
    status: int,
) -> Response:
    values = context(
        principal,
        project=project,
        can_manage=policies.manages_project(principal, project),
        evaluation=evaluations.describe(db, evaluation),
        failures=evaluations.failures(db, evaluation)[:50],
        error=error,
    )
    return render(request, "client/evaluation.html", values, status)


@router.post("/projects/{project_id}/evaluations/{evaluation_id}/generate")
def generate(
    request: Request,
    project: ManagedProject,
    evaluation_id: int,
    db: SessionDep,
    principal: SignedIn,
    runner: RunnerDep,
    csrf_token: Text = "",
) -> Response:
    """Start the generation job and go to its progress page."""
    evaluation = _of(db, project, evaluation_id)
    started = []

    def action() -> None:
        started.append(generation.start_generation(db, runner, evaluation, principal.id))

    response = _act(request, db, principal, project, evaluation, csrf_token, action)
    return RedirectResponse(f"/jobs/{started[0].id}", status_code=303) if started else response


@router.post("/projects/{project_id}/evaluations/{evaluation_id}/battles")
def create_battles(
    request: Request,
    project: ManagedProject,
    evaluation_id: int,
    db: SessionDep,
    principal: SignedIn,
    per_pair: Text = "1",
    pairs_per_prompt: Text = "",
    csrf_token: Text = "",
) -> Response:
    evaluation = _of(db, project, evaluation_id)

    def action() -> None:
        body = schemas.BattlesCreate(
            per_pair=int(per_pair or 1),
            pairs_per_prompt=int(pairs_per_prompt) if pairs_per_prompt.strip() else None,
        )
        battles.create_battles(db, evaluation, project, body)

    return _act(request, db, principal, project, evaluation, csrf_token, action)


def _act(
    request: Request,
    db: Session,
    principal: Principal,
    project: Project,
    evaluation: Evaluation,
    csrf_token: str,
    action: Callable[[], None],
) -> Response:
    def again(error: str | None, status: int) -> Response:
        return _show(request, db, principal, project, evaluation, error, status)

    return act(db, principal, csrf_token, action, _href(evaluation), again)


def _every_line(error: ValidationFailed) -> ValidationFailed:
    """The page shows one message: every bad line goes into it."""
    lines = "; ".join(
        f"line {d['line']}: {d['field']}: expected {d['expected']}" for d in error.details
    )
    message = f"{error.message}. {lines}" if lines else error.message
    return ValidationFailed(message, field=error.field, value=error.value, expected=error.expected)


def _of(db: Session, project: Project, evaluation_id: int) -> Evaluation:
    """The evaluation, when it belongs to this project (another project's is not found)."""
    evaluation = db.get(Evaluation, evaluation_id)
    if evaluation is None or evaluation.project_id != project.id:
        raise NotFound(
            "no such evaluation in this project",
            field="evaluation_id",
            value=evaluation_id,
            expected="an evaluation of this project",
        )
    return evaluation


def _href(evaluation: Evaluation) -> str:
    return f"/projects/{evaluation.project_id}/evaluations/{evaluation.id}"


@router.post("/projects/{project_id}/evaluations/{evaluation_id}/{kind}")
def import_file(
    request: Request,
    project: ManagedProject,
    evaluation_id: int,
    kind: str,
    db: SessionDep,
    principal: SignedIn,
    file: Upload = None,
    text: Text = "",
    format: Text = "jsonl",
    csrf_token: Text = "",
) -> Response:
    """The eval set (`prompts`) or imported `responses`: an uploaded file, else the pasted
    text; each bad line is listed on the page. Registered last: the fixed paths come first."""
    evaluation = _of(db, project, evaluation_id)
    importer = IMPORTERS.get(kind)
    if importer is None:
        raise NotFound("no such page", field="kind", value=kind, expected="prompts or responses")

    def action() -> None:
        body = file.file if file is not None and file.filename else io.BytesIO(text.encode())
        try:
            importer(db, evaluation, evalsets.checked_format(format), body)
        except ValidationFailed as error:
            raise _every_line(error) from None

    return _act(request, db, principal, project, evaluation, csrf_token, action)
