"""Consensus per (item, question) and the project's agreement report.

Consensus reads each item's latest annotation versions that were not rejected (a reviewer's
correction is the latest version, so it counts, as the reviewer's answer). It is refreshed
for one item on every submission (`refresh_item`: a few plain statements, on the submit hot
path) and for a whole project on demand (Dawid-Skene where the kind has it): as a job that
reads once and writes in short batches (`recompute_with`, see quality.jobs), or in the
caller's one transaction (`recompute`), the same steps either way.

`human_confirmed` is true when a model suggested exactly the consensus answer for that
(item, question) and at least one annotator gave that answer too: a person confirmed the
model's label. "Exactly" is the question type's own score of 1 (for boxes: every box matched
at IoU >= 0.5 with its label). Suggestions stored after the last refresh count from the next.

Dynamic overlap: an item whose consensus confidence on any question is under the project's
`consensus_threshold` is reopened (is_open) for one more annotator while fewer than
`max_overlap` have submitted and nobody holds a lease on it; the queue's claim closes it
again. Limitation: without a per-item overlap column, a reopened place that is leased and
then returned or expired is not given back (`_release` recomputes is_open from the project's
overlap); the next recompute of the project reopens the item."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import combinations
from typing import Any, NamedTuple, cast

import numpy as np
import orjson
from pydantic import BaseModel
from sqlalchemy import Insert, Select, Table, Text, Update, bindparam, delete, or_, select, update
from sqlalchemy import cast as cast_sql
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fairlabel.db import utcnow
from fairlabel.errors import NotFound, ValidationFailed
from fairlabel.jobs.runner import NoProgress, Progress
from fairlabel.models import (
    Annotation,
    Consensus,
    Item,
    Project,
    Question,
    Suggestion,
    User,
)
from fairlabel.quality import schemas
from fairlabel.quality.kinds import Aggregator, ByItem, aggregator_for
from fairlabel.questions import QuestionType, get_question_type
from fairlabel.questions.base import one_of

CONSENSUS = cast(Table, Consensus.__table__)
ANNOTATIONS = cast(Table, Annotation.__table__)
ITEMS = cast(Table, Item.__table__)
PROJECTS = cast(Table, Project.__table__)
QUESTIONS = cast(Table, Question.__table__)
SUGGESTIONS = cast(Table, Suggestion.__table__)
USERS = cast(Table, User.__table__)

#: An annotator "agrees" with the consensus when their answer scores at least this against
#: it: exact for the all-or-nothing types, and F1, Jaccard or (tau + 1) / 2 >= 0.8 for the
#: types with partial credit.
AGREES = 0.8
#: A score of 1 up to float rounding: the same answer, as the question type sees it.
SAME = 1 - 1e-9
#: Items listed as the lowest agreement in the report.
LOWEST_ITEMS = 20


@dataclass(frozen=True, slots=True)
class QuestionContext:
    """A question with its parsed settings and how its answers aggregate."""

    name: str
    type: str
    question_type: QuestionType[Any]
    settings: BaseModel
    aggregator: Aggregator

    @classmethod
    def of(cls, name: str, type_name: str, settings: dict[str, Any]) -> QuestionContext:
        question_type = get_question_type(type_name)
        return cls(
            name,
            type_name,
            question_type,
            question_type.parse_settings(settings, question=name),
            aggregator_for(question_type.answer_kind),
        )

    def score(self, answer: Any, expected: Any) -> float:
        return self.question_type.score(self.settings, answer, expected)


class ConsensusRow(NamedTuple):
    item_id: int
    question: str
    method: str
    answer: Any
    confidence: float
    annotators: int
    agreeing: int
    human_confirmed: bool


def consensus_row(
    context: QuestionContext,
    item_id: int,
    answers: Sequence[tuple[int, Any]],
    method: str,
    result: tuple[Any, float | None],
    suggested: Sequence[Any],
) -> ConsensusRow:
    """The stored row: a vote method's confidence is the annotators' mean score against
    the answer; a probabilistic method brings its own."""
    answer, confidence = result
    scores = [context.score(given, answer) for _, given in answers]
    confirmed = any(
        context.score(answer, s) >= SAME and any(context.score(g, s) >= SAME for _, g in answers)
        for s in suggested
    )
    return ConsensusRow(
        item_id=item_id,
        question=context.name,
        method=method,
        answer=answer,
        confidence=float(np.mean(scores)) if confidence is None else confidence,
        annotators=len(answers),
        agreeing=sum(s >= AGREES for s in scores),
        human_confirmed=confirmed,
    )


# --- statements ---------------------------------------------------------------------------


#: The stored answer as JSON text: SQLite gives a JSON column numeric affinity, so a bare
#: number (a rating's consensus) comes back as a number that the JSON type cannot decode.
ANSWER_TEXT = cast_sql(CONSENSUS.c.answer, Text).label("answer")


def consensus_columns(*names: str) -> list[Any]:
    """Columns of the consensus table to read, the answer as JSON text (see ANSWER_TEXT)."""
    return [ANSWER_TEXT if name == "answer" else CONSENSUS.c[name] for name in names]


def decoded(row: Any) -> dict[str, Any]:
    """A row of consensus_columns as a dict, its answer decoded."""
    values = row._asdict()
    return {**values, "answer": orjson.loads(values["answer"])}


def _counted(table: Table) -> Any:
    """Latest annotation versions that no reviewer rejected."""
    return (
        table.c.is_latest.is_(True),
        or_(table.c.verdict.is_(None), table.c.verdict != "reject"),
    )


ITEM_SETUP = (
    select(
        ITEMS.c.project_id,
        PROJECTS.c.consensus_threshold,
        QUESTIONS.c.name,
        QUESTIONS.c.type,
        QUESTIONS.c.settings,
    )
    .join(PROJECTS, PROJECTS.c.id == ITEMS.c.project_id)
    .join(QUESTIONS, QUESTIONS.c.project_id == PROJECTS.c.id)
    .where(ITEMS.c.id == bindparam("p_item"))
)

ITEM_ANSWERS = (
    select(ANNOTATIONS.c.worker_id, ANNOTATIONS.c.answers)
    .where(ANNOTATIONS.c.item_id == bindparam("p_item"), *_counted(ANNOTATIONS))
    .order_by(ANNOTATIONS.c.id)
)


def counted_answers(
    db: Session, project_id: int, first: int, last: int
) -> defaultdict[int, list[dict[str, Any]]]:
    """The answers the consensus counts, per item with an id from `first` to `last`: what an
    aggregated export reads beside a page of consensus rows."""
    query = (
        select(ANNOTATIONS.c.item_id, ANNOTATIONS.c.answers)
        .where(
            ANNOTATIONS.c.project_id == project_id,
            ANNOTATIONS.c.item_id.between(first, last),
            *_counted(ANNOTATIONS),
        )
        .order_by(ANNOTATIONS.c.item_id, ANNOTATIONS.c.id)
    )
    found: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for item_id, answers in db.execute(query):
        found[item_id].append(answers)
    return found


ITEM_SUGGESTIONS = select(SUGGESTIONS.c.question, SUGGESTIONS.c.answer).where(
    SUGGESTIONS.c.item_id == bindparam("p_item")
)

DROP_UNANSWERED = delete(CONSENSUS).where(
    CONSENSUS.c.item_id == bindparam("p_item"),
    CONSENSUS.c.question.not_in(bindparam("p_answered", expanding=True)),
)


def _upsert(dialect_insert: Any) -> Insert:
    statement = dialect_insert(CONSENSUS)
    changed = {name: statement.excluded[name] for name in (*ConsensusRow._fields, "updated_at")}
    upsert: Insert = statement.on_conflict_do_update(
        index_elements=[CONSENSUS.c.item_id, CONSENSUS.c.question], set_=changed
    )
    return upsert


UPSERT = {"postgresql": _upsert(postgresql.insert), "sqlite": _upsert(sqlite.insert)}


def _reopen(*where: Any) -> Update:
    """One more place on a closed, fully answered item, under the project's cap."""
    return (
        update(ITEMS)
        .where(
            *where,
            ITEMS.c.is_open.is_(False),
            ITEMS.c.is_gold.is_(False),
            ITEMS.c.taken <= ITEMS.c.submitted,
            ITEMS.c.submitted
            < select(PROJECTS.c.max_overlap)
            .where(PROJECTS.c.id == ITEMS.c.project_id)
            .scalar_subquery(),
        )
        .values(is_open=True, updated_at=bindparam("p_now"))
    )


