"""Wellness pages: a worker's content opt-ins with the support resources, and the
operators' Fairwork report. Also what the home page shows of a project before a worker
accepts: its content risks and its workers' ratings."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import object_session

from fairlabel.auth import policies
from fairlabel.deps import SessionDep, SettingsDep
from fairlabel.errors import FairlabelError
from fairlabel.models import Project
from fairlabel.reports import fairwork
from fairlabel.web.routes import (
    SignedIn,
    check_form_csrf,
    page_error,
    templates,
)
from fairlabel.wellness import risks
from fairlabel.wellness import service as wellness

router = APIRouter(include_in_schema=False)


@router.get("/me/content", response_class=HTMLResponse)
def content_page(
    request: Request, db: SessionDep, settings: SettingsDep, principal: SignedIn
) -> Response:
    opted = {o.category for o in wellness.list_opt_ins(db, principal.id)}
    context = {
        "principal": principal,
        "csrf_token": principal.csrf_token,
        "risks": wellness.published(settings.exposure_cap_per_day),
        "opted": opted,
        "saved": request.query_params.get("saved") == "1",
    }
    return templates.TemplateResponse(request, "wellness/content.html", context)


@router.post("/me/content")
def save_content(
    db: SessionDep,
    principal: SignedIn,
    csrf_token: Annotated[str, Form()] = "",
    categories: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """The ticked categories become the worker's opt-ins; the others are withdrawn."""
    check_form_csrf(principal, csrf_token)
    wellness.require_worker(principal.is_worker)
    chosen = set(categories or [])
    for name in risks.BY_NAME:
        if name in chosen:
            wellness.opt_in(db, principal.id, name)
        else:
            wellness.opt_out(db, principal.id, name)
    return RedirectResponse("/me/content?saved=1", status_code=303)


@router.get("/reports/fairwork", response_class=HTMLResponse)
def fairwork_page(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    principal: SignedIn,
    since: Annotated[date | None, Query()] = None,
) -> Response:
    context: dict[str, object] = {"principal": principal, "csrf_token": principal.csrf_token}
    try:
        policies.require_operator(principal)
    except FairlabelError as error:
        return page_error(request, context, error.status_code, "Operators only", error.message)
    context["report"] = fairwork.report(db, settings, since)
    return templates.TemplateResponse(request, "wellness/fairwork.html", context)


def project_wellness(project: Project) -> dict[str, Any]:
    """For the home page: a project's risk labels and its ratings (means and count only)."""
    db = object_session(project)
    summary = wellness.summaries(db, [project.id], with_comments=False)[project.id] if db else None
    labels = [risks.BY_NAME[n].label for n in project.content_risks or [] if n in risks.BY_NAME]
    return {"risks": labels, "ratings": summary}


templates.env.globals["project_wellness"] = project_wellness
