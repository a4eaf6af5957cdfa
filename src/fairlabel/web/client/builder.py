"""The project form and its question builder: form fields in, the API's own schemas out, and
every error placed next to the field it names, so the form can be shown again filled in."""

import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from fairlabel.errors import FairlabelError
from fairlabel.llm.schemas import SamplingParams
from fairlabel.models import Project, ProjectStatus
from fairlabel.questions import get_question_type, question_type_names, validate_question_definition
from fairlabel.questions.base import LiveCandidates
from fairlabel.questions.prompt import RedTeamSettings
from fairlabel.web import forms
from fairlabel.web.client import criteria_lines, settings_form
from fairlabel.web.client.settings_form import SettingsForm

#: The sampling parameters of a question that calls model endpoints: fields of their own in
#: the form, one `sampling` object in the API.
SAMPLING_SETTINGS = ("temperature", "max_tokens", "seed")
#: The settings the builder offers for each type, in the order the form shows them.
TYPE_SETTINGS: dict[str, tuple[str, ...]] = {
    "label": ("labels",),
    "multi_label": ("labels", "min_selected", "max_selected"),
    "rating": ("min", "max"),
    "text": ("min_length", "max_length", "multiline"),
    "span": ("labels", "field", "allow_overlap"),
    "bbox": ("labels", "field"),
    "polygon": ("labels", "field"),
    "ranking": (
        "field",
        "allow_ties",
        "live",
        "endpoints",
        "candidates",
        "prompt_field",
        *SAMPLING_SETTINGS,
    ),
    "pairwise": (
        "field",
        "allow_tie",
        "allow_both_bad",
        "strength_levels",
        "live",
        "endpoints",
        "prompt_field",
        *SAMPLING_SETTINGS,
    ),
    "rubric": ("criteria", "tolerance", "max_justification_length"),
    "rewrite": ("field", "min_length", "max_length", "allow_unchanged", "pass_threshold"),
    "chat": (
        "endpoints",
        "candidates",
        "max_turns",
        "mode",
        "allow_rewrite",
        *SAMPLING_SETTINGS,
    ),
    "prompt": (
        "categories",
        "difficulties",
        "languages",
        "min_length",
        "max_length",
        "duplicate_threshold",
        "red_team",
        "endpoints",
        "harm_categories",
        "prompt_field",
        *SAMPLING_SETTINGS,
    ),
}


@dataclass(frozen=True)
class Nested:
    """Settings that the API takes as one object under `toggle` (a checkbox in the form),
    sent only when it is ticked; `prompt_field` is that object's `field`."""

    toggle: str
    model: type[BaseModel]
    keys: tuple[str, ...]


