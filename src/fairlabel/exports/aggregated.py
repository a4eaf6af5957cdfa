"""The aggregated export: one answer per item and question instead of every annotation.

Each item carries, per question, the consensus answer, its confidence, how many annotators
answered and agreed, the method, and whether a human confirmed a model's suggestion (see
quality.service); a question without consensus yet is null (JSONL) or empty cells (CSV).
A pairwise question adds `chosen` and `rejected` (the preference pair's candidate ids, null
unless the consensus picked a side) and `share` (the annotators behind the consensus choice,
its tally being the answer's `votes`): preference pairs are the rows with `chosen` set and a
`share` above the user's bar. CoNLL comes from the span consensus (formats.conll).
Items are read in keyset pages within one read transaction, so memory stays flat."""

import csv
import io
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, cast

import orjson
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from fairlabel.db import Database
from fairlabel.errors import ValidationFailed
from fairlabel.exports.aggregated_images import bounded, consensus_objects
from fairlabel.exports.service import PAGE_SIZE
from fairlabel.formats import conll
from fairlabel.formats.base import (
    SPLIT_FORMATS,
    ConsensusFormat,
    ExportFormat,
    ExportOptions,
    ExportProject,
    exportable_questions,
    rechunk,
    refuse_option,
)
from fairlabel.formats.images import AGGREGATED, ImageFormat
from fairlabel.formats.registry import format_names, get_format
from fairlabel.models import Consensus, Item
from fairlabel.quality.service import (
    QuestionContext,
    consensus_columns,
    counted_answers,
    decoded,
)
from fairlabel.questions.base import one_of

ITEMS = cast(Table, Item.__table__)
CONSENSUS = cast(Table, Consensus.__table__)
#: What each question contributes to an item's line, in column order.
FIGURES = ("answer", "confidence", "annotators", "agreeing", "method", "human_confirmed")


@dataclass(frozen=True, slots=True)
class AggregatedRecord:
    item_id: int
    external_id: str
    fields: dict[str, Any]
    meta: dict[str, Any]
    consensus: dict[str, dict[str, Any]]
    answers: list[dict[str, Any]] = field(default_factory=list)
    """The answers the consensus counted, read only for a variant that asks (reads_answers)."""


class Records(Iterable[AggregatedRecord]):
    """Each iteration reads the project afresh, so a variant may make two passes (CoNLL checks
    every span before it writes)."""

    def __init__(self, database: Database, project_id: int, with_answers: bool = False) -> None:
        self.database, self.project_id = database, project_id
        self.with_answers = with_answers

    def __iter__(self) -> Iterator[AggregatedRecord]:
        return _read(self.database, self.project_id, self.with_answers)


def records(database: Database, project_id: int, *, with_answers: bool = False) -> Records:
    return Records(database, project_id, with_answers)


def _read(database: Database, project_id: int, with_answers: bool) -> Iterator[AggregatedRecord]:
    with database.session(write=False) as db:
        last = 0
        while page := _page(db, project_id, last, with_answers):
            yield from page
            last = page[-1].item_id


def _page(db: Session, project_id: int, after: int, with_answers: bool) -> list[AggregatedRecord]:
    items = db.execute(
        select(ITEMS.c.id, ITEMS.c.external_id, ITEMS.c.fields, ITEMS.c.meta)
        .where(ITEMS.c.project_id == project_id, ITEMS.c.id > after)
        .order_by(ITEMS.c.id)
        .limit(PAGE_SIZE)
    ).all()
    if not items:
        return []
    consensus: dict[int, dict[str, dict[str, Any]]] = {}
    query = select(*consensus_columns("item_id", "question", *FIGURES)).where(
        CONSENSUS.c.project_id == project_id,
        CONSENSUS.c.item_id.between(items[0].id, items[-1].id),
    )
    for row in db.execute(query):
        values = decoded(row)
        consensus.setdefault(values.pop("item_id"), {})[values.pop("question")] = values
    answers = counted_answers(db, project_id, items[0].id, items[-1].id) if with_answers else {}
    return [
        AggregatedRecord(
            item.id,
            item.external_id,
            item.fields,
            item.meta,
            consensus.get(item.id, {}),
            answers.get(item.id, []),
        )
        for item in items
    ]


