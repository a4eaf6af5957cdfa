"""What every export format shares: the plain data the database layer hands over, the base
class, and the streaming helpers that keep an export's memory flat whatever its size."""

import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, NoReturn, Protocol

import orjson

from fairlabel.errors import ValidationFailed
from fairlabel.formats.split import IMAGE_SPLITS, Split, SplitNeeds

CHUNK_SIZE = 64 * 1024
SPLIT_FORMATS = "yolo, voc or a training dataset in Parquet (sft-parquet, preference-parquet...)"
JSON_BATCH = 200
"""Values joined into one piece by json_items: few pieces, each well under CHUNK_SIZE."""


@dataclass(frozen=True, slots=True)
class ExportQuestion:
    name: str
    type: str
    settings: dict[str, Any]


class MediaStore(Protocol):
    """The stored file of one of the exported project's media, by hash; None when the project
    has no media with that hash (an item's fields name a hash, the project must own it)."""

    def __call__(self, sha256: str) -> Path | None: ...


@dataclass(frozen=True, slots=True)
class ExportOptions:
    """What an export was asked for beyond its format; the image formats read them, the
    others refuse them (see ExportFormat.check_options)."""

    split: Split | None = None
    seed: int | None = None
    """Asked for by itself, it seeds the format's default split (YOLO's)."""
    include_media: bool = False
    media: MediaStore | None = None
    """Set when include_media is: where the project's media files are."""


@dataclass(frozen=True, slots=True)
class ArenaSides:
    """A battle as the arena formats write it: the models behind a and b, the prompt (a
    worker's text in arena mode, else the item's messages) and the two replies."""

    models: tuple[str, str]
    prompt: str | Sequence[Mapping[str, Any]]
    texts: tuple[str, str]


@dataclass(frozen=True, slots=True)
class ExportProject:
    id: int
    name: str
    organization: str
    questions: list[ExportQuestion]
    exported_at: datetime
    guideline_version: int
    options: ExportOptions = ExportOptions()
    battle_models: Mapping[int, tuple[str, str]] = field(default_factory=dict)
    """The models behind candidates a and b of each evaluation battle item (their items
    name none, so that the vote is blind); the arena formats read it."""
    arena_votes: Mapping[tuple[int, str], ArenaSides] = field(default_factory=dict)
    """Arena-mode battles by (item, worker pseudonym): each worker wrote their own prompt."""


class JsonObject(Mapping[str, Any]):
    """A JSON object kept as the database's text and decoded on first read: JSONL copies the
    text through untouched, and only the formats that look inside pay for decoding."""

    __slots__ = ("_value", "text")

    def __init__(self, text: str | bytes) -> None:
        self.text = text
        self._value: dict[str, Any] | None = None

    def _decoded(self) -> dict[str, Any]:
        if self._value is None:
            self._value = orjson.loads(self.text)
        return self._value

    def __getitem__(self, key: str) -> Any:
        return self._decoded()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._decoded())

    def __len__(self) -> int:
        return len(self._decoded())

    def get(self, key: str, default: Any = None) -> Any:
        """Mapping's get goes through __getitem__ and an exception; this is the hot path."""
        value = self._value
        if value is None:
            value = self._value = orjson.loads(self.text)
        return value.get(key, default)

    def __repr__(self) -> str:
        return f"JsonObject({self.text!r})"


def json_value(value: Mapping[str, Any]) -> Any:
    """What orjson should write for a JSON field: its stored text as it is when there is one."""
    return orjson.Fragment(value.text) if isinstance(value, JsonObject) else value


@dataclass(slots=True)
class ExportAnnotation:
    """Not frozen: an export builds millions, and a frozen dataclass is four times slower
    to create."""

    id: int
    worker: str
    """The worker's pseudonym: exports never carry a worker's identity."""
    version: int
    answers: Mapping[str, Any]
    guideline_version: int
    time_spent_ms: int
    created_at: datetime
    verdict: str | None = None
    """The last review verdict (accept, reject, correct), None before any: the training
    datasets leave rejected work out."""


@dataclass(slots=True)
class ExportRecord:
    item_id: int
    external_id: str
    fields: Mapping[str, Any]
    meta: Mapping[str, Any]
    status: str
    annotations: Sequence[ExportAnnotation]
    """The latest version of each annotation of the item."""


class ConsensusRecord(Protocol):
    """What a format reads of an item of an aggregated export (exports.aggregated)."""

    @property
    def external_id(self) -> str: ...
    @property
    def fields(self) -> Mapping[str, Any]: ...
    @property
    def consensus(self) -> Mapping[str, Mapping[str, Any]]: ...


