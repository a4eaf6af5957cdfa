"""When a project may take work: its effective hourly rate reaches the floor of every country
it is open to, and its budget can pay for at least one task. Checked when it becomes active
and whenever the pay of an active project changes."""

from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from fairlabel.errors import Conflict, ValidationFailed
from fairlabel.models import Project
from fairlabel.pay import floors, service
from fairlabel.pay.ledger import ENTRIES


def check_activation(db: Session, project: Project) -> None:
    """422 listing each failing country (its floor, the project's effective hourly rate)
    and an unfunded budget; nothing is changed."""
    details = _floor_details(db, project) + _funding_details(db, project)
    if details:
        raise ValidationFailed(
            "the project cannot take work: " + "; ".join(d["problem"] for d in details),
            field=details[0]["field"],
            value=details[0]["value"],
            expected=details[0]["expected"],
            details=details,
        )


def check_pay(db: Session, project: Project) -> None:
    """For a change of pay on an active project: the floors alone (it is funded already)."""
    details = _floor_details(db, project)
    if details:
        raise ValidationFailed(
            "the new pay is below the floor: " + "; ".join(d["problem"] for d in details),
            field="rates",
            value=project.rates,
            expected=details[0]["expected"],
            details=details,
        )


def _floor_details(db: Session, project: Project) -> list[dict[str, Any]]:
    gaps = floors.shortfalls(db, project, project.eligibility, floors.hourly_minor(project))
    return [
        {
            "problem": f"below the {gap.name} floor",
            "field": "rates.label",
            "value": project.rates.get("label", 0),
            "expected": (
                f"an effective hourly rate of at least {gap.floor_in_project_currency} "
                f"{gap.project_currency} minor units for {gap.country}"
            ),
            **gap._asdict(),
        }
        for gap in gaps
    ]


def _funding_details(db: Session, project: Project) -> list[dict[str, Any]]:
    cost = service.lease_cost(project, service.stage_rate(project, "label"))
    available = service.budget(db, project).available_minor
    if cost == 0 or available >= cost:
        return []
    return [
        {
            "problem": "its budget is unfunded",
            "field": "budget",
            "value": available,
            "expected": (
                f"at least {cost} {project.currency} minor units (one task) in the budget: "
                f"POST /api/projects/{project.id}/funding"
            ),
        }
    ]


def check_currency_change(db: Session, project: Project, currency: str) -> None:
    """Money already in a project's budget stays in its currency: no change after funding."""
    if db.scalar(_any_entry(project.id)):
        raise Conflict(
            "the currency cannot change once the project's budget has been funded",
            field="currency",
            value=currency,
            expected=project.currency,
        )


def _any_entry(project_id: int) -> Select[tuple[bool]]:
    return select(exists().where(ENTRIES.c.project_id == project_id))
