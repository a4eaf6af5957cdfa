"""Money: pay floors by country, exchange rates, the append-only double-entry ledger and
payout runs. Amounts are integers in a currency's minor units (cents)."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fairlabel.db import Base, UTCDateTime, utcnow
from fairlabel.models.items import BigId


class PayFloor(Base):
    """A country's minimum hourly wage in its own currency, with where it comes from;
    shipped as data, editable by the operator."""

    __tablename__ = "pay_floors"

    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(String(3))
    hourly_minor: Mapped[int]
    effective_date: Mapped[date | None] = mapped_column(Date)
    source_url: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExchangeRate(Base):
    """Units of `currency` per one US dollar, set by the operator with its source and date,
    used only to compare a project's pay with floors in other currencies."""

    __tablename__ = "exchange_rates"

    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    per_usd: Mapped[float]
    as_of: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EntryKind(StrEnum):
    funded = "funded"
    earned = "earned"
    approved = "approved"
    paid = "paid"
    bonus = "bonus"
    top_up = "top_up"
    reversal = "reversal"
    refund = "refund"


class LedgerEntry(Base):
    """One leg of a transaction; the legs of a transaction sum to zero per currency, and a
    balance is the sum of an account's entries. Never updated or deleted (the database
    refuses it too), only added to."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_account", "account", "currency", "id"),
        Index("ix_ledger_worker", "worker_id", "id"),
        Index("ix_ledger_assignment", "assignment_id"),
        Index("ix_ledger_attempt", "attempt_id"),
        Index("ix_ledger_txn", "txn_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    txn_id: Mapped[int] = mapped_column(BigInteger)
    account: Mapped[str] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(20))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="RESTRICT"))
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    assignment_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("assignments.id", ondelete="RESTRICT")
    )
    review_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("reviews.id", ondelete="RESTRICT")
    )
    #: Pay for a qualification-test attempt, which is work outside any assignment.
    attempt_id: Mapped[int | None] = mapped_column(
        ForeignKey("qualification_attempts.id", ondelete="RESTRICT")
    )
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id", ondelete="RESTRICT"))
    memo: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerBalance(Base):
    """An account's balance, kept in step with its entries in the same transaction, so a
    balance check on the hot path is one row read; the sum of the entries stays the truth
    (tests compare the two)."""

    __tablename__ = "ledger_balances"

    account: Mapped[str] = mapped_column(String(100), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    balance_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Payout(Base):
    """A payout run in one currency: the batch handed to the payment provider."""

    __tablename__ = "payouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    workers: Mapped[int]
    entries: Mapped[int]
    total_minor: Mapped[int] = mapped_column(BigInteger)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
