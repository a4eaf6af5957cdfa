"""Application factory: the API under /api, the pages under /."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy.exc
from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from fairlabel.config import Settings
from fairlabel.db import Database
from fairlabel.errors import FairlabelError
from fairlabel.headers import SecurityHeaders, security_headers
from fairlabel.jobs.runner import make_runner
from fairlabel.web import pages

log = logging.getLogger("fairlabel")

#: The queue and annotation routes come first: routes are matched in order, and these take
#: nearly every request of a running project.
API_ROUTERS = (
    "fairlabel.queue.routes",
    "fairlabel.annotations.routes",
    "fairlabel.auth.routes",
    "fairlabel.organizations.routes",
    "fairlabel.projects.routes",
    "fairlabel.items.routes",
    "fairlabel.exports.routes",
    "fairlabel.assist.routes",
    "fairlabel.review.routes",
    "fairlabel.gold.routes",
    "fairlabel.quality.routes",
    "fairlabel.evaluation.routes",
    "fairlabel.evaluation.evaluation_routes",
    "fairlabel.evaluation.judge_routes",
    "fairlabel.wellness.routes",
    "fairlabel.reports.routes",
    "fairlabel.workforce.routes",
    "fairlabel.dueprocess.routes",
    "fairlabel.pay.routes",
    "fairlabel.governance.routes",
    "fairlabel.jobs.routes",
    "fairlabel.llm.routes",
    "fairlabel.chat.routes",
    "fairlabel.prompts.routes",
    "fairlabel.webhooks.routes",
    "fairlabel.monitoring.routes",
)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    database = Database(settings)
    runner = make_runner(database, settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        from fairlabel.dueprocess import jobs
        from fairlabel.pay import jobs as pay_jobs
        from fairlabel.webhooks.delivery import Dispatcher
        from fairlabel.webhooks.watch import sweep

        sweeper = jobs.start(database, settings.due_process_sweep_seconds)
        dispatcher = Dispatcher(database, sweep)
        dispatcher.start()
        # Fails what a stopped server left running and resubmits what it left queued.
        await run_in_threadpool(runner.start)
        with pay_jobs.sweeper(database, settings):
            yield
        await run_in_threadpool(runner.stop)
        await run_in_threadpool(dispatcher.stop)
        if sweeper is not None:
            sweeper.cancel()
        database.dispose()

    app = FastAPI(
        title="fairlabel",
        version="0.1.0",
        openapi_url="/api/openapi.json",
        docs_url=None,  # fairlabel.web.api_docs: Swagger UI with no inline script
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.runner = runner
    app.include_router(_api_router(), prefix="/api")
    _install_error_handlers(app)
    _install_web(app)
    _install_security(app, settings)
    return app


def _api_router() -> APIRouter:
    import importlib

    api = APIRouter()
    for module_name in API_ROUTERS:
        module = importlib.import_module(module_name)
        api.include_router(module.router)
    return api


def _install_web(app: FastAPI) -> None:
    from fairlabel.web import mount_web

    mount_web(app)


def _install_security(app: FastAPI, settings: Settings) -> None:
    """The proxy headers are read outermost, so that every layer sees the client's scheme
    (Secure cookies) and address."""
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    app.add_middleware(SecurityHeaders, headers=security_headers(settings.media_origins))
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(FairlabelError)
    async def on_fairlabel_error(request: Request, exc: FairlabelError) -> Response:
        """A page shows the refusal as its HTML error page; the API answers JSON."""
        if pages.is_page(request):
            return pages.error_page(request, exc)
        return JSONResponse(exc.to_dict(), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [_describe_pydantic_error(e) for e in exc.errors()]
        first = details[0] if details else {"field": None, "value": None, "expected": None}
        body = {
            "code": "invalid",
            "message": "the request does not match what was expected",
            **first,
            "details": details,
        }
        return JSONResponse(jsonable_encoder({"error": body}), status_code=422)

    async def on_busy(_request: Request, _exc: Exception) -> JSONResponse:
        body = {"code": "busy", "message": "the database is busy with other writes; retry soon"}
        return JSONResponse({"error": body}, status_code=503, headers={"Retry-After": "5"})

    # SQLite's busy timeout, and a pool (the one SQLite writer connection) that stayed empty.
    app.add_exception_handler(TimeoutError, on_busy)
    app.add_exception_handler(sqlalchemy.exc.TimeoutError, on_busy)

    @app.exception_handler(Exception)
    async def on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        body = {"code": "internal", "message": "an unexpected error occurred; it has been logged"}
        return JSONResponse({"error": body}, status_code=500)


def _describe_pydantic_error(error: dict[str, Any]) -> dict[str, Any]:
    loc = list(error.get("loc", ()))
    if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
        loc = loc[1:]  # where the value came from; a field may itself be named "body"
    location = [str(part) for part in loc]
    value = error.get("input")
    if isinstance(value, dict | list) and len(repr(value)) > 200:
        value = repr(value)[:200] + "…"
    return {"field": ".".join(location) or None, "value": value, "expected": error.get("msg")}
