"""Server-rendered pages: sign in, sign out, the home page, a project's guidelines and the
labelling workspace. Forms carry a CSRF token: the session's own once signed in, a
double-submit cookie on the sign-in form."""

import secrets
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from fairlabel.auth import policies
from fairlabel.auth import routes as auth_routes
from fairlabel.auth import service as auth_service
from fairlabel.auth.policies import Principal
from fairlabel.auth.throttle import SignInLocked
from fairlabel.config import Settings
from fairlabel.deps import SESSION_COOKIE, SessionDep, SettingsDep, load_principal
from fairlabel.errors import FairlabelError, Forbidden
from fairlabel.governance import service as governance_service
from fairlabel.models import Project, ProjectStatus
from fairlabel.projects import service as project_service
from fairlabel.web import service
from fairlabel.workforce import service as workforce_service

WEB_DIR = Path(__file__).parent
LOGIN_CSRF_COOKIE = "fairlabel_login_csrf"
templates = Jinja2Templates(directory=WEB_DIR / "templates")
router = APIRouter(include_in_schema=False)


def page_principal(request: Request, db: SessionDep) -> Principal | None:
    """The signed-in browser user, CSRF-checked by the form handlers themselves."""
    cookie = request.cookies.get(SESSION_COOKIE)
    web_session = auth_service.web_session_for(db, cookie) if cookie else None
    if web_session is None:
        return None
    return load_principal(db, web_session.user, web_session.csrf_token)


PagePrincipal = Annotated[Principal | None, Depends(page_principal)]


class SignInRequired(Exception):
    """A page for signed-in people only was asked for without a browser session."""


def signed_in(principal: PagePrincipal) -> Principal:
    """The signed-in person; a visitor is sent to the sign-in form (see mount_web)."""
    if principal is None:
        raise SignInRequired
    return principal


SignedIn = Annotated[Principal, Depends(signed_in)]


def check_form_csrf(principal: Principal, sent: str) -> None:
    if not sent or not secrets.compare_digest(sent, principal.csrf_token or ""):
        raise Forbidden(
            "missing or wrong CSRF token",
            field="csrf_token",
            value=None,
            expected="the token of this browser session",
        )


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, error: str | None = None) -> Response:
    token = secrets.token_urlsafe(24)
    response = templates.TemplateResponse(
        request, "login.html", {"csrf_token": token, "error": error}
    )
    secure = secure_cookies(request)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure)
    return response


@router.post("/login")
def login(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not csrf_token or not secrets.compare_digest(csrf_token, cookie):
        return _login_again(request, "Your sign-in form expired; please try again.", 403)
    try:
        user = auth_routes.sign_in(db, request, email, password)
    except SignInLocked as locked:
        text = f"Too many failed sign-ins: {locked.phrase}. The password was not checked."
        return _login_again(request, text, 429, locked.headers)
    except auth_service.SignInFailed as failed:
        note = f" Too many failed sign-ins: {failed.locked}." if failed.locked else ""
        return _login_again(request, f"Wrong email or password.{note}", 401)
    _web_session, secret = auth_service.start_web_session(db, user, settings.session_days)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        max_age=settings.session_days * 86400,
    )
    response.delete_cookie(
        LOGIN_CSRF_COOKIE, httponly=True, samesite="strict", secure=secure_cookies(request)
    )
    return response


def secure_cookies(request: Request) -> bool:
    """Over https, as the server or a trusted proxy (forwarded_allow_ips) reports it. The
    cookies are all HttpOnly: pages hand the CSRF token to the workspace in the page."""
    settings: Settings = request.app.state.settings
    return settings.cookie_secure or request.url.scheme == "https"


def _login_again(
    request: Request, error: str, status_code: int, headers: dict[str, str] | None = None
) -> Response:
    response = login_form(request, error)
    response.status_code = status_code
    response.headers.update(headers or {})
    return response


@router.post("/logout")
def logout(
    request: Request,
    db: SessionDep,
    principal: PagePrincipal,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    if principal is not None:
        check_form_csrf(principal, csrf_token)
        auth_service.end_web_session(db, request.cookies[SESSION_COOKIE])
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=secure_cookies(request)
    )
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, db: SessionDep, principal: SignedIn) -> Response:
    return templates.TemplateResponse(request, "home.html", _home_context(db, principal))


def _home_context(db: Session, principal: Principal) -> dict[str, object]:
    org_ids = None if principal.is_operator else list(principal.roles)
    projects = project_service.list_projects(db, org_ids, include_active=principal.is_worker)
    not_open = _not_open_to(db, principal)
    return {
        "principal": principal,
        "projects": projects,
        "workable": {p.id for p in projects if _can_work(principal, p) and p.id not in not_open},
        "not_open": not_open,
        "terms_notice": governance_service.notice_for(db, principal.id)
        if principal.is_worker
        else None,
        "describe_question": service.describe_question,
        "csrf_token": principal.csrf_token,
    }


