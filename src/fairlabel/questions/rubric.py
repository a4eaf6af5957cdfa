"""A score per named criterion (helpfulness, correctness, harmlessness...), each on its own
scale with anchor texts, n/a where the criterion allows it, and a justification the project
can require: the rubric of an LLM evaluation.

The answer is an object keyed by criterion name, every criterion present:
{"helpfulness": {"score": 4, "justification": "..."}, "harmlessness": {"score": "n/a"}}.
It is stored in criteria order, each justification kept as written and dropped when blank."""

from __future__ import annotations

import re
from functools import cached_property
from typing import Any, Literal, Self

from pydantic import Field, field_validator, model_validator

from fairlabel.questions.base import (
    QuestionSettings,
    QuestionType,
    RecordShape,
    SettingsError,
    expect_str,
    fail,
    one_of,
)
from fairlabel.questions.registry import register

#: The score of a criterion that does not apply to the item, where the criterion allows it.
NA = "n/a"

#: Criterion names are answer keys and field paths, like question names.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")
_SCORE = RecordShape(("score",), ("justification",))


class Criterion(QuestionSettings):
    name: str
    label: str = ""
    min: int = 1
    max: int = 5
    anchors: dict[str, str] = Field(default_factory=dict)
    """Text for some or all scale points, keyed by the point ("1", "5"): the ends at least
    is usual, so that workers read what the numbers mean."""
    allow_na: bool = False
    justification: Literal["required", "optional", "none"] = "optional"

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, value: Any) -> Any:
        """Name the criterion's own settings: pydantic's error would list the rubric's."""
        if isinstance(value, dict):
            for key in value:
                if key not in cls.model_fields:
                    expected = one_of(cls.model_fields, "one of the criterion settings")
                    raise SettingsError(expected, value[key], key)
        return value

    @field_validator("name")
    @classmethod
    def _name_usable(cls, name: str) -> str:
        if not _NAME.fullmatch(name):
            raise SettingsError(
                "1 to 64 letters, digits, '_' or '-', starting with a letter or '_'", name
            )
        return name

    @model_validator(mode="after")
    def _scale_and_anchors(self) -> Self:
        if self.min >= self.max:
            raise SettingsError(f"an integer less than max ({self.max})", self.min, "min")
        for point, text in self.anchors.items():
            number = _as_int(point)
            if number is None or point != str(number) or not self.min <= number <= self.max:
                raise SettingsError(
                    f"a scale point from {self.min} to {self.max}, written as an integer",
                    point,
                    "anchors",
                    point,
                )
            if not text.strip():
                raise SettingsError("a non-blank anchor text", text, "anchors", point)
        return self

    @property
    def title(self) -> str:
        return self.label or self.name

    def score_expected(self) -> str:
        scale = f"an integer from {self.min} to {self.max}"
        return f"{scale} or {NA!r}" if self.allow_na else scale


def _as_int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


class RubricSettings(QuestionSettings):
    criteria: list[Criterion]
    max_justification_length: int = Field(default=2000, ge=1)
    tolerance: int = Field(default=0, ge=0)
    """Scores within this many points of each other count as the same judgement: for gold
    answers and for agreeing with the consensus. 0: exact, as for ratings."""

    @field_validator("criteria")
    @classmethod
    def _criteria_usable(cls, criteria: list[Criterion]) -> list[Criterion]:
        if not criteria:
            raise SettingsError("a non-empty list of criteria", [])
        seen: dict[str, int] = {}
        for index, criterion in enumerate(criteria):
            if criterion.name in seen:
                expected = (
                    f"unique names ({criterion.name!r} is also criteria[{seen[criterion.name]}])"
                )
                raise SettingsError(expected, criterion.name, index, "name")
            seen[criterion.name] = index
        return criteria

    @cached_property
    def names(self) -> frozenset[str]:
        return frozenset(c.name for c in self.criteria)


@register
class RubricQuestion(QuestionType[RubricSettings]):
    """Every criterion scored (or n/a where allowed); errors name the criterion."""

    name = "rubric"
    settings_model = RubricSettings
    answer_kind = "rubric"

    def validate_answer(
        self, settings: RubricSettings, answer: Any, fields: dict[str, Any], path: str
    ) -> dict[str, Any]:
        names = [c.name for c in settings.criteria]
        if not isinstance(answer, dict):
            fail(path, answer, one_of(names, "an object with a score for each criterion"))
        for key in answer:
            if key not in settings.names:
                fail(f"{path}.{key}", key, one_of(names, "one of the criteria"))
        scored: dict[str, Any] = {}
        for criterion in settings.criteria:
            where = f"{path}.{criterion.name}"
            if criterion.name not in answer:
                fail(
                    where,
                    None,
                    f"a score for criterion {criterion.name!r} (every criterion is scored)",
                )
            scored[criterion.name] = _check_score(
                criterion, answer[criterion.name], settings.max_justification_length, where
            )
        return scored

    def score(self, settings: RubricSettings, answer: Any, expected: Any) -> float:
        """The share of the known criteria scored the same, within `tolerance` points; n/a
        matches only n/a. A criterion is all or nothing, so a rubric earns partial credit."""
        known = [c.name for c in settings.criteria if c.name in expected]
        if not known:
            return 1.0 if answer == expected else 0.0
        credits = [
            same_score(score_of(answer, name), score_of(expected, name), settings.tolerance)
            for name in known
        ]
        return sum(credits) / len(credits)


def same_score(given: Any, known: Any, tolerance: int) -> float:
    """1 when two criterion scores are the same judgement, else 0."""
    if given is None or known is None:
        return 0.0
    if given == NA or known == NA:
        return 1.0 if given == known else 0.0
    return 1.0 if abs(given - known) <= tolerance else 0.0


def score_of(answer: Any, criterion: str) -> Any:
    """A criterion's score in an answer; None where the answer predates the criterion."""
    entry = answer.get(criterion) if isinstance(answer, dict) else None
    return entry.get("score") if isinstance(entry, dict) else None


def _check_score(criterion: Criterion, value: Any, limit: int, path: str) -> dict[str, Any]:
    record = _SCORE.check(value, path)
    checked: dict[str, Any] = {"score": _checked_score(criterion, record["score"], f"{path}.score")}
    text = _checked_justification(criterion, record.get("justification"), limit, path)
    if text is not None:
        checked["justification"] = text
    return checked


def _checked_score(criterion: Criterion, value: Any, path: str) -> int | str:
    """An integer on the criterion's scale (3.0 is 3), or n/a where the criterion allows it."""
    if value == NA and isinstance(value, str):
        if criterion.allow_na:
            return NA
        fail(
            path, value, f"{criterion.score_expected()} (n/a is not allowed for {criterion.name!r})"
        )
    number = value
    if isinstance(value, float) and value.is_integer():
        number = int(value)
    if type(number) is int and criterion.min <= number <= criterion.max:
        return number
    fail(path, value, criterion.score_expected())


def _checked_justification(criterion: Criterion, value: Any, limit: int, path: str) -> str | None:
    """The justification as written, or None when blank; required, optional or refused as the
    criterion says."""
    where = f"{path}.justification"
    text = None if value is None else expect_str(value, where)
    blank = text is None or not text.strip()
    if criterion.justification == "required" and blank:
        fail(where, value, f"a justification (required for criterion {criterion.name!r})")
    if criterion.justification == "none" and not blank:
        fail(where, value, f"no justification (criterion {criterion.name!r} takes none)")
    if text is not None and len(text) > limit:
        fail(where, value, f"at most {limit} characters (got {len(text)})")
    return None if blank else text
