"""Model endpoints an organization registers, and the record of every call made to them."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fairlabel.db import Base, JSONType, UTCDateTime, utcnow


class ModelEndpoint(Base):
    """An OpenAI-compatible chat-completions server. The API key is stored encrypted
    (fairlabel.llm.keys) and only its last four characters are ever shown. Prices are in
    millionths of the currency's major unit per million tokens, so that sums stay exact."""

    __tablename__ = "model_endpoints"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    base_url: Mapped[str] = mapped_column(String(500))
    model: Mapped[str] = mapped_column(String(200))
    api_key_encrypted: Mapped[str | None] = mapped_column(Text)
    api_key_last4: Mapped[str | None] = mapped_column(String(4))
    #: Default sampling parameters: temperature, top_p, max_tokens, seed, stop.
    sampling: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    max_concurrency: Mapped[int] = mapped_column(default=4)
    timeout_seconds: Mapped[float] = mapped_column(default=60.0)
    max_retries: Mapped[int] = mapped_column(default=2)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    input_price_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    output_price_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CallStatus(StrEnum):
    ok = "ok"
    failed = "failed"
    stopped = "stopped"


class ModelCall(Base):
    """One chat completion asked of an endpoint. The endpoint's name, model and prices are
    copied, so that the cost of past calls survives an endpoint's edit or removal."""

    __tablename__ = "model_calls"
    __table_args__ = (
        Index("ix_model_calls_project", "project_id", "started_at"),
        Index("ix_model_calls_endpoint", "endpoint_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    endpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_endpoints.id", ondelete="SET NULL")
    )
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    endpoint_name: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(200))
    #: What the call was for: "test" (test connection), "candidate", "generation", ...
    purpose: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    error_code: Mapped[str | None] = mapped_column(String(40))
    #: Our own words for the failure (never the server's raw answer, never the key).
    error_message: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    queue_ms: Mapped[float] = mapped_column(default=0.0)
    latency_ms: Mapped[float]
    first_token_ms: Mapped[float | None]
    tokens_in: Mapped[int | None]
    tokens_out: Mapped[int | None]
    currency: Mapped[str] = mapped_column(String(3))
    input_price_micros: Mapped[int] = mapped_column(BigInteger)
    output_price_micros: Mapped[int] = mapped_column(BigInteger)


class ChatTurn(Base):
    """One turn of a `chat` question as the platform generated it for an assignment: the
    messages sent and every candidate (endpoint, model, sampling, text). A submitted chat
    answer is checked against these rows, so a worker cannot forge a candidate. Written only
    once every candidate of the turn is complete; starting a turn again replaces it and the
    turns after it (the conversation branched)."""

    __tablename__ = "chat_turns"
    __table_args__ = (UniqueConstraint("assignment_id", "question", "turn"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(String(64))
    turn: Mapped[int]
    #: The worker's message that opened the turn; None where the item's messages did.
    user_message: Mapped[str | None] = mapped_column(Text)
    #: The whole conversation sent to every candidate's endpoint.
    prompt: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    #: [{id, endpoint_id, endpoint, model, sampling, text, finish_reason}, ...]
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    #: How long the worker waited for the candidates, first request to last token.
    wait_ms: Mapped[float] = mapped_column(default=0.0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
