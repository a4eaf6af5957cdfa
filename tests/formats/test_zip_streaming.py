"""The zip formats stream: records are not kept, only zipfile's small per-entry index is."""

import io
import tracemalloc
import zipfile
from collections.abc import Iterator

import pytest

from fairlabel.formats import ExportRecord, get_format

from .factories import BOXES, image, make_annotation, make_project, make_record

PROJECT = make_project(BOXES)
COUNT = 4_000


def _heavy(count: int) -> Iterator[ExportRecord]:
    """Records with 4 KB of text each: keeping them would cost 40 MB."""
    box = {"x": 1, "y": 2, "width": 30, "height": 40, "label": "car"}
    for item_id in range(1, count + 1):
        fields = {"image": image(name=f"frame_{item_id:07d}.png"), "notes": "n" * 4096}
        yield make_record(item_id, fields, make_annotation({"boxes": [box]}))


@pytest.mark.parametrize("name", ["yolo", "voc"])
def test_memory_per_image_is_the_zip_index_only(name: str) -> None:
    size = 0
    tracemalloc.start()
    try:
        for chunk in get_format(name).chunks(PROJECT, lambda: _heavy(COUNT)):
            size += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size > COUNT * 100
    assert peak < 1024 * COUNT


def test_central_directory_comes_back_in_chunks() -> None:
    chunks = list(get_format("yolo").chunks(PROJECT, lambda: _heavy(COUNT)))
    assert max(len(chunk) for chunk in chunks) < 64 * 1024 + 4096
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert len(archive.namelist()) == COUNT + 3
    assert archive.testzip() is None
