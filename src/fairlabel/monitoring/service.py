"""Monitoring streams: production conversations sampled by rate and stratum into a review
project as conversation items, and the share that reviewers flagged, per day.

Sampling is decided by a hash of the stream and the conversation's id, not by a random
draw, so a client that sends a batch again (a retry) gets the same decisions and no
duplicate items; it is uniform enough that the sampled share of a stratum is its rate."""

import hashlib
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fairlabel.db import dialect_insert, utcnow
from fairlabel.errors import Conflict, NotFound, ValidationFailed
from fairlabel.items.conversations import normalise
from fairlabel.items.parsing import RowError
from fairlabel.models import Annotation, Item, MonitoringCount, MonitoringStream, Project
from fairlabel.monitoring import schemas
from fairlabel.questions.base import one_of

MODEL = "model"
METADATA = "metadata."
NO_VALUE = "(none)"
Z95 = 1.959963984540054


def create_stream(
    db: Session, project: Project, body: schemas.StreamCreate, actor_id: int | None
) -> MonitoringStream:
    questions = [q.name for q in project.questions]
    if body.flag_question not in questions:
        raise ValidationFailed(
            f"the project has no question {body.flag_question!r}",
            field="flag_question",
            value=body.flag_question,
            expected=one_of(questions, "a question of the project"),
        )
    if body.stratum != MODEL and not (
        body.stratum.startswith(METADATA) and len(body.stratum) > len(METADATA)
    ):
        raise ValidationFailed(
            f"unknown stratum {body.stratum!r}",
            field="stratum",
            value=body.stratum,
            expected='"model" or "metadata.<key>", such as metadata.region',
        )
    taken = db.scalar(
        select(MonitoringStream.id).where(
            MonitoringStream.project_id == project.id, MonitoringStream.name == body.name
        )
    )
    if taken is not None:
        raise Conflict(
            "the project has a monitoring stream of this name",
            field="name",
            value=body.name,
            expected="a name not yet taken in the project",
        )
    stream = MonitoringStream(
        organization_id=project.organization_id,
        project_id=project.id,
        created_by_id=actor_id,
        **body.model_dump(),
    )
    db.add(stream)
    db.flush()
    return stream


def list_streams(db: Session, project_id: int) -> list[MonitoringStream]:
    query = select(MonitoringStream).where(MonitoringStream.project_id == project_id)
    return list(db.scalars(query.order_by(MonitoringStream.id)))


def get_stream(db: Session, stream_id: int) -> MonitoringStream:
    stream = db.get(MonitoringStream, stream_id)
    if stream is None:
        raise stream_not_found(stream_id)
    return stream


def stream_not_found(stream_id: int) -> NotFound:
    return NotFound(
        "no such monitoring stream",
        field="stream_id",
        value=stream_id,
        expected="a monitoring stream of your organization's projects",
    )


def describe(stream: MonitoringStream) -> schemas.StreamOut:
    return schemas.StreamOut(
        id=stream.id,
        project_id=stream.project_id,
        name=stream.name,
        rate=stream.rate,
        stratum=stream.stratum,
        stratum_rates=stream.stratum_rates,
        flag_question=stream.flag_question,
        flag_values=stream.flag_values,
        created_at=stream.created_at,
    )


# --- ingestion ----------------------------------------------------------------------------


def stratum_of(stream: MonitoringStream, conversation: schemas.Conversation) -> str:
    if stream.stratum == MODEL:
        return conversation.model
    value = conversation.metadata.get(stream.stratum[len(METADATA) :])
    return NO_VALUE if value is None or value == "" else str(value)[:200]


def is_sampled(stream: MonitoringStream, conversation_id: str, stratum: str) -> bool:
    rate = stream.stratum_rates.get(stratum, stream.rate)
    digest = hashlib.sha256(f"{stream.id}\x00{conversation_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") < rate * 2**64


def external_id(stream: MonitoringStream, conversation_id: str) -> str:
    return f"production:{stream.id}:{conversation_id}"