#: The types whose model-endpoint settings are nested: live comparisons and red-team prompts.
NESTED = {
    "ranking": Nested(
        "live", LiveCandidates, ("endpoints", "candidates", "prompt_field", *SAMPLING_SETTINGS)
    ),
    "pairwise": Nested("live", LiveCandidates, ("endpoints", "prompt_field", *SAMPLING_SETTINGS)),
    "prompt": Nested(
        "red_team",
        RedTeamSettings,
        ("endpoints", "harm_categories", "prompt_field", *SAMPLING_SETTINGS),
    ),
}
INT_SETTINGS = frozenset(
    {
        "min",
        "max",
        "min_length",
        "max_length",
        "min_selected",
        "max_selected",
        "strength_levels",
        "tolerance",
        "max_justification_length",
        "candidates",
        "max_turns",
        "max_tokens",
        "seed",
    }
)
FLOAT_SETTINGS = frozenset({"pass_threshold", "temperature", "duplicate_threshold"})
#: The range a number field offers (the server checks it all the same).
FLOAT_RANGES = {"pass_threshold": (0, 1), "temperature": (0, 2), "duplicate_threshold": (0, 1)}
BOOL_SETTINGS = frozenset(
    {
        "multiline",
        "allow_overlap",
        "allow_ties",
        "allow_tie",
        "allow_both_bad",
        "allow_unchanged",
        "allow_rewrite",
        "live",
        "red_team",
    }
)
#: Lists typed one entry a line.
LIST_SETTINGS = frozenset({"labels", "categories", "difficulties", "languages", "harm_categories"})
#: Settings typed as text, each parsed by the builder (lists and criteria one per line).
TEXT_SETTINGS = LIST_SETTINGS | {"field", "criteria", "mode", "prompt_field"}
#: A chat question's endpoints: one checkbox each, named `q-<i>-endpoint_<id>`.
ENDPOINT_KEY = "endpoint_"
CHAT_MODES = (("rank", "Rank every candidate (ties allowed)"), ("pick", "Pick the best one"))
SETTING_LABELS = {
    "labels": "Labels, one per line",
    "min": "Lowest rating",
    "max": "Highest rating",
    "min_length": "Shortest answer (characters)",
    "max_length": "Longest answer (characters)",
    "multiline": "Several lines allowed",
    "field": "Item field it applies to",
    "allow_overlap": "Spans may overlap",
    "allow_ties": "Ties allowed",
    "allow_tie": "“Tie” allowed",
    "allow_both_bad": "“Both bad” allowed",
    "min_selected": "Fewest labels to pick",
    "max_selected": "Most labels to pick (blank: no limit)",
    "strength_levels": "Strength levels (0: none)",
    "criteria": "Criteria, one per line: " + criteria_lines.FORMAT,
    "tolerance": "Points a score may be off and still agree (gold, consensus)",
    "max_justification_length": "Longest justification (characters)",
    "allow_unchanged": "The response may be left unchanged",
    "pass_threshold": "Similarity that passes a gold item (0 to 1)",
    "endpoints": "Model endpoints that answer (candidate i from the i-th, in turn)",
    "candidates": "Candidates per turn",
    "max_turns": "Most turns per conversation",
    "mode": "The worker judges the candidates by",
    "allow_rewrite": "The worker may rewrite the chosen reply",
    "temperature": "Temperature (0 to 2; blank: each endpoint's own)",
    "max_tokens": "Longest reply (tokens; blank: each endpoint's own)",
    "seed": "Seed (candidate i gets seed + i; blank: none)",
    "live": "Candidates generated live by model endpoints (instead of the item field)",
    "prompt_field": "Item field the model's prompt is (chat messages or a text)",
    "categories": "Categories to write to, one per line (blank: not asked)",
    "difficulties": "Difficulties, one per line (blank: not asked)",
    "languages": "Languages, one per line (blank: not asked)",
    "duplicate_threshold": "Similarity from which an earlier prompt is a near-duplicate (0 to 1)",
    "red_team": "Red team: a model answers live; the worker marks success and harm",
    "harm_categories": "Harm categories, one per line",
}
PROJECT_FIELDS = ("name", "description", "guidelines", "overlap", "lease_minutes", "status")
_QUESTION_KEY = re.compile(r"^q-(\d+)-(\w+)$")
_SETTINGS_PATH = re.compile(r"^questions\[([^\]]+)\]\.settings\.(\w+)(?:\.(\w+))?")
_CRITERION = re.compile(r"\.settings\.criteria\[(\d+)\]")


def all_setting_keys() -> list[str]:
    """Every settings field once, in a stable order, for the template's field list."""
    return list(dict.fromkeys(k for keys in TYPE_SETTINGS.values() for k in keys))


def setting_types() -> dict[str, str]:
    """For each settings field, the types that use it, space-separated (the script reads it)."""
    return {
        key: " ".join(t for t, keys in TYPE_SETTINGS.items() if key in keys)
        for key in all_setting_keys()
    }


def setting_needs() -> dict[str, str]:
    """For each nested setting, `type:toggle` pairs, space-separated: the box that must be
    ticked for it to show, and the object it goes in (the script reads it)."""
    return {
        key: " ".join(f"{t}:{n.toggle}" for t, n in NESTED.items() if key in n.keys)
        for key in all_setting_keys()
    }


def setting_defaults() -> dict[str, dict[str, Any]]:
    """For each settings field, each type's own default, and under "" the one a new
    question's field is filled with: the script puts the type's in when the type changes, so
    a new prompt question does not start from a text question's limits."""
    filled = default_settings()
    return {
        key: {"": filled[key]}
        | {t: setting_default(t, key) for t, keys in TYPE_SETTINGS.items() if key in keys}
        for key in all_setting_keys()
    }


def setting_default(type_name: str, key: str) -> Any:
    """The default the question type itself declares, shown in a new question's fields."""
    model = get_question_type(type_name).settings_model
    nested = NESTED.get(type_name)
    if nested is not None and key in nested.keys:
        model, key = nested.model, "field" if key == "prompt_field" else key
    model_field = model.model_fields.get(key)
    if model_field is None or model_field.is_required():
        return None
    return _as_text(key, model_field.get_default(call_default_factory=True))


