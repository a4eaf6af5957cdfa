"""The zip formats stream with flat memory: no record is kept, and the archive's index of
entries lives in a temporary file, not in memory; ZIP64 takes over where zip's fields end."""

import io
import subprocess
import tracemalloc
import zipfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from shutil import which

import pytest

from fairlabel.formats import CHUNK_SIZE, ExportRecord, get_format
from fairlabel.formats.zipstream import STORE_BELOW, ZipStream

from .factories import BOXES, generated, image, make_annotation, make_project, make_record

PROJECT = make_project(BOXES)
STAMP = datetime(2024, 5, 17, 9, 30, 12, tzinfo=UTC)


def _heavy(count: int) -> Iterator[ExportRecord]:
    """Records with 4 KB of text each: keeping them would show at once."""
    box = {"x": 1, "y": 2, "width": 30, "height": 40, "label": "car"}
    for item_id in range(1, count + 1):
        fields = {"image": image(name=f"frame_{item_id:07d}.png"), "notes": "n" * 4096}
        yield make_record(item_id, fields, make_annotation({"boxes": [box]}))


def _peak(name: str, count: int) -> int:
    """Peak traced memory of a whole export of `count` images, its bytes thrown away."""
    tracemalloc.start()
    try:
        for _chunk in get_format(name).chunks(PROJECT, generated(lambda: _heavy(count))):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(("name", "small"), [("yolo", 1_500), ("voc", 300)])
def test_memory_does_not_grow_with_the_number_of_images(name: str, small: int) -> None:
    """Four times the images may not cost more memory, beyond where the peak happens to fall
    among the transient buffers (a 64 KiB chunk, a compressor); zipfile's in-memory index
    alone would add about 550 bytes an image, 660 KB and more here."""
    growth = _growth_in_fresh_process(name, small)
    assert growth < 100 * 1024, f"{growth / (3 * small):.0f} bytes more per image"


def _growth(name: str, small: int) -> int:
    _peak(name, 10)  # first-use caches (SQLite statements) are no growth
    return _peak(name, 4 * small) - _peak(name, small)


def _growth_in_fresh_process(name: str, small: int) -> int:
    """tracemalloc counts every thread of the process: threads that earlier tests left
    running (a live server, a prefetching export) would be counted as growth here."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(_growth, name, small).result(timeout=120)


def test_central_directory_comes_back_in_chunks() -> None:
    chunks = list(get_format("yolo").chunks(PROJECT, generated(lambda: _heavy(2_000))))
    assert max(len(chunk) for chunk in chunks) < CHUNK_SIZE + 4096
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert (
        len(archive.namelist()) == 2_000 + 7
    )  # classes, data.yaml, 2 lists, files.csv, README, export.json
    assert archive.testzip() is None


def _archive(entries: Iterator[tuple[str, bytes]], streamed: bool = False) -> bytes:
    stream = ZipStream(STAMP)
    pieces: list[bytes] = []
    for name, data in entries:
        if streamed:
            pieces.extend(stream.write(name, [data[:10], data[10:]]))
        else:
            pieces.append(stream.add(name, data))
    pieces.extend(stream.close())
    return b"".join(pieces)


def test_small_files_are_stored_and_larger_ones_deflated() -> None:
    tiny, text = b"0 0.5 0.5 0.1 0.1\n", b"<annotation>" * 100
    archive = zipfile.ZipFile(io.BytesIO(_archive(iter([("a.txt", tiny), ("b.xml", text)]))))
    assert len(tiny) < STORE_BELOW <= len(text)
    a, b = archive.infolist()
    assert (a.compress_type, b.compress_type) == (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
    assert b.compress_size < len(text) // 10
    assert (archive.read("a.txt"), archive.read("b.xml")) == (tiny, text)
    assert a.date_time == (2024, 5, 17, 9, 30, 12)


def test_streamed_entries_carry_a_data_descriptor() -> None:
    data = "Grüße aus 東京\n".encode() * 50
    raw = _archive(iter([("ImageSets/Main/défault.txt", data)]), streamed=True)
    archive = zipfile.ZipFile(io.BytesIO(raw))
    (info,) = archive.infolist()
    assert info.flag_bits & 0x08 and info.flag_bits & 0x800
    assert info.filename == "ImageSets/Main/défault.txt"
    assert archive.read(info) == data


def test_names_are_looked_up_and_listed_in_order() -> None:
    stream = ZipStream(STAMP)
    for name in ["labels/b.txt", "labels/a.txt", "other/c.txt", "labelsx/d.txt"]:
        stream.add(name, b"")
    assert stream.contains("labels/a.txt") and not stream.contains("labels/z.txt")
    assert list(stream.names("labels")) == ["labels/b.txt", "labels/a.txt"]
    stream.discard()


def test_more_than_65535_entries_use_zip64_end_records() -> None:
    count = 70_000
    raw = _archive((f"{n}", b"") for n in range(count))
    assert b"PK\x06\x06" in raw[-200:]
    archive = zipfile.ZipFile(io.BytesIO(raw))
    names = archive.namelist()
    assert len(names) == count and names[-1] == str(count - 1)


def test_offsets_past_4_gib_go_in_zip64_extra_fields() -> None:
    """The writer is told it is 4 GiB into the archive already: every offset it records
    then needs ZIP64, and a reader that corrects for the missing prefix finds each file."""
    stream = ZipStream(STAMP)
    stream._offset = 2**32  # as if 4 GiB of entries had gone before
    raw = stream.add("late.txt", b"hello") + b"".join(stream.close())
    archive = zipfile.ZipFile(io.BytesIO(raw))
    assert archive.read("late.txt") == b"hello"
    assert b"\x01\x00\x08\x00" + (2**32).to_bytes(8, "little") in raw


@pytest.mark.skipif(which("unzip") is None, reason="Info-ZIP unzip not installed")
def test_info_zip_accepts_the_archive(tmp_path: Path) -> None:
    path = tmp_path / "labels.zip"
    path.write_bytes(b"".join(get_format("voc").chunks(PROJECT, generated(lambda: _heavy(50)))))
    result = subprocess.run(["unzip", "-t", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No errors detected" in result.stdout


def test_an_abandoned_export_removes_its_index(monkeypatch: pytest.MonkeyPatch) -> None:
    discarded: list[ZipStream] = []
    original = ZipStream.discard

    def discard(self: ZipStream) -> None:
        discarded.append(self)
        original(self)

    monkeypatch.setattr(ZipStream, "discard", discard)
    chunks = get_format("yolo").chunks(PROJECT, generated(lambda: _heavy(3_000)))
    next(chunks)
    chunks.close()  # the client went away
    assert len(discarded) == 1
