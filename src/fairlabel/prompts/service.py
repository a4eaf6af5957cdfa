"""Near-duplicates of a prompt among the project's earlier ones, as the worker types and again
at submit, where the nearest is recorded in the answer (questions.prompt).

Similarity is rapidfuzz's token sort ratio on case-folded words: an edit distance (so a
changed word or a typo counts in proportion) that ignores word order ("write a poem about
cats" and "about cats, write a poem" are the same request). Embeddings (MiniLM) would also
catch paraphrases, but they add a model load to the server and 10-50 ms per prompt on a CPU,
where rapidfuzz compares a prompt with 100,000 earlier ones in C++ in tens of milliseconds;
near-duplicates in prompt collection are mostly copies with small edits, which this catches.

The earlier prompts are read from the annotations' JSON in the database each time (one
indexed query of a JSON path, both dialects), not cached: a cache per server process would
miss the prompts another process stored."""

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, cast

from rapidfuzz import fuzz, process, utils
from sqlalchemy import select
from sqlalchemy.orm import Session

from fairlabel.errors import NotFound
from fairlabel.models import Annotation, Question
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
    earlier = _earlier(db, project_id, question, exclude_assignment)
    if not earlier:
        return []
    found = process.extract(
        text,
        [prompt for _, prompt in earlier],
        scorer=fuzz.token_sort_ratio,
        processor=utils.default_process,
        limit=limit,
        score_cutoff=cutoff * 100,
    )
    return [
        Similar(prompt, round(score / 100, 4), earlier[index][0]) for prompt, score, index in found
    ]


def _earlier(
    db: Session, project_id: int, question: str, exclude_assignment: int
) -> list[tuple[int, str]]:
    prompt = Annotation.answers[question]["prompt"].as_string()
    rows = db.execute(
        select(Annotation.id, prompt)
        .where(
            Annotation.project_id == project_id,
            Annotation.is_latest.is_(True),
            Annotation.assignment_id != exclude_assignment,
            prompt.is_not(None),
        )
        .order_by(Annotation.id)
    )
    return [(annotation_id, text) for annotation_id, text in rows if text]


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
