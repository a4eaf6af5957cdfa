"""API shapes for organizations and their members."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from fairlabel.models import MemberRole


class OrganizationCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    slug: str = Field(min_length=2, max_length=100, pattern=r"^[a-z0-9][a-z0-9-]*$")


class OrganizationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    slug: str
    created_at: datetime


class MemberAdd(BaseModel):
    email: str
    role: MemberRole


class MemberOut(BaseModel):
    user_id: int
    email: str
    display_name: str
    role: str