REOPEN_ITEM = _reopen(ITEMS.c.id == bindparam("p_item"))
REOPEN_PROJECT = _reopen(
    ITEMS.c.project_id == bindparam("p_project"),
    ITEMS.c.id.in_(
        select(CONSENSUS.c.item_id).where(
            CONSENSUS.c.project_id == bindparam("p_project"),
            CONSENSUS.c.confidence < bindparam("p_threshold"),
        )
    ),
)


# --- one item, on submit ------------------------------------------------------------------


def refresh_item(db: Session, item_id: int) -> list[ConsensusRow]:
    """Recompute the consensus of one item by each question's incremental method, and
    reopen the item when it is under the project's threshold. Also for the review stage to
    call after a verdict changes which annotations count."""
    conn = db.connection()
    setup = conn.execute(ITEM_SETUP, {"p_item": item_id}).all()
    if not setup:
        return []
    project_id, threshold = setup[0][0], setup[0][1]
    votes = conn.execute(ITEM_ANSWERS, {"p_item": item_id}).all()
    suggested = defaultdict(list)
    for question, answer in conn.execute(ITEM_SUGGESTIONS, {"p_item": item_id}):
        suggested[question].append(answer)
    rows = []
    for _, _, name, type_name, settings in setup:
        context = QuestionContext.of(name, type_name, settings)
        answers = [(worker, given[name]) for worker, given in votes if given.get(name) is not None]
        if answers:
            method = context.aggregator.incremental
            result = (context.aggregator.consensus(context.settings, answers), None)
            rows.append(consensus_row(context, item_id, answers, method, result, suggested[name]))
    _store_item(db, project_id, item_id, rows)
    if threshold is not None and any(row.confidence < threshold for row in rows):
        conn.execute(REOPEN_ITEM, {"p_item": item_id, "p_now": utcnow()})
    return rows


