"""Export options through the API, the CLI and the SDK: a seeded split that is reproducible
and disjoint, media in the zip, and bad options refused with a specific 422 that writes
nothing (no table changes, no file)."""

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from fairlabel import ApiError, Client
from fairlabel.cli import app
from fairlabel.config import Settings
from fairlabel.db import Database
from fairlabel.formats.split import parse_split
from fairlabel.models import Base
from tests.factories import Factory

from .helpers import BOXES, TOPIC, Built, build_project, work
from .test_training_exports import FILES, _labelled

MANY = [
    {
        "external_id": f"street-{n}",
        "image": {"src": f"https://cdn.example.org/s/{n}.png", "width": 64, "height": 48},
    }
    for n in range(40)
]


@pytest.fixture
def streets(factory: Factory) -> Built:
    """Forty images known by their URL only, two labelled."""
    built = build_project(factory, [BOXES], MANY)
    worker = factory.worker()
    box = {"x": 1, "y": 2, "width": 3, "height": 4, "label": "cat"}
    answers = {item["external_id"]: {"objects": [box]} for item in MANY}
    work(built, worker, answers)
    work(built, worker, answers)
    return built


def _export(built: Built, **params: Any) -> Any:
    return built.owner.get(f"/api/projects/{built.project_id}/export", params=params)


def _files(response: Any) -> tuple[zipfile.ZipFile, dict[str, dict[str, str]]]:
    assert response.status_code == 200, response.text
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    rows = csv.DictReader(io.StringIO(archive.read("files.csv").decode()))
    return archive, {row["external_id"]: row for row in rows}


def test_yolo_split_is_seeded_reproducible_and_disjoint(streets: Built) -> None:
    asked = {"format": "yolo", "split": "train:0.6,val:0.2,test:0.2", "seed": "5"}
    archive, first = _files(_export(streets, **asked))
    _, again = _files(_export(streets, **asked))
    assert first == again
    split = parse_split(asked["split"], 5)
    assert {key: row["split"] for key, row in first.items()} == {
        item["external_id"]: split.of(item["external_id"]) for item in MANY
    }
    labels = {name for name in archive.namelist() if name.startswith("labels/")}
    assert labels == {row["label_file"] for row in first.values()}
    for name in ("train", "val", "test"):
        listed = archive.read(f"{name}.txt").decode().splitlines()
        assert listed == [
            f"./images/{r['file_name']}" for r in first.values() if r["split"] == name
        ]
    assert {row["split"] for row in first.values()} == {"train", "val", "test"}
    data = yaml.safe_load(archive.read("data.yaml"))
    assert (data["train"], data["val"], data["test"]) == ("train.txt", "val.txt", "test.txt")
    _, reseeded = _files(_export(streets, **{**asked, "seed": "6"}))
    assert {k: r["split"] for k, r in reseeded.items()} != {k: r["split"] for k, r in first.items()}
    readme = archive.read("README.txt").decode()
    assert "split train:0.6,val:0.2,test:0.2, seed 5" in readme


def test_yolo_splits_by_default_and_voc_lists_each_split(streets: Built) -> None:
    archive, rows = _files(_export(streets, format="yolo"))
    data = yaml.safe_load(archive.read("data.yaml"))
    assert (data["train"], data["val"]) == ("train.txt", "val.txt")
    assert {row["split"] for row in rows.values()} == {"train", "val"}
    archive, rows = _files(_export(streets, format="voc", split="train:0.5,val:0.5", seed="2"))
    for name in ("train", "val"):
        listed = archive.read(f"ImageSets/Main/{name}.txt").decode().split()
        assert listed == [r["file_name"][:-4] for r in rows.values() if r["split"] == name]


def _state(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table."""
    with database.session(write=False) as db:
        return {
            table.name: sorted(map(tuple, db.execute(select(table))), key=repr)
            for table in Base.metadata.sorted_tables
        }


BAD = [
    ({"format": "yolo", "split": "train:0.8,dev:0.2"}, "split", "unknown split 'dev'"),
    ({"format": "yolo", "split": "train:0.8,val:0.3"}, "split", "sum to 1.1"),
    ({"format": "voc", "split": "train:1"}, "split", "needs val"),
    ({"format": "coco", "split": "train:0.8,val:0.2"}, "split", "takes no split"),
    ({"format": "voc", "seed": "4"}, "seed", "has none"),
    ({"format": "yolo", "seed": "-1"}, "seed", "out of range"),
    ({"format": "jsonl", "split": "train:0.8,val:0.2"}, "split", "takes no split"),
    ({"format": "coco", "include_media": "true"}, "include_media", "stores no media"),
    (
        {"format": "jsonl", "aggregated": "true", "split": "train:0.5,val:0.5"},
        "split",
        "takes no split",
    ),
]


@pytest.mark.parametrize(("params", "field", "needle"), BAD)
def test_bad_options_are_a_422_that_writes_nothing(
    streets: Built, database: Database, params: dict[str, str], field: str, needle: str
) -> None:
    before = _state(database)
    response = _export(streets, **params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["field"] == field and needle in error["message"]
    assert error["expected"]
    assert _state(database) == before


def test_media_for_a_format_without_images_is_refused(factory: Factory) -> None:
    built = _labelled(factory, [BOXES], 1)
    response = _export(built, format="jsonl", include_media="true")
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "include_media"


def test_aggregated_image_export_of_a_text_project_is_refused(factory: Factory) -> None:
    built = build_project(factory, [TOPIC], [{"external_id": "t", "text": "a match report"}])
    response = _export(built, format="voc", aggregated="true")
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "format"


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAIRLABEL_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("FAIRLABEL_DATABASE_URL", settings.resolved_database_url)


@pytest.mark.usefixtures("cli_env")
def test_cli_exports_with_options_and_leaves_no_file_when_refused(
    factory: Factory, tmp_path: Path
) -> None:
    built = _labelled(factory, [BOXES], 1)
    runner, target = CliRunner(), tmp_path / "out" / "yolo.zip"
    project = str(built.project_id)
    refused = runner.invoke(
        app, ["export", project, "-f", "yolo", "--split", "train:2", "-o", str(target)]
    )
    assert (
        refused.exit_code == 2 and "split" in refused.output and "Traceback" not in refused.output
    )
    assert not target.exists() and not list(tmp_path.rglob("*.partial"))
    done = runner.invoke(
        app,
        [
            "export",
            project,
            "-f",
            "yolo",
            "--aggregated",
            "--include-media",
            "--seed",
            "3",
            "-o",
            str(target),
        ],
    )
    assert done.exit_code == 0, done.output
    archive = zipfile.ZipFile(target)
    names = archive.namelist()
    assert {name.split("/", 1)[1] for name in names if name.startswith("images/")} == set(FILES)
    assert '"labels": "aggregated"' in archive.read("export.json").decode()


def test_sdk_passes_the_options(factory: Factory, live_server: str, tmp_path: Path) -> None:
    built = _labelled(factory, [BOXES], 1)
    with Client(live_server, built.owner.token) as client:
        target = tmp_path / "coco.zip"
        client.export(built.project_id, "coco", target, aggregated=True, include_media=True)
        archive = zipfile.ZipFile(target)
        assert {n for n in archive.namelist() if n.startswith("images/")} == {
            f"images/{name}" for name in FILES
        }
        with pytest.raises(ApiError) as caught:
            client.export(built.project_id, "yolo", tmp_path / "x.zip", split="train:0.5")
        assert caught.value.status_code == 422 and caught.value.field == "split"
