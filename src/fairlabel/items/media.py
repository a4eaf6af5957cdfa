"""Media files: safe names, content-addressed storage, and what kind of file a file is.

Files live once per content under `<data_dir>/media/<sha[:2]>/<sha[2:4]>/<sha>`; the name a
client gave is only ever an external id, never a path on this machine."""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
import tempfile
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from fairlabel.config import Settings
from fairlabel.errors import PayloadTooLarge, ValidationFailed

MAX_NAME_CHARS = 512
READ_BYTES = 1024 * 1024
SNIFF_BYTES = 64
SUPPORTED = (
    "an image (png, jpeg, gif, webp, avif, bmp, tiff), audio (wav, mp3, flac, ogg, m4a, aac, "
    "webm) or video (mp4, mov, webm, mkv, avi, ogv) file"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"^[A-Za-z]:")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_EXIF_ORIENTATION = 0x0112
_QUARTER_TURNS = frozenset({5, 6, 7, 8})
_AUDIO_CONTAINER_EXTENSIONS = frozenset({".weba", ".mka", ".oga", ".ogg", ".opus", ".m4a"})


class Readable(Protocol):
    """What the store reads a file from: an upload, an open file, an archive's entry."""

    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True, slots=True)
class MediaInfo:
    kind: str  # image, audio or video
    content_type: str
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A file written to the store and described: under a temporary name while staged, at
    its content's path once placed."""

    name: str
    sha256: str
    size: int
    path: Path
    info: MediaInfo


def safe_name(name: str | None) -> str:
    """A relative name that cannot point outside a folder: no '..', no absolute path, no NUL
    or control characters; backslashes count as separators, '.' and empty parts are dropped."""
    if name and not _CONTROL.search(name):
        candidate = name.replace("\\", "/")
        parts = [part for part in candidate.split("/") if part not in ("", ".")]
        if (
            parts
            and ".." not in parts
            and not candidate.startswith("/")
            and not _DRIVE.match(candidate)
        ):
            clean = "/".join(parts)
            if len(clean) <= MAX_NAME_CHARS:
                return clean
    raise ValidationFailed(
        "unsafe or empty file name",
        field="filename",
        value=name,
        expected=f"a plain relative file name of at most {MAX_NAME_CHARS} characters, "
        "without '..', an absolute path, or NUL and control characters",
    )


def is_sha256(value: str) -> bool:
    return bool(_SHA256.match(value))


def media_path(settings: Settings, sha256: str) -> Path:
    return settings.media_dir / sha256[:2] / sha256[2:4] / sha256


