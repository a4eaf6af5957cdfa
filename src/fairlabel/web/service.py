"""What the pages show beside the raw records: a plain-words summary of each question, the
guidelines as safe HTML, the pay line and wellness summary of a project, and where the
built workspace bundle is."""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy.orm import object_session

from fairlabel.models import Project, Question
from fairlabel.pay import floors
from fairlabel.pay.floors import money
from fairlabel.wellness import risks
from fairlabel.wellness import service as wellness

DIST_DIR = Path(__file__).parent / "static" / "dist"
WORKSPACE_SCRIPT = "workspace.js"
WORKSPACE_STYLES = "workspace.css"

#: Raw HTML in guidelines is shown as text: a project's author must not be able to run
#: scripts in a worker's browser. markdown-it also refuses javascript: and data: links.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})

#: Item text (a conversation's messages) as the workspace renders it: no raw HTML, no images
#: either (an item must not make a worker's browser fetch anything), line breaks kept.
_ITEM_MARKDOWN = MarkdownIt(
    "default", {"html": False, "linkify": False, "typographer": False, "breaks": True}
).disable("image")
#: Past this, item text is shown as it is: markdown-it-py takes about a second a megabyte.
MAX_ITEM_MARKDOWN_CHARS = 200_000


@dataclass(frozen=True, slots=True)
class Bundle:
    """URLs of the built workspace; `version` changes with every build, so browsers reload it."""

    script: str
    styles: str | None
    version: str


def workspace_bundle(dist: Path | None = None) -> Bundle | None:
    """The built bundle, or None when `make setup` (npm run build) has not been run."""
    dist = dist or DIST_DIR
    script = dist / WORKSPACE_SCRIPT
    try:
        version = str(script.stat().st_mtime_ns)
    except FileNotFoundError:
        return None
    styles = f"/static/dist/{WORKSPACE_STYLES}" if (dist / WORKSPACE_STYLES).is_file() else None
    return Bundle(f"/static/dist/{WORKSPACE_SCRIPT}", styles, version)


def render_markdown(text: str) -> Markup:
    """Guidelines and descriptions as HTML that can hold no markup of the author's own."""
    return Markup(_render_cached(text))  # markdown-it has escaped every raw HTML tag


def render_item_text(text: str) -> Markup:
    """An item's text as safe HTML, or escaped as it is when too large to parse."""
    if len(text) > MAX_ITEM_MARKDOWN_CHARS:
        return Markup('<div class="plain-text">{}</div>').format(text)
    return Markup(_ITEM_MARKDOWN.render(text))  # every raw HTML tag escaped, images off


@lru_cache(maxsize=256)
def _render_cached(text: str) -> str:
    html: str = _MARKDOWN.render(text)
    return html


def _live(settings: dict[str, Any], task: str) -> str:
    """A live comparison says so: the worker waits for models (paid) before judging."""
    if settings.get("live"):
        return f"{task}; the project's models write them for you while you wait (paid time)"
    return task


def describe_question(question: Question) -> str:
    """What a worker will be asked to do, in words, before they take a task."""
    settings: dict[str, Any] = question.settings or {}
    labels = ", ".join(str(label) for label in settings.get("labels", []))
    describe = _DESCRIPTIONS.get(question.type)
    return describe(settings, labels) if describe else f"answer a {question.type} question"


_DESCRIPTIONS = {
    "label": lambda s, labels: f"choose one label: {labels}",
    "multi_label": lambda s, labels: f"choose any labels that apply: {labels}",
    "rating": lambda s, labels: f"rate from {s.get('min', 1)} to {s.get('max', 5)}",
    "text": lambda s, labels: "write a short text" if s.get("multiline") is False else "write text",
    "span": lambda s, labels: f"mark passages in the text as {labels}",
    "bbox": lambda s, labels: f"draw a box around each {labels.replace(', ', ' / ')} in the image",
    "polygon": lambda s, labels: f"outline each {labels.replace(', ', ' / ')} in the image",
    "ranking": lambda s, labels: _live(
        s,
        "rank the responses from best to worst (ties allowed)"
        if s.get("allow_ties", True)
        else "rank the responses from best to worst",
    ),
    "pairwise": lambda s, labels: _live(s, "say which of two responses is better"),
    "rubric": lambda s, labels: _describe_rubric(s.get("criteria", [])),
    "rewrite": lambda s, labels: "rewrite a response into the best one you can",
}


def pay_line(project: floors.PayPolicy) -> str:
    """What a task pays, as a worker reads it before accepting."""
    hourly = money(round(floors.hourly_minor(project)), project.currency)
    if project.pay_basis == "hour":
        return f"{hourly} an hour of measured time"
    rate = money(floors.label_rate(project), project.currency)
    return f"{rate} per item, about {project.estimated_seconds} s each: {hourly} an hour"


def project_wellness(project: Project) -> dict[str, Any]:
    """For the home page: a project's risk labels and its ratings (means and count only)."""
    db = object_session(project)
    summary = wellness.summaries(db, [project.id], with_comments=False)[project.id] if db else None
    labels = [risks.BY_NAME[n].label for n in project.content_risks or [] if n in risks.BY_NAME]
    return {"risks": labels, "ratings": summary}


def _describe_rubric(criteria: list[dict[str, Any]]) -> str:
    names = ", ".join(c.get("label") or c.get("name", "") for c in criteria)
    why = any(c.get("justification") == "required" for c in criteria)
    return f"score a response on {names}" + (", saying why" if why else "")
