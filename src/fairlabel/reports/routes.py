"""Reports API: the Fairwork report, for operators."""

from datetime import date

from fastapi import APIRouter

from fairlabel.auth import policies
from fairlabel.deps import CurrentPrincipal, SessionDep, SettingsDep
from fairlabel.reports import fairwork
from fairlabel.reports.schemas import FairworkReport

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/fairwork", operation_id="fairwork_report")
def fairwork_report(
    principal: CurrentPrincipal, db: SessionDep, settings: SettingsDep, since: date | None = None
) -> FairworkReport:
    """Each of the ten Fairwork thresholds measured from the recorded data."""
    policies.require_operator(principal)
    return fairwork.report(db, settings, since)
