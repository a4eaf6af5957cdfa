"""Export downloads, streamed: the response starts at once and memory stays flat."""

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from fairlabel.auth import policies
from fairlabel.deps import CurrentPrincipal, DatabaseDep, SessionDep
from fairlabel.exports import service
from fairlabel.formats import format_names, get_format
from fairlabel.projects import service as project_service

router = APIRouter(tags=["exports"])


@router.get("/exports/formats", operation_id="list_export_formats")
def list_export_formats() -> list[dict[str, str]]:
    return [
        {
            "name": name,
            "description": get_format(name).description,
            "extension": get_format(name).extension,
        }
        for name in format_names()
    ]


@router.get(
    "/projects/{project_id}/export", operation_id="export_project", response_class=StreamingResponse
)
def export_project(
    project_id: int,
    principal: CurrentPrincipal,
    db: SessionDep,
    database: DatabaseDep,
    format: str = Query(default="jsonl"),
) -> StreamingResponse:
    project = project_service.get_project(db, project_id)
    policies.read_project_data(principal, project)
    fmt = get_format(format)
    info = service.describe_project(db, project)
    fmt.check_project(info)
    source = service.record_source(database, project.id, project.overlap)
    headers = {"Content-Disposition": f'attachment; filename="{fmt.filename(info)}"'}
    return StreamingResponse(fmt.chunks(info, source), media_type=fmt.media_type, headers=headers)
