"""Zip archives of media files, as a client sends a folder of images (images.zip). The whole
directory is checked before a byte is extracted: entry names, links, encryption, declared
sizes against the limits. Entries then stream one at a time from the uploaded file, which
the multipart parser keeps on disk: an archive is never held in memory whole.

An entry's name only ever becomes an item's external id, never a path on this machine
(media is stored by content); a name that could point outside a folder is refused all the
same, with the whole archive, since it is the mark of a crafted one."""

import os
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from fairlabel.config import Settings
from fairlabel.errors import FairlabelError, PayloadTooLarge, ValidationFailed
from fairlabel.items.media import Readable, safe_name
from fairlabel.items.parsing import RowError

#: Each entry costs zipfile about 550 bytes of memory while the archive is open.
MAX_ENTRIES = 50_000
MAX_DIRECTORY_BYTES = 64 * 1024**2
READABLE = frozenset(
    {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
)
SAFE_ENTRIES = (
    "an archive of plain files with relative names: no '..', no absolute path, no links, "
    "no encryption, no name twice"
)
_END = b"PK\x05\x06"
_END64_LOCATOR = b"PK\x06\x07"
_END64 = b"PK\x06\x06"
_END_BYTES = 22
_LONGEST_COMMENT = 0xFFFF


ZIP_HEAD_BYTES = 4


def is_zip(head: bytes) -> bool:
    return head.startswith((b"PK\x03\x04", _END))


def media_entries(
    file: BinaryIO, archive_name: str, settings: Settings
) -> Iterator[tuple[str, Readable]]:
    """(name, stream) for each file of the archive, hidden ones (.DS_Store, __MACOSX) left
    out; each stream must be read to its end before the next is asked for."""
    _check_directory(file, archive_name)
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise _damaged(archive_name, exc) from None
    with archive:
        for info in _checked(archive.infolist(), archive_name, settings):
            with archive.open(info) as stream:
                yield safe_name(info.filename), _Entry(stream, f"{archive_name}/{info.filename}")


def _check_directory(file: BinaryIO, archive_name: str) -> None:
    """The entry count and directory size the archive's end record declares, read before
    zipfile loads a directory that could hold millions of entries."""
    entries, directory_bytes = _declared_directory(file)
    if entries > MAX_ENTRIES or directory_bytes > MAX_DIRECTORY_BYTES:
        raise PayloadTooLarge(
            f"the archive declares {entries:,} entries in a {directory_bytes:,}-byte directory",
            field="file",
            value=archive_name,
            expected=f"at most {MAX_ENTRIES:,} entries in an archive; send more as several",
        )
    file.seek(0)


def _declared_directory(file: BinaryIO) -> tuple[int, int]:
    """(entries, directory bytes) from the end record, or the Zip64 one it points to; (0, 0)
    where there is none, which zipfile then reports as not a zip file."""
    size = file.seek(0, os.SEEK_END)
    tail_size = min(size, _END_BYTES + _LONGEST_COMMENT)
    file.seek(size - tail_size)
    tail = file.read(tail_size)
    at = tail.rfind(_END)
    if at < 0 or len(tail) < at + _END_BYTES:
        return 0, 0
    entries, directory_bytes = struct.unpack("<HI", tail[at + 10 : at + 16])
    locator = tail[at - 20 : at] if at >= 20 else b""
    if locator.startswith(_END64_LOCATOR):
        (offset,) = struct.unpack("<Q", locator[8:16])
        file.seek(offset)
        record = file.read(56)
        if record.startswith(_END64) and len(record) == 56:
            entries, directory_bytes = struct.unpack("<QQ", record[32:48])
    return entries, directory_bytes


def _checked(
    infos: list[zipfile.ZipInfo], archive_name: str, settings: Settings
) -> list[zipfile.ZipInfo]:
    """The entries to import, once every one is known safe and within the limits."""
    unsafe: list[dict[str, object]] = []
    members: list[zipfile.ZipInfo] = []
    names: set[str] = set()
    for info in infos:
        problem = _unsafe(info, names)
        if problem is not None:
            unsafe.append(RowError(None, "entry", info.filename, SAFE_ENTRIES, problem).to_dict())
        elif not info.is_dir() and not _hidden(info.filename):
            members.append(info)
    if unsafe:
        raise ValidationFailed(
            f"{len(unsafe)} {'entry' if len(unsafe) == 1 else 'entries'} of the archive "
            "cannot be extracted safely; nothing was imported",
            field="file",
            value=archive_name,
            expected=SAFE_ENTRIES,
            details=unsafe,
        )
    _check_sizes(members, archive_name, settings)
    return members


def _unsafe(info: zipfile.ZipInfo, names: set[str]) -> str | None:
    kind = stat.S_IFMT(info.external_attr >> 16)  # 0 where the writer gave no Unix mode
    if kind == stat.S_IFLNK:
        return "a symbolic link"
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        return "a device, pipe or other special file"
    try:
        name = safe_name(info.filename)
    except FairlabelError:
        return "a name with '..', an absolute path, a drive, or control characters"
    if info.flag_bits & 0x1:
        return "an encrypted entry"
    if info.compress_type not in READABLE:
        return f"compressed by a method this server cannot read ({info.compress_type})"
    if name in names:
        return "a name that an earlier entry has too"
    names.add(name)
    return None


def _hidden(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return any(part.startswith(".") or part == "__MACOSX" for part in parts if part)


def _check_sizes(members: list[zipfile.ZipInfo], archive_name: str, settings: Settings) -> None:
    """From the sizes the directory declares; zipfile stops an entry at its declared size and
    checks its CRC, so an entry that lies about its size fails as damaged."""
    for info in members:
        if info.file_size > settings.max_media_bytes:
            raise PayloadTooLarge(
                f"an entry of the archive expands to {info.file_size:,} bytes",
                field="file",
                value=f"{archive_name}/{info.filename}",
                expected=f"at most {settings.max_media_bytes:,} bytes per media file",
            )
    total = sum(info.file_size for info in members)
    if total > settings.max_upload_bytes:
        raise PayloadTooLarge(
            f"the archive expands to {total:,} bytes",
            field="file",
            value=archive_name,
            expected=f"at most {settings.max_upload_bytes:,} bytes once expanded, as much as "
            "an upload may hold",
        )


class _Entry:
    """An entry's stream whose read errors (a bad CRC, a broken deflate stream, a truncated
    archive) come out as a 422 naming the entry."""

    def __init__(self, stream: Readable, name: str) -> None:
        self._stream = stream
        self._name = name

    def read(self, size: int = -1) -> bytes:
        try:
            return self._stream.read(size)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
            raise _damaged(self._name, exc) from None


def _damaged(name: str, exc: Exception) -> ValidationFailed:
    return ValidationFailed(
        f"the archive cannot be read: {exc}",
        field="file",
        value=name,
        expected="a complete zip archive of media files",
    )
