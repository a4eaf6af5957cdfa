"""Authorization as named policies: every route asks one of these, never an ad-hoc `if`.

A resource the caller may not see answers 404, as if it did not exist, so that one
organization learns nothing about another's; a visible resource the caller may not change
answers 403."""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

from sqlalchemy.orm import Session

from fairlabel.errors import Forbidden, NotFound
from fairlabel.models import MemberRole, ProjectStatus, User

MANAGING_ROLES = frozenset({MemberRole.owner, MemberRole.manager})


class ProjectLike(Protocol):
    """What a policy reads of a project: an ORM Project or a plain row of its columns."""

    @property
    def id(self) -> int: ...

    @property
    def organization_id(self) -> int: ...

    @property
    def status(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller, with the roles it holds in each organization.

    Plain values only, so that one can be cached between requests; `user` loads the ORM
    row from the request's session for the few routes that need more than these."""

    id: int
    pseudonym: str
    is_operator: bool = False
    roles: Mapping[int, str] = field(default_factory=dict)
    is_worker: bool = False
    csrf_token: str | None = None
    session: Session | None = field(default=None, repr=False, compare=False)

    def bound_to(self, session: Session) -> "Principal":
        """This caller for one request, able to load its `user` from that request's session."""
        return replace(self, session=session)

    @property
    def user(self) -> User:
        if self.session is None:
            raise RuntimeError("the principal is not bound to a session")
        user = self.session.get(User, self.id)
        if user is None:
            raise NotFound("no such user", field="user_id", value=self.id, expected="a user")
        return user


def require_operator(principal: Principal) -> None:
    if not principal.is_operator:
        raise Forbidden(
            "only an operator of this deployment may do this",
            field="role",
            value="member" if principal.roles else "worker",
            expected="operator",
        )


def view_organization(principal: Principal, organization_id: int) -> None:
    if not principal.is_operator and organization_id not in principal.roles:
        raise NotFound(
            "no such organization",
            field="organization_id",
            value=organization_id,
            expected="an organization you belong to",
        )


def manage_organization(principal: Principal, organization_id: int) -> None:
    view_organization(principal, organization_id)
    if not principal.is_operator and principal.roles[organization_id] != MemberRole.owner:
        raise Forbidden(
            "only an owner may manage this organization",
            field="role",
            value=principal.roles[organization_id],
            expected="owner",
        )


def create_project(principal: Principal, organization_id: int) -> None:
    _require_managing_role(principal, organization_id)


def view_project(principal: Principal, project: ProjectLike) -> None:
    """Members see their organization's projects; workers see active projects they may work on."""
    if principal.is_operator or project.organization_id in principal.roles:
        return
    if principal.is_worker and project.status == ProjectStatus.active:
        return
    raise NotFound(
        "no such project", field="project_id", value=project.id, expected="a project you can see"
    )


def reads_project_data(principal: Principal, project: ProjectLike) -> bool:
    """Items, annotations and exports of a whole project: its organization's members only."""
    return principal.is_operator or project.organization_id in principal.roles


def read_project_data(principal: Principal, project: ProjectLike) -> None:
    if reads_project_data(principal, project):
        return
    raise NotFound(
        "no such project",
        field="project_id",
        value=project.id,
        expected="a project of your organization",
    )


def manages_project(principal: Principal, project: ProjectLike) -> bool:
    """Whether the person may change the project: an operator, or an owner or manager of
    its organization."""
    return principal.is_operator or principal.roles.get(project.organization_id) in MANAGING_ROLES


def manage_project(principal: Principal, project: ProjectLike) -> None:
    read_project_data(principal, project)
    _require_managing_role(principal, project.organization_id)


def work_on_project(principal: Principal, project: ProjectLike) -> None:
    view_project(principal, project)
    if not principal.is_worker:
        raise Forbidden(
            "only workers take tasks", field="role", value="member", expected="a worker account"
        )
    if project.status != ProjectStatus.active:
        raise Forbidden(
            "the project is not taking work",
            field="status",
            value=project.status,
            expected="active",
        )


def _require_managing_role(principal: Principal, organization_id: int) -> None:
    if principal.is_operator:
        return
    role = principal.roles.get(organization_id)
    if role is None:
        raise NotFound(
            "no such organization",
            field="organization_id",
            value=organization_id,
            expected="an organization you belong to",
        )
    if role not in MANAGING_ROLES:
        raise Forbidden(
            "viewers cannot change projects", field="role", value=role, expected="owner or manager"
        )


class JobLike(Protocol):
    """What the job policy reads of a job: an ORM Job or a plain row of its columns."""

    @property
    def id(self) -> int: ...

    @property
    def created_by_id(self) -> int | None: ...


def view_job(principal: Principal, job: JobLike, project: ProjectLike | None) -> None:
    """A job: operators, whoever started it, and the members of its project's organization
    (those who may read the project's data)."""
    if principal.is_operator or job.created_by_id == principal.id:
        return
    hidden = NotFound("no such job", field="job_id", value=job.id, expected="a job you can see")
    if project is None:
        raise hidden
    try:
        read_project_data(principal, project)
    except NotFound:
        raise hidden from None
