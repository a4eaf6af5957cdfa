"""The project form's settings sections (review, quality, pay, who may work, content): the
texts a person types in, the ProjectCreate/ProjectUpdate fields they stand for, and the
element each API error path belongs to, so the form reads in percent and major units while
the API keeps its own units and validation.

A section the request did not carry (no `has_<section>` marker) adds nothing to the body:
the update then leaves those settings as they are."""

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from fairlabel.models import Project, QualificationTier
from fairlabel.pay import floors
from fairlabel.pay.floors import money
from fairlabel.projects.schemas import DEFAULT_REJECTION_REASONS
from fairlabel.web.forms import (
    AddError,
    as_percent,
    code_list,
    integer,
    optional_integer,
    percent,
    to_minor,
)
from fairlabel.web.service import pay_line
from fairlabel.wellness import risks

STAGES = ("review", "audit")
PAY_STAGES = ("label", "review", "audit", "rework")
#: The verification a qualification needs, weakest first; blank takes a claim.
TIER_OPTIONS = [("", "a claim will do")] + [
    (tier.value, tier.value.replace("_", " ")) for tier in QualificationTier
]
#: Empty rows offered under the filled ones, so a row can be added without a script.
BLANK_ROWS = 2
#: Fields whose element is simply `f-<name>`.
PLAIN_FIELDS = frozenset(
    {
        "rework_hours",
        "gold_rate",
        "min_gold_accuracy",
        "min_gold_seen",
        "consensus_threshold",
        "max_overlap",
        "currency",
        "pay_basis",
        "estimated_seconds",
        "review_deadline_hours",
    }
)
#: The API takes shares from 0 to 1; the form says what it expects in its own percent.
PERCENT_EXPECTED = {
    "f-gold_rate": "expected a percentage from 0 to 100",
    "f-min_gold_accuracy": "expected a percentage from 0 to 100, or blank for no bar",
    "f-consensus_threshold": "expected a percentage above 0, at most 100, or blank",
    "f-stage-review-rate": "expected a percentage above 0, at most 100",
    "f-stage-audit-rate": "expected a percentage above 0, at most 100",
}
QUALITY_FIELDS = (
    "gold_rate",
    "min_gold_accuracy",
    "min_gold_seen",
    "consensus_threshold",
    "max_overlap",
)
_ROW_KEY = re.compile(r"^(reason|qual)-(\d+)-(\w+)$")


def column_default(name: str) -> Any:
    """A project column's own default, so the form's defaults are the database's."""
    default = Project.__table__.c[name].default
    return getattr(default, "arg", None)


@dataclass
class StageRow:
    enabled: bool = False
    rate: str = "100"
    qualification: str = ""


@dataclass
class ReasonRow:
    code: str = ""
    label: str = ""


@dataclass
class QualificationRow:
    name: str = ""
    min_level: str = "1"
    min_tier: str = ""


def _default_stages() -> dict[str, StageRow]:
    return {stage: StageRow() for stage in STAGES}


def _default_reasons() -> list[ReasonRow]:
    return [ReasonRow(r.code, r.label) for r in DEFAULT_REJECTION_REASONS]


@dataclass
class SettingsForm:
    """The sections' values as typed, and where each body list entry came from (its row)."""

    stages: dict[str, StageRow] = field(default_factory=_default_stages)
    reasons: list[ReasonRow] = field(default_factory=_default_reasons)
    rework_hours: str = str(column_default("rework_hours"))
    gold_rate: str = "0"
    min_gold_accuracy: str = ""
    min_gold_seen: str = str(column_default("min_gold_seen"))
    consensus_threshold: str = ""
    max_overlap: str = ""
    currency: str = str(column_default("currency"))
    pay_basis: str = str(column_default("pay_basis"))
    rates: dict[str, str] = field(default_factory=dict)
    estimated_seconds: str = str(column_default("estimated_seconds"))
    review_deadline_hours: str = str(column_default("review_deadline_hours"))
    countries: str = ""
    languages: str = ""
    qualifications: list[QualificationRow] = field(default_factory=list)
    risks: list[str] = field(default_factory=list)
    caps: dict[str, str] = field(default_factory=dict)
    stage_order: list[str] = field(default_factory=list)
    reason_rows: list[int] = field(default_factory=list)
    qualification_rows: list[int] = field(default_factory=list)
    #: What a worker will read about the pay, from the values on the form (None: unreadable).
    worker_pay: str | None = None


class PayTerms(NamedTuple):
    """The pay fields pay_line reads, taken from the form rather than a stored project."""

    currency: str
    pay_basis: str
    rates: dict[str, int]
    estimated_seconds: int


# --- from a stored project ----------------------------------------------------------------


