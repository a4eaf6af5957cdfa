"""LLM judges of a project and their verdicts: a judge is an endpoint of the organization
with a prompt template that answers one of the project's pairwise or rubric questions about
an item, as a worker would; its verdicts are kept apart from workers' annotations, so that
every count can say which votes are human and which are a judge's."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fairlabel.db import Base, JSONType, UTCDateTime, utcnow
from fairlabel.models.items import BigId


class Judge(Base):
    """`template` is a string.Template with $prompt, $response_a and $response_b (pairwise)
    or $response and $criteria (rubric), $rubric (the judge's own guidance, may be
    empty) and $reference (the item's reference answer, where it has one). Below
    `min_confidence`, a verdict counts as unsure and its item goes to people."""

    __tablename__ = "judges"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    endpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_endpoints.id", ondelete="SET NULL")
    )
    question: Mapped[str] = mapped_column(String(100))
    template: Mapped[str] = mapped_column(Text)
    rubric: Mapped[str] = mapped_column(Text, default="")
    #: "json_schema", "json_object" or "none": how structured output is asked for.
    response_format: Mapped[str] = mapped_column(String(20), default="json_schema")
    min_confidence: Mapped[float] = mapped_column(default=0.6)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class VerdictStatus(StrEnum):
    ok = "ok"
    #: The model answered, but not with the JSON asked for: recorded, never counted as a vote.
    unparseable = "unparseable"
    #: The call itself failed (unreachable, timeout, 5xx...).
    failed = "failed"


class JudgeVerdict(Base):
    """One judgement of one item, with the two responses in the item's order
    (`swapped` false) or the other way round. `answer` is in the question's answer shape
    and always in the item's order, so the two judgements of a battle compare directly."""

    __tablename__ = "judge_verdicts"
    __table_args__ = (
        UniqueConstraint("judge_id", "item_id", "swapped"),
        Index("ix_judge_verdicts_project", "project_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    judge_id: Mapped[int] = mapped_column(ForeignKey("judges.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(BigId, ForeignKey("items.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(String(100))
    swapped: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20))
    answer: Mapped[Any] = mapped_column(JSONType, nullable=True)
    confidence: Mapped[float | None]
    #: The model's reply as it came (cut to OUTPUT_LIMIT characters), for people to read.
    output: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text)
    model: Mapped[str] = mapped_column(String(200))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
