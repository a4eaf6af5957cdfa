"""Free text (transcriptions, rationales, rewritten responses)."""

from __future__ import annotations

from typing import Any, Self

from pydantic import Field, model_validator

from fairlabel.questions.base import (
    QuestionSettings,
    QuestionType,
    SettingsError,
    expect_str,
    fail,
    same,
)
from fairlabel.questions.registry import register


class LengthLimits(QuestionSettings):
    """Bounds on a written answer's length in characters, in order (text, rewrite)."""

    min_length: int = Field(default=0, ge=0)
    max_length: int = Field(default=10000, ge=1)

    @model_validator(mode="after")
    def _lengths_ordered(self) -> Self:
        if self.min_length > self.max_length:
            raise SettingsError(
                f"at most max_length ({self.max_length})", self.min_length, "min_length"
            )
        return self


class TextSettings(LengthLimits):
    multiline: bool = True


@register
class TextQuestion(QuestionType[TextSettings]):
    """The answer is a string whose length (in characters) is within the settings."""

    name = "text"
    settings_model = TextSettings
    answer_kind = "free_text"

    def validate_answer(
        self, settings: TextSettings, answer: Any, fields: dict[str, Any], path: str
    ) -> str:
        text = expect_str(answer, path)
        if not settings.min_length <= len(text) <= settings.max_length:
            fail(
                path,
                answer,
                f"between {settings.min_length} and {settings.max_length} characters"
                f" (got {len(text)})",
            )
        if not settings.multiline and ("\n" in text or "\r" in text):
            fail(path, answer, "a single line of text (multiline is off)")
        return text

    def score(self, settings: TextSettings, answer: Any, expected: Any) -> float:
        """Exact after case folding and collapsing whitespace: a transcription that differs
        only in capitals or spacing is the same transcription."""
        return same(_normalised(answer), _normalised(expected))


def _normalised(text: str) -> str:
    return " ".join(text.split()).casefold()
