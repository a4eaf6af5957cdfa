"""HTTP transfer helpers for the items routes: request bodies streamed with a size limit,
multipart forms parsed under that limit, and Range headers checked before FileResponse.

Errors leave as fairlabel errors (field, value, expected), never as Starlette's plain text."""

import re
import tempfile
from collections.abc import AsyncGenerator, AsyncIterator, Iterator

import anyio.from_thread
from starlette.datastructures import FormData
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import ClientDisconnect, Request

from fairlabel.errors import FairlabelError, PayloadTooLarge, ValidationFailed

MAX_FILES_PER_UPLOAD = 1000


def refuse_declared_size(request: Request, limit: int) -> None:
    """413 before a byte is read when the client says the body is too large."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(int(declared), limit)


def _too_large(size: int, limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        "the upload is too large",
        field="Content-Length",
        value=size,
        expected=f"at most {limit} bytes",
    )


def body_chunks(request: Request, limit: int) -> Iterator[bytes]:
    """The body as it arrives, read from the event loop by this worker thread; a body longer
    than `limit` (chunked, or lying about its length) stops at the limit with 413."""
    stream = request.stream()

    async def next_chunk() -> bytes | None:
        try:
            return await stream.__anext__()
        except StopAsyncIteration:
            return None
        except ClientDisconnect:
            raise _went_away() from None

    received = 0
    while (chunk := anyio.from_thread.run(next_chunk)) is not None:
        received += len(chunk)
        if received > limit:
            raise _too_large(received, limit)
        yield chunk


#: Bodies up to this size stay in memory while spooled; larger ones go to a temporary file.
SPOOL_IN_MEMORY = 8 * 1024 * 1024
SPOOL_READ = 256 * 1024


def spooled(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Receive the whole body now, then replay it. On SQLite an import holds the database's
    one write lock while it reads rows: spooling first means a slow upload keeps everyone
    else waiting only for the time the rows take to write, not for the network."""
    return _replay(spool(chunks))


def spool(chunks: Iterator[bytes]) -> tempfile.SpooledTemporaryFile[bytes]:
    """The whole body in a seekable file, at its start: for a Parquet upload, whose footer
    comes last, and so before the write transaction starts on any database."""
    body = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 (the reader closes it)
    try:
        for chunk in chunks:
            body.write(chunk)
    except BaseException:
        body.close()
        raise
    body.seek(0)
    return body


def _replay(spool: tempfile.SpooledTemporaryFile[bytes]) -> Iterator[bytes]:
    with spool:
        while chunk := spool.read(SPOOL_READ):
            yield chunk


async def read_form(request: Request, limit: int) -> FormData:
    """A multipart form, refused past `limit` bytes; files spool to disk as Starlette does."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise ValidationFailed(
            "media uploads are multipart forms",
            field="Content-Type",
            value=content_type or None,
            expected="multipart/form-data",
        )
    parser = MultiPartParser(
        request.headers,
        _limited(request.stream(), limit),
        max_files=MAX_FILES_PER_UPLOAD,
        max_fields=100,
    )
    try:
        return await parser.parse()
    except MultiPartException as exc:
        raise ValidationFailed(
            f"malformed multipart body: {exc.message}",
            field="body",
            value=None,
            expected="a multipart/form-data body",
        ) from None
    except ClientDisconnect:
        raise _went_away() from None


async def _limited(stream: AsyncIterator[bytes], limit: int) -> AsyncGenerator[bytes, None]:
    received = 0
    async for chunk in stream:
        received += len(chunk)
        if received > limit:
            raise _too_large(received, limit)
        yield chunk


class RangeNotSatisfiable(FairlabelError):
    """416: the Range asks for bytes past the end of the file."""

    status_code = 416
    code = "range_not_satisfiable"


_RANGE = re.compile(r"^bytes=\s*\d*-\d*(\s*,\s*\d*-\d*)*\s*$")


def range_problem(header: str | None, size: int) -> FairlabelError | None:
    """A Range header Starlette would answer in plain text, answered as our JSON errors."""
    if header is None:
        return None
    parts = header.removeprefix("bytes=").split(",") if _RANGE.match(header) else []
    spans = [part.strip().split("-", 1) for part in parts if part.strip() != "-"]
    if not spans or any(start and end and int(start) > int(end) for start, end in spans):
        return FairlabelError(
            "malformed Range header",
            field="Range",
            value=header,
            expected="bytes=START-END, bytes=START- or bytes=-LENGTH",
        )
    starts = [int(start) if start else max(size - int(end), 0) for start, end in spans]
    if any(not 0 <= start < size for start in starts):
        return RangeNotSatisfiable(
            "the range lies outside the file",
            field="Range",
            value=header,
            expected=f"byte positions below {size}",
        )
    return None


def matches_etag(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header names this ETag (or any, with '*')."""
    if not if_none_match:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags


def _went_away() -> FairlabelError:
    return FairlabelError(
        "the client went away during the upload",
        field="body",
        value=None,
        expected="the whole body",
    )
