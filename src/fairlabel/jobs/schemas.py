"""What the jobs API answers: a job with its progress, and its result or error."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

JobStatusName = Literal["queued", "running", "succeeded", "failed"]


class JobOut(BaseModel):
    """One job. While queued or running, `done` of `total` (null: not known yet) and
    `message` say how far it is; once succeeded, `result`; once failed, `error`, a
    sentence for people."""

    id: int
    kind: str
    title: str = Field(description="the kind in words")
    status: JobStatusName
    params: dict[str, Any]
    done: int
    total: int | None
    message: str
    result: dict[str, Any] | None
    error: str | None
    project_id: int | None
    created_by_id: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