class AggregatedVariant:
    name: ClassVar[str]
    media_type: ClassVar[str]
    extension: ClassVar[str]
    reads_answers: ClassVar[bool] = False

    def export(self, project: ExportProject, database: Database) -> Iterator[bytes]:
        """Checks the request first, so that a bad one is a 422 before streaming starts."""
        self.check_options(project.options)
        source = records(database, project.id, with_answers=self.reads_answers)
        return self.chunks(project, source)

    def chunks(self, project: ExportProject, source: Iterable[AggregatedRecord]) -> Iterator[bytes]:
        raise NotImplementedError

    def check_options(self, options: ExportOptions) -> None:
        """Only the image variants take a split or media."""
        if options.split is not None or options.seed is not None:
            field = "split" if options.split is not None else "seed"
            refuse_option(self.name, field, options.split or options.seed, SPLIT_FORMATS)
        if options.include_media:
            refuse_option(self.name, "include_media", True, "coco, yolo or voc")

    def content_type(self, project: ExportProject) -> str:
        return self.media_type

    def filename(self, project: ExportProject) -> str:
        """The plain format's download name with "-aggregated" before the extension."""
        plain = get_format("jsonl").filename(project).removesuffix("-jsonl.jsonl")
        return f"{plain}-aggregated{self.extension}"


class AggregatedJsonl(AggregatedVariant):
    name = "jsonl"
    media_type = "application/x-ndjson"
    extension = ".jsonl"

    def chunks(self, project: ExportProject, source: Iterable[AggregatedRecord]) -> Iterator[bytes]:
        names = [q.name for q in project.questions]
        extras = _extras(project)
        return rechunk(
            orjson.dumps(
                {
                    "item": {
                        "id": r.item_id,
                        "external_id": r.external_id,
                        "fields": r.fields,
                        "meta": r.meta,
                    },
                    "consensus": {name: _entry(r, name, extras) for name in names},
                },
                option=orjson.OPT_APPEND_NEWLINE,
            )
            for r in source
        )


class AggregatedCsv(AggregatedVariant):
    """One row per item: item id, external id, then `<question>.<figure>` columns; answers
    that are not plain strings or numbers are written as JSON."""

    name = "csv"
    media_type = "text/csv"
    extension = ".csv"

    def chunks(self, project: ExportProject, source: Iterable[AggregatedRecord]) -> Iterator[bytes]:
        names = [q.name for q in project.questions]
        extras = _extras(project)
        columns = {name: (*FIGURES, *_extra_figures(extras.get(name))) for name in names}
        header = ["item_id", "external_id", *(f"{n}.{f}" for n in names for f in columns[n])]
        rows = ([r.item_id, r.external_id, *_cells(r, columns, extras)] for r in source)
        return rechunk(_csv_line(row) for row in itertools.chain([header], rows))


def _cells(
    record: AggregatedRecord,
    columns: dict[str, tuple[str, ...]],
    extras: dict[str, QuestionContext],
) -> list[Any]:
    cells: list[Any] = []
    for name, figures in columns.items():
        found = _entry(record, name, extras)
        if found is None:
            cells += [""] * len(figures)
            continue
        answer = found["answer"]
        plain = isinstance(answer, str | int | float)
        cells += [
            answer if plain else orjson.dumps(answer).decode(),
            *(found[f] for f in figures[1:]),
        ]
    return cells


def _extras(project: ExportProject) -> dict[str, QuestionContext]:
    """The questions whose kind adds figures beside its consensus (pairwise: the preference
    pair and its share, see quality.kinds)."""
    contexts = (QuestionContext.of(q.name, q.type, q.settings) for q in project.questions)
    return {c.name: c for c in contexts if c.aggregator.exported_figures}


def _extra_figures(context: QuestionContext | None) -> tuple[str, ...]:
    return context.aggregator.exported_figures if context is not None else ()


