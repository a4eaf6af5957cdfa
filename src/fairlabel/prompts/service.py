"""Near-duplicates of a prompt among the project's earlier ones, as the worker types and again
at submit, where the nearest is recorded in the answer (questions.prompt).

Similarity is rapidfuzz's token sort ratio on case-folded words: an edit distance (so a
changed word or a typo counts in proportion) that ignores word order ("write a poem about
cats" and "about cats, write a poem" are the same request). Embeddings (MiniLM) would also
catch paraphrases, but they add a model load to the server and 10-50 ms per prompt on a CPU,
where rapidfuzz compares a prompt with 100,000 earlier ones in C++ in tens of milliseconds;
near-duplicates in prompt collection are mostly copies with small edits, which this catches.

The earlier prompts are read from the annotations' JSON (a JSON path, both dialects) and
kept in the server, case-folded, by annotation id: an annotation is never overwritten, so its
prompt never changes, and each call only asks the database whether the project's latest
annotations changed (their count and highest id) and reads what is new, so a prompt another
server process stored is seen on the next call."""

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, cast

from rapidfuzz import fuzz, process, utils
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fairlabel.errors import NotFound
from fairlabel.models import Annotation, Project, Question
from fairlabel.questions.prompt import PromptQuestion, PromptSettings
from fairlabel.queue.rows import QuestionRow


@dataclass(frozen=True, slots=True)
class Similar:
    prompt: str
    similarity: float
    annotation_id: int


def prompt_question(db: Session, project_id: int, name: str) -> PromptSettings:
    question = db.scalar(
        select(Question).where(Question.project_id == project_id, Question.name == name)
    )
    if question is None or question.type != PromptQuestion.name:
        raise NotFound(
            "no such prompt question in this project",
            field="question",
            value=name,
            expected="the name of one of the project's prompt questions",
        )
    return settings_of(question.settings, name)


def settings_of(settings: dict[str, Any], name: str) -> PromptSettings:
    return cast(PromptSettings, PromptQuestion().parse_settings(settings, question=name))


def similar(
    db: Session,
    project_id: int,
    question: str,
    text: str,
    *,
    exclude_assignment: int,
    limit: int,
    cutoff: float = 0.0,
) -> list[Similar]:
    """The project's earlier prompts for the question nearest to `text`, nearest first,
    leaving out the asking assignment's own (a re-submit is not its own duplicate)."""
    if not text.strip():
        return []
    rows = _earlier(db, project_id, question).rows
    kept = [
        (annotation_id, row)
        for annotation_id, row in rows.items()
        if row is not None and row[0] != exclude_assignment
    ]
    found = process.extract(
        utils.default_process(text),
        [row[2] for _, row in kept],
        scorer=fuzz.token_sort_ratio,
        processor=None,
        limit=limit,
        score_cutoff=cutoff * 100,
    )
    return [
        Similar(kept[index][1][1], round(score / 100, 4), kept[index][0])
        for _, score, index in found
    ]


Row = tuple[int, str, str]
"""An annotation's assignment, its prompt, and the prompt case-folded for scoring."""


@dataclass(slots=True)
class _Earlier:
    """One question's latest annotations in one project as last read, by annotation id (None:
    the annotation has no prompt for it), and the highest id read."""

    rows: dict[int, Row | None]
    last_id: int


#: (project id, its creation time, question) -> what was read; the creation time keeps a
#: project that reuses a deleted one's id from its cache.
_CACHE: OrderedDict[tuple[int, str, str], _Earlier] = OrderedDict()
_CACHE_LOCK = threading.Lock()
CACHED_QUESTIONS = 32


def _earlier(db: Session, project_id: int, question: str) -> _Earlier:
    """The cached rows, brought up to date: the latest annotations' count and highest id say
    whether anything changed; then the annotations after the highest id read are added, and
    the rows read again in full where that does not account for every latest annotation (a
    revision, or an id committed after a higher one)."""
    created = db.scalar(select(Project.created_at).where(Project.id == project_id))
    key = (project_id, str(created), question)
    latest = (Annotation.project_id == project_id, Annotation.is_latest.is_(True))
    count, last = db.execute(select(func.count(), func.max(Annotation.id)).where(*latest)).one()
    last = last or 0
    with _CACHE_LOCK:
        entry = _CACHE.get(key)
    if entry is not None and (len(entry.rows), entry.last_id) != (count, last):
        rows = entry.rows | _read(db, question, latest, after=entry.last_id)
        entry = _Earlier(rows, last) if len(rows) == count else None
    if entry is None:
        entry = _Earlier(_read(db, question, latest, after=0), last)
    with _CACHE_LOCK:
        _CACHE[key] = entry
        _CACHE.move_to_end(key)
        while len(_CACHE) > CACHED_QUESTIONS:
            _CACHE.popitem(last=False)
    return entry


def _read(db: Session, question: str, latest: tuple[Any, ...], after: int) -> dict[int, Row | None]:
    prompt = Annotation.answers[question]["prompt"].as_string()
    found = db.execute(
        select(Annotation.id, Annotation.assignment_id, prompt).where(
            *latest, Annotation.id > after
        )
    )
    return {
        annotation_id: (assignment_id, text, utils.default_process(text)) if text else None
        for annotation_id, assignment_id, text in found
    }


def resolve_answers(
    db: Session,
    project_id: int,
    assignment_id: int,
    questions: Sequence[QuestionRow],
    answers: dict[str, Any],
) -> dict[str, Any]:
    """Each prompt answer with its nearest earlier prompt and whether that is a duplicate."""
    for question in questions:
        answer = answers.get(question.name)
        if question.type != PromptQuestion.name or answer is None:
            continue
        settings = settings_of(question.settings, question.name)
        nearest = similar(
            db,
            project_id,
            question.name,
            answer["prompt"],
            exclude_assignment=assignment_id,
            limit=1,
        )
        found = nearest[0] if nearest else None
        answers[question.name] = {
            **answer,
            "nearest": None if found is None else asdict(found),
            "duplicate": found is not None and found.similarity >= settings.duplicate_threshold,
        }
    return answers