def default_settings() -> dict[str, Any]:
    """Pre-filled values of a new question's settings fields (the first type using each)."""
    found: dict[str, Any] = {}
    for type_name, keys in TYPE_SETTINGS.items():
        for key in keys:
            found.setdefault(key, setting_default(type_name, key))
    return found


@dataclass
class QuestionForm:
    """One question as the form shows it: raw texts, so a bad value comes back as typed."""

    name: str = ""
    type: str = "label"
    prompt: str = ""
    required: bool = True
    settings: dict[str, Any] = field(default_factory=default_settings)


@dataclass
class ProjectForm:
    """The whole form's values and its errors by element id (`f-name`, `q-0-labels`, ...)."""

    name: str = ""
    description: str = ""
    guidelines: str = ""
    overlap: str = "1"
    lease_minutes: str = "30"
    status: str = ProjectStatus.draft
    questions: list[QuestionForm] = field(default_factory=list)
    questions_mode: str = "builder"
    questions_json: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    question_indexes: list[int] = field(default_factory=list)
    settings: SettingsForm = field(default_factory=SettingsForm)
    #: An activation refusal's reasons (each country below its floor, an unfunded budget).
    problems: list[str] = field(default_factory=list)

    def add_error(self, element: str, message: str) -> None:
        self.errors.setdefault(element, message)


def form_from_project(project: Project, guidelines: str) -> ProjectForm:
    questions = [
        QuestionForm(
            name=q.name,
            type=q.type,
            prompt=q.prompt,
            required=q.required,
            settings=default_settings() | _settings_as_text(q.type, q.settings or {}),
        )
        for q in project.questions
    ]
    return ProjectForm(
        name=project.name,
        description=project.description,
        guidelines=guidelines,
        overlap=str(project.overlap),
        lease_minutes=_minutes(project.lease_seconds),
        status=project.status,
        questions=questions,
        questions_json=_questions_json(questions),
        question_indexes=list(range(len(questions))),
        settings=settings_form.from_project(project),
    )


