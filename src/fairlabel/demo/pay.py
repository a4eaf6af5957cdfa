"""The demo's money: the shipped pay floors, exchange rates for every floor's currency
(demo values, not for payment), and each demo project funded before it is activated, at
rates that reach every floor (the highest, Australia's, is about 17.3 USD an hour)."""

from datetime import date

from sqlalchemy.orm import Session

from fairlabel.models import Project, ProjectStatus, User
from fairlabel.pay import floors, service
from fairlabel.projects import service as project_service

DEMO_SOURCE = "demo values, not for payment"
#: Units per US dollar, rounded, as of early 2026: for the demo only.
DEMO_PER_USD = {
    "ARS": 1200, "AUD": 1.53, "BDT": 122, "BRL": 5.5, "CAD": 1.38, "COP": 4000, "EGP": 49,
    "EUR": 0.88, "GBP": 0.75, "GHS": 11, "IDR": 16300, "INR": 85, "KES": 129, "MAD": 9.2,
    "MXN": 18.5, "MYR": 4.3, "NGN": 1550, "PEN": 3.6, "PHP": 57, "PKR": 280, "PLN": 3.7,
    "RON": 4.4, "RSD": 103, "THB": 33, "TRY": 40, "UAH": 41.5, "UGX": 3650, "VES": 120,
    "VND": 25500, "ZAR": 18,
}  # fmt: skip
#: Each demo project's pay: label rate (cents per item), review rate, estimated seconds.
DEMO_PAY = {
    "bbox": (45, 12, 90),
    "label": (30, 10, 60),
    "pairwise": (25, 10, 45),
    "chat": (160, 30, 300),
}
DEMO_BUDGET_MINOR = 50_000


def prepare(db: Session) -> None:
    """Floors into an empty table, and the demo exchange rates."""
    floors.load_shipped(db)
    for currency, per_usd in DEMO_PER_USD.items():
        floors.set_rate(db, currency, per_usd, date(2026, 1, 1), DEMO_SOURCE, None)


def pay_settings(first_question_type: str) -> dict[str, object]:
    """ProjectCreate fields for a demo project, by the type of its first question."""
    label, review, seconds = DEMO_PAY[first_question_type]
    return {"rates": {"label": label, "review": review}, "estimated_seconds": seconds}


def fund_and_activate(db: Session, project: Project, owner: User, items: int) -> None:
    """Enough for every item's labels and reviews twice over (rework, re-reviews)."""
    per_item = project.overlap * sum(project.rates.values())
    amount = max(DEMO_BUDGET_MINOR, 2 * items * per_item)
    service.fund(db, project, amount, project.currency, owner.id)
    project_service.set_status(db, project, ProjectStatus.active)
