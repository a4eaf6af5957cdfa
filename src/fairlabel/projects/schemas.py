"""API shapes for projects, their questions and guidelines."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from fairlabel.models import ProjectStatus

NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


class QuestionIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, pattern=NAME_PATTERN)
    type: str
    prompt: str = ""
    required: bool = True
    settings: dict[str, Any] = Field(default_factory=dict)


class QuestionOut(QuestionIn):
    model_config = ConfigDict(from_attributes=True)


class ProjectCreate(BaseModel):
    organization_id: int
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    questions: list[QuestionIn] = Field(default_factory=list)
    guidelines: str = ""
    overlap: int = Field(default=1, ge=1, le=100)
    lease_seconds: int = Field(default=1800, ge=30, le=7 * 24 * 3600)
    status: ProjectStatus = ProjectStatus.draft


class ProjectUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = None
    questions: list[QuestionIn] | None = None
    guidelines: str | None = None
    overlap: int | None = Field(default=None, ge=1, le=100)
    lease_seconds: int | None = Field(default=None, ge=30, le=7 * 24 * 3600)
    status: ProjectStatus | None = None


class ProjectCounts(BaseModel):
    items: int
    open_items: int
    annotations: int


class ProjectOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    organization_id: int
    name: str
    description: str
    status: str
    overlap: int
    lease_seconds: int
    guideline_version: int
    questions: list[QuestionOut]
    created_at: datetime
    updated_at: datetime


class GuidelineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    body: str
    created_at: datetime
