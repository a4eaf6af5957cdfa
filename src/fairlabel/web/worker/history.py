"""A worker's history page: every verdict on their work, with its reason, the guideline
section it cites, the reviewer's comment, a correction's answers, and the rework offered."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from fairlabel.deps import SessionDep
from fairlabel.review import service as review_service
from fairlabel.web.pages import SignedIn, context, render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


@router.get("/history", response_class=HTMLResponse)
def history_page(
    request: Request,
    db: SessionDep,
    principal: SignedIn,
    before: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    verdicts = review_service.list_reviews(
        db, worker_id=principal.id, before=before, limit=PAGE_SIZE
    )
    values = context(
        principal,
        verdicts=verdicts,
        older=verdicts[-1]["id"] if len(verdicts) == PAGE_SIZE else None,
    )
    return render(request, "history.html", values)
