"""The training datasets of formats.trl as export formats: each dataset type as JSON Lines
(`load_dataset("json", data_files=...)`, TRL's own shape line by line) and as Parquet with a
dataset card in a zip (`load_dataset("<unzipped folder>")`), the latter with an optional
seeded split. Each is written per annotation (chunks) or from the consensus
(consensus_chunks, the aggregated export of exports.aggregated)."""

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, ClassVar

import orjson

from fairlabel.errors import ValidationFailed
from fairlabel.formats import parquet, prompts, trl
from fairlabel.formats.base import (
    ConsensusFormat,
    ConsensusRecord,
    ExportOptions,
    ExportProject,
    RecordSource,
    rechunk,
    refuse_option,
)
from fairlabel.formats.registry import register
from fairlabel.formats.split import DATASET_SPLITS, Split
from fairlabel.formats.zipstream import ZipStream

_LINE = orjson.OPT_APPEND_NEWLINE


class DatasetFormat(ConsensusFormat):
    kind: ClassVar[trl.DatasetKind]
    split_needs = DATASET_SPLITS
    """The JSON Lines ones take no split, and say so rather than how an image split looks."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__:
            cls.question_types = cls.kind.question_types

    def check_project(self, project: ExportProject) -> None:
        super().check_project(project)
        self.kind.prepare(project)

    def chunks(self, project: ExportProject, source: RecordSource) -> Iterator[bytes]:
        dataset = trl.Dataset.of(self.kind, project, trl.PER_ANNOTATION)
        return self.write(
            dataset,
            lambda: trl.annotation_judgements(source(), dataset.questions),
            lambda: (record.fields for record in source(with_annotations=False)),
        )

    def consensus_chunks(
        self, project: ExportProject, records: Iterable[ConsensusRecord]
    ) -> Iterator[bytes]:
        """The dataset of the consensus: `records` can be read twice (exports.aggregated)."""
        dataset = trl.Dataset.of(self.kind, project, trl.CONSENSUS)
        return self.write(
            dataset,
            lambda: trl.consensus_judgements(records, dataset.questions),
            lambda: (record.fields for record in records),
        )

    def write(
        self,
        dataset: trl.Dataset,
        judged: Callable[[], Iterable[trl.Judgement]],
        items: Callable[[], Iterable[Mapping[str, Any]]],
    ) -> Iterator[bytes]:
        """Each callable starts a pass: the items alone (Parquet's look at the messages'
        keys, made first), or the judgements."""
        raise NotImplementedError


class JsonlDataset(DatasetFormat):
    media_type = "application/x-ndjson"
    extension = ".jsonl"

    def write(
        self,
        dataset: trl.Dataset,
        judged: Callable[[], Iterable[trl.Judgement]],
        items: Callable[[], Iterable[Mapping[str, Any]]],
    ) -> Iterator[bytes]:
        return rechunk(orjson.dumps(row, option=_LINE) for row in dataset.rows(judged()))


class ParquetDataset(DatasetFormat):
    media_type = "application/zip"
    extension = ".zip"
    passes = 2

    def check_options(self, options: ExportOptions) -> None:
        """A split and its seed, no media."""
        if options.include_media:
            refuse_option(self.name, "include_media", True, "coco, yolo or voc")
        if options.seed is not None and options.split is None:
            raise ValidationFailed(
                f"a seed shuffles a split, and this {self.name} export has none",
                field="seed",
                value=options.seed,
                expected="a split with it (split=train:0.9,test:0.1), or no seed",
            )

    def write(
        self,
        dataset: trl.Dataset,
        judged: Callable[[], Iterable[trl.Judgement]],
        items: Callable[[], Iterable[Mapping[str, Any]]],
    ) -> Iterator[bytes]:
        project = dataset.project
        split = project.options.split

        def pieces() -> Iterator[bytes]:
            keys = parquet.message_keys(items())
            archive = ZipStream(project.exported_at)
            try:
                blocks = dataset.blocks(judged())
                card = functools.partial(dataset_card, dataset, split)
                yield from parquet.dataset_zip(blocks, dataset.columns, keys, split, card, archive)
            finally:
                archive.discard()

        return rechunk(pieces())


def dataset_card(dataset: trl.Dataset, split: Split | None) -> parquet.Card:
    """Made after every row is written, when the skipped answers are counted."""
    title = f"{dataset.project.name}: {dataset.kind.title}"
    return parquet.Card(title, card_body(dataset, split), ["fairlabel", "trl", dataset.kind.name])


def card_body(dataset: trl.Dataset, split: Split | None) -> list[str]:
    project, kind = dataset.project, dataset.kind
    lines = [
        f"Exported from fairlabel project {project.name!r} (id {project.id}, "
        f"{project.organization}) at {project.exported_at.isoformat()}, guideline version "
        f"{project.guideline_version}.",
        "",
        f"- Dataset type: {kind.title}, in TRL's conversational form; read by {kind.trainers}.",
        f"- Answers: {dataset.provenance.kind}, {dataset.provenance.summary}.",
        f"- Questions: {', '.join(q.name for q in dataset.questions) or 'none'}.",
        f"- Rules: {kind.rules}",
    ]
    if split is not None:
        lines.append(
            f"- Split {split.describe()} with seed {split.seed}: each item's rows share a split, "
            "drawn from the seed and the item's external id alone, so an item keeps its split "
            "when more are exported."
        )
    skipped = sorted(dataset.skipped.items())
    lines.append(f"- Answers that gave no row: {sum(dataset.skipped.values()):,}.")
    lines += [f"  - {reason}: {count:,}" for reason, count in skipped]
    lines += [
        "",
        "```python",
        "from datasets import load_dataset",
        "",
        'dataset = load_dataset("path/to/this/folder")  # or "parquet", data_files=...',
        "```",
    ]
    return lines


def _describe(kind: trl.DatasetKind, container: str) -> str:
    return f"{kind.title}, {container}"


@register
class SftJsonl(JsonlDataset):
    name = "sft"
    kind = trl.SFT
    description = _describe(kind, "JSON Lines for TRL's SFTTrainer")


@register
class PreferenceJsonl(JsonlDataset):
    name = "preference"
    kind = trl.PREFERENCE
    description = _describe(kind, "JSON Lines for TRL's DPOTrainer and RewardTrainer")


@register
class KtoJsonl(JsonlDataset):
    name = "kto"
    kind = trl.KTO
    description = _describe(kind, "JSON Lines for TRL's KTOTrainer")


@register
class RubricJsonl(JsonlDataset):
    name = "rubric"
    kind = trl.RUBRIC
    description = _describe(kind, "JSON Lines")


@register
class SftParquet(ParquetDataset):
    name = "sft-parquet"
    kind = trl.SFT
    description = _describe(kind, "Parquet with a Hugging Face dataset card (zip)")


@register
class PreferenceParquet(ParquetDataset):
    name = "preference-parquet"
    kind = trl.PREFERENCE
    description = _describe(kind, "Parquet with a Hugging Face dataset card (zip)")


@register
class KtoParquet(ParquetDataset):
    name = "kto-parquet"
    kind = trl.KTO
    description = _describe(kind, "Parquet with a Hugging Face dataset card (zip)")


@register
class RubricParquet(ParquetDataset):
    name = "rubric-parquet"
    kind = trl.RUBRIC
    description = _describe(kind, "Parquet with a Hugging Face dataset card (zip)")


@register
class PromptsJsonl(JsonlDataset):
    name = "prompts"
    kind = prompts.PROMPTS
    description = _describe(kind, "JSON Lines")


@register
class PromptsParquet(ParquetDataset):
    name = "prompts-parquet"
    kind = prompts.PROMPTS
    description = _describe(kind, "Parquet with a Hugging Face dataset card (zip)")


@register
class RedTeamJsonl(JsonlDataset):
    name = "red-team"
    kind = prompts.RED_TEAM
    description = _describe(kind, "JSON Lines")


@register
class RedTeamParquet(ParquetDataset):
    name = "red-team-parquet"
    kind = prompts.RED_TEAM
    description = _describe(kind, "Parquet with a Hugging Face dataset card (zip)")
