"""Who may see one item or one media file: its organization's members, and workers while
they hold an active or submitted assignment on it. Anyone else gets the same 404 as for
something that does not exist, so that nothing leaks across organizations."""

from collections.abc import Callable
from typing import Literal

from fairlabel.auth import policies
from fairlabel.auth.policies import Principal
from fairlabel.items.errors import item_not_found, media_not_found
from fairlabel.models import Project

Audience = Literal["member", "worker"]


def view_item(
    principal: Principal, project: Project, item_id: int, holds_assignment: Callable[[], bool]
) -> Audience:
    """Members see the whole item, an assigned worker its data; `holds_assignment` is only
    asked for workers, so members cost no query."""
    if _is_member(principal, project):
        return "member"
    if principal.is_worker and holds_assignment():
        return "worker"
    raise item_not_found(item_id)


def view_media(
    principal: Principal, project: Project, sha256: str, holds_assignment: Callable[[], bool]
) -> None:
    if _is_member(principal, project):
        return
    if not principal.is_worker:
        policies.read_project_data(principal, project)
    if not holds_assignment():
        raise media_not_found(sha256)


def _is_member(principal: Principal, project: Project) -> bool:
    return principal.is_operator or project.organization_id in principal.roles
