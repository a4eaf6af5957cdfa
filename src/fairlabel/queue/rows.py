"""The plain rows the queue reads and writes, and what next-task answers: kept apart from
the service so that the rules it consults (queue/admission.py) can use them too."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from fairlabel.dueprocess.schemas import Sanctioned
from fairlabel.gold.schemas import BelowGoldAccuracy
from fairlabel.queue.schemas import EmptyReason
from fairlabel.wellness.schemas import ExposureCapReached, MissingOptIns
from fairlabel.workforce.eligibility import NotEligible


class ProjectRow(NamedTuple):
    """What the queue and the policies read of a project."""

    id: int
    organization_id: int
    status: str
    overlap: int
    lease_seconds: int
    guideline_version: int
    workflow: list[dict[str, Any]]
    gold_rate: float
    min_gold_accuracy: float | None
    min_gold_seen: int
    eligibility: dict[str, Any]
    currency: str
    pay_basis: str
    rates: dict[str, int]
    estimated_seconds: int
    content_risks: list[str]
    exposure_caps: dict[str, int]


class QuestionRow(NamedTuple):
    name: str
    type: str
    prompt: str
    required: bool
    settings: dict[str, Any]


class ItemRow(NamedTuple):
    """What a worker sees of an item."""

    id: int
    external_id: str
    fields: dict[str, Any]
    meta: dict[str, Any]


class AssignmentRow(NamedTuple):
    id: int
    project_id: int
    item_id: int
    worker_id: int
    stage: str
    status: str
    leased_at: datetime
    expires_at: datetime
    ended_at: datetime | None
    subject_annotation_id: int | None
    #: The pay locked at acceptance (minor units of `currency`); none for unpaid work.
    rate_minor: int | None = None
    currency: str | None = None


class DraftRow(NamedTuple):
    answers: dict[str, Any]
    time_spent_ms: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Lease:
    """The assignment next-task hands out, with the item it claimed just now (None when
    the lease was already held)."""

    assignment: AssignmentRow
    claimed: ItemRow | None


@dataclass(frozen=True, slots=True)
class Empty:
    """Nothing to hand out, and why."""

    reason: EmptyReason
    retry_after_seconds: int | None = None
    detail: (
        BelowGoldAccuracy | MissingOptIns | ExposureCapReached | NotEligible | Sanctioned | None
    ) = None