def _store_item(db: Session, project_id: int, item_id: int, rows: list[ConsensusRow]) -> None:
    conn = db.connection()
    answered = [row.question for row in rows]
    conn.execute(DROP_UNANSWERED, {"p_item": item_id, "p_answered": answered})
    if rows:
        conn.execute(UPSERT[conn.dialect.name], _values(project_id, rows, utcnow()))


def _values(project_id: int, rows: Iterable[ConsensusRow], now: datetime) -> list[dict[str, Any]]:
    return [{**row._asdict(), "project_id": project_id, "updated_at": now} for row in rows]


# --- a whole project, on demand -----------------------------------------------------------


class Vote(NamedTuple):
    """One counted annotation of the project."""

    item_id: int
    worker_id: int
    pseudonym: str
    answers: dict[str, Any]
    created_at: datetime


def contexts(project: Project, question: str | None = None) -> list[QuestionContext]:
    """The project's questions, or the one named; an unknown name is a 422."""
    found = [
        QuestionContext.of(q.name, q.type, q.settings)
        for q in project.questions
        if question is None or q.name == question
    ]
    if question is not None and not found:
        raise ValidationFailed(
            f"project {project.id} has no question {question!r}",
            field="question",
            value=question,
            expected=one_of([q.name for q in project.questions], "one of the project's questions"),
        )
    return found


def chosen_methods(selected: list[QuestionContext], method: str | None) -> dict[str, str]:
    """Each question's method: the one asked for, which must fit every selected question,
    or the kind's default (Dawid-Skene where the kind has it)."""
    methods = {}
    for context in selected:
        allowed = context.aggregator.methods
        if method is not None and method not in allowed:
            raise ValidationFailed(
                f"method {method!r} does not fit question {context.name!r} (type {context.type})",
                field="method",
                value=method,
                expected=one_of(allowed, f"a method for question {context.name!r}, one of"),
            )
        methods[context.name] = method or allowed[0]
    return methods