def ingest(db: Session, stream: MonitoringStream, body: schemas.Ingest) -> schemas.Ingested:
    """Check every conversation first (a bad one refuses the batch, each listed), then add
    the sampled ones as items and count what arrived per day and stratum."""
    messages = _checked_messages(body.conversations)
    counts: Counter[tuple[date, str, bool]] = Counter()
    now = utcnow()
    rows: dict[str, tuple[dict[str, Any], tuple[date, str]]] = {}
    for conversation, checked in zip(body.conversations, messages, strict=True):
        stratum = stratum_of(stream, conversation)
        day = conversation.timestamp.astimezone(UTC).date()
        if not is_sampled(stream, conversation.id, stratum):
            counts[day, stratum, False] += 1
            continue
        values = _item_values(stream, conversation, checked, stratum, day)
        rows[values["external_id"]] = (
            {**values, "created_at": now, "updated_at": now},
            (day, stratum),
        )
    item_ids = _insert_new(db, [values for values, _ in rows.values()])
    for external, _item_id in item_ids:
        day, stratum = rows[external][1]
        counts[day, stratum, True] += 1
    _count(db, stream.id, counts)
    return schemas.Ingested(
        received=sum(counts.values()),
        sampled=len(item_ids),
        already_sampled=len(rows) - len(item_ids),
        item_ids=sorted(item_id for _, item_id in item_ids),
    )


def _insert_new(db: Session, rows: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """(external id, item id) of the rows that were not there yet, in one statement."""
    if not rows:
        return []
    statement = dialect_insert(db)(Item).values(rows).on_conflict_do_nothing()
    found = db.execute(statement.returning(Item.external_id, Item.id))
    return [(external, item_id) for external, item_id in found]


def _checked_messages(conversations: list[schemas.Conversation]) -> list[list[dict[str, Any]]]:
    checked: list[list[dict[str, Any]]] = []
    problems: list[dict[str, Any]] = []
    for index, conversation in enumerate(conversations):
        found = normalise(index, {"messages": conversation.messages})
        if isinstance(found, RowError):
            problem = found.to_dict()
            problem["field"] = f"conversations.{index}.{found.field or 'messages'}".replace(
                "fields.", ""
            )
            problems.append(problem)
        else:
            checked.append(found["messages"])
    if problems:
        first = problems[0]
        raise ValidationFailed(
            f"{len(problems)} of {len(conversations)} conversations have bad messages; "
            "none was taken",
            field=first["field"],
            value=first.get("value"),
            expected=first.get("expected"),
            details=problems,
        )
    return checked


def _item_values(
    stream: MonitoringStream,
    conversation: schemas.Conversation,
    messages: list[dict[str, Any]],
    stratum: str,
    day: date,
) -> dict[str, Any]:
    return {
        "project_id": stream.project_id,
        "priority": 0,
        "taken": 0,
        "submitted": 0,
        "is_open": True,
        "is_gold": False,
        "external_id": external_id(stream, conversation.id),
        "fields": {"messages": messages, "model": conversation.model},
        "meta": {
            "source": "production",
            "stream_id": stream.id,
            "conversation_id": conversation.id,
            "model": conversation.model,
            "timestamp": conversation.timestamp.isoformat(),
            "day": day.isoformat(),
            "stratum": stratum,
            "metadata": conversation.metadata,
        },
    }


def _count(db: Session, stream_id: int, counts: Counter[tuple[date, str, bool]]) -> None:
    """Add to the day's and stratum's counts (an upsert, so concurrent batches add up)."""
    totals: defaultdict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0])
    for (day, stratum, was_sampled), n in counts.items():
        totals[day, stratum][0] += n
        totals[day, stratum][1] += n if was_sampled else 0
    insert = dialect_insert(db)
    for (day, stratum), (received, sampled) in sorted(totals.items()):
        statement = insert(MonitoringCount).values(
            stream_id=stream_id, day=day, stratum=stratum, received=received, sampled=sampled
        )
        db.execute(
            statement.on_conflict_do_update(
                index_elements=["stream_id", "day", "stratum"],
                set_={
                    "received": MonitoringCount.received + statement.excluded.received,
                    "sampled": MonitoringCount.sampled + statement.excluded.sampled,
                },
            )
        )


# --- the flagged rate ---------------------------------------------------------------------


@dataclass
class _Day:
    received: Counter[str] = field(default_factory=Counter)
    sampled: Counter[str] = field(default_factory=Counter)
    reviewed: Counter[str] = field(default_factory=Counter)
    flagged: Counter[str] = field(default_factory=Counter)


