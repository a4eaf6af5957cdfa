"""A qualification test in the browser: a server-rendered form with one field per question,
for the types a plain form can answer (label, multi_label, rating, text); the result page
shows the score, pass or fail, and each missed item with the guideline sections to read
(the expected answers only for a training test). Tests on other types (boxes, spans,
rankings) are answered through the API."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from fairlabel.auth import policies
from fairlabel.auth.policies import Principal
from fairlabel.deps import SessionDep
from fairlabel.errors import Conflict, FairlabelError
from fairlabel.models import QualificationAttempt, QualificationTest
from fairlabel.pay.floors import money
from fairlabel.projects import service as projects
from fairlabel.web.forms import act
from fairlabel.web.pages import SignedIn, context, render, titled
from fairlabel.workforce import service
from fairlabel.workforce.schemas import AttemptIn

router = APIRouter(include_in_schema=False)
FORM_TYPES = frozenset({"label", "multi_label", "rating", "text"})


@router.get("/qualification-tests/{test_id}", response_class=HTMLResponse)
def test_page(request: Request, test_id: int, db: SessionDep, principal: SignedIn) -> Response:
    return _render(request, db, principal, test_id, None, 200)


def _render(
    request: Request,
    db: Session,
    principal: Principal,
    test_id: int,
    error: str | None,
    status: int,
    result: Any = None,
) -> Response:
    with titled("No such test"):
        test = service.get_test(db, test_id)
        project = projects.get_project(db, test.project_id)
        policies.view_project(principal, project)
    last = _last(db, test, principal.id)
    attempt = last if last is not None and last.finished_at is None else None
    if attempt is not None:
        refusal = _refusal(db, test, principal.id)
        attempt, error = (None, refusal) if refusal else (attempt, error)
    values = context(
        principal,
        test=test,
        terms=service.test_out(test, project, manager=False),
        money=money,
        project=project,
        attempt=attempt,
        result=result
        or (service.attempt_out(test, last, None) if last and last.finished_at else None),
        items=service.test_items(db, test) if attempt is not None else [],
        questions=project.questions,
        form_types=FORM_TYPES,
        error=error,
    )
    return render(request, "qualification_test.html", values, status)


def _refusal(db: Session, test: QualificationTest, worker_id: int) -> str | None:
    """Why an attempt in progress may not be shown now (the items stay hidden), if it may not."""
    try:
        service.admit(db, test, worker_id)
    except FairlabelError as refused:
        return refused.message
    return None


def _last(db: Session, test: QualificationTest, worker_id: int) -> QualificationAttempt | None:
    attempts = [a for a in service.list_attempts(db, worker_id) if a.test_id == test.id]
    return attempts[0] if attempts else None


@router.post("/qualification-tests/{test_id}/start", response_class=HTMLResponse)
def start(
    request: Request,
    test_id: int,
    db: SessionDep,
    principal: SignedIn,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:

    def begin() -> None:
        test = service.get_test(db, test_id)
        policies.work_on_project(principal, projects.get_project(db, test.project_id))
        service.start_attempt(db, test, principal.id)

    def render(error: str | None, status: int) -> Response:
        return _render(request, db, principal, test_id, error, status)

    return act(db, principal, csrf_token, begin, f"/qualification-tests/{test_id}", render)


@router.post("/qualification-tests/{test_id}/answers", response_class=HTMLResponse)
async def answers(request: Request, test_id: int, db: SessionDep, principal: SignedIn) -> Response:
    """Form fields `a-<item>-<question>` (repeated for several labels) become the answers."""
    form = await request.form()
    return _finish(request, db, principal, test_id, form)


def _finish(
    request: Request, db: Session, principal: Principal, test_id: int, form: FormData
) -> Response:
    test = service.get_test(db, test_id)
    project = projects.get_project(db, test.project_id)
    kinds = {q.name: q.type for q in project.questions}
    outcome: list[Any] = []

    def finish() -> None:
        attempt = _last(db, test, principal.id)
        if attempt is None or attempt.finished_at is not None:
            raise Conflict(
                "start the test first", field="test_id", value=test_id, expected="an attempt"
            )
        body = AttemptIn(answers=_parsed(form, kinds), time_spent_ms=_ms(form))
        outcome.append(service.finish_attempt(db, attempt, project, body))

    def render(error: str | None, status: int) -> Response:
        return _render(request, db, principal, test_id, error, status)

    csrf_token = str(form.get("csrf_token", ""))
    done = f"/qualification-tests/{test_id}"
    response = act(db, principal, csrf_token, finish, done, render)
    if not outcome:
        return response
    return _render(request, db, principal, test_id, None, 200, outcome[0])


def _ms(form: FormData) -> int:
    value = str(form.get("time_spent_ms", "0"))
    return int(value) if value.isdigit() else 0


def _parsed(form: FormData, kinds: dict[str, str]) -> dict[str, dict[str, Any]]:
    answers: dict[str, dict[str, Any]] = {}
    for key in set(form.keys()):
        parts = key.split("-", 2)
        if len(parts) != 3 or parts[0] != "a" or parts[2] not in kinds:
            continue
        values = [str(v) for v in form.getlist(key) if str(v) != ""]
        if values:
            answers.setdefault(parts[1], {})[parts[2]] = _typed(kinds[parts[2]], values)
    return answers


def _typed(kind: str, values: list[str]) -> Any:
    if kind == "multi_label":
        return values
    if kind == "rating":
        return int(values[0]) if values[0].lstrip("-").isdigit() else values[0]
    return values[0]
