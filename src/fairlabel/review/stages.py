"""Which workflow stage a piece of work waits for. Kept apart from the review service so
that submitting and revising (in annotations) can ask without importing it.

Sampling is a hash of the assignment and the stage, not a random draw: the same work is
always in or out of a stage's sample, so a retry or a recount gives the same answer, and a
worker cannot learn anything from timing."""

import hashlib
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from fairlabel.errors import Conflict
from fairlabel.models import Annotation

REWORK_STAGE = "rework"


class WorkLike(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def stage(self) -> str: ...


def in_sample(stage: str, assignment_id: int, rate: float) -> bool:
    """Whether this assignment's work falls in a stage's sample of `rate` (0..1)."""
    if rate >= 1:
        return True
    digest = hashlib.blake2b(f"{stage}:{assignment_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") < rate * 2**64


def next_stage(
    workflow: Sequence[dict[str, Any]], assignment_id: int, after: str | None
) -> str | None:
    """The first stage after `after` (None: after labelling) whose sample takes this work."""
    stages = [entry["stage"] for entry in workflow]
    start = stages.index(after) + 1 if after in stages else 0
    for entry in workflow[start:]:
        if in_sample(entry["stage"], assignment_id, entry["sample_rate"]):
            return str(entry["stage"])
    return None


def stage_after_submit(workflow: Sequence[dict[str, Any]], assignment: WorkLike) -> str | None:
    """Rework always goes back to the first stage: it was rejected there or later."""
    if not workflow:
        return None
    if assignment.stage == REWORK_STAGE:
        return str(workflow[0]["stage"])
    return next_stage(workflow, assignment.id, None)


def ensure_revisable(db: Session, annotation: Any) -> None:
    """A worker may revise work waiting for review, but not while a reviewer has it open:
    the verdict would judge answers the reviewer never saw."""
    held = db.scalar(select(Annotation.under_review).where(Annotation.id == annotation.id))
    if held:
        raise Conflict(
            "a reviewer is reviewing this annotation now; revise it after the verdict",
            field="annotation_id",
            value=annotation.id,
            expected="an annotation no reviewer holds",
        )