def flagged_rate(
    db: Session, stream: MonitoringStream, stratum: str | None = None
) -> schemas.FlaggedRate:
    """Per day of the conversations' own timestamps: how many were received and sampled,
    how many of those reviewers answered and flagged, the flagged share with its 95%
    Wilson interval, and the production rate estimated across strata."""
    days: defaultdict[date, _Day] = defaultdict(_Day)
    counts = db.execute(
        select(
            MonitoringCount.day,
            MonitoringCount.stratum,
            MonitoringCount.received,
            MonitoringCount.sampled,
        ).where(MonitoringCount.stream_id == stream.id)
    )
    strata: set[str] = set()
    for day, value, received, sampled in counts:
        strata.add(value)
        days[day].received[value] += received
        days[day].sampled[value] += sampled
    if stratum is not None and stratum not in strata:
        raise ValidationFailed(
            f"the stream has no stratum {stratum!r}",
            field="stratum",
            value=stratum,
            expected=one_of(sorted(strata), "a stratum value the stream has received"),
        )
    for day, value, flagged in _reviewed(db, stream):
        days[day].reviewed[value] += 1
        days[day].flagged[value] += flagged
    return schemas.FlaggedRate(
        stream_id=stream.id,
        stratum=stratum,
        strata=sorted(strata),
        days=[_day(day, days[day], stratum) for day in sorted(days)],
    )


def _reviewed(db: Session, stream: MonitoringStream) -> list[tuple[date, str, bool]]:
    """(day, stratum, flagged) of each sampled conversation with at least one answer."""
    prefix = external_id(stream, "")
    items = {
        item_id: meta
        for item_id, meta in db.execute(
            select(Item.id, Item.meta).where(
                Item.project_id == stream.project_id, Item.external_id.startswith(prefix)
            )
        )
    }
    flagged: dict[int, bool] = {}
    answers = db.execute(
        select(Annotation.item_id, Annotation.answers).where(
            Annotation.project_id == stream.project_id, Annotation.is_latest
        )
    )
    for item_id, answer in answers:
        if item_id in items:
            flagged[item_id] = flagged.get(item_id, False) or _flags(stream, answer)
    return [
        (date.fromisoformat(items[i]["day"]), items[i]["stratum"], is_flagged)
        for i, is_flagged in flagged.items()
    ]


def _flags(stream: MonitoringStream, answers: dict[str, Any]) -> bool:
    answer = answers.get(stream.flag_question)
    if isinstance(answer, list):
        return any(value in stream.flag_values for value in answer)
    if isinstance(answer, dict):  # a label answer kept with its details
        answer = answer.get("label", answer.get("value"))
    return answer in stream.flag_values


def _day(day: date, counts: _Day, stratum: str | None) -> schemas.FlaggedDay:
    def total(counter: Counter[str]) -> int:
        return counter[stratum] if stratum is not None else sum(counter.values())

    reviewed, flagged = total(counts.reviewed), total(counts.flagged)
    lower, upper = wilson(flagged, reviewed)
    return schemas.FlaggedDay(
        day=day,
        received=total(counts.received),
        sampled=total(counts.sampled),
        reviewed=reviewed,
        flagged=flagged,
        rate=flagged / reviewed if reviewed else None,
        lower=lower,
        upper=upper,
        estimated_rate=_estimate(counts) if stratum is None else None,
    )


def _estimate(counts: _Day) -> float | None:
    """Each reviewed stratum's flagged share, weighted by what it received."""
    weights = {s: counts.received[s] for s in counts.reviewed if counts.reviewed[s]}
    if not sum(weights.values()):
        return None
    shares = {s: counts.flagged[s] / counts.reviewed[s] for s in weights}
    return sum(weights[s] * shares[s] for s in weights) / sum(weights.values())


def wilson(successes: int, trials: int) -> tuple[float | None, float | None]:
    """The 95% Wilson score interval of a proportion (sound at 0 and at small counts)."""
    if trials == 0:
        return None, None
    p = successes / trials
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = Z95 * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / (1 + z2 / trials)
    lower = 0.0 if successes == 0 else max(0.0, centre - half)
    return lower, 1.0 if successes == trials else min(1.0, centre + half)
