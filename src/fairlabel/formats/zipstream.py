"""A streaming zip writer whose memory stays flat however many entries it writes.

zipfile keeps every entry's index in memory (about 550 bytes each) for the central directory
and for name lookups; here that index lives in a private temporary SQLite file instead, and
the archive's bytes are handed back as they are produced. ZIP64 records are written where
offsets or the entry count need them."""

import sqlite3
import struct
import zlib
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_DESCRIPTOR = struct.Struct("<4sIII")
_CENTRAL_HEADER = struct.Struct("<4sBBHHHHHIIIHHHHHII")
_ZIP64_OFFSET = struct.Struct("<HHQ")
_ZIP64_END = struct.Struct("<4sQHHIIQQQQ")
_ZIP64_LOCATOR = struct.Struct("<4sIQI")
_END = struct.Struct("<4sHHHHIIH")

_UTF8_NAMES = 0x0800
_DATA_DESCRIPTOR = 0x0008
_STORED, _DEFLATED = 0, 8
_MADE_ON_UNIX = 3
_FILE_MODE = 0o100644 << 16
"""A regular file, rw-r--r--: what unzip gives the extracted files."""
_LIMIT = 0xFFFFFFFF
_MAX_ENTRIES = 0xFFFF
INDEX_CACHE_KIB = 2048
"""What the temporary index may keep in memory; the rest of it stays on disk."""
STORE_BELOW = 256
"""Smaller entries are stored: deflate saves nothing on a few bytes and costs a compressor."""
FILE_PIECE = 1024 * 1024


