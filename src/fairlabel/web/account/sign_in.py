"""Signing in and out. The sign-in form carries a double-submit CSRF cookie (there is no
session yet to hold a token); failed sign-ins are counted and locked out by auth/."""

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fairlabel.auth import routes as auth_routes
from fairlabel.auth import service as auth_service
from fairlabel.auth.throttle import SignInLocked
from fairlabel.config import Settings
from fairlabel.deps import SESSION_COOKIE, SessionDep, SettingsDep
from fairlabel.web.pages import PagePrincipal, check_form_csrf, render

LOGIN_CSRF_COOKIE = "fairlabel_login_csrf"
router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, error: str | None = None) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", {"csrf_token": token, "error": error})
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