class RecordSource(Protocol):
    """Each call starts a fresh pass over the project, so a format may make two passes.

    with_annotations=False leaves every record's annotations empty without reading them:
    a pass that needs the items only (COCO's images) costs half as much."""

    def __call__(self, *, with_annotations: bool = True) -> Iterator[ExportRecord]: ...


class ExportFormat:
    """One export format: a name for the registry and a generator of the file's bytes."""

    name: ClassVar[str]
    media_type: ClassVar[str]
    extension: ClassVar[str]
    description: ClassVar[str]
    question_types: ClassVar[frozenset[str] | None] = None
    """The question types this format can export; None means every type."""
    passes: ClassVar[int] = 1
    """How many times chunks() calls the record source (for progress bars)."""
    split_needs: ClassVar[SplitNeeds] = IMAGE_SPLITS
    """The splits a format that takes a split needs."""

    def chunks(self, project: ExportProject, source: RecordSource) -> Iterator[bytes]:
        """Yields the file in pieces of about CHUNK_SIZE bytes, never holding all records."""
        raise NotImplementedError

    def check_project(self, project: ExportProject) -> None:
        """Raises ValidationFailed when the format cannot export the project: an export with
        nothing in it is a mistake to report before streaming starts, not an empty file."""
        self.check_options(project.options)
        if self.question_types is None or exportable_questions(self, project):
            return
        kinds = " or ".join(sorted(self.question_types))
        raise ValidationFailed(
            f"format {self.name!r} exports {kinds} questions and project {project.name!r} has none",
            field="format",
            value=self.name,
            expected=f"a project with a {kinds} question",
        )

    def check_options(self, options: ExportOptions) -> None:
        """Formats without images take no split and no media."""
        if options.split is not None or options.seed is not None:
            field = "split" if options.split is not None else "seed"
            refuse_option(self.name, field, options.split or options.seed, SPLIT_FORMATS)
        if options.include_media:
            refuse_option(self.name, "include_media", True, "coco, yolo or voc")

    def content_type(self, project: ExportProject) -> str:
        """The file's media type; a format may answer a zip for some options."""
        return self.media_type

    def extension_for(self, project: ExportProject) -> str:
        return self.extension

    def filename(self, project: ExportProject) -> str:
        """A download name that is safe in a Content-Disposition header on every OS."""
        ascii_name = unicodedata.normalize("NFKD", project.name).encode("ascii", "ignore").decode()
        stem = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_name).strip("-.")
        return f"{stem or f'project-{project.id}'}-{self.name}{self.extension_for(project)}"


class ConsensusFormat(ExportFormat):
    """A format that also writes the consensus (exports.aggregated's aggregated variant)."""

    def consensus_chunks(
        self, project: ExportProject, records: Iterable[ConsensusRecord]
    ) -> Iterator[bytes]:
        """`records` can be read more than once, each time afresh."""
        raise NotImplementedError


def refuse_option(format: str, field: str, value: Any, formats: str) -> NoReturn:
    raise ValidationFailed(
        f"format {format!r} takes no {field}",
        field=field,
        value=value.describe() if isinstance(value, Split) else value,
        expected=f"no {field} for {format}, or one of the formats that take it: {formats}",
    )


def exportable_questions(fmt: ExportFormat, project: ExportProject) -> list[ExportQuestion]:
    if fmt.question_types is None:
        return list(project.questions)
    return [q for q in project.questions if q.type in fmt.question_types]


def rechunk(pieces: Iterable[bytes], size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """Joins many small writes into pieces of about `size` bytes: fewer, larger sends.
    A large piece with nothing before it goes out as it is, uncopied."""
    buffer = bytearray()
    for piece in pieces:
        if not buffer and len(piece) >= size:
            yield piece
            continue
        buffer += piece
        if len(buffer) >= size:
            yield bytes(buffer)
            buffer.clear()
    if buffer:
        yield bytes(buffer)


def json_items(values: Iterable[Any], batch: int = JSON_BATCH) -> Iterator[bytes]:
    """The values of a JSON array, comma-separated and without its brackets, in pieces of
    `batch` values. Each value is encoded at once: a value that dies young costs the garbage
    collector nothing, a batch of them kept alive makes it scan them again and again."""
    encoded = map(orjson.dumps, values)
    separator = b""
    while page := list(itertools.islice(encoded, batch)):
        yield separator + b",".join(page)
        separator = b","
