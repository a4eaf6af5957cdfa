"""API shapes for items, imports and media."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

MAX_LISTED_ERRORS = 1000


class RowProblem(BaseModel):
    """A bad row (or file): where, which field, the value, and what was expected."""

    line: int | None = Field(description="1-based line where the row starts; null for media")
    field: str | None
    value: Any = None
    expected: str
    message: str
    first_line: int | None = Field(default=None, description="for a repeated external_id")


class ImportReport(BaseModel):
    created: int = 0
    updated: int = 0
    skipped: int = Field(default=0, description="bad rows left out (skip_invalid only)")
    error_count: int = 0
    errors: list[RowProblem] = Field(
        default_factory=list, description=f"the first {MAX_LISTED_ERRORS} problems, by line"
    )


class ItemOut(BaseModel):
    """An item as its organization's members see it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    external_id: str
    fields: dict[str, Any]
    meta: dict[str, Any]
    priority: int
    taken: int
    submitted: int
    is_open: bool
    created_at: datetime
    updated_at: datetime


class WorkerItemOut(BaseModel):
    """An item as a worker holding an assignment on it sees it: the data, not the client's
    metadata or counters."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    fields: dict[str, Any]


class ItemPage(BaseModel):
    items: list[ItemOut]
    next_after: int | None = Field(description="pass as `after` for the next page; null at the end")


class MediaImportOut(BaseModel):
    created: int
    updated: int
    items: list[ItemOut]
