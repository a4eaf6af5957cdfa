"""Items (units of data) and the media files they point to."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fairlabel.db import Base, JSONType, UTCDateTime, utcnow

BigId = BigInteger().with_variant(Integer(), "sqlite")


class Item(Base):
    """One unit of data. `taken` counts active and submitted assignments; `is_open` says
    whether the queue may still hand it out (taken < project overlap)."""

    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("project_id", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(512))
    fields: Mapped[dict[str, Any]] = mapped_column(JSONType)
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    priority: Mapped[int] = mapped_column(default=0)
    taken: Mapped[int] = mapped_column(default=0)
    submitted: Mapped[int] = mapped_column(default=0)
    is_open: Mapped[bool] = mapped_column(default=True)
    #: Gold items are closed to the ordinary queue and served to everyone at the gold rate.
    is_gold: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# The queue reads items in (priority DESC, id) order among a project's open items.
Index("ix_items_queue", Item.project_id, Item.is_open, Item.priority.desc(), Item.id)
Index("ix_items_gold", Item.project_id, Item.is_gold, Item.id)


class Suggestion(Base):
    """A model's pre-fill for one (item, question): shown to workers marked as a suggestion."""

    __tablename__ = "suggestions"
    __table_args__ = (UniqueConstraint("item_id", "question", "agent"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(BigId, ForeignKey("items.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(String(100))
    answer: Mapped[Any] = mapped_column(JSONType)
    score: Mapped[float | None]
    agent: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Gold(Base):
    """The known answers of a gold item, hidden from workers, used to measure them."""

    __tablename__ = "gold"

    item_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Media(Base):
    """A media file of a project, stored once by content hash under the data directory."""

    __tablename__ = "media"
    __table_args__ = (UniqueConstraint("project_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    item_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("items.id", ondelete="SET NULL"), index=True
    )
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(512))
    kind: Mapped[str] = mapped_column(String(10))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int | None]
    height: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
