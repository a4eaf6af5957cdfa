"""Who may work on a project: its required qualifications, languages and countries, and
the advance notices that end its work (for everyone or in one country).

The settings live in the project's `eligibility` column, so a project without any costs
the queue no statement. Only models and pydantic are imported: the queue, the projects
schemas and the workforce service all build on this module."""

import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal, NamedTuple, cast

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from fairlabel.models import Qualification, QualificationTier, Worker

QUALIFICATIONS = cast(Table, Qualification.__table__)
WORKERS = cast(Table, Worker.__table__)
TIERS = list(QualificationTier)
QUALIFICATION_NAME = r"^[a-z0-9][a-z0-9_.-]{0,99}$"
COUNTRY = r"^[A-Z]{2}$"
LANGUAGE = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$"


def codes(pattern: str, what: str, normalise: Callable[[str], str]) -> AfterValidator:
    """A list of codes normalised, checked, sorted and made unique."""

    def check(values: list[str]) -> list[str]:
        normalised = [normalise(value) for value in values]
        bad = [value for value in normalised if not re.fullmatch(pattern, value)]
        if bad:
            raise ValueError(f"expected {what}; got {', '.join(bad)}")
        return sorted(set(normalised))

    return AfterValidator(check)


#: Shared with the worker's profile, so that both sides of a comparison read alike.
LanguageCodes = Annotated[list[str], codes(LANGUAGE, "language codes such as en, pt-BR", str.strip)]
CountryCodes = Annotated[
    list[str], codes(COUNTRY, "ISO 3166 country codes such as KE", lambda c: c.strip().upper())
]


class RequiredQualification(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=QUALIFICATION_NAME, description="lower case, e.g. medicine")
    min_level: int = Field(default=1, ge=1, le=5)
    min_tier: QualificationTier | None = Field(
        default=None, description="the least verification it needs; null: a claim will do"
    )


class EligibilitySettings(BaseModel):
    """Who may work on a project; an empty list restricts nothing. Every listed language is
    needed (a translation project needs both of its languages)."""

    model_config = ConfigDict(extra="forbid")

    qualifications: list[RequiredQualification] = Field(default_factory=list, max_length=20)
    languages: LanguageCodes = Field(default_factory=list, max_length=20)
    countries: CountryCodes = Field(default_factory=list, max_length=250)


class Ending(BaseModel):
    """A notice's effect: from `effective_at`, the project (or its work in `country`) ends."""

    notice_id: int
    country: str | None
    effective_at: datetime


class ProjectEligibility(EligibilitySettings):
    """What a project's `eligibility` column holds: the settings and the notices' endings."""

    model_config = ConfigDict(extra="ignore")

    ending: list[Ending] = Field(default_factory=list)


class Unmet(BaseModel):
    """One requirement a worker does not meet, in words they can act on."""

    kind: Literal["qualification", "language", "country", "notice"]
    requirement: str
    yours: Any = Field(description="what the worker's profile holds for it")
    message: str


class NotEligible(BaseModel):
    """Why next-task handed out nothing: each unmet requirement."""

    message: str
    unmet: list[Unmet]


class Profile(NamedTuple):
    """What eligibility reads of a worker: qualifications as name -> (level, tier)."""

    country: str | None
    languages: list[str]
    qualifications: dict[str, tuple[int, str]]


PROFILE = select(WORKERS.c.country, WORKERS.c.languages).where(
    WORKERS.c.user_id == bindparam("p_worker")
)
HELD = select(QUALIFICATIONS.c.name, QUALIFICATIONS.c.level, QUALIFICATIONS.c.tier).where(
    QUALIFICATIONS.c.worker_id == bindparam("p_worker")
)


def restricts(settings: dict[str, Any]) -> bool:
    """Whether a project's eligibility can turn anyone away (without reading anything)."""
    return any(settings.get(key) for key in ("qualifications", "languages", "countries", "ending"))


def load_profile(db: Session, worker_id: int) -> Profile:
    params = {"p_worker": worker_id}
    row = db.connection().execute(PROFILE, params).one_or_none()
    held = {name: (level, tier) for name, level, tier in db.connection().execute(HELD, params)}
    country, languages = row if row is not None else (None, [])
    return Profile(country, list(languages or []), held)


def unmet(settings: dict[str, Any], profile: Profile, now: datetime) -> list[Unmet]:
    """Each requirement of `settings` that `profile` does not meet, in the settings' order."""
    parsed = ProjectEligibility.model_validate(settings)
    found = [_qualification(req, profile) for req in parsed.qualifications]
    found += [_language(code, profile) for code in parsed.languages]
    if parsed.countries and profile.country not in parsed.countries:
        found.append(
            Unmet(
                kind="country",
                requirement=", ".join(parsed.countries),
                yours=profile.country,
                message=f"open to workers in {', '.join(parsed.countries)} only",
            )
        )
    found += [_ended(ending, profile, now) for ending in parsed.ending]
    return [entry for entry in found if entry is not None]


def _qualification(req: RequiredQualification, profile: Profile) -> Unmet | None:
    held = profile.qualifications.get(req.name)
    tier_ok = req.min_tier is None or (
        held is not None and TIERS.index(QualificationTier(held[1])) >= TIERS.index(req.min_tier)
    )
    if held is not None and held[0] >= req.min_level and tier_ok:
        return None
    tier = f", {req.min_tier.value.replace('_', ' ')} or better" if req.min_tier else ""
    needed = f"{req.name} at level {req.min_level}{tier}"
    return Unmet(
        kind="qualification",
        requirement=needed,
        yours=None if held is None else {"level": held[0], "tier": held[1]},
        message=f"needs the qualification {needed}",
    )


def _language(code: str, profile: Profile) -> Unmet | None:
    if code in profile.languages:
        return None
    return Unmet(
        kind="language",
        requirement=code,
        yours=profile.languages,
        message=f"needs the language {code} in your profile",
    )


def _ended(ending: Ending, profile: Profile, now: datetime) -> Unmet | None:
    if ending.effective_at > now or ending.country not in (None, profile.country):
        return None
    where = f" in {ending.country}" if ending.country else ""
    return Unmet(
        kind="notice",
        requirement=f"notice {ending.notice_id}",
        yours=profile.country,
        message=f"work on this project{where} ended on {ending.effective_at:%Y-%m-%d} "
        f"after advance notice",
    )


def check(
    db: Session, settings: dict[str, Any], worker_id: int, now: datetime
) -> NotEligible | None:
    """Why this worker may not work on a project with these settings; None when they may.
    Runs no statement for a project that restricts nothing."""
    if not restricts(settings):
        return None
    found = unmet(settings, load_profile(db, worker_id), now)
    if not found:
        return None
    return NotEligible(
        message="This project is not open to you: "
        + "; ".join(entry.message for entry in found)
        + ". Your submitted work and its pay are not affected.",
        unmet=found,
    )
