"""What every page shares: the templates, the signed-in person, the page context, the CSRF
check, a project loaded under a policy, and refusals raised as exceptions.

A page function raises a FairlabelError (or lets a service's one through) and the app
renders it as the HTML error page (see `error_page`), so no page returns a `Response`
union; a PageError gives the page a title of its own. Page modules import this module,
`forms` and `service`, never each other (tests/test_imports.py checks it)."""

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from fairlabel.auth import policies
from fairlabel.auth import service as auth_service
from fairlabel.auth.policies import Principal
from fairlabel.deps import SESSION_COOKIE, SessionDep, load_principal
from fairlabel.errors import FairlabelError, Forbidden
from fairlabel.models import Project
from fairlabel.projects import service as project_service
from fairlabel.web import service

WEB_DIR = Path(__file__).parent
templates = Jinja2Templates(directory=WEB_DIR / "templates")
templates.env.globals.update(
    pay_line=service.pay_line,
    project_wellness=service.project_wellness,
    item_text=service.render_item_text,
)


# --- who is signed in ---------------------------------------------------------------------


def page_principal(request: Request, db: SessionDep) -> Principal | None:
    """The signed-in browser user, CSRF-checked by the form handlers themselves; what the
    navigation shows of them is kept on the request for the error page."""
    cookie = request.cookies.get(SESSION_COOKIE)
    web_session = auth_service.web_session_for(db, cookie) if cookie else None
    if web_session is None:
        return None
    principal = load_principal(db, web_session.user, web_session.csrf_token)
    request.state.visitor = Visitor(
        web_session.user.display_name,
        principal.is_operator,
        principal.is_worker,
        dict(principal.roles),
        principal.csrf_token,
    )
    return principal


PagePrincipal = Annotated[Principal | None, Depends(page_principal)]


@dataclass(frozen=True, slots=True)
class Visitor:
    """What the navigation reads of the signed-in person, copied when they sign in to the
    request: the error page is drawn after the request's transaction is rolled back, when
    reading the person's row again would open a new one."""

    display_name: str
    is_operator: bool
    is_worker: bool
    roles: dict[int, str]
    csrf_token: str | None

    @property
    def user(self) -> "Visitor":
        """base.html reads `principal.user.display_name`."""
        return self


class SignInRequired(Exception):
    """A page for signed-in people only was asked for without a browser session."""


def signed_in(principal: PagePrincipal) -> Principal:
    """The signed-in person; a visitor is sent to the sign-in form (see web/__init__.py)."""
    if principal is None:
        raise SignInRequired
    return principal


SignedIn = Annotated[Principal, Depends(signed_in)]


def to_login() -> Response:
    """Signed-out visitors go to the sign-in form."""
    return RedirectResponse("/login", status_code=303)


def context(principal: Principal | Visitor | None, **values: Any) -> dict[str, Any]:
    """What every template reads: the person (for the navigation) and the form token."""
    return {
        "principal": principal,
        "csrf_token": principal.csrf_token if principal else None,
        **values,
    }


def check_form_csrf(principal: Principal, sent: str) -> None:
    if not sent or not secrets.compare_digest(sent, principal.csrf_token or ""):
        raise Forbidden(
            "missing or wrong CSRF token",
            field="csrf_token",
            value=None,
            expected="the token of this browser session",
        )


def render(request: Request, template: str, values: dict[str, Any], status: int = 200) -> Response:
    return templates.TemplateResponse(request, template, values, status_code=status)


# --- refusals as the error page -----------------------------------------------------------


class PageError(FairlabelError):
    """A refusal shown as the error page under a title of its own ("Project not found")."""

    def __init__(self, title: str, error: FairlabelError) -> None:
        super().__init__(
            error.message,
            field=error.field,
            value=error.value,
            expected=error.expected,
            details=error.details,
        )
        self.title = title
        self.status_code = error.status_code
        self.code = error.code
        self._headers = error.headers

    @property
    def headers(self) -> dict[str, str]:
        return self._headers


#: The error page's title when the page gave none, by status.
TITLES = {
    400: "Not done",
    401: "Sign in first",
    403: "Not allowed",
    404: "Not found",
    409: "Not done",
    410: "Gone",
    413: "Too large",
    422: "Not accepted",
    429: "Too many requests",
}


@contextmanager
def titled(title: str | Callable[[FairlabelError], str]) -> Iterator[None]:
    """Refusals inside the block are shown under `title` (or the title it picks)."""
    try:
        yield
    except PageError:
        raise
    except FairlabelError as error:
        raise PageError(title(error) if callable(title) else title, error) from error


def is_page(request: Request) -> bool:
    """Whether the route that answers is a page (its endpoint lives in fairlabel.web)."""
    endpoint = request.scope.get("endpoint")
    return getattr(endpoint, "__module__", "").startswith("fairlabel.web.")


def error_page(request: Request, error: FairlabelError) -> Response:
    """A refusal as the HTML error page, with its status, title and message."""
    title = (
        error.title if isinstance(error, PageError) else TITLES.get(error.status_code, "Not done")
    )
    values = context(getattr(request.state, "visitor", None), title=title, message=error.message)
    response = render(request, "error.html", values, error.status_code)
    response.headers.update(error.headers)
    return response


# --- a project under a policy -------------------------------------------------------------

Policy = Callable[[Principal, Project], None]


def _project_title(error: FairlabelError) -> str:
    return "Project not found" if error.status_code == 404 else "You cannot change this project"


def project_page(policy: Policy, *, members_only: bool = True) -> Callable[..., Project]:
    """A dependency: the path's project if `policy` lets the signed-in person at it;
    otherwise the error page (404 for a project they may not see, as the API answers).
    `members_only` first requires the project's organization (client pages)."""

    def load(project_id: int, db: SessionDep, principal: SignedIn) -> Project:
        with titled(_project_title if members_only else "Project not found"):
            project = project_service.get_project(db, project_id)
            if members_only:
                policies.read_project_data(principal, project)
            policy(principal, project)
        return project

    return load


#: A project any signed-in person may see (a worker: an active project).
VisibleProject = Annotated[
    Project, Depends(project_page(policies.view_project, members_only=False))
]
#: A project of the person's organization.
MemberProject = Annotated[Project, Depends(project_page(policies.read_project_data))]
#: A project the person may change: an owner or manager of its organization, or an operator.
ManagedProject = Annotated[Project, Depends(project_page(policies.manage_project))]


# --- the workspace shell ------------------------------------------------------------------


def workspace_shell(
    request: Request, db: Session, project: Project, values: dict[str, Any], template: str
) -> Response:
    """A page that loads the built workspace bundle (labelling or review) with the current
    guidelines beside it; without a build, a page that says how to make one."""
    bundle = service.workspace_bundle()
    if bundle is None:
        return render(request, "work_unbuilt.html", values, 503)
    versions = project_service.list_guidelines(db, project.id)
    values |= {
        "bundle": bundle,
        "guidelines": service.render_markdown(versions[0].body) if versions else None,
    }
    return render(request, template, values)