def _not_open_to(db: Session, principal: Principal) -> dict[int, list[str]]:
    """For a worker: each active project they are not eligible for, with what is missing."""
    if not principal.is_worker:
        return {}
    listed = workforce_service.my_projects(db, principal.id)
    return {p.project_id: [u.message for u in p.unmet] for p in listed if not p.eligible}


def _can_work(principal: Principal, project: Project) -> bool:
    return principal.is_worker and project.status == ProjectStatus.active


@router.get("/projects/{project_id}/guidelines", response_class=HTMLResponse)
def guidelines_page(
    request: Request, project_id: int, db: SessionDep, principal: SignedIn
) -> Response:
    """The current guidelines as a page of their own, to read before taking a task."""
    project = _visible_project(request, db, principal, project_id)
    if isinstance(project, Response):
        return project
    versions = project_service.list_guidelines(db, project.id)
    body = service.render_markdown(versions[0].body) if versions else None
    context = {
        "principal": principal,
        "csrf_token": principal.csrf_token,
        "project": project,
        "guidelines": body,
        "version": versions[0].version if versions else 0,
        "can_work": _can_work(principal, project),
    }
    return templates.TemplateResponse(request, "guidelines.html", context)


@router.get("/projects/{project_id}/work", response_class=HTMLResponse)
def work_page(request: Request, project_id: int, db: SessionDep, principal: SignedIn) -> Response:
    """The labelling workspace: a shell page that loads the built bundle, which then talks
    to the API with the session cookie and the CSRF token passed here."""
    project = _visible_project(request, db, principal, project_id)
    if isinstance(project, Response):
        return project
    context: dict[str, object] = {
        "principal": principal,
        "csrf_token": principal.csrf_token,
        "project": project,
    }
    if not _can_work(principal, project):
        reason = (
            "This project is not taking work right now."
            if principal.is_worker
            else "Only worker accounts take labelling tasks."
        )
        return page_error(request, context, 403, "You cannot label here", reason)
    return workspace_shell(request, db, project, context, "work.html")


def workspace_shell(
    request: Request,
    db: Session,
    project: Project,
    context: dict[str, object],
    template: str,
) -> Response:
    """A page that loads the built workspace bundle (labelling or review) with the current
    guidelines beside it; without a build, a page that says how to make one."""
    bundle = service.workspace_bundle()
    if bundle is None:
        return templates.TemplateResponse(request, "work_unbuilt.html", context, status_code=503)
    versions = project_service.list_guidelines(db, project.id)
    context |= {
        "bundle": bundle,
        "guidelines": service.render_markdown(versions[0].body) if versions else None,
    }
    return templates.TemplateResponse(request, template, context)


async def _to_login_on_sign_in_required(_request: Request, _exc: Exception) -> Response:
    return to_login()


def to_login() -> Response:
    """Signed-out visitors go to the sign-in form."""
    return RedirectResponse("/login", status_code=303)


def _visible_project(
    request: Request, db: Session, principal: Principal, project_id: int
) -> Project | Response:
    """The project if this person may see it; otherwise a page that says so (404, as the API)."""
    try:
        project = project_service.get_project(db, project_id)
        policies.view_project(principal, project)
    except FairlabelError as error:
        context: dict[str, object] = {"principal": principal, "csrf_token": principal.csrf_token}
        return page_error(request, context, error.status_code, "Project not found", error.message)
    return project


def page_error(
    request: Request, context: dict[str, object], status: int, title: str, message: str
) -> Response:
    context = context | {"title": title, "message": message}
    return templates.TemplateResponse(request, "error.html", context, status_code=status)


def mount_web(app: FastAPI) -> None:
    static = WEB_DIR / "static"
    static.mkdir(exist_ok=True)
    app.mount("/static", StaticFiles(directory=static), name="static")
    from fairlabel.web.api_docs import router as api_docs_router
    from fairlabel.web.appeals import router as appeals_router
    from fairlabel.web.client import router as client_router  # they import this module
    from fairlabel.web.earnings import router as earnings_router
    from fairlabel.web.gold import router as gold_router
    from fairlabel.web.governance import router as governance_router
    from fairlabel.web.history import router as history_router
    from fairlabel.web.jobs import router as jobs_router
    from fairlabel.web.model_endpoints import router as model_endpoints_router
    from fairlabel.web.operator import router as operator_router
    from fairlabel.web.profile import router as profile_router
    from fairlabel.web.qualification import router as qualification_router
    from fairlabel.web.quality import router as quality_router
    from fairlabel.web.review import router as review_router
    from fairlabel.web.wellness import router as wellness_router

    app.add_exception_handler(SignInRequired, _to_login_on_sign_in_required)
    app.include_router(router)
    app.include_router(api_docs_router)
    app.include_router(client_router)
    app.include_router(earnings_router)
    app.include_router(gold_router)
    app.include_router(history_router)
    app.include_router(jobs_router)
    app.include_router(quality_router)
    app.include_router(review_router)
    app.include_router(wellness_router)
    app.include_router(appeals_router)
    app.include_router(operator_router)
    app.include_router(profile_router)
    app.include_router(qualification_router)
    app.include_router(governance_router)
    app.include_router(model_endpoints_router)
