"""API shapes for funding, bonuses, pay floors, exchange rates, payouts and earnings. All
amounts are integers in the currency's minor units (cents)."""

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

CURRENCY = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")
#: More than any project needs, less than a BigInteger sum of many can overflow.
MAX_AMOUNT = 10**12


class FundingIn(BaseModel):
    amount_minor: int = Field(gt=0, le=MAX_AMOUNT)
    currency: str = CURRENCY


class RefundIn(BaseModel):
    amount_minor: int | None = Field(
        default=None, gt=0, le=MAX_AMOUNT, description="all of the unused budget when left out"
    )


class BudgetOut(BaseModel):
    """The escrow, what active leases may still draw from it, and what is left."""

    currency: str
    balance_minor: int
    committed_minor: int
    available_minor: int


class BonusIn(BaseModel):
    worker_id: int
    amount_minor: int = Field(gt=0, le=MAX_AMOUNT)
    reason: str = Field(min_length=1, max_length=500, description="shown to the worker")


class FloorIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    currency: str = CURRENCY
    hourly_minor: int = Field(gt=0, le=MAX_AMOUNT)
    effective_date: date | None = None
    source_url: str = Field(
        default="",
        max_length=2000,
        pattern=r"^(https?://\S+)?$",
        description="an http(s) address, shown as a link to everyone",
    )
    notes: str = Field(default="", max_length=5000)


class FloorOut(FloorIn):
    model_config = ConfigDict(from_attributes=True)

    country: str
    updated_by_id: int | None
    updated_at: datetime


class RateIn(BaseModel):
    per_usd: float = Field(gt=0, description="units of the currency per US dollar")
    as_of: date
    source: str = Field(default="", max_length=500)


class RateOut(RateIn):
    model_config = ConfigDict(from_attributes=True)

    currency: str
    updated_by_id: int | None
    updated_at: datetime


class ReloadOut(BaseModel):
    floors: int


class PayoutLineOut(BaseModel):
    payout_id: int
    worker: str = Field(description="the worker's pseudonym")
    payout_reference: str | None
    amount: str = Field(description="decimal, in major units")
    amount_minor: int
    currency: str
    entries: int = Field(description="credits since the worker's previous payout")


class PayoutOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    currency: str
    workers: int
    entries: int
    total_minor: int
    created_at: datetime


class PayoutBatchOut(BaseModel):
    payout: PayoutOut
    lines: list[PayoutLineOut]


class SweepOut(BaseModel):
    approved: int = Field(description="assignments approved after their review deadline")


class Totals(BaseModel):
    pending_minor: int
    approved_minor: int
    paid_minor: int
    next_payout_by: datetime | None = Field(
        default=None,
        description="the latest the scheduled payout run pays what is approved by then (at "
        "least the deployment's minimum); none when payouts are run by hand only",
    )


class EarningEntry(BaseModel):
    """One movement of the worker's money, traceable to its task and verdict."""

    id: int
    created_at: datetime
    kind: str
    state: str = Field(description="the account it moved: pending, approved or paid")
    amount_minor: int
    currency: str
    memo: str
    project_id: int | None
    project_name: str | None
    assignment_id: int | None
    stage: str | None
    item_id: int | None
    item_external_id: str | None
    review_id: int | None
    verdict: str | None
    reason_code: str | None
    payout_id: int | None


class EarningsOut(BaseModel):
    totals: dict[str, Totals] = Field(description="by currency")
    entries: list[EarningEntry]
    older: int | None = Field(description="pass as `before` for the next page")
