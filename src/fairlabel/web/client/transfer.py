"""A project's import and export pages: the upload form (the browser posts the file to
the import API itself), and every registered export format with the options the API takes,
checked here as the API checks them before the browser is sent to the download."""

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from fairlabel.auth import policies
from fairlabel.auth.policies import Principal
from fairlabel.db import Database
from fairlabel.deps import DatabaseDep, SessionDep
from fairlabel.errors import FairlabelError, ValidationFailed
from fairlabel.exports import aggregated as aggregated_export
from fairlabel.exports import service as export_service
from fairlabel.formats import format_names, get_format
from fairlabel.models import Project
from fairlabel.web.pages import ManagedProject, MemberProject, SignedIn, context, render

router = APIRouter(include_in_schema=False)


@router.get("/projects/{project_id}/import", response_class=HTMLResponse)
def import_page(request: Request, project: ManagedProject, principal: SignedIn) -> Response:
    """The upload form; the browser posts the file to the import API itself."""
    return render(request, "client/import.html", context(principal, project=project))


@router.get("/projects/{project_id}/export", response_class=HTMLResponse)
def export_page(
    request: Request, project: MemberProject, db: SessionDep, principal: SignedIn
) -> Response:
    """Every registered format, those this project cannot fill marked with the reason."""
    return _export_form(request, db, principal, project, ExportAsk(), {})


@dataclass(frozen=True, slots=True)
class ExportAsk:
    """The export form as sent: empty fields are absent, not empty values."""

    format: str = ""
    aggregated: bool = False
    split: str = ""
    seed: str = ""
    include_media: bool = False

    def params(self) -> dict[str, str]:
        asked = {
            "format": self.format,
            "aggregated": "true" if self.aggregated else "",
            "split": self.split,
            "seed": self.seed,
            "include_media": "true" if self.include_media else "",
        }
        return {name: value for name, value in asked.items() if value}


@router.get("/projects/{project_id}/export/download", response_class=HTMLResponse)
def export_download(
    request: Request,
    project: MemberProject,
    db: SessionDep,
    database: DatabaseDep,
    principal: SignedIn,
    format: str = "jsonl",
    aggregated: bool = False,
    split: str = "",
    seed: str = "",
    include_media: bool = False,
) -> Response:
    """The form's target: the options checked as the API checks them, then a redirect to
    the API's download; a bad one shows the form again with its error (a 422)."""
    asked = ExportAsk(format, aggregated, split.strip(), seed.strip(), include_media)
    try:
        _check_export(db, database, project, asked)
    except FairlabelError as error:
        errors = {f"export-{error.field or 'format'}": error.message}
        return _export_form(request, db, principal, project, asked, errors, 422)
    query = urlencode(asked.params())
    return RedirectResponse(f"/api/projects/{project.id}/export?{query}", status_code=303)


def _check_export(db: Session, database: Database, project: Project, asked: ExportAsk) -> None:
    if asked.seed and not asked.seed.isdigit():
        raise ValidationFailed(
            f"the seed {asked.seed!r} is not a whole number",
            field="seed",
            value=asked.seed,
            expected="a whole number from 0",
        )
    options = export_service.export_options(
        db,
        database,
        project,
        split=asked.split or None,
        seed=int(asked.seed) if asked.seed else None,
        include_media=asked.include_media,
        format=asked.format,
    )
    info = export_service.describe_project(db, project, options)
    if asked.aggregated:
        aggregated_export.variant(asked.format).check_options(options)
    get_format(asked.format).check_project(info)


def _export_form(
    request: Request,
    db: Session,
    principal: Principal,
    project: Project,
    asked: ExportAsk,
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    info = export_service.describe_project(db, project)
    formats = []
    for name in format_names():
        fmt = get_format(name)
        try:
            fmt.check_project(info)
            reason = None
        except FairlabelError as error:
            reason = error.expected or error.message
        formats.append({"name": name, "description": fmt.description, "unavailable": reason})
    values = context(
        principal,
        project=project,
        formats=formats,
        asked=asked,
        errors=errors,
        has_media=export_service.has_media(db, project.id),
        can_manage=policies.manages_project(principal, project),
    )
    return render(request, "client/export.html", values, status_code)
