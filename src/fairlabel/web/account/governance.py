"""The terms page (every signed-in person reads the version in effect, the upcoming ones
and the history; workers acknowledge; operators publish a new version) and the governance
page (who represents workers, and the consultations held; operators record both).

The forms go through the same services and schemas as the API; a refusal is shown beside
the field it names, with the page's status code the API would answer."""

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from fairlabel.auth import policies
from fairlabel.auth.policies import Principal
from fairlabel.db import utcnow
from fairlabel.deps import SessionDep
from fairlabel.errors import FairlabelError, ValidationFailed
from fairlabel.governance import service
from fairlabel.governance.routes import require_worker
from fairlabel.governance.schemas import ConsultationIn, RepresentativeIn, TermsIn
from fairlabel.models import ConsultationTopic, RepresentativeKind
from fairlabel.web.pages import SignedIn, check_form_csrf, context, render, titled
from fairlabel.web.service import render_markdown

router = APIRouter(include_in_schema=False)

TOPIC_LABELS = {
    ConsultationTopic.pay_floor: "Pay floors",
    ConsultationTopic.reason_codes: "Rejection reason codes",
    ConsultationTopic.terms: "Platform terms",
    ConsultationTopic.sanctions: "Sanctions",
    ConsultationTopic.other: "Other",
}
KIND_LABELS = {
    RepresentativeKind.union: "Union",
    RepresentativeKind.association: "Workers' association",
    RepresentativeKind.elected_representative: "Elected representative",
}


def form_errors(
    error: FairlabelError | ValidationError, prefix: str, fields: Iterable[str]
) -> dict[str, str]:
    """Each problem under the element id of the field it names (`prefix-field`); one that
    names none of the form's `fields` goes under `prefix-form`."""
    known = set(fields)

    def element(name: str) -> str:
        return f"{prefix}-{name if name in known else 'form'}"

    if isinstance(error, ValidationError):
        found: dict[str, str] = {}
        for problem in error.errors():
            name = str(problem["loc"][0]) if problem["loc"] else "form"
            found.setdefault(element(name), str(problem["msg"]))
        return found
    text = error.message + (f" (expected: {error.expected})" if error.expected else "")
    return {element(error.field or "form"): text}


def utc_input(text: str, field: str) -> datetime | None:
    """A datetime-local or date field, read as UTC; empty is None."""
    text = text.strip()
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            "not a date and time", field=field, value=text, expected="YYYY-MM-DDTHH:MM (UTC)"
        ) from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


# --- terms --------------------------------------------------------------------------------


@router.get("/terms", response_class=HTMLResponse)
def terms_page(request: Request, db: SessionDep, principal: SignedIn) -> Response:
    return _terms(request, db, principal, {}, {}, 200)


def _terms(
    request: Request,
    db: Session,
    principal: Principal,
    values: dict[str, str],
    errors: dict[str, str],
    status: int,
) -> Response:
    now = utcnow()
    current = service.current_version(db, now)
    seen = service.acknowledged(db, principal.id) if principal.is_worker else {}
    versions = service.describe(service.list_versions(db), current, now, seen)
    earliest = service.earliest_effective(now)
    first = not versions
    # A whole day past the notice period, so that the suggestion is still valid on submit.
    suggested = datetime.combine(earliest.date() + timedelta(days=1), datetime.min.time())
    page = context(
        principal,
        versions=versions,
        current=next((v for v in versions if v.status == "current"), None),
        upcoming=[v for v in reversed(versions) if v.status == "upcoming"],
        rendered={v.number: render_markdown(v.body) for v in versions},
        acknowledged=request.query_params.get("acknowledged"),
        published=request.query_params.get("published"),
        notice_days=service.TERMS_NOTICE_DAYS,
        first=first,
        earliest=earliest,
        values={"effective_at": "" if first else f"{suggested:%Y-%m-%dT%H:%M}", **values},
        errors=errors,
    )
    return render(request, "governance/terms.html", page, status)


