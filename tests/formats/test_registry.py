"""Looking formats up by name and refusing exports that would come out empty."""

from collections.abc import Iterator

import pytest

from fairlabel.errors import ValidationFailed
from fairlabel.formats import ExportRecord, ensure_exportable, format_names, get_format, register
from fairlabel.formats.base import CHUNK_SIZE, ExportQuestion
from fairlabel.formats.jsonl import JsonlFormat

from .factories import (
    BOXES,
    ENTITIES,
    OUTLINES,
    TOPIC,
    image,
    make_annotation,
    make_project,
    make_record,
    source_of,
)

DATASETS = ("sft", "preference", "kto", "rubric", "prompts", "red-team")
EXPECTED = {
    "jsonl": ("application/x-ndjson", ".jsonl"),
    "coco": ("application/json", ".json"),
    "yolo": ("application/zip", ".zip"),
    "voc": ("application/zip", ".zip"),
    "conll": ("text/plain; charset=utf-8", ".conll"),
    "oasst": ("application/x-ndjson", ".jsonl"),
    "arena-jsonl": ("application/x-ndjson", ".jsonl"),
    "arena-parquet": ("application/vnd.apache.parquet", ".parquet"),
    **{name: ("application/x-ndjson", ".jsonl") for name in DATASETS},
    **{f"{name}-parquet": ("application/zip", ".zip") for name in DATASETS},
}
TWO_PASSES = {"coco", "conll", *(f"{name}-parquet" for name in DATASETS)}


def test_every_format_is_registered() -> None:
    assert format_names() == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_formats_declare_media_type_and_extension(name: str) -> None:
    fmt = get_format(name)
    assert fmt.name == name
    assert (fmt.media_type, fmt.extension) == EXPECTED[name]
    assert fmt.description


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_formats_read_the_source_as_often_as_they_declare(name: str) -> None:
    calls: list[int] = []
    project = make_project(BOXES, ENTITIES)
    record = make_record(1, {"text": "a", "image": image()}, make_annotation({}))

    def source(*, with_annotations: bool = True) -> Iterator[ExportRecord]:
        calls.append(1)
        return iter([record])

    b"".join(get_format(name).chunks(project, source))
    assert len(calls) == get_format(name).passes == (2 if name in TWO_PASSES else 1)


def test_unknown_name_names_the_field_value_and_choices() -> None:
    with pytest.raises(ValidationFailed) as caught:
        get_format("pascal")
    error = caught.value
    assert (error.field, error.value) == ("format", "pascal")
    assert error.expected == "one of: " + ", ".join(sorted(EXPECTED))
    assert error.to_dict()["error"]["code"] == "invalid"


def test_a_second_format_under_a_taken_name_is_refused() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register(JsonlFormat)


@pytest.mark.parametrize("name", ["coco", "yolo", "voc"])
def test_image_formats_refuse_a_text_only_project(name: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        ensure_exportable(get_format(name), make_project(ENTITIES, TOPIC))
    error = caught.value
    assert (error.field, error.value) == ("format", name)
    assert error.expected == "a project with a bbox or polygon question"


def test_conll_refuses_a_project_without_span_questions() -> None:
    with pytest.raises(ValidationFailed) as caught:
        ensure_exportable(get_format("conll"), make_project(BOXES))
    assert caught.value.expected == "a project with a span question"


def test_image_questions_on_two_image_fields_are_refused() -> None:
    other = ExportQuestion("thermal", "bbox", {"field": "infrared", "labels": ["car"]})
    with pytest.raises(ValidationFailed) as caught:
        ensure_exportable(get_format("coco"), make_project(BOXES, other))
    assert caught.value.field == "format"
    assert caught.value.value == ["image", "infrared"]


@pytest.mark.parametrize(
    ("name", "questions"),
    [
        ("jsonl", [TOPIC]),
        ("coco", [TOPIC, OUTLINES]),
        ("yolo", [BOXES]),
        ("voc", [OUTLINES]),
        ("conll", [ENTITIES, BOXES]),
    ],
)
def test_exportable_projects_pass(name: str, questions: list[ExportQuestion]) -> None:
    ensure_exportable(get_format(name), make_project(*questions))


def test_filename_is_header_safe() -> None:
    project = make_project(TOPIC, name='Rues / "Paris" été')
    assert get_format("coco").filename(project) == "Rues-Paris-ete-coco.json"
    assert get_format("yolo").filename(make_project(TOPIC, name="///")) == "project-7-yolo.zip"


def test_chunks_are_about_chunk_size() -> None:
    records = [make_record(i, {"text": "x" * 500}) for i in range(1000)]
    chunks = list(get_format("jsonl").chunks(make_project(TOPIC), source_of(records)))
    assert len(chunks) > 3
    assert all(CHUNK_SIZE <= len(chunk) < CHUNK_SIZE + 1024 for chunk in chunks[:-1])
    assert 0 < len(chunks[-1]) < CHUNK_SIZE + 1024