def from_project(project: Project) -> SettingsForm:
    """The stored settings in the form's units."""
    stages = _default_stages()
    for stage in project.workflow or []:
        stages[stage["stage"]] = StageRow(
            True, as_percent(stage["sample_rate"]), stage.get("qualification") or ""
        )
    eligibility = project.eligibility or {}
    return SettingsForm(
        stages=stages,
        reasons=[ReasonRow(r["code"], r["label"]) for r in project.rejection_reasons]
        or _default_reasons(),
        rework_hours=str(project.rework_hours),
        gold_rate=as_percent(project.gold_rate),
        min_gold_accuracy=as_percent(project.min_gold_accuracy),
        min_gold_seen=str(project.min_gold_seen),
        consensus_threshold=as_percent(project.consensus_threshold),
        max_overlap=_text(project.max_overlap),
        currency=project.currency,
        pay_basis=project.pay_basis,
        rates={
            k: floors.major_units(v, project.currency) for k, v in (project.rates or {}).items()
        },
        estimated_seconds=str(project.estimated_seconds),
        review_deadline_hours=str(project.review_deadline_hours),
        countries=", ".join(eligibility.get("countries") or []),
        languages=", ".join(eligibility.get("languages") or []),
        qualifications=[
            QualificationRow(q["name"], str(q["min_level"]), q.get("min_tier") or "")
            for q in eligibility.get("qualifications") or []
        ],
        risks=list(project.content_risks or []),
        caps={k: str(v) for k, v in (project.exposure_caps or {}).items()},
        worker_pay=pay_line(project),
    )


def _text(value: int | None) -> str:
    return "" if value is None else str(value)


# --- from the submitted form --------------------------------------------------------------


def parse(data: Mapping[str, str], add: AddError) -> tuple[SettingsForm, dict[str, Any]]:
    """The sections as typed, and the body fields of the sections the form carried."""
    form = SettingsForm(reasons=[])
    body: dict[str, Any] = {}
    sections: dict[str, Callable[[SettingsForm, Mapping[str, str], AddError], dict[str, Any]]]
    sections = {
        "review": _review,
        "quality": _quality,
        "pay": _pay,
        "eligibility": _eligibility,
        "content": _content,
    }
    for name, read in sections.items():
        if f"has_{name}" in data:
            body |= read(form, data, add)
    return form, body


def _value(data: Mapping[str, str], key: str, default: str = "") -> str:
    return data.get(key, default).strip()


def _rows(data: Mapping[str, str], kind: str) -> dict[int, dict[str, str]]:
    """Row fields such as reason-3-code, grouped by row number."""
    rows: dict[int, dict[str, str]] = {}
    for key, value in data.items():
        match = _ROW_KEY.match(key)
        if match and match.group(1) == kind:
            rows.setdefault(int(match.group(2)), {})[match.group(3)] = value.strip()
    return dict(sorted(rows.items()))


def _review(form: SettingsForm, data: Mapping[str, str], add: AddError) -> dict[str, Any]:
    workflow = []
    for stage in STAGES:
        row = StageRow(
            f"stage-{stage}" in data,
            _value(data, f"stage-{stage}-rate", "100"),
            _value(data, f"stage-{stage}-qualification"),
        )
        form.stages[stage] = row
        if row.enabled:
            form.stage_order.append(stage)
            rate = percent(add, f"f-stage-{stage}-rate", row.rate)
            workflow.append(
                {"stage": stage, "sample_rate": rate, "qualification": row.qualification or None}
            )
    reasons = []
    for values in _rows(data, "reason").values():
        reason = ReasonRow(values.get("code", ""), values.get("label", ""))
        if reason.code or reason.label:
            form.reasons.append(reason)
            form.reason_rows.append(len(form.reasons) - 1)
            reasons.append({"code": reason.code, "label": reason.label})
    form.rework_hours = _value(data, "rework_hours")
    return {
        "workflow": workflow,
        "rejection_reasons": reasons,
        "rework_hours": optional_integer(add, "f-rework_hours", form.rework_hours),
    }


def _quality(form: SettingsForm, data: Mapping[str, str], add: AddError) -> dict[str, Any]:
    for name in QUALITY_FIELDS:
        setattr(form, name, _value(data, name))
    return {
        "gold_rate": percent(add, "f-gold_rate", form.gold_rate),
        "min_gold_accuracy": percent(add, "f-min_gold_accuracy", form.min_gold_accuracy),
        "min_gold_seen": optional_integer(add, "f-min_gold_seen", form.min_gold_seen),
        "consensus_threshold": percent(add, "f-consensus_threshold", form.consensus_threshold),
        "max_overlap": optional_integer(add, "f-max_overlap", form.max_overlap),
    }


def _pay(form: SettingsForm, data: Mapping[str, str], add: AddError) -> dict[str, Any]:
    form.currency = _value(data, "currency").upper()
    form.pay_basis = _value(data, "pay_basis", "item")
    form.estimated_seconds = _value(data, "estimated_seconds")
    form.review_deadline_hours = _value(data, "review_deadline_hours")
    rates: dict[str, int | None] = {}
    for stage in PAY_STAGES:
        text = _value(data, f"rate-{stage}")
        form.rates[stage] = text
        if text:
            rates[stage] = to_minor(add, f"f-rate-{stage}", text, form.currency)
    seconds = optional_integer(add, "f-estimated_seconds", form.estimated_seconds)
    form.worker_pay = _worker_pay(form, rates, seconds)
    return {
        "currency": form.currency or None,
        "pay_basis": form.pay_basis or None,
        "rates": rates,
        "estimated_seconds": seconds,
        "review_deadline_hours": optional_integer(
            add, "f-review_deadline_hours", form.review_deadline_hours
        ),
    }


