"""Terms and governance API: the platform terms by version, published by operators and
acknowledged by workers; worker representatives and the consultations held with them,
recorded by operators and readable by everyone signed in."""

from fastapi import APIRouter, Response, status
from sqlalchemy.orm import Session

from fairlabel.auth import policies
from fairlabel.auth.policies import Principal
from fairlabel.db import utcnow
from fairlabel.deps import CurrentPrincipal, SessionDep, model_response
from fairlabel.errors import Forbidden, NotFound
from fairlabel.governance import service
from fairlabel.governance.schemas import (
    AcknowledgementOut,
    ConsultationIn,
    ConsultationOut,
    RepresentativeIn,
    RepresentativeOut,
    TermsIn,
    TermsOut,
)
from fairlabel.models import TermsVersion

router = APIRouter(tags=["terms and governance"])


def require_worker(principal: Principal) -> None:
    if not principal.is_worker:
        raise Forbidden(
            "only workers acknowledge the terms",
            field="role",
            value="operator" if principal.is_operator else "member",
            expected="a worker account",
        )


# --- terms --------------------------------------------------------------------------------


@router.get("/terms", operation_id="list_terms")
def list_terms(principal: CurrentPrincipal, db: SessionDep) -> list[TermsOut]:
    """Every version, newest first, each marked current, upcoming or superseded; for a
    worker, with when they acknowledged it."""
    now = utcnow()
    seen = service.acknowledged(db, principal.id) if principal.is_worker else None
    current = service.current_version(db, now)
    return service.describe(service.list_versions(db), current, now, seen)


@router.get("/terms/current", operation_id="get_current_terms")
def get_current_terms(principal: CurrentPrincipal, db: SessionDep) -> TermsOut:
    now = utcnow()
    current = service.current_version(db, now)
    if current is None:
        raise NotFound(
            "no version of the terms is in effect yet",
            field="number",
            value=None,
            expected="an operator to publish the first version (POST /api/terms)",
        )
    return _one(principal, db, current, current)


@router.get("/terms/{number}", operation_id="get_terms_version")
def get_terms_version(number: int, principal: CurrentPrincipal, db: SessionDep) -> TermsOut:
    version = service.get_version(db, number)
    return _one(principal, db, version, service.current_version(db))


def _one(
    principal: Principal, db: Session, version: TermsVersion, current: TermsVersion | None
) -> TermsOut:
    seen = service.acknowledged(db, principal.id) if principal.is_worker else None
    return service.describe([version], current, utcnow(), seen)[0]


@router.post("/terms", operation_id="publish_terms", status_code=status.HTTP_201_CREATED)
def publish_terms(body: TermsIn, principal: CurrentPrincipal, db: SessionDep) -> TermsOut:
    """Operators: the next version. Versions are never edited or deleted; after the first,
    each says what changes and takes effect at least TERMS_NOTICE_DAYS (30) days later."""
    policies.require_operator(principal)
    version = service.publish(db, body, principal.id)
    return service.describe([version], service.current_version(db), utcnow())[0]


@router.post(
    "/terms/{number}/acknowledge",
    operation_id="acknowledge_terms",
    status_code=status.HTTP_201_CREATED,
    response_model=AcknowledgementOut,
    responses={200: {"description": "acknowledged before: the first record, unchanged"}},
)
def acknowledge_terms(number: int, principal: CurrentPrincipal, db: SessionDep) -> Response:
    """A worker says they read this version. Not a condition of work; idempotent."""
    require_worker(principal)
    found, created = service.acknowledge(db, principal.id, number)
    out = AcknowledgementOut.model_validate(found)
    return model_response(out, status.HTTP_201_CREATED if created else status.HTTP_200_OK)


# --- representatives and consultations -----------------------------------------------------


@router.get("/governance/representatives", operation_id="list_representatives")
def list_representatives(principal: CurrentPrincipal, db: SessionDep) -> list[RepresentativeOut]:
    """Who represents workers: current ones first."""
    return service.list_representatives(db)


@router.post(
    "/governance/representatives",
    operation_id="record_representative",
    status_code=status.HTTP_201_CREATED,
)
def record_representative(
    body: RepresentativeIn, principal: CurrentPrincipal, db: SessionDep
) -> RepresentativeOut:
    policies.require_operator(principal)
    representative = service.record_representative(db, body, principal.id)
    return service.representative_out(representative, utcnow())


@router.get("/governance/consultations", operation_id="list_consultations")
def list_consultations(principal: CurrentPrincipal, db: SessionDep) -> list[ConsultationOut]:
    return service.list_consultations(db)


@router.post(
    "/governance/consultations",
    operation_id="record_consultation",
    status_code=status.HTTP_201_CREATED,
)
def record_consultation(
    body: ConsultationIn, principal: CurrentPrincipal, db: SessionDep
) -> ConsultationOut:
    """Operators: a consultation held with current representatives on one policy topic."""
    policies.require_operator(principal)
    return service.record_consultation(db, body, principal.id)