@router.post("/terms", response_class=HTMLResponse)
def publish_terms(
    request: Request,
    db: SessionDep,
    principal: SignedIn,
    title: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
    summary: Annotated[str, Form()] = "",
    effective_at: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    values = {"title": title, "body": body, "summary": summary, "effective_at": effective_at}
    _operator_form(principal, csrf_token)
    try:
        fields = {"title": title, "body": body, "summary": summary}
        terms = TermsIn.model_validate(
            fields | {"effective_at": utc_input(effective_at, "effective_at")}
        )
        version = service.publish(db, terms, principal.id)
    except (FairlabelError, ValidationError) as error:
        db.rollback()
        status = error.status_code if isinstance(error, FairlabelError) else 422
        return _terms(
            request,
            db,
            principal,
            values,
            form_errors(error, "terms", TermsIn.model_fields),
            status,
        )
    return RedirectResponse(f"/terms?published={version.number}", status_code=303)


@router.post("/terms/{number}/acknowledge", response_class=HTMLResponse)
def acknowledge_terms(
    request: Request,
    number: int,
    db: SessionDep,
    principal: SignedIn,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    with titled("Not acknowledged"):
        check_form_csrf(principal, csrf_token)
        require_worker(principal)
        service.acknowledge(db, principal.id, number)
    return RedirectResponse(f"/terms?acknowledged={number}", status_code=303)


def _operator_form(principal: Principal, csrf_token: str) -> None:
    """A form sent without the session's token or by anyone but an operator is refused."""
    with titled("Not done"):
        check_form_csrf(principal, csrf_token)
        policies.require_operator(principal)


# --- representatives and consultations -----------------------------------------------------


@router.get("/governance", response_class=HTMLResponse)
def governance_page(request: Request, db: SessionDep, principal: SignedIn) -> Response:
    return _governance(request, db, principal, {}, {}, 200)


def _governance(
    request: Request,
    db: Session,
    principal: Principal,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int,
) -> Response:
    representatives = service.list_representatives(db)
    page = context(
        principal,
        representatives=representatives,
        names={r.id: r.name for r in representatives},
        consultations=service.list_consultations(db),
        topics=TOPIC_LABELS,
        kinds=KIND_LABELS,
        today=utcnow().date(),
        values=values,
        errors=errors,
        saved=request.query_params.get("saved"),
    )
    return render(request, "governance/representatives.html", page, status)


@router.post("/governance/representatives", response_class=HTMLResponse)
def record_representative(
    request: Request,
    db: SessionDep,
    principal: SignedIn,
    name: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    contact: Annotated[str, Form()] = "",
    worker_id: Annotated[str, Form()] = "",
    recognised_on: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    values = {
        "name": name,
        "kind": kind,
        "contact": contact,
        "worker_id": worker_id,
        "recognised_on": recognised_on,
    }
    _operator_form(principal, csrf_token)
    try:
        body = RepresentativeIn.model_validate(
            {
                "name": name,
                "kind": kind,
                "contact": contact,
                "worker_id": worker_id.strip() or None,
                "recognised_at": _recognised_at(recognised_on),
            }
        )
        service.record_representative(db, body, principal.id)
    except (FairlabelError, ValidationError) as error:
        return _refused(request, db, principal, values, error, "rep")
    return RedirectResponse("/governance?saved=representative", status_code=303)


def _recognised_at(text: str) -> datetime | None:
    """A date from the form: the start of that day (UTC); none for now."""
    return utc_input(text, "recognised_at")


@router.post("/governance/consultations", response_class=HTMLResponse)
def record_consultation(
    request: Request,
    db: SessionDep,
    principal: SignedIn,
    topic: Annotated[str, Form()] = "",
    held_on: Annotated[str, Form()] = "",
    summary: Annotated[str, Form()] = "",
    outcome: Annotated[str, Form()] = "",
    representative_ids: Annotated[list[str] | None, Form()] = None,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    chosen = representative_ids or []
    values: dict[str, Any] = {
        "topic": topic,
        "held_on": held_on,
        "summary": summary,
        "outcome": outcome,
        "representative_ids": chosen,
    }
    _operator_form(principal, csrf_token)
    try:
        body = ConsultationIn.model_validate(
            {
                "topic": topic,
                "held_on": held_on.strip() or None,
                "summary": summary,
                "outcome": outcome,
                "representative_ids": chosen,
            }
        )
        service.record_consultation(db, body, principal.id)
    except (FairlabelError, ValidationError) as error:
        return _refused(request, db, principal, values, error, "con")
    return RedirectResponse("/governance?saved=consultation", status_code=303)


def _refused(
    request: Request,
    db: Session,
    principal: Principal,
    values: dict[str, Any],
    error: FairlabelError | ValidationError,
    prefix: str,
) -> Response:
    db.rollback()
    status = error.status_code if isinstance(error, FairlabelError) else 422
    model = RepresentativeIn if prefix == "rep" else ConsultationIn
    errors = form_errors(error, prefix, model.model_fields)
    return _governance(request, db, principal, {prefix: values}, errors, status)