def _worker_pay(
    form: SettingsForm, rates: dict[str, int | None], seconds: int | None
) -> str | None:
    """The worker's pay line for the typed values, when they can be read at all."""
    label = rates.get("label", 0)
    if label is None or not seconds or seconds < 1 or len(form.currency) != 3:
        return None
    return pay_line(PayTerms(form.currency, form.pay_basis, {"label": label}, seconds))


def _eligibility(form: SettingsForm, data: Mapping[str, str], add: AddError) -> dict[str, Any]:
    form.countries = _value(data, "countries")
    form.languages = _value(data, "languages")
    qualifications = []
    for values in _rows(data, "qual").values():
        row = QualificationRow(
            values.get("name", ""), values.get("min_level", "1"), values.get("min_tier", "")
        )
        if not row.name:
            continue
        form.qualifications.append(row)
        form.qualification_rows.append(len(form.qualifications) - 1)
        level = integer(add, f"f-qual-{len(form.qualifications) - 1}-min_level", row.min_level)
        qualifications.append(
            {"name": row.name, "min_level": level, "min_tier": row.min_tier or None}
        )
    return {
        "eligibility": {
            "qualifications": qualifications,
            "languages": code_list(form.languages),
            "countries": code_list(form.countries),
        }
    }


def _content(form: SettingsForm, data: Mapping[str, str], add: AddError) -> dict[str, Any]:
    form.risks = [name for name in risks.BY_NAME if f"risk-{name}" in data]
    caps: dict[str, int | None] = {}
    for name in risks.BY_NAME:
        text = _value(data, f"cap-{name}")
        if text:
            form.caps[name] = text
            caps[name] = integer(add, f"f-cap-{name}", text)
    return {"content_risks": form.risks, "exposure_caps": caps}


# --- placing errors -----------------------------------------------------------------------


def element_for(form: SettingsForm, path: Sequence[str | int]) -> str | None:
    """The element an API error path (pydantic's loc, or a service's dotted field) names
    in these sections; None when it is not theirs."""
    if not path:
        return None
    head, rest = str(path[0]), [str(part) for part in path[1:]]
    if head in PLAIN_FIELDS:
        return f"f-{head}"
    if head == "rates":
        return f"f-rate-{rest[0]}" if rest and rest[0] in PAY_STAGES else "f-rate-label"
    if head == "workflow":
        return _stage_element(form, rest)
    if head == "rejection_reasons":
        return _row_element("reason", form.reason_rows, rest, "f-reasons")
    if head == "eligibility":
        return _eligibility_element(form, rest)
    if head == "content_risks":
        return "f-risks"
    if head == "exposure_caps":
        return f"f-cap-{rest[0]}" if rest and rest[0] in risks.BY_NAME else "f-risks"
    return None


def _stage_element(form: SettingsForm, rest: list[str]) -> str:
    if not rest or not rest[0].isdigit() or int(rest[0]) >= len(form.stage_order):
        return "f-stage-review"
    stage = form.stage_order[int(rest[0])]
    if len(rest) > 1 and rest[1] == "qualification":
        return f"f-stage-{stage}-qualification"
    return f"f-stage-{stage}-rate" if len(rest) > 1 else f"f-stage-{stage}"


def _row_element(kind: str, rows: list[int], rest: list[str], fallback: str) -> str:
    if len(rest) < 2 or not rest[0].isdigit() or int(rest[0]) >= len(rows):
        return fallback
    return f"f-{kind}-{rows[int(rest[0])]}-{rest[1]}"


def _eligibility_element(form: SettingsForm, rest: list[str]) -> str:
    if rest and rest[0] in ("countries", "languages"):
        return f"f-{rest[0]}"
    if rest and rest[0] == "qualifications":
        return _row_element("qual", form.qualification_rows, rest[1:], "f-qualifications")
    return "f-countries"


def message_for(element: str, message: str) -> str:
    """Pydantic's words, except where the form's units differ from the API's."""
    return PERCENT_EXPECTED.get(element, message)


def activation_problems(details: list[dict[str, Any]], currency: str) -> list[str]:
    """The activation refusal's details, one readable sentence each."""
    return [_problem(detail, currency) for detail in details]


def _problem(detail: dict[str, Any], currency: str) -> str:
    if detail.get("field") == "budget":
        available = money(int(detail.get("value") or 0), currency)
        return (
            f"The budget is unfunded ({available} available): fund it on the project's "
            "dashboard, then make it active."
        )
    floor = money(round(detail["floor_in_project_currency"]), detail["project_currency"])
    pays = money(round(detail["project_hourly_minor"]), detail["project_currency"])
    return (
        f"{detail['name']} ({detail['country']}): the pay floor is {floor} an hour; "
        f"this project pays {pays} an hour."
    )
