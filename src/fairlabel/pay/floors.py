"""Pay floors: each country's minimum hourly wage, shipped as data (pay/data/minimum-wages.csv,
with source and date) and editable by the operator; exchange rates set by the operator to
compare a project's pay with floors in other currencies. Nothing is fetched from the network.

A project's effective hourly rate is its label rate ÷ the time per item (estimated before
activation, measured once running), or the rate itself when it pays per hour."""

import csv
import math
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from importlib import resources
from typing import Any, NamedTuple, Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from fairlabel.db import utcnow
from fairlabel.errors import NotFound, ValidationFailed
from fairlabel.models import ExchangeRate, PayFloor

#: ISO 4217 currencies whose minor unit is not the cent (all others have two decimals).
MINOR_DIGITS = {
    **{c: 0 for c in ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG")},
    **{c: 0 for c in ("RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF")},
    **{c: 3 for c in ("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND")},
}
SET_RATE_HINT = (
    "an exchange rate set by the operator: PUT /api/pay/exchange-rates/{currency} "
    "or `fairlabel pay set-rate {currency} PER_USD`"
)


def minor_units(currency: str) -> int:
    """How many minor units make one unit of the currency (100 for cents)."""
    return int(10 ** MINOR_DIGITS.get(currency, 2))


def _places(currency: str) -> int:
    return MINOR_DIGITS.get(currency, 2)


def major_units(amount_minor: int, currency: str) -> str:
    """Exact major-unit text with no separators ("1234.50"), for payout files and forms."""
    return f"{Decimal(amount_minor) / minor_units(currency):.{_places(currency)}f}"


def money(amount_minor: int, currency: str) -> str:
    """An amount as people read it: major units with separators and the currency code
    ("1,234.50 USD"); exact, never through a float."""
    return f"{Decimal(amount_minor) / minor_units(currency):,.{_places(currency)}f} {currency}"


class PayPolicy(Protocol):
    """What the floor check reads of a project (an ORM Project or a queue ProjectRow)."""

    @property
    def currency(self) -> str: ...

    @property
    def pay_basis(self) -> str: ...

    @property
    def rates(self) -> dict[str, int]: ...

    @property
    def estimated_seconds(self) -> int: ...


def label_rate(project: PayPolicy) -> int:
    return int(project.rates.get("label", 0))


def hourly_minor(project: PayPolicy, seconds_per_item: float | None = None) -> float:
    """Effective pay per hour in the project's minor units: per item, rate * 3600 / the
    time per item (the estimate unless a measured time is given); per hour, the rate."""
    if project.pay_basis == "hour":
        return float(label_rate(project))
    seconds = seconds_per_item or project.estimated_seconds
    return label_rate(project) * 3600 / max(seconds, 1)


# --- shipped data -------------------------------------------------------------------------


def shipped_floors() -> list[dict[str, Any]]:
    """The floors shipped with the package, as pay_floors rows."""
    source = resources.files("fairlabel.pay").joinpath("data/minimum-wages.csv")
    with source.open(encoding="utf-8") as handle:
        return [_floor_row(line) for line in csv.DictReader(handle)]


def _floor_row(line: dict[str, str]) -> dict[str, Any]:
    currency = line["currency"]
    hourly = Decimal(line["hourly_local"]) * minor_units(currency)
    return {
        "country": line["country_code"],
        "name": line["country"],
        "currency": currency,
        "hourly_minor": int(hourly.to_integral_value()),
        "effective_date": date.fromisoformat(line["effective_date"]),
        "source_url": line["source_url"],
        "notes": line["notes"],
    }


def load_shipped(db: Session, *, replace: bool = False, actor_id: int | None = None) -> int:
    """Put the shipped floors in the table: into an empty table only, unless `replace`
    (the operator's reload, which discards edits). Answers how many rows were written."""
    if replace:
        db.execute(delete(PayFloor))
    elif db.scalar(select(func.count()).select_from(PayFloor)):
        return 0
    rows = shipped_floors()
    now = utcnow()
    db.add_all(PayFloor(**row, updated_by_id=actor_id, updated_at=now) for row in rows)
    db.flush()
    return len(rows)


# --- operator edits -----------------------------------------------------------------------


def list_floors(db: Session) -> list[PayFloor]:
    return list(db.scalars(select(PayFloor).order_by(PayFloor.country)))


def set_floor(db: Session, country: str, values: Mapping[str, Any], actor_id: int) -> PayFloor:
    """Create or change a country's floor; the operator's name and the time are recorded."""
    floor = db.get(PayFloor, country) or PayFloor(country=country)
    for name, value in values.items():
        setattr(floor, name, value)
    floor.updated_by_id, floor.updated_at = actor_id, utcnow()
    db.add(floor)
    db.flush()
    return floor


def list_rates(db: Session) -> list[ExchangeRate]:
    return list(db.scalars(select(ExchangeRate).order_by(ExchangeRate.currency)))


def set_rate(
    db: Session, currency: str, per_usd: float, as_of: date, source: str, actor_id: int | None
) -> ExchangeRate:
    rate = db.get(ExchangeRate, currency) or ExchangeRate(currency=currency)
    rate.per_usd, rate.as_of, rate.source = per_usd, as_of, source
    rate.updated_by_id, rate.updated_at = actor_id, utcnow()
    db.add(rate)
    db.flush()
    return rate


def floor_of(db: Session, country: str) -> PayFloor:
    floor = db.get(PayFloor, country)
    if floor is None:
        raise NotFound("no floor for this country", field="country", value=country)
    return floor


# --- comparing pay with floors ------------------------------------------------------------


class Shortfall(NamedTuple):
    """A country whose floor a project's effective hourly rate does not reach."""

    country: str
    name: str
    floor_hourly_minor: int
    floor_currency: str
    #: The floor and the project's effective rate, both per hour in the project's currency.
    floor_in_project_currency: float
    project_hourly_minor: float
    project_currency: str


def floors_open_to(db: Session, eligibility: Mapping[str, Any]) -> list[PayFloor]:
    """The floors of the countries a project is open to (none named: every country listed)."""
    countries = eligibility.get("countries") or []
    query = select(PayFloor).order_by(PayFloor.country)
    if countries:
        query = query.where(PayFloor.country.in_(countries))
    return list(db.scalars(query))


def exchange_rates(db: Session, currencies: Iterable[str]) -> dict[str, float]:
    """Units per US dollar of each currency; 422 naming the first one the operator has not set."""
    wanted = set(currencies) - {"USD"}
    rows = db.execute(
        select(ExchangeRate.currency, ExchangeRate.per_usd).where(
            ExchangeRate.currency.in_(sorted(wanted))
        )
    )
    rates = {"USD": 1.0, **{row.currency: row.per_usd for row in rows}}
    missing = sorted(wanted - set(rates))
    if missing:
        raise ValidationFailed(
            f"no exchange rate for {', '.join(missing)}: the pay floor check needs one to "
            "compare this project's pay with floors in that currency",
            field="currency",
            value=missing[0],
            expected=SET_RATE_HINT.format(currency=missing[0]),
        )
    return rates


def convert(amount_minor: float, source: str, target: str, rates: Mapping[str, float]) -> float:
    """An amount in `source` minor units, in `target` minor units."""
    if source == target:
        return amount_minor
    units = amount_minor / minor_units(source) / rates[source]
    return units * rates[target] * minor_units(target)


def shortfalls(
    db: Session, project: PayPolicy, eligibility: Mapping[str, Any], hourly: float
) -> list[Shortfall]:
    """Each country the project is open to whose floor `hourly` (project minor units per
    hour) is below."""
    floors = floors_open_to(db, eligibility)
    rates = exchange_rates(db, {project.currency, *(f.currency for f in floors)})
    found = []
    for floor in floors:
        needed = convert(floor.hourly_minor, floor.currency, project.currency, rates)
        if hourly + 1e-9 < needed:
            found.append(
                Shortfall(
                    floor.country,
                    floor.name,
                    floor.hourly_minor,
                    floor.currency,
                    round(needed, 2),
                    round(hourly, 2),
                    project.currency,
                )
            )
    return found


def rate_for_floor(shortfall: Iterable[Shortfall], seconds_per_item: float) -> int:
    """The smallest per-item rate that reaches every floor at this time per item."""
    highest = max(s.floor_in_project_currency for s in shortfall)
    return math.ceil(highest * seconds_per_item / 3600)