def _minutes(seconds: int) -> str:
    return str(seconds // 60) if seconds % 60 == 0 else str(round(seconds / 60, 2))


def _settings_as_text(type_name: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    nested = NESTED.get(type_name)
    inner = settings.get(nested.toggle) if nested else None
    if nested is not None:
        settings = {k: v for k, v in settings.items() if k != nested.toggle}
        settings |= {nested.toggle: inner is not None} | _flat(inner or {})
    return {k: _as_text(k, v) for k, v in _flat(settings).items()}


def _flat(settings: Mapping[str, Any]) -> dict[str, Any]:
    """A nested object's `field` as `prompt_field`, and its sampling as fields of their own."""
    flat = {k: v for k, v in settings.items() if k != "sampling"}
    flat |= {k: v for k, v in (settings.get("sampling") or {}).items() if k in SAMPLING_SETTINGS}
    return flat


def _as_text(key: str, value: Any) -> Any:
    if key in LIST_SETTINGS:
        return "\n".join(value)
    return criteria_lines.as_text(value) if key == "criteria" else value


def _from_text(key: str, value: Any) -> Any:
    """A text setting as the form holds it, back as the API takes it."""
    if key in LIST_SETTINGS:
        return [s.strip() for s in value.split("\n") if s.strip()]
    return criteria_lines.parse(value) if key == "criteria" else value


def _questions_json(questions: list[QuestionForm]) -> str:
    body = [
        {
            "name": q.name,
            "type": q.type,
            "prompt": q.prompt,
            "required": q.required,
            "settings": _grouped(
                q.type,
                {
                    k: _from_text(k, v)
                    for k, v in q.settings.items()
                    if k in TYPE_SETTINGS.get(q.type, ()) and v is not None
                },
            ),
        }
        for q in questions
    ]
    return json.dumps(body, indent=2, ensure_ascii=False)


def _grouped(type_name: str, settings: dict[str, Any]) -> dict[str, Any]:
    """The settings as the API takes them: a live or red-team object only when its box is
    ticked (its fields dropped otherwise), and the sampling fields as one object."""
    nested = NESTED.get(type_name)
    if nested is None:
        return _with_sampling(settings)
    inner = {k: settings.pop(k) for k in nested.keys if k in settings}
    if "prompt_field" in inner:
        inner["field"] = inner.pop("prompt_field")
    if settings.pop(nested.toggle, False):
        settings[nested.toggle] = _with_sampling(inner)
    return settings


def _with_sampling(settings: dict[str, Any]) -> dict[str, Any]:
    """The sampling fields, where there are any, as the one object the API takes."""
    sampling = {k: settings.pop(k) for k in SAMPLING_SETTINGS if k in settings}
    return settings | {"sampling": sampling} if sampling else settings


def parse_form(data: Mapping[str, str]) -> tuple[ProjectForm, dict[str, Any]]:
    """The form as typed, and the body to validate with ProjectCreate/ProjectUpdate.

    Each question is checked on its own first, so that every bad question is marked at
    once, under its own fields, rather than the first one the service meets."""
    text = {k: data.get(k, "").strip() for k in PROJECT_FIELDS}
    form = ProjectForm(
        name=text["name"],
        description=text["description"],
        guidelines=data.get("guidelines", ""),
        overlap=text["overlap"],
        lease_minutes=text["lease_minutes"],
        status=text["status"],
        questions_mode="json" if data.get("questions_mode") == "json" else "builder",
        questions_json=data.get("questions_json", ""),
    )
    body: dict[str, Any] = {
        "name": form.name,
        "description": form.description,
        "guidelines": form.guidelines,
        "status": form.status,
    }
    body["overlap"] = _integer(form, "f-overlap", form.overlap)
    minutes = _number(form, "f-lease_minutes", form.lease_minutes)
    body["lease_seconds"] = round(minutes * 60) if minutes is not None else None
    if form.questions_mode == "json":
        body["questions"] = _json_questions(form)
    else:
        body["questions"] = _builder_questions(form, data)
    form.settings, settings = settings_form.parse(data, form.add_error)
    return form, body | settings


def _builder_questions(form: ProjectForm, data: Mapping[str, str]) -> list[dict[str, Any]]:
    raw: dict[int, dict[str, str]] = {}
    for key, value in data.items():
        match = _QUESTION_KEY.match(key)
        if match:
            raw.setdefault(int(match.group(1)), {})[match.group(2)] = value
    questions: list[dict[str, Any]] = []
    for index in sorted(raw):
        values = raw[index]
        type_name = values.get("type", "label")
        question = QuestionForm(
            name=values.get("name", "").strip(),
            type=type_name,
            prompt=values.get("prompt", ""),
            required="required" in values,
            settings=default_settings()
            | {
                k: v
                for k, v in values.items()
                if k in INT_SETTINGS | FLOAT_SETTINGS | TEXT_SETTINGS
            }
            | {k: k in values for k in BOOL_SETTINGS}
            | {"endpoints": _endpoint_ids(values)},
        )
        form.questions.append(question)
        form.question_indexes.append(index)
        settings = _typed_settings(form, index, question)
        body = {
            "name": question.name,
            "type": type_name,
            "prompt": question.prompt,
            "required": question.required,
            "settings": settings,
        }
        try:
            validate_question_definition(question.name, type_name, settings)
        except FairlabelError as error:
            form.add_error(_question_element(index, question, error.field), _message(error))
        questions.append(body)
    return questions


def _endpoint_ids(values: Mapping[str, str]) -> list[int]:
    """The ticked endpoint checkboxes, in the form's order."""
    return [
        int(key.removeprefix(ENDPOINT_KEY))
        for key in values
        if key.startswith(ENDPOINT_KEY) and key.removeprefix(ENDPOINT_KEY).isdigit()
    ]


def _typed_settings(form: ProjectForm, index: int, question: QuestionForm) -> dict[str, Any]:
    """Only the settings of the chosen type, as the types they are (the models are strict)."""
    settings: dict[str, Any] = {}
    for key in offered(question):
        typed = _typed(form, f"q-{index}-{key}", key, question.settings.get(key))
        if typed is not _LEFT_OUT and key in SAMPLING_SETTINGS:
            typed = _sampling(form, f"q-{index}-{key}", key, typed)
        if typed is not _LEFT_OUT:
            settings[key] = typed
    return _grouped(question.type, settings)


def offered(question: QuestionForm) -> list[str]:
    """The chosen type's settings, less a live or red-team object's when its box is unticked
    (they are hidden then, and an empty endpoint list is no error)."""
    nested = NESTED.get(question.type)
    keys = TYPE_SETTINGS.get(question.type, ())
    if nested is None or question.settings.get(nested.toggle):
        return list(keys)
    return [k for k in keys if k not in nested.keys]


def _sampling(form: ProjectForm, element: str, key: str, value: Any) -> Any:
    """One sampling parameter checked on its own, so its error is placed by its field."""
    try:
        SamplingParams.model_validate({key: value})
    except ValidationError as error:
        form.add_error(element, f"{error.errors()[0]['msg']}, got {value}")
        return _LEFT_OUT
    return value


_LEFT_OUT = object()


def _typed(form: ProjectForm, element: str, key: str, value: Any) -> Any:
    """One setting as its type; _LEFT_OUT when blank or unreadable (the error is placed)."""
    if key == "endpoints":
        if not value:
            form.add_error(element, "tick at least one of the organization's model endpoints")
            return _LEFT_OUT
        return list(value)
    text = str(value if value is not None else "").strip()
    if key in LIST_SETTINGS:
        return _from_text(key, text)
    if key in BOOL_SETTINGS:
        return bool(value)
    if not text:
        return _LEFT_OUT
    if key == "criteria":
        try:
            return criteria_lines.parse(text)
        except FairlabelError as error:
            form.add_error(element, error.message)
            return _LEFT_OUT
    if key in INT_SETTINGS:
        number: float | None = _integer(form, element, text)
    elif key in FLOAT_SETTINGS:
        number = _number(form, element, text)
    else:
        return text
    return _LEFT_OUT if number is None else number


def _json_questions(form: ProjectForm) -> Any:
    try:
        parsed = json.loads(form.questions_json or "[]")
    except json.JSONDecodeError as error:
        form.add_error(
            "f-questions_json",
            f"not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})",
        )
        return []
    if not isinstance(parsed, list):
        form.add_error("f-questions_json", "expected a JSON list of questions")
        return []
    return parsed


def _integer(form: ProjectForm, element: str, text: str) -> int | None:
    return forms.integer(form.add_error, element, text)


def _number(form: ProjectForm, element: str, text: str) -> float | None:
    return forms.number(form.add_error, element, text)


def _question_element(index: int, question: QuestionForm, path: str | None) -> str:
    """The element an error about question `index` belongs to."""
    if path in ("name", "type"):
        return f"q-{index}-{path}"
    match = _SETTINGS_PATH.match(path or "")
    key = match and match.group(2)
    nested = NESTED.get(question.type)
    if match and nested is not None and key == nested.toggle and match.group(3):
        key = "prompt_field" if match.group(3) == "field" else match.group(3)
    if key and key in TYPE_SETTINGS.get(question.type, ()):
        return f"q-{index}-{key}"
    return f"q-{index}-type"


def _message(error: FairlabelError) -> str:
    """The error in the API's words: what was expected and the value that was sent (and, in a
    rubric, which criterion line it is about)."""
    if error.expected is None:
        return error.message
    criterion = _CRITERION.search(error.field or "")
    where = f"criterion {int(criterion.group(1)) + 1}: " if criterion else ""
    return f"{where}expected {error.expected}, got {json.dumps(error.value, ensure_ascii=False)}"


def place_validation_error(form: ProjectForm, error: ValidationError) -> None:
    """Pydantic's errors on the API schema, placed by their location."""
    for problem in error.errors():
        loc = problem["loc"]
        message = problem["msg"]
        head = str(loc[0]) if loc else ""
        if head == "questions":
            if form.questions_mode == "json" or len(loc) < 3:
                where = ".".join(str(p) for p in loc)
                form.add_error("f-questions_json", f"{where}: {message}")
                if form.questions_mode != "json":
                    form.add_error("form", f"{where}: {message}")
                continue
            position = int(loc[1])
            index = form.question_indexes[position]
            form.add_error(f"q-{index}-{loc[2]}", message)
        elif head == "lease_seconds":
            form.add_error("f-lease_minutes", "expected between 0.5 minutes and 7 days")
        elif head in PROJECT_FIELDS:
            form.add_error(f"f-{head}", message)
        else:
            _add_settings_error(form, loc, message)


def _add_settings_error(form: ProjectForm, path: Sequence[str | int], message: str) -> None:
    """An error on one of the settings sections, next to its field, or atop the form."""
    element = settings_form.element_for(form.settings, path)
    if element is None:
        form.add_error("form", message)
    else:
        form.add_error(element, settings_form.message_for(element, message))


def place_service_error(form: ProjectForm, error: FairlabelError) -> None:
    """A FairlabelError from the service, next to the field it names (or atop the form)."""
    path = error.field or ""
    text = _message(error)
    match = _SETTINGS_PATH.match(path)
    if form.questions_mode == "json" and (path in ("name", "type") or path.startswith("questions")):
        form.add_error("f-questions_json", f"{path}: {text}")
        return
    if path == "questions" or match:
        if form.questions_mode == "json":
            form.add_error("f-questions_json", f"{path}: {text}")
            return
        names = [q.name for q in form.questions]
        culprit = match.group(1) if match else None
        if culprit in names:
            position = names.index(culprit)
            index = form.question_indexes[position]
            form.add_error(_question_element(index, form.questions[position], path), text)
            return
        form.add_error("questions", text)
        return
    if error.details and any("problem" in d for d in error.details):
        _place_activation_error(form, error)
    elif path == "lease_seconds":
        form.add_error("f-lease_minutes", text)
    elif path in PROJECT_FIELDS:
        form.add_error(f"f-{path}", text)
    elif settings_form.element_for(form.settings, path.split(".")) is not None:
        _add_settings_error(form, path.split("."), f"{error.message}: {text}")
    else:
        form.add_error("form", f"{error.message}")


def _place_activation_error(form: ProjectForm, error: FairlabelError) -> None:
    """A refused activation: the reason by the status, each country and the budget in words,
    and the label rate marked when a floor is what it misses."""
    form.add_error("f-status", error.message)
    form.problems = settings_form.activation_problems(error.details, form.settings.currency)
    floors = [d for d in error.details if d.get("field") == "rates.label"]
    if floors:
        names = ", ".join(f"{d['name']} ({d['country']})" for d in floors)
        form.add_error("f-rate-label", f"below the pay floor of {names}")


def same_questions(submitted: Any, project: Project) -> bool:
    """Whether the form sends back the project's questions as they are: then the update leaves
    them out, so that renaming a project with submitted work is not refused as a change."""
    if not isinstance(submitted, list) or len(submitted) != len(project.questions):
        return False
    try:
        sent = [
            (
                q.get("name"),
                q.get("type"),
                q.get("prompt", ""),
                q.get("required", True),
                validate_question_definition(q.get("name"), q.get("type"), q.get("settings")),
            )
            for q in submitted
        ]
    except (FairlabelError, AttributeError):
        return False
    stored = [(q.name, q.type, q.prompt, q.required, q.settings) for q in project.questions]
    return sent == stored


def type_names() -> list[str]:
    """Types the builder can make: the registered ones it has settings fields for."""
    return [name for name in question_type_names() if name in TYPE_SETTINGS]


def check_endpoints(form: ProjectForm, body: Mapping[str, Any], allowed: Collection[int]) -> None:
    """Every live question's endpoints (chat, live comparisons, red-team prompts) must be the
    organization's: another's id would be stored and then refused at each turn, after a
    worker had taken the task. Checked here too, to be marked by the endpoints' field."""
    for position, question in enumerate(body.get("questions") or []):
        foreign = [e for e in _chosen_endpoints(question) if e not in allowed]
        if not foreign:
            continue
        message = f"model endpoint {foreign[0]} is not one of the organization's endpoints"
        if form.questions_mode == "json":
            form.add_error(
                "f-questions_json", f"questions[{position}].settings.endpoints: {message}"
            )
        else:
            form.add_error(f"q-{form.question_indexes[position]}-endpoints", message)


def _chosen_endpoints(question: Any) -> list[Any]:
    """The endpoints a question sent as the API takes it names (none where it is not live)."""
    if not isinstance(question, dict) or not isinstance(question.get("settings"), dict):
        return []
    settings = question["settings"]
    nested = NESTED.get(question.get("type", ""))
    if nested is not None:
        settings = settings.get(nested.toggle)
    elif question.get("type") != "chat":
        return []
    chosen = settings.get("endpoints") if isinstance(settings, dict) else None
    return chosen if isinstance(chosen, list) else []