def _entry(
    record: AggregatedRecord, name: str, extras: dict[str, QuestionContext]
) -> dict[str, Any] | None:
    found = record.consensus.get(name)
    context = extras.get(name)
    if found is None or context is None:
        return found
    added = context.aggregator.exported(context.settings, found["answer"], record.fields)
    return {**found, **added}


class AggregatedConll(AggregatedVariant):
    """CoNLL BIO from each item's span consensus, written as formats.conll writes each
    annotation, the consensus's confidence in each document's header."""

    name = "conll"
    media_type = "text/plain; charset=utf-8"
    extension = ".conll"

    def chunks(self, project: ExportProject, source: Iterable[AggregatedRecord]) -> Iterator[bytes]:
        plain = get_format("conll")
        plain.check_project(project)
        questions = exportable_questions(plain, project)
        remedy = conll.FIX_CONSENSUS.format(id=project.id)
        conll.refuse_unwritable(self.name, conll.consensus_texts(source, questions), remedy)
        return rechunk(conll.documents(conll.consensus_texts(source, questions)))


def _csv_line(row: list[Any]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(row)
    return buffer.getvalue().encode()


class AggregatedImages(AggregatedVariant):
    """COCO, YOLO or VOC from the consensus, written by the plain format itself: one box or
    polygon per object, scored by the share of annotators who drew it."""

    reads_answers = True

    @property
    def plain(self) -> ImageFormat:
        return cast(ImageFormat, get_format(self.name))

    def chunks(self, project: ExportProject, source: Iterable[AggregatedRecord]) -> Iterator[bytes]:
        plain = self.plain
        plain.check_project(project)
        return plain.image_chunks(project, bounded(source), consensus_objects(project), AGGREGATED)

    def check_options(self, options: ExportOptions) -> None:
        self.plain.check_options(options)

    def content_type(self, project: ExportProject) -> str:
        return self.plain.content_type(project)

    def filename(self, project: ExportProject) -> str:
        plain = self.plain.filename(project)
        return plain.replace(f"-{self.name}.", f"-{self.name}-aggregated.")


class AggregatedDataset(AggregatedVariant):
    """A training dataset (formats.training) or conversation trees (formats.oasst) from the
    consensus, written by the plain format itself: one example per item and question."""

    @property
    def plain(self) -> ConsensusFormat:
        return cast(ConsensusFormat, get_format(self.name))

    def chunks(self, project: ExportProject, source: Iterable[AggregatedRecord]) -> Iterator[bytes]:
        plain = self.plain
        plain.check_project(project)
        return plain.consensus_chunks(project, source)

    def check_options(self, options: ExportOptions) -> None:
        self.plain.check_options(options)

    def content_type(self, project: ExportProject) -> str:
        return self.plain.content_type(project)

    def filename(self, project: ExportProject) -> str:
        plain = self.plain.filename(project)
        return plain.replace(f"-{self.name}.", f"-{self.name}-aggregated.")


def _dataset_variant(format: ExportFormat) -> AggregatedVariant:
    class Variant(AggregatedDataset):
        name = format.name
        media_type = format.media_type
        extension = format.extension

    return Variant()


class AggregatedCoco(AggregatedImages):
    name = "coco"
    media_type = "application/json"
    extension = ".json"


class AggregatedYolo(AggregatedImages):
    name = "yolo"
    media_type = "application/zip"
    extension = ".zip"


class AggregatedVoc(AggregatedImages):
    name = "voc"
    media_type = "application/zip"
    extension = ".zip"


VARIANTS: dict[str, AggregatedVariant] = {
    v.name: v
    for v in (
        AggregatedJsonl(),
        AggregatedCsv(),
        AggregatedConll(),
        AggregatedCoco(),
        AggregatedYolo(),
        AggregatedVoc(),
    )
} | {
    name: _dataset_variant(get_format(name))
    for name in format_names()
    if isinstance(get_format(name), ConsensusFormat)
}


def variant(format: str) -> AggregatedVariant:
    found = VARIANTS.get(format)
    if found is None:
        raise ValidationFailed(
            f"the aggregated export comes as {' or '.join(VARIANTS)}, not {format!r}",
            field="format",
            value=format,
            expected=one_of(VARIANTS),
        )
    return found
