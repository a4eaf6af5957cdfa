"""Who may see a monitoring stream: the members of its project's organization (anyone else
gets 404, as if it did not exist); who may change it or send to it: its project's managers."""

from sqlalchemy.orm import Session

from fairlabel.auth import policies
from fairlabel.auth.policies import Principal
from fairlabel.errors import NotFound
from fairlabel.models import MonitoringStream, Project
from fairlabel.monitoring import service
from fairlabel.projects import service as projects_service


def visible_stream(
    db: Session, principal: Principal, stream_id: int
) -> tuple[MonitoringStream, Project]:
    stream = service.get_stream(db, stream_id)
    project = projects_service.get_project(db, stream.project_id)
    try:
        policies.read_project_data(principal, project)
    except NotFound:
        raise service.stream_not_found(stream_id) from None
    return stream, project
