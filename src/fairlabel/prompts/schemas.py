"""API shapes of the near-duplicate search a prompt widget calls as the worker types."""

from pydantic import BaseModel, ConfigDict, Field

MAX_TEXT = 100_000


class SimilarRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=MAX_TEXT, description="the prompt as typed so far")
    limit: int = Field(default=3, ge=1, le=20, description="how many earlier prompts at most")


class SimilarPrompt(BaseModel):
    prompt: str
    similarity: float = Field(description="0 to 1: rapidfuzz's token sort ratio / 100")
    annotation_id: int


class SimilarOut(BaseModel):
    threshold: float = Field(description="the question's duplicate_threshold")
    duplicate: bool = Field(description="whether the nearest reaches the threshold")
    similar: list[SimilarPrompt] = Field(
        description="the earlier prompts at or above the threshold, nearest first"
    )
