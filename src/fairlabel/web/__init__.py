"""Server-rendered pages, grouped by who they serve (account/, client/, worker/,
operator/), on three shared modules: `pages` (templates, the signed-in person, errors as
the HTML error page, a project under a policy), `forms` (form parsing) and `service`
(what pages show beside the records). Page modules import those and domain services,
never each other."""

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from fairlabel.web import account, client, operator, pages, worker


async def _to_login(_request: Request, _exc: Exception) -> Response:
    return pages.to_login()


def mount_web(app: FastAPI) -> None:
    """The static files and every page router; signed-out visitors go to the sign-in form."""
    static = pages.WEB_DIR / "static"
    static.mkdir(exist_ok=True)
    app.mount("/static", StaticFiles(directory=static), name="static")
    app.add_exception_handler(pages.SignInRequired, _to_login)
    for package in (account, client, worker, operator):
        app.include_router(package.router)
