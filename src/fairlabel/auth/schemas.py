"""API shapes for accounts and tokens."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    display_name: str
    pseudonym: str
    is_operator: bool
    is_worker: bool
    organizations: list["MembershipOut"] = []


class MembershipOut(BaseModel):
    organization_id: int
    organization_name: str
    role: str


class TokenCreate(BaseModel):
    email: EmailStr
    password: str = Field(min_length=1)
    name: str = Field(default="api", min_length=1, max_length=200)


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="the secret; shown this once, store it now")