class Staging:
    """An upload's files, each written to a temporary name in the store and described there,
    and moved into place only once the whole upload is known good: leaving the block removes
    whatever was not placed, so a refused upload leaves no file behind."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pending: set[Path] = set()

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *_exc: object) -> None:
        for path in self._pending:
            path.unlink(missing_ok=True)
        self._pending.clear()

    def add(self, name: str, stream: Readable) -> StoredFile:
        """Copy the stream while hashing it (synced), then read what it is from its bytes."""
        self.settings.media_dir.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self.settings.media_dir, prefix=".upload-")
        path = Path(temporary)
        self._pending.add(path)
        digest, size, head = _copy_hashing(stream, fd, self.settings.max_media_bytes, name)
        if size == 0:
            raise ValidationFailed(
                "the file is empty", field="file", value=name, expected=SUPPORTED
            )
        info = describe(name, path, head, self.settings.max_image_pixels)
        return StoredFile(name, digest, size, path, info)

    def place(self, staged: StoredFile) -> StoredFile:
        """Rename into place, so a reader never sees half a file."""
        final = media_path(self.settings, staged.sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged.path, final)
        self._pending.discard(staged.path)
        return replace(staged, path=final)


def _copy_hashing(stream: Readable, fd: int, limit: int, name: str) -> tuple[str, int, bytes]:
    sha = hashlib.sha256()
    size = 0
    head = b""
    with os.fdopen(fd, "wb") as out:
        while chunk := stream.read(READ_BYTES):
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(
                    "the media file is too large",
                    field="file",
                    value=name,
                    expected=f"at most {limit} bytes",
                )
            if len(head) < SNIFF_BYTES:
                head += chunk[: SNIFF_BYTES - len(head)]
            sha.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return sha.hexdigest(), size, head


def describe(name: str, path: Path, head: bytes, max_pixels: int) -> MediaInfo:
    """Kind and content type from the magic bytes, checked against the extension; an image's
    width and height as displayed (EXIF rotation applied)."""
    extension = Path(name).suffix.lower()
    sniffed = sniff(head, extension)
    if sniffed is None:
        raise ValidationFailed(
            "unrecognised media file", field="file", value=name, expected=SUPPORTED
        )
    kind, content_type = sniffed
    claimed = _kind_of_extension(extension)
    if claimed is not None and claimed != kind:
        raise ValidationFailed(
            f"the file is {kind} but its name says {claimed}",
            field="file",
            value=name,
            expected=f"a {claimed} file, as its extension says",
        )
    if kind != "image":
        return MediaInfo(kind, content_type)
    width, height = image_size(path, name, max_pixels)
    return MediaInfo(kind, content_type, width, height)


def _kind_of_extension(extension: str) -> str | None:
    if extension in _AUDIO_CONTAINER_EXTENSIONS:
        return "audio"
    guessed, _encoding = mimetypes.guess_type("file" + extension)
    kind = (guessed or "").split("/")[0]
    return kind if kind in ("image", "audio", "video") else None


def sniff(head: bytes, extension: str = "") -> tuple[str, str] | None:
    """(kind, content type) from a file's first bytes; the extension only tells audio from
    video inside containers that hold either (Ogg, Matroska)."""
    for prefix, kind, content_type in _PREFIXES:
        if head.startswith(prefix):
            return kind, content_type
    if head[:4] == b"RIFF":
        return _RIFF.get(head[8:12])
    if head[4:8] == b"ftyp":
        return _iso_media(head[8:12])
    if head.startswith(b"OggS"):
        audio = extension != ".ogv"
        return ("audio", "audio/ogg") if audio else ("video", "video/ogg")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return _matroska(extension)
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "audio", "audio/aac"
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "audio", "audio/mpeg"
    return None


_PREFIXES: tuple[tuple[bytes, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image", "image/png"),
    (b"\xff\xd8\xff", "image", "image/jpeg"),
    (b"GIF87a", "image", "image/gif"),
    (b"GIF89a", "image", "image/gif"),
    (b"II*\x00", "image", "image/tiff"),
    (b"MM\x00*", "image", "image/tiff"),
    (b"BM", "image", "image/bmp"),
    (b"ID3", "audio", "audio/mpeg"),
    (b"fLaC", "audio", "audio/flac"),
)
_RIFF: dict[bytes, tuple[str, str]] = {
    b"WEBP": ("image", "image/webp"),
    b"WAVE": ("audio", "audio/wav"),
    b"AVI ": ("video", "video/x-msvideo"),
}


def _iso_media(brand: bytes) -> tuple[str, str]:
    if brand in (b"avif", b"avis"):
        return "image", "image/avif"
    if brand in (b"M4A ", b"M4B ", b"M4P "):
        return "audio", "audio/mp4"
    if brand == b"qt  ":
        return "video", "video/quicktime"
    return "video", "video/mp4"


def _matroska(extension: str) -> tuple[str, str]:
    if extension in (".weba", ".mka"):
        return "audio", "audio/webm" if extension == ".weba" else "audio/x-matroska"
    return "video", "video/x-matroska" if extension == ".mkv" else "video/webm"


def image_size(path: Path, name: str, max_pixels: int) -> tuple[int, int]:
    """Width and height as a browser shows the image; the file is decoded (JPEG at 1/8 scale)
    so that a truncated or corrupt image is refused here, not in a worker's browser. The size
    is checked from the header first: a small file can decode to gigabytes."""
    from PIL import Image, UnidentifiedImageError

    _guard_pillow(Image, max_pixels)
    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise too_many_pixels(name, max_pixels, f"is {width} x {height} pixels")
            if image.getexif().get(_EXIF_ORIENTATION, 1) in _QUARTER_TURNS:
                width, height = height, width
            image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
            image.load()
    except Image.DecompressionBombError:
        raise too_many_pixels(name, max_pixels, "has far more pixels") from None
    except (OSError, SyntaxError, ValueError, UnidentifiedImageError) as exc:
        raise ValidationFailed(
            f"the image cannot be read: {exc}",
            field="file",
            value=name,
            expected="a complete, readable image",
        ) from exc
    return width, height


def _guard_pillow(image_module: Any, max_pixels: int) -> None:
    """Pillow's own guard at the same limit: past twice the limit it refuses at open; the
    warning it gives in between only repeats the refusal made here."""
    image_module.MAX_IMAGE_PIXELS = max_pixels
    warnings.filterwarnings("ignore", category=image_module.DecompressionBombWarning)


def too_many_pixels(name: str, max_pixels: int, size: str) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the image {size} than this server decodes (a decompression bomb guard); "
        "it was refused from its header, undecoded",
        field="file",
        value=name,
        expected=f"an image of at most {max_pixels:,} pixels, width times height "
        "(FAIRLABEL_MAX_IMAGE_PIXELS)",
    )
