"""Downloading the training datasets and loading them as their users do, with Hugging Face
`datasets`: JSON Lines with its json builder, the Parquet zip unpacked as a folder (its
README.md card read) and its files by data_files."""

import io
import zipfile
from pathlib import Path
from typing import Any

import datasets
import yaml

from .helpers import Built


def download(built: Built, fmt: str, **params: Any) -> bytes:
    response = built.owner.get(
        f"/api/projects/{built.project_id}/export", params={"format": fmt, **params}
    )
    assert response.status_code == 200, response.text
    content: bytes = response.content
    return content


def json_dataset(built: Built, fmt: str, tmp_path: Path, **params: Any) -> list[dict[str, Any]]:
    path = tmp_path / f"{fmt}-{len(list(tmp_path.iterdir()))}.jsonl"
    path.write_bytes(download(built, fmt, **params))
    loaded = datasets.load_dataset(
        "json", data_files=str(path), split="train", cache_dir=str(tmp_path / "hf-cache")
    )
    rows: list[dict[str, Any]] = loaded.to_list()
    return rows


def parquet_folder(built: Built, fmt: str, tmp_path: Path, **params: Any) -> Path:
    folder = tmp_path / f"{fmt}-{len(list(tmp_path.iterdir()))}"
    zipfile.ZipFile(io.BytesIO(download(built, fmt, **params))).extractall(folder)
    return folder


def folder_dataset(folder: Path, tmp_path: Path) -> dict[str, list[dict[str, Any]]]:
    """load_dataset("<folder>") as the hub would: the card's configs and features decide,
    and every split size is checked against the card."""
    loaded = datasets.load_dataset(
        str(folder), cache_dir=str(tmp_path / "hf-cache"), verification_mode="all_checks"
    )
    return {name: split.to_list() for name, split in loaded.items()}


def parquet_files_dataset(folder: Path, tmp_path: Path) -> dict[str, list[dict[str, Any]]]:
    files = {path.name.split("-", 1)[0]: str(path) for path in sorted((folder / "data").iterdir())}
    loaded = datasets.load_dataset(
        "parquet", data_files=files, cache_dir=str(tmp_path / "hf-cache")
    )
    return {name: split.to_list() for name, split in loaded.items()}


def without_nulls(messages: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """Messages as stored: `datasets` gives every message every key any message has."""
    if messages is None:
        return None
    return [{key: value for key, value in m.items() if value is not None} for m in messages]


MESSAGE_COLUMNS = ("prompt", "chosen", "rejected", "completion", "messages")


def as_stored(row: dict[str, Any]) -> dict[str, Any]:
    return {k: without_nulls(v) if k in MESSAGE_COLUMNS else v for k, v in row.items()}


def card_header(folder: Path) -> dict[str, Any]:
    text = (folder / "README.md").read_text()
    assert text.startswith("---\n")
    header: dict[str, Any] = yaml.safe_load(text.split("---\n")[1])
    return header
