"""Items API: streamed imports, media uploads and downloads (with Range), item reads.

The import route is a sync route on purpose: it runs in a worker thread and pulls the body
from the event loop one chunk at a time (`transfer.body_chunks`), so the parser and the
database work never block the loop, and memory holds a chunk and a batch or two whatever
the upload's size."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from fairlabel.auth import policies
from fairlabel.auth.policies import Principal
from fairlabel.config import Settings
from fairlabel.db import Database
from fairlabel.deps import CurrentPrincipal, DatabaseDep, SessionDep, SettingsDep
from fairlabel.errors import ValidationFailed
from fairlabel.items import media, parsing, service, transfer
from fairlabel.items import policies as item_policies
from fairlabel.items.parsing import ImportFormat
from fairlabel.items.schemas import ImportReport, ItemOut, ItemPage, MediaImportOut, WorkerItemOut
from fairlabel.projects import service as projects_service

router = APIRouter(tags=["items"])

_BINARY = {"schema": {"type": "string", "format": "binary"}}
_IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-ndjson": _BINARY,
            "application/json": _BINARY,
            "text/csv": _BINARY,
            "application/vnd.apache.parquet": _BINARY,
        },
    }
}
_MEDIA_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}}
                    },
                }
            }
        },
    }
}
_MEDIA_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/octet-stream": _BINARY}, "description": "the file"},
    206: {"description": "the requested byte range"},
    304: {"description": "not modified (If-None-Match names the hash)"},
    416: {"description": "the range lies outside the file"},
}


@router.post(
    "/projects/{project_id}/imports",
    operation_id="import_items",
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_IMPORT_BODY,
)
def import_items(
    project_id: int,
    request: Request,
    principal: CurrentPrincipal,
    db: SessionDep,
    database: DatabaseDep,
    settings: SettingsDep,
    format_: Annotated[ImportFormat | None, Query(alias="format")] = None,
    skip_invalid: bool = False,
) -> ImportReport:
    """Import the request body (JSONL, a JSON array, CSV or Parquet), upserting by
    external_id; conversations (OpenAI `messages`, ShareGPT `conversations`) are checked and
    stored as `fields.messages`."""
    with database.session(write=False) as read:
        policies.manage_project(principal, projects_service.get_project(read, project_id))
    fmt = _import_format(format_, request.headers.get("content-type"))
    transfer.refuse_declared_size(request, settings.max_upload_bytes)
    chunks = transfer.body_chunks(request, settings.max_upload_bytes)
    body: parsing.ByteSource = chunks
    if fmt == "parquet":
        body = transfer.spool(chunks)
    elif database.is_sqlite:
        body = transfer.spooled(chunks)
    project = projects_service.get_project(db, project_id)  # the write transaction starts here
    rows = parsing.parse(fmt, body, batch_rows=settings.import_batch_rows)
    return service.import_rows(
        db, project, rows, skip_invalid=skip_invalid, batch_rows=settings.import_batch_rows
    )


def _import_format(requested: ImportFormat | None, content_type: str | None) -> ImportFormat:
    try:
        return parsing.resolve_format(requested, content_type)
    except ValueError as exc:
        raise ValidationFailed(
            "the import format is not known",
            field="format",
            value=exc.args[0] if exc.args else None,
            expected="format=jsonl, json, csv or parquet, or a Content-Type of "
            "application/x-ndjson, application/json, text/csv or application/vnd.apache.parquet",
        ) from None


@router.post(
    "/projects/{project_id}/media",
    operation_id="upload_media",
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_MEDIA_BODY,
)
async def upload_media(
    project_id: int,
    request: Request,
    principal: CurrentPrincipal,
    db: SessionDep,
    database: DatabaseDep,
    settings: SettingsDep,
) -> MediaImportOut:
    """Upload image, audio or video files (multipart), or zip archives of them; each file
    becomes an item named after it (an archive's, by its path inside the archive). Every
    file is checked before any is kept: a refused upload leaves no item and no file."""
    await run_in_threadpool(_check_manager, database, principal, project_id)
    transfer.refuse_declared_size(request, settings.max_upload_bytes)
    form = await transfer.read_form(request, settings.max_upload_bytes)
    try:
        uploads = [value for _key, value in form.multi_items() if isinstance(value, UploadFile)]
        if not uploads:
            raise ValidationFailed(
                "no file in the upload",
                field="files",
                value=None,
                expected="one or more files in multipart/form-data",
            )
        return await run_in_threadpool(_import_uploads, db, settings, project_id, uploads)
    finally:
        await form.close()


def _check_manager(database: Database, principal: Principal, project_id: int) -> None:
    with database.session(write=False) as read:
        policies.manage_project(principal, projects_service.get_project(read, project_id))


def _import_uploads(
    db: Session, settings: Settings, project_id: int, uploads: list[UploadFile]
) -> MediaImportOut:
    """Files are written and checked before the write transaction starts: on SQLite, others
    wait for the database only while the rows are written, not while an archive expands."""
    with media.Staging(settings) as staging:
        staged = service.stage_uploads(staging, [(u.filename, u.file) for u in uploads])
        project = projects_service.get_project(db, project_id)
        added = [service.add_media_item(db, project, staging.place(one)) for one in staged]
    created = sum(is_new for _item, is_new in added)
    return MediaImportOut(
        created=created,
        updated=len(added) - created,
        items=[ItemOut.model_validate(item) for item, _is_new in added],
    )


@router.get("/projects/{project_id}/items", operation_id="list_items")
def list_items(
    project_id: int,
    principal: CurrentPrincipal,
    db: SessionDep,
    after: Annotated[int | None, Query(description="the last item id of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ItemPage:
    project = projects_service.get_project(db, project_id)
    policies.read_project_data(principal, project)
    items = service.list_items(db, project_id, after, limit)
    return ItemPage(
        items=[ItemOut.model_validate(item) for item in items],
        next_after=items[-1].id if len(items) == limit else None,
    )


@router.get("/items/{item_id}", operation_id="get_item")
def get_item(item_id: int, principal: CurrentPrincipal, db: SessionDep) -> ItemOut | WorkerItemOut:
    """Members see the whole item; a worker holding an assignment on it sees its data."""
    item = service.get_item(db, item_id)
    project = projects_service.get_project(db, item.project_id)
    audience = item_policies.view_item(
        principal, project, item_id, lambda: service.worker_holds_item(db, principal.id, item_id)
    )
    if audience == "member":
        return ItemOut.model_validate(item)
    return WorkerItemOut.model_validate(item)


@router.get(
    "/projects/{project_id}/media/{sha256}",
    operation_id="get_media",
    response_class=FileResponse,
    responses=_MEDIA_RESPONSES,
)
def get_media(
    project_id: int,
    sha256: str,
    request: Request,
    principal: CurrentPrincipal,
    db: SessionDep,
    settings: SettingsDep,
) -> Response:
    """The file, to members and to workers holding an assignment that shows it; Range
    requests are answered with 206 (or 416), the ETag is the hash."""
    project = projects_service.get_project(db, project_id)
    item_policies.view_media(
        principal,
        project,
        sha256,
        lambda: service.worker_holds_media(
            db, principal.id, service.get_media(db, project_id, sha256)
        ),
    )
    row = service.get_media(db, project_id, sha256)
    etag = f'"{row.sha256}"'
    headers = {
        "etag": etag,
        "cache-control": "private, max-age=86400",
        "x-content-type-options": "nosniff",
        "accept-ranges": "bytes",
    }
    if transfer.matches_etag(request.headers.get("if-none-match"), etag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    path = media.media_path(settings, row.sha256)
    if not path.is_file():
        raise service.media_not_found(sha256)
    problem = transfer.range_problem(request.headers.get("range"), row.size)
    if problem is not None:
        return JSONResponse(
            problem.to_dict(),
            status_code=problem.status_code,
            headers={**headers, "content-range": f"bytes */{row.size}"},
        )
    return FileResponse(path, media_type=row.content_type, headers=headers)
