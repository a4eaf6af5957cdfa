"""API shapes of chat turns. Messages are checked by the service (non-blank, the question's
length limit), so that each error names the question's own limits."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class PreviousReply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    chosen: str = Field(
        description="the candidate of the previous turn the conversation continues from"
    )
    rewrite: str | None = Field(default=None, description="the worker's rewrite of that reply")


class TurnRequest(BaseModel):
    """Start turn `turn` (again, to regenerate it, or an earlier one to branch from there)."""

    model_config = ConfigDict(extra="forbid")

    turn: int = Field(ge=0, description="0 for the first turn")
    message: str | None = Field(
        default=None,
        description="the worker's next user message; on turn 0 it may be left out when the "
        "item's conversation ends with a user message",
    )
    previous: PreviousReply | None = None


class TurnOut(BaseModel):
    turn: int
    user: str | None
    prompt: list[dict[str, str]]
    candidates: list[dict[str, Any]]
    wait_ms: float


class StopOut(BaseModel):
    stopped: bool = Field(description="false where no generation was running in this server")
