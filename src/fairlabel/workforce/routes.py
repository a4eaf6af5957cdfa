"""Workforce API: a worker's profile and qualifications, operators' checks of them,
qualification tests, and why a project is (not) open to a worker."""

from fastapi import APIRouter, status

from fairlabel.auth import policies
from fairlabel.auth.policies import Principal
from fairlabel.deps import CurrentPrincipal, SessionDep
from fairlabel.errors import Forbidden
from fairlabel.projects import service as projects
from fairlabel.projects.schemas import QuestionOut
from fairlabel.workforce import service
from fairlabel.workforce.schemas import (
    AttemptIn,
    AttemptOut,
    AttemptStarted,
    EligibilityOut,
    MyProject,
    ProfileIn,
    ProfileOut,
    QualificationClaim,
    QualificationOut,
    QualificationTestIn,
    QualificationTestOut,
    TierChange,
)

router = APIRouter(tags=["workforce"])


def require_worker(principal: Principal) -> None:
    if not principal.is_worker:
        raise Forbidden(
            "only workers have a profile and qualifications",
            field="role",
            value="member",
            expected="a worker account",
        )


@router.get("/me/profile", operation_id="get_my_profile")
def get_my_profile(principal: CurrentPrincipal, db: SessionDep) -> ProfileOut:
    require_worker(principal)
    return service.profile(db, principal.id)


@router.put("/me/profile", operation_id="update_my_profile")
def update_my_profile(body: ProfileIn, principal: CurrentPrincipal, db: SessionDep) -> ProfileOut:
    """Country, languages and skills; qualifications are claimed separately."""
    require_worker(principal)
    return service.update_profile(db, principal.id, body)


@router.post(
    "/me/qualifications", operation_id="claim_qualification", status_code=status.HTTP_201_CREATED
)
def claim_qualification(
    body: QualificationClaim, principal: CurrentPrincipal, db: SessionDep
) -> QualificationOut:
    """A claim (tier claimed) that an operator may check, or a test calibrate."""
    require_worker(principal)
    return QualificationOut.model_validate(service.claim(db, principal.id, body))


@router.get("/workers/{worker_id}/profile", operation_id="get_worker_profile")
def get_worker_profile(worker_id: int, principal: CurrentPrincipal, db: SessionDep) -> ProfileOut:
    policies.require_operator(principal)
    return service.profile(db, worker_id)


@router.put(
    "/workers/{worker_id}/qualifications/{name}/tier", operation_id="set_qualification_tier"
)
def set_qualification_tier(
    worker_id: int, name: str, body: TierChange, principal: CurrentPrincipal, db: SessionDep
) -> QualificationOut:
    """An operator records having checked documents, or verified the qualification."""
    policies.require_operator(principal)
    return QualificationOut.model_validate(
        service.change_tier(db, worker_id, name, body, principal.id)
    )


@router.post(
    "/projects/{project_id}/qualification-tests",
    operation_id="create_qualification_test",
    status_code=status.HTTP_201_CREATED,
)
def create_qualification_test(
    project_id: int, body: QualificationTestIn, principal: CurrentPrincipal, db: SessionDep
) -> QualificationTestOut:
    project = projects.get_project(db, project_id)
    policies.manage_project(principal, project)
    return service.test_out(service.create_test(db, project, body), project, manager=True)


@router.get("/projects/{project_id}/qualification-tests", operation_id="list_qualification_tests")
def list_qualification_tests(
    project_id: int, principal: CurrentPrincipal, db: SessionDep
) -> list[QualificationTestOut]:
    """Each test with what it pays at most; which gold items it holds only for members."""
    project = projects.get_project(db, project_id)
    policies.view_project(principal, project)
    manager = policies.reads_project_data(principal, project)
    return [service.test_out(t, project, manager) for t in service.list_tests(db, project_id)]


@router.post(
    "/qualification-tests/{test_id}/attempts",
    operation_id="start_qualification_attempt",
    status_code=status.HTTP_201_CREATED,
)
def start_attempt(test_id: int, principal: CurrentPrincipal, db: SessionDep) -> AttemptStarted:
    """Sit a test (or resume the attempt in progress) if the project's admission rules let
    the worker see its items (403 with the reason; 409 when the budget cannot pay for it);
    retakes wait for the cool-down (429)."""
    test = service.get_test(db, test_id)
    project = projects.get_project(db, test.project_id)
    policies.work_on_project(principal, project)
    attempt = service.start_attempt(db, test, principal.id)
    return AttemptStarted(
        attempt_id=attempt.id,
        test=service.test_out(test, project, manager=False),
        started_at=attempt.started_at,
        items=service.test_items(db, test),
        questions=[QuestionOut.model_validate(q) for q in project.questions],
    )


@router.post(
    "/qualification-attempts/{attempt_id}/answers", operation_id="finish_qualification_attempt"
)
def finish_attempt(
    attempt_id: int, body: AttemptIn, principal: CurrentPrincipal, db: SessionDep
) -> AttemptOut:
    """The score, pass or fail, and each missed item with its missed questions and their
    guideline sections (the expected answers only for a training test)."""
    attempt = service.get_attempt(db, attempt_id, principal.id)
    test = service.get_test(db, attempt.test_id)
    return service.finish_attempt(db, attempt, projects.get_project(db, test.project_id), body)


@router.get("/me/qualification-attempts", operation_id="list_my_attempts")
def list_my_attempts(principal: CurrentPrincipal, db: SessionDep) -> list[AttemptOut]:
    attempts = service.list_attempts(db, principal.id)
    return [service.attempt_out(service.get_test(db, a.test_id), a, None) for a in attempts]


@router.get("/projects/{project_id}/eligibility", operation_id="get_eligibility")
def get_eligibility(project_id: int, principal: CurrentPrincipal, db: SessionDep) -> EligibilityOut:
    """Whether the project is open to the calling worker, and each requirement they miss."""
    require_worker(principal)
    project = projects.get_project(db, project_id)
    policies.view_project(principal, project)
    return service.eligibility_of(db, project, principal.id)


@router.get("/me/projects", operation_id="list_my_projects")
def list_my_projects(principal: CurrentPrincipal, db: SessionDep) -> list[MyProject]:
    """Every active project, marked open to the caller or with why not."""
    require_worker(principal)
    return service.my_projects(db, principal.id)