@dataclass(frozen=True, slots=True)
class Plan:
    """What a recompute will do: which questions, each by which method."""

    project_id: int
    contexts: list[QuestionContext]
    methods: dict[str, str]


def plan(project: Project, method: str | None = None, question: str | None = None) -> Plan:
    """Check a recompute request (an unknown question or a method that does not fit is a
    422) before any work starts."""
    selected = contexts(project, question)
    return Plan(project.id, selected, chosen_methods(selected, method))


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


class StoredRows(NamedTuple):
    """One question's consensus rows as a recompute read them, sorted by item: the row id
    and its updated_at (in µs since 1970), which a write compares with before replacing
    the row. Arrays, not dicts: a million-item project has millions of them."""

    items: np.ndarray
    ids: np.ndarray
    stamps: np.ndarray

    @classmethod
    def of(cls, rows: list[tuple[int, int, datetime]]) -> StoredRows:
        return cls(
            np.array([row[0] for row in rows], dtype=np.int64),
            np.array([row[1] for row in rows], dtype=np.int64),
            np.array([(row[2] - EPOCH) // MICROSECOND for row in rows], dtype=np.int64),
        )

    def find(self, item_ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """For each item: whether it had a row, and where it is in these arrays."""
        wanted = np.asarray(item_ids, dtype=np.int64)
        if not len(self.items):
            return np.zeros(len(wanted), dtype=bool), np.zeros(len(wanted), dtype=np.int64)
        at = np.minimum(np.searchsorted(self.items, wanted), len(self.items) - 1)
        return self.items[at] == wanted, at

    def seen(self, at: int) -> tuple[int, datetime]:
        return int(self.ids[at]), EPOCH + int(self.stamps[at]) * MICROSECOND


class Snapshot(NamedTuple):
    """What a recompute reads, all in one transaction: the counted annotations, the models'
    suggestions, and the consensus rows it may replace."""

    votes: list[Vote]
    suggested: defaultdict[tuple[int, str], list[Any]]
    stored: dict[str, StoredRows]


#: Annotations read between two progress reports while a recompute reads the project.
READ_REPORT_ROWS = 100_000


def read_snapshot(db: Session, planned: Plan, progress: Progress) -> Snapshot:
    votes = []
    for n, row in enumerate(db.connection().execute(_votes_query(planned.project_id)), 1):
        votes.append(Vote(*row))
        if n % READ_REPORT_ROWS == 0:
            progress.update(n, None, f"Reading the project's annotations: {n:,} so far")
    stored: dict[str, list[tuple[int, int, datetime]]] = {name: [] for name in planned.methods}
    query = (
        select(CONSENSUS.c.question, CONSENSUS.c.item_id, CONSENSUS.c.id, CONSENSUS.c.updated_at)
        .where(
            CONSENSUS.c.project_id == planned.project_id,
            CONSENSUS.c.question.in_(list(planned.methods)),
        )
        .order_by(CONSENSUS.c.question, CONSENSUS.c.item_id)
    )
    for question, item_id, row_id, updated_at in db.connection().execute(query):
        stored[question].append((item_id, row_id, updated_at))
    return Snapshot(
        votes,
        _project_suggestions(db, planned.project_id),
        {name: StoredRows.of(rows) for name, rows in stored.items()},
    )


def compute_question(
    context: QuestionContext, method: str, snapshot: Snapshot
) -> list[ConsensusRow]:
    """One question's rows for every item answered, by a whole-project method that weights
    each worker by their estimated reliability (or a vote)."""
    by_item = answers_by_item(snapshot.votes, context.name)
    results = context.aggregator.project(context.settings, method, by_item)
    suggested = snapshot.suggested
    return [
        consensus_row(context, item, by_item[item], method, result, suggested[item, context.name])
        for item, result in results.items()
    ]


REPLACE_UNCHANGED = (
    update(CONSENSUS)
    .where(CONSENSUS.c.id == bindparam("p_id"), CONSENSUS.c.updated_at == bindparam("p_seen"))
    .values(
        method=bindparam("p_method"),
        answer=bindparam("p_answer"),
        confidence=bindparam("p_confidence"),
        annotators=bindparam("p_annotators"),
        agreeing=bindparam("p_agreeing"),
        human_confirmed=bindparam("p_human_confirmed"),
        updated_at=bindparam("p_now"),
    )
)
DROP_UNCHANGED = delete(CONSENSUS).where(
    CONSENSUS.c.id == bindparam("p_id"), CONSENSUS.c.updated_at == bindparam("p_seen")
)


def _insert_absent(dialect_insert: Any) -> Insert:
    statement: Insert = (
        dialect_insert(CONSENSUS)
        .on_conflict_do_nothing(index_elements=[CONSENSUS.c.item_id, CONSENSUS.c.question])
        .returning(CONSENSUS.c.id)
    )
    return statement


INSERT_ABSENT = {
    "postgresql": _insert_absent(postgresql.insert),
    "sqlite": _insert_absent(sqlite.insert),
}


def write_rows(
    db: Session, project_id: int, rows: Sequence[ConsensusRow], stored: StoredRows
) -> int:
    """Store one batch of a recompute's rows, each only if nobody wrote its (item, question)
    since the snapshot: a row read then is replaced only while its updated_at is unchanged,
    a row absent then is inserted only while still absent. The rest (a submission or a
    verdict refreshed them meanwhile) stay as written. Returns the rows stored. The
    parameters are built before the first statement, which on SQLite takes the write lock."""
    now = utcnow()
    found, at = stored.find([row.item_id for row in rows])
    replaced, inserted = [], []
    for row, had_row, position in zip(rows, found, at, strict=True):
        if had_row:
            row_id, seen = stored.seen(int(position))
            values = {f"p_{name}": value for name, value in row._asdict().items()}
            replaced.append({**values, "p_id": row_id, "p_seen": seen, "p_now": now})
        else:
            inserted.append(row)
    inserts = _values(project_id, inserted, now)
    conn = db.connection()
    written = 0
    if replaced:
        written += conn.execute(REPLACE_UNCHANGED, replaced).rowcount
    if inserted:
        statement = INSERT_ABSENT[conn.dialect.name]
        written += len(conn.execute(statement, inserts).all())
    return written


def stale_rows(stored: StoredRows, rows: Sequence[ConsensusRow]) -> list[int]:
    """Positions in `stored` of rows the recompute has no answer for any more."""
    computed = np.array([row.item_id for row in rows], dtype=np.int64)
    return [int(k) for k in np.flatnonzero(~np.isin(stored.items, computed))]


def drop_rows(db: Session, stored: StoredRows, positions: Sequence[int]) -> int:
    """Delete these rows of the snapshot where nobody rewrote them since."""
    if not positions:
        return 0
    params = [dict(zip(("p_id", "p_seen"), stored.seen(k), strict=True)) for k in positions]
    return int(db.connection().execute(DROP_UNCHANGED, params).rowcount)


Sessions = Callable[[], AbstractContextManager[Session]]


def recompute(
    db: Session, project: Project, method: str | None = None, question: str | None = None
) -> schemas.Recomputed:
    """Replace the consensus of the project's questions (or one) and apply dynamic overlap,
    all in the caller's transaction."""

    def same() -> AbstractContextManager[Session]:
        return nullcontext(db)

    return recompute_with(same, same, project.id, method, question)


def recompute_with(
    read: Sessions,
    write: Sessions,
    project_id: int,
    method: str | None = None,
    question: str | None = None,
    *,
    progress: Progress | None = None,
    batch_rows: int = 5000,
) -> schemas.Recomputed:
    """The whole-project recompute: read everything in one `read()` transaction, compute each
    question's rows, store them `batch_rows` at a time, each batch in a `write()`
    transaction, then reopen items under the project's threshold in one more.

    With separate transactions (the recompute job), a reader of the consensus table meanwhile
    sees, for each (item, question), either the row from before or the recomputed one,
    never none: rows are replaced in place, question by question in item order, and only
    rows with no answer left are deleted, last. An item answered or reviewed while the job
    runs keeps the rows that submission or verdict wrote (compare-and-set on updated_at, see
    write_rows), which reflect its answers then; they are counted in `skipped`. The end state
    is the one of the recompute run alone at its snapshot, followed by those submissions
    and verdicts. One limit: a row absent at the snapshot, created and then deleted again
    by two verdicts during the run, is inserted from the snapshot's answers."""
    progress = progress or NoProgress()
    started = time.perf_counter()
    progress.update(0, None, "Reading the project's annotations")
    with read() as db:
        project = _project(db, project_id)
        planned = plan(project, method, question)
        snapshot = read_snapshot(db, planned, progress)
    computed: list[tuple[str, list[ConsensusRow]]] = []
    questions = len(planned.contexts)
    for k, context in enumerate(planned.contexts):
        name, kind_method = context.name, planned.methods[context.name]
        progress.update(
            k, questions, f"Computing question {k + 1} of {questions}: {name} ({kind_method})"
        )
        computed.append((name, compute_question(context, kind_method, snapshot)))
    del snapshot.votes[:]  # the rows hold what they need; the annotations can go
    total = sum(len(rows) for _, rows in computed)
    done = written = 0
    progress.update(0, total, f"Writing consensus rows: 0 of {total:,}")
    for name, rows in computed:
        for start in range(0, len(rows), batch_rows):
            batch = rows[start : start + batch_rows]
            with write() as db:
                written += write_rows(db, project_id, batch, snapshot.stored[name])
            done += len(batch)
            progress.update(done, total, f"Writing consensus rows: {done:,} of {total:,}")
    for name, rows in computed:
        stale = stale_rows(snapshot.stored[name], rows)
        for start in range(0, len(stale), batch_rows):
            with write() as db:
                drop_rows(db, snapshot.stored[name], stale[start : start + batch_rows])
    progress.update(total, total, "Reopening items under the consensus threshold")
    with write() as db:
        reopened = reopen_project(db, _project(db, project_id))
    progress.update(total, total, "Finished")
    return schemas.Recomputed(
        methods=planned.methods,
        items=len({row.item_id for _, rows in computed for row in rows}),
        rows=total,
        reopened=reopened,
        skipped=total - written,
        seconds=round(time.perf_counter() - started, 4),
    )


def _project(db: Session, project_id: int) -> Project:
    project = db.get(Project, project_id)
    if project is None:
        raise NotFound(
            "no such project", field="project_id", value=project_id, expected="an existing project"
        )
    return project


def reopen_project(db: Session, project: Project) -> int:
    if project.consensus_threshold is None:
        return 0
    params = {"p_project": project.id, "p_threshold": project.consensus_threshold}
    result = db.connection().execute(REOPEN_PROJECT, {**params, "p_now": utcnow()})
    return int(result.rowcount)


def _votes_query(project_id: int) -> Select[Any]:
    return (
        select(
            ANNOTATIONS.c.item_id,
            ANNOTATIONS.c.worker_id,
            USERS.c.pseudonym,
            ANNOTATIONS.c.answers,
            ANNOTATIONS.c.created_at,
        )
        .join(USERS, USERS.c.id == ANNOTATIONS.c.worker_id)
        .where(ANNOTATIONS.c.project_id == project_id, *_counted(ANNOTATIONS))
        .order_by(ANNOTATIONS.c.item_id, ANNOTATIONS.c.id)
    )


def project_votes(db: Session, project_id: int) -> list[Vote]:
    return [Vote(*row) for row in db.connection().execute(_votes_query(project_id))]


def answers_by_item(votes: Iterable[Vote], question: str) -> ByItem:
    by_item: dict[int, list[tuple[int, Any]]] = defaultdict(list)
    for vote in votes:
        answer = vote.answers.get(question)
        if answer is not None:
            by_item[vote.item_id].append((vote.worker_id, answer))
    return dict(by_item)


def _project_suggestions(db: Session, project_id: int) -> defaultdict[tuple[int, str], list[Any]]:
    suggested: defaultdict[tuple[int, str], list[Any]] = defaultdict(list)
    query = select(SUGGESTIONS.c.item_id, SUGGESTIONS.c.question, SUGGESTIONS.c.answer).where(
        SUGGESTIONS.c.project_id == project_id
    )
    for item_id, question, answer in db.connection().execute(query):
        suggested[item_id, question].append(answer)
    return suggested


def list_consensus(
    db: Session, project_id: int, after: int | None, limit: int
) -> tuple[list[schemas.ConsensusOut], int | None]:
    """Rows of up to `limit` items in (item, question) order, and the `after` of the next
    page (None on the last): paged by item, so an item's questions never split."""
    items = (
        select(CONSENSUS.c.item_id)
        .where(CONSENSUS.c.project_id == project_id, CONSENSUS.c.item_id > (after or 0))
        .distinct()
        .order_by(CONSENSUS.c.item_id)
        .limit(limit)
    )
    page = list(db.scalars(items))
    columns = consensus_columns(*ConsensusRow._fields, "updated_at")
    rows = db.execute(
        select(*columns)
        .where(CONSENSUS.c.item_id.in_(page))
        .order_by(CONSENSUS.c.item_id, CONSENSUS.c.question)
    )
    consensus = [schemas.ConsensusOut(**decoded(row)) for row in rows]
    return consensus, page[-1] if len(page) == limit else None


# --- the agreement report -----------------------------------------------------------------


class _Stored(NamedTuple):
    answer: Any
    confidence: float


class _Tally:
    """Scores collected per key (worker, day), averaged at the end."""

    def __init__(self) -> None:
        self.scores: defaultdict[Any, list[float]] = defaultdict(list)

    def add(self, key: Any, score: float) -> None:
        self.scores[key].append(score)

    def mean(self, key: Any) -> float | None:
        values = self.scores.get(key)
        return float(np.mean(values)) if values else None


@dataclass
class _Report:
    """What the walk over every question collects for the cross-question tables."""

    accuracy: _Tally
    peers: _Tally
    days: _Tally
    answers: Counter[str]
    lowest: list[tuple[float, int, str, int, float | None]]


def quality_report(db: Session, project: Project) -> schemas.QualityReport:
    """Agreement per question, the items workers agree on least, each worker's accuracy
    against the consensus and agreement with peers (pseudonyms only), and accuracy per day.
    Accuracy and agreement use items with two or more annotations: with one, the consensus
    is that worker's own answer. The consensus compared with is the stored one, or for an
    item without a stored row, the incremental method's answer computed here."""
    votes = project_votes(db, project.id)
    stored = _stored_consensus(db, project.id)
    report = _Report(_Tally(), _Tally(), _Tally(), Counter(), [])
    pseudonyms = {vote.worker_id: vote.pseudonym for vote in votes}
    questions = [
        _question_quality(project, context, votes, stored, report, pseudonyms)
        for context in contexts(project)
    ]
    return schemas.QualityReport(
        project_id=project.id,
        consensus_threshold=project.consensus_threshold,
        questions=questions,
        lowest_items=_lowest_items(db, report.lowest),
        workers=_workers(report),
        over_time=[
            schemas.DayAgreement(
                day=day, answers=len(report.days.scores[day]), accuracy=report.days.mean(day) or 0
            )
            for day in sorted(report.days.scores)
        ],
    )


def _question_quality(
    project: Project,
    context: QuestionContext,
    votes: list[Vote],
    stored: dict[tuple[int, str], _Stored],
    report: _Report,
    pseudonyms: dict[int, str],
) -> schemas.QuestionQuality:
    by_item = answers_by_item(votes, context.name)
    days = _answer_days(votes, context.name)
    shared = {item: answers for item, answers in by_item.items() if len(answers) >= 2}
    confusion = _Confusion.of(context)
    for item, answers in shared.items():
        known = stored.get((item, context.name))
        consensus = (
            known.answer
            if known is not None
            else context.aggregator.consensus(context.settings, answers)
        )
        item_scores = _pair_scores(context, answers, pseudonyms, report.peers)
        report.lowest.append(
            (
                float(np.mean(item_scores)),
                item,
                context.name,
                len(answers),
                known.confidence if known else None,
            )
        )
        for (worker, answer), day in zip(answers, days[item], strict=True):
            score = context.score(answer, consensus)
            report.accuracy.add(pseudonyms[worker], score)
            report.days.add(day, score)
            if confusion is not None:
                confusion.add(consensus, answer)
    for answers in by_item.values():
        report.answers.update(pseudonyms[worker] for worker, _ in answers)
    confidences = [s.confidence for (_, q), s in stored.items() if q == context.name]
    threshold = project.consensus_threshold
    return schemas.QuestionQuality(
        name=context.name,
        type=context.type,
        kind=context.question_type.answer_kind,
        annotations=sum(len(a) for a in by_item.values()),
        items=len(by_item),
        shared_items=len(shared),
        figures=[
            schemas.Figure(name=f.name, value=f.value, reason=f.reason)
            for f in context.aggregator.figures(context.settings, by_item)
        ],
        consensus_items=len(confidences),
        mean_confidence=float(np.mean(confidences)) if confidences else None,
        below_threshold=None if threshold is None else sum(c < threshold for c in confidences),
        confusion=confusion.out() if confusion is not None else None,
    )


def _pair_scores(
    context: QuestionContext,
    answers: Sequence[tuple[int, Any]],
    pseudonyms: dict[int, str],
    peers: _Tally,
) -> list[float]:
    """Every pair's score on one item, also credited to both workers' peer agreement."""
    scores = []
    for (first, a), (second, b) in combinations(answers, 2):
        score = context.score(a, b)
        scores.append(score)
        peers.add(pseudonyms[first], score)
        peers.add(pseudonyms[second], score)
    return scores


def _answer_days(votes: list[Vote], question: str) -> dict[int, list[str]]:
    """The UTC day of each answer, in the order answers_by_item lists them."""
    days: defaultdict[int, list[str]] = defaultdict(list)
    for vote in votes:
        if vote.answers.get(question) is not None:
            days[vote.item_id].append(vote.created_at.date().isoformat())
    return days


class _Confusion:
    """Worker answers against the consensus, for kinds with a fixed list of answers."""

    def __init__(self, labels: list[Any], class_of: Callable[[Any], Any]) -> None:
        self.labels = labels
        self.index = {label: k for k, label in enumerate(labels)}
        self.counts = np.zeros((len(labels), len(labels)), dtype=np.int64)
        self.class_of = class_of

    @classmethod
    def of(cls, context: QuestionContext) -> _Confusion | None:
        labels = context.aggregator.classes(context.settings)
        return cls(labels, context.aggregator.class_of) if labels is not None else None

    def add(self, consensus: Any, answer: Any) -> None:
        row = self.index.get(self.class_of(consensus))
        column = self.index.get(self.class_of(answer))
        if row is not None and column is not None:
            self.counts[row, column] += 1

    def out(self) -> schemas.Confusion:
        return schemas.Confusion(labels=self.labels, counts=self.counts.tolist())


def _stored_consensus(db: Session, project_id: int) -> dict[tuple[int, str], _Stored]:
    columns = consensus_columns("item_id", "question", "answer", "confidence")
    query = select(*columns).where(CONSENSUS.c.project_id == project_id)
    return {
        (item, question): _Stored(orjson.loads(answer), confidence)
        for item, question, answer, confidence in db.connection().execute(query)
    }


def _lowest_items(
    db: Session, lowest: list[tuple[float, int, str, int, float | None]]
) -> list[schemas.ItemAgreement]:
    chosen = sorted(lowest, key=lambda row: (row[0], row[1], row[2]))[:LOWEST_ITEMS]
    ids = {item for _, item, _, _, _ in chosen}
    query = select(ITEMS.c.id, ITEMS.c.external_id).where(ITEMS.c.id.in_(ids))
    external = {item: external_id for item, external_id in db.execute(query)}
    return [
        schemas.ItemAgreement(
            item_id=item,
            external_id=external[item],
            question=question,
            agreement=score,
            annotators=annotators,
            confidence=confidence,
        )
        for score, item, question, annotators, confidence in chosen
    ]


def _workers(report: _Report) -> list[schemas.WorkerQuality]:
    return [
        schemas.WorkerQuality(
            worker=worker,
            answers=count,
            compared=len(report.accuracy.scores.get(worker, [])),
            accuracy=report.accuracy.mean(worker),
            agreement=report.peers.mean(worker),
            reason=None
            if worker in report.accuracy.scores
            else "no item this worker answered has a second annotation yet",
        )
        for worker, count in sorted(report.answers.items())
    ]
