"""Evaluation projects: an eval set of prompts, the models under test, their responses per
prompt, and the blind battles between two responses that workers vote on.

A battle's models are kept here and only here: the item a worker sees holds the prompt and
the two texts, never a model's name or endpoint, so the vote stays blind."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fairlabel.db import Base, UTCDateTime, utcnow
from fairlabel.models.items import BigId


class Evaluation(Base):
    """One evaluation of a project: its battles are items of the project's pairwise
    `question`; `seed` seeds the left/right draw of every battle."""

    __tablename__ = "evaluations"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(String(100))
    seed: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EvalPrompt(Base):
    """One prompt of the eval set, by the external id it was imported with."""

    __tablename__ = "eval_prompts"
    __table_args__ = (UniqueConstraint("evaluation_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(200))
    prompt: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(100))
    difficulty: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str | None] = mapped_column(String(20))
    reference: Mapped[str | None] = mapped_column(Text)


class EvalModel(Base):
    """A model under test: a registered endpoint of the organization (its responses are
    generated), or a bare name whose responses the client imports (run elsewhere)."""

    __tablename__ = "eval_models"
    __table_args__ = (UniqueConstraint("evaluation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    endpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_endpoints.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ResponseStatus(StrEnum):
    pending = "pending"
    ok = "ok"
    failed = "failed"


class EvalResponse(Base):
    """A model's response to a prompt. A failed generation keeps its error and is tried
    again by the next run; an ok one is never generated again."""

    __tablename__ = "eval_responses"
    __table_args__ = (UniqueConstraint("prompt_id", "model_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(
        ForeignKey("evaluations.id", ondelete="CASCADE"), index=True
    )
    prompt_id: Mapped[int] = mapped_column(ForeignKey("eval_prompts.id", ondelete="CASCADE"))
    model_id: Mapped[int] = mapped_column(ForeignKey("eval_models.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default=ResponseStatus.pending)
    text: Mapped[str | None] = mapped_column(Text)
    #: "generated" or "imported".
    source: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(default=0)
    error_code: Mapped[str | None] = mapped_column(String(40))
    error_message: Mapped[str | None] = mapped_column(Text)
    latency_ms: Mapped[float | None]
    finish_reason: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Battle(Base):
    """Two responses to one prompt, shown as the item `item_id` with `left_model_id`'s
    response as candidate a. `swapped` records the seeded draw: true when the pair's
    second model (by id) was put on the left. An arena battle has no eval-set prompt: the
    worker wrote it, in the assignment `assignment_id`, and the texts are its chat turn."""

    __tablename__ = "battles"
    __table_args__ = (
        Index("ix_battles_evaluation", "evaluation_id", "id"),
        UniqueConstraint("item_id"),
        UniqueConstraint("assignment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    #: "eval" (from the eval set) or "arena" (the worker's own prompt, answered live).
    mode: Mapped[str] = mapped_column(String(10), default="eval")
    prompt_id: Mapped[int | None] = mapped_column(ForeignKey("eval_prompts.id", ondelete="CASCADE"))
    left_model_id: Mapped[int] = mapped_column(ForeignKey("eval_models.id", ondelete="CASCADE"))
    right_model_id: Mapped[int] = mapped_column(ForeignKey("eval_models.id", ondelete="CASCADE"))
    left_response_id: Mapped[int | None] = mapped_column(
        ForeignKey("eval_responses.id", ondelete="CASCADE")
    )
    right_response_id: Mapped[int | None] = mapped_column(
        ForeignKey("eval_responses.id", ondelete="CASCADE")
    )
    swapped: Mapped[bool] = mapped_column(default=False)
    item_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("items.id", ondelete="CASCADE"))
    assignment_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("assignments.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