class ZipStream:
    """Writes an archive entry by entry, handing back its bytes in pieces as they are produced
    (join them with rechunk); close() writes the central directory, discard() cleans up."""

    def __init__(self, timestamp: datetime) -> None:
        self._time, self._date = _dos_time(timestamp)
        self._offset = 0
        self._count = 0
        self._index = sqlite3.connect("", isolation_level=None)
        self._index.execute("PRAGMA journal_mode=OFF")
        self._index.execute("PRAGMA synchronous=OFF")
        self._index.execute(f"PRAGMA cache_size=-{INDEX_CACHE_KIB}")
        self._index.execute("CREATE TABLE entries (name TEXT PRIMARY KEY, header BLOB)")

    def contains(self, name: str) -> bool:
        found = self._index.execute("SELECT 1 FROM entries WHERE name = ?", (name,)).fetchone()
        return found is not None

    def names(self, folder: str) -> Iterator[str]:
        """Entry names under `folder`, in the order written, read back from the index."""
        prefix = folder.rstrip("/") + "/"
        rows = self._index.execute(
            "SELECT name FROM entries WHERE substr(name, 1, ?) = ? ORDER BY rowid",
            (len(prefix), prefix),
        )
        return (name for (name,) in rows)

    def add(self, name: str, data: bytes, *, compress: bool = True) -> bytes:
        """A whole file at once: its sizes are known, so no data descriptor is needed.
        compress=False stores it as it is (images are compressed already)."""
        crc = zlib.crc32(data)
        method, body = _STORED, data
        if compress and len(data) >= STORE_BELOW:
            compressor = _compressor()
            method, body = _DEFLATED, compressor.compress(data) + compressor.flush()
        header = self._local_header(name, 0, method, crc, len(body), len(data))
        self._record(name, 0, method, crc, len(body), len(data), self._offset)
        self._offset += len(header) + len(body)
        return header + body

    def add_file(self, name: str, path: Path) -> Iterator[bytes]:
        """A file on disk, stored as it is and read twice (its checksum, then its bytes), so
        its sizes lead the entry and even a streaming unzip reads it; never whole in memory."""
        size, crc = path.stat().st_size, 0
        if size > _LIMIT:
            raise ValueError(f"zip entry {name!r} is over 4 GiB; entries are kept smaller")
        with path.open("rb") as handle:
            while piece := handle.read(FILE_PIECE):
                crc = zlib.crc32(piece, crc)
        header = self._local_header(name, 0, _STORED, crc, size, size)
        self._record(name, 0, _STORED, crc, size, size, self._offset)
        self._offset += len(header) + size
        yield header
        with path.open("rb") as handle:
            while piece := handle.read(FILE_PIECE):
                yield piece

    def write(self, name: str, pieces: Iterable[bytes]) -> Iterator[bytes]:
        """A file of unknown size, deflated as it comes, its sizes in a trailing descriptor."""
        flags, start = _DATA_DESCRIPTOR, self._offset
        header = self._local_header(name, flags, _DEFLATED, 0, 0, 0)
        yield header
        compressor, crc, size, compressed = _compressor(), 0, 0, 0
        for piece in pieces:
            crc, size = zlib.crc32(piece, crc), size + len(piece)
            if output := compressor.compress(piece):
                compressed += len(output)
                yield output
        output = compressor.flush()
        compressed += len(output)
        if size > _LIMIT or compressed > _LIMIT:
            raise ValueError(f"zip entry {name!r} is over 4 GiB; entries are kept smaller")
        yield output + _DESCRIPTOR.pack(b"PK\x07\x08", crc, compressed, size)
        self._offset = start + len(header) + compressed + _DESCRIPTOR.size
        self._record(name, flags, _DEFLATED, crc, compressed, size, start)

    def close(self) -> Iterator[bytes]:
        """The central directory, entry by entry, then the end records."""
        try:
            start = self._offset
            for (header,) in self._index.execute("SELECT header FROM entries ORDER BY rowid"):
                self._offset += len(header)
                yield header
            yield self._end_records(start, self._offset - start)
        finally:
            self.discard()

    def discard(self) -> None:
        """Removes the temporary index; an archive abandoned half-way must still call it."""
        self._index.close()

    def _local_header(
        self, name: str, flags: int, method: int, crc: int, compressed: int, size: int
    ) -> bytes:
        encoded = name.encode()
        fixed = _LOCAL_HEADER.pack(
            b"PK\x03\x04",
            20,
            flags | _UTF8_NAMES,
            method,
            self._time,
            self._date,
            crc,
            compressed,
            size,
            len(encoded),
            0,
        )
        return fixed + encoded

    def _record(
        self,
        name: str,
        flags: int,
        method: int,
        crc: int,
        compressed: int,
        size: int,
        offset: int,
    ) -> None:
        """Keeps the entry's central directory header in the temporary index."""
        encoded = name.encode()
        extra = b""
        if offset >= _LIMIT:
            extra = _ZIP64_OFFSET.pack(0x0001, 8, offset)
        version = 45 if extra else 20
        header = _CENTRAL_HEADER.pack(
            b"PK\x01\x02",
            version,
            _MADE_ON_UNIX,
            version,
            flags | _UTF8_NAMES,
            method,
            self._time,
            self._date,
            crc,
            compressed,
            size,
            len(encoded),
            len(extra),
            0,  # comment length
            0,  # disk number
            0,  # internal attributes
            _FILE_MODE,
            min(offset, _LIMIT),
        )
        self._index.execute("INSERT INTO entries VALUES (?, ?)", (name, header + encoded + extra))
        self._count += 1

    def _end_records(self, start: int, size: int) -> bytes:
        """The end of central directory record, preceded by its ZIP64 form when needed."""
        records = b""
        if self._count > _MAX_ENTRIES or start >= _LIMIT or size >= _LIMIT:
            end64 = self._offset
            records = _ZIP64_END.pack(
                b"PK\x06\x06", 44, 45, 45, 0, 0, self._count, self._count, size, start
            ) + _ZIP64_LOCATOR.pack(b"PK\x06\x07", 0, end64, 1)
        count = min(self._count, _MAX_ENTRIES)
        return records + _END.pack(
            b"PK\x05\x06", 0, 0, count, count, min(size, _LIMIT), min(start, _LIMIT), 0
        )


def _compressor() -> "zlib._Compress":
    """A 4 KiB window: label files are small, and a full-size compressor costs 4x to set up."""
    return zlib.compressobj(6, zlib.DEFLATED, -12, 4)


def _dos_time(moment: datetime) -> tuple[int, int]:
    """Zip's MS-DOS time and date fields (2-second resolution, years from 1980)."""
    year = max(moment.year, 1980)
    date = (year - 1980) << 9 | moment.month << 5 | moment.day
    return moment.hour << 11 | moment.minute << 5 | moment.second // 2, date
