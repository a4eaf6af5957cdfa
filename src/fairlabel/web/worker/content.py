"""A worker's content opt-ins: the published content-risk categories with their support
resources, and which of them the worker agrees to see."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fairlabel.deps import SessionDep, SettingsDep
from fairlabel.web.pages import SignedIn, check_form_csrf, context, render
from fairlabel.wellness import risks
from fairlabel.wellness import service as wellness

router = APIRouter(include_in_schema=False)


@router.get("/me/content", response_class=HTMLResponse)
def content_page(
    request: Request, db: SessionDep, settings: SettingsDep, principal: SignedIn
) -> Response:
    values = context(
        principal,
        risks=wellness.published(settings.exposure_cap_per_day),
        opted={o.category for o in wellness.list_opt_ins(db, principal.id)},
        saved=request.query_params.get("saved") == "1",
    )
    return render(request, "wellness/content.html", values)


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
