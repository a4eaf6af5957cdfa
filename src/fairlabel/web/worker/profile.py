"""A worker's profile page: country, languages and skills, qualifications with their tier
and a form to claim one, every active project marked open to them or with why not, and
the qualification tests they can sit."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from fairlabel.auth.policies import Principal
from fairlabel.deps import SessionDep
from fairlabel.errors import Forbidden
from fairlabel.models import Project, ProjectStatus, QualificationTest
from fairlabel.web.forms import Render, act, words
from fairlabel.web.pages import PageError, SignedIn, context, render
from fairlabel.workforce import service
from fairlabel.workforce.schemas import ProfileIn, QualificationClaim

router = APIRouter(include_in_schema=False)


@router.get("/profile", response_class=HTMLResponse)
def profile_page(request: Request, db: SessionDep, principal: SignedIn) -> Response:
    return _render(request, db, principal, None, 200)


def _render(
    request: Request, db: Session, principal: Principal, error: str | None, status: int
) -> Response:
    if not principal.is_worker:
        raise PageError("No profile", Forbidden("Only workers have one."))
    tests = db.execute(
        select(QualificationTest, Project.name)
        .join(Project, Project.id == QualificationTest.project_id)
        .where(Project.status == ProjectStatus.active)
        .order_by(QualificationTest.id)
    ).all()
    values = context(
        principal,
        profile=service.profile(db, principal.id),
        projects=service.my_projects(db, principal.id),
        tests=tests,
        error=error,
    )
    return render(request, "profile.html", values, status)


@router.post("/profile", response_class=HTMLResponse)
def save_profile(
    request: Request,
    db: SessionDep,
    principal: SignedIn,
    country: Annotated[str, Form()] = "",
    languages: Annotated[str, Form()] = "",
    skills: Annotated[str, Form()] = "",
    payout_reference: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:

    def save() -> None:
        body = ProfileIn(
            country=country.strip().upper() or None,
            languages=words(languages),
            skills=words(skills),
            payout_reference=payout_reference.strip() or None,
        )
        service.update_profile(db, principal.id, body)

    return act(db, principal, csrf_token, save, "/profile", _renderer(request, db, principal))


@router.post("/profile/qualifications", response_class=HTMLResponse)
def claim_qualification(
    request: Request,
    db: SessionDep,
    principal: SignedIn,
    name: Annotated[str, Form()] = "",
    level: Annotated[int, Form()] = 1,
    evidence: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:

    def claim() -> None:
        body = QualificationClaim(name=name.strip().lower(), level=level, evidence=evidence)
        service.claim(db, principal.id, body)

    return act(db, principal, csrf_token, claim, "/profile", _renderer(request, db, principal))


def _renderer(request: Request, db: Session, principal: Principal) -> Render:
    return lambda error, status: _render(request, db, principal, error, status)
