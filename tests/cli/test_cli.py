"""The `fairlabel` command against the test database: accounts, import, export, demo."""

import json
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from fairlabel.cli import app
from fairlabel.config import Settings
from fairlabel.demo.chat import CHAT_PROJECT
from fairlabel.demo.history import DEFAULT_SCALE, items_needed
from fairlabel.demo.replies import EXCHANGES
from tests.factories import Factory

runner = CliRunner()


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAIRLABEL_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("FAIRLABEL_DATABASE_URL", settings.resolved_database_url)


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.mark.usefixtures("cli_env")
def test_accounts_and_tokens(factory: Factory) -> None:
    assert invoke("db", "upgrade")[0] == 0
    assert invoke("orgs", "create", "Acme AI", "acme")[0] == 0
    code, out = invoke(
        "users",
        "create",
        "ana@acme.test",
        "--org",
        "acme",
        "--role",
        "owner",
        "--password",
        "long enough pass",
    )
    assert code == 0 and "ana@acme.test" in out
    code, out = invoke("tokens", "create", "ana@acme.test")
    token = out.strip().splitlines()[-1]
    assert code == 0 and token.startswith("fl_")
    me = factory.client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["organizations"][0]["role"] == "owner"


@pytest.mark.usefixtures("cli_env")
def test_bad_input_is_a_clear_error_and_changes_nothing(factory: Factory) -> None:
    code, out = invoke("users", "create", "bob@acme.test", "--org", "missing")
    assert code == 2 and "no such organization" in out and "missing" in out
    code, out = invoke("tokens", "create", "bob@acme.test")
    assert code == 2 and "no such user" in out
    code, out = invoke("users", "create", "carol@acme.test", "--password", "short")
    assert code == 2 and "at least 8 characters" in out
    assert "Traceback" not in out


@pytest.mark.usefixtures("cli_env")
def test_import_rejects_bad_lines_then_imports_and_exports(
    factory: Factory, tmp_path: Path
) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id)
    source = tmp_path / "items.jsonl"
    source.write_text(
        '{"external_id": "a", "text": "good"}\n{not json\n'
        '{"external_id": "b", "text": "fine"}\n[1, 2]\n'
    )
    code, out = invoke("import", str(project["id"]), str(source))
    assert code == 2 and "line" in out and "2" in out and "4" in out
    assert owner.get(f"/api/projects/{project['id']}/counts").json()["items"] == 0
    code, out = invoke("import", str(project["id"]), str(source), "--skip-invalid")
    assert code == 0 and "created 2" in out and "skipped 2" in out
    target = tmp_path / "out" / "export.jsonl"
    code, out = invoke("export", str(project["id"]), "--format", "jsonl", "-o", str(target))
    assert code == 0, out
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert sorted(line["item"]["external_id"] for line in lines) == ["a", "b"]


@pytest.mark.usefixtures("cli_env")
def test_import_parquet_conversations(factory: Factory, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    owner, org_id = factory.owner()
    project = factory.project(owner, org_id)
    rows = [
        {"external_id": f"c{n}", "conversations": [{"from": "human", "value": f"q{n}"}]}
        for n in range(12)
    ]
    rows[5]["conversations"][0]["from"] = "alien"
    source = tmp_path / "chats.parquet"
    pq.write_table(pa.Table.from_pylist(rows), source, row_group_size=4)
    code, out = invoke("import", str(project["id"]), str(source))
    assert code == 2 and "fields.conversations[0].from" in out and "'line': 6" in out
    code, out = invoke("import", str(project["id"]), str(source), "--skip-invalid")
    assert code == 0 and "created 11" in out and "skipped 1" in out, out
    items = owner.get(f"/api/projects/{project['id']}/items").json()["items"]
    assert items[0]["fields"] == {"messages": [{"role": "user", "content": "q0"}]}
    (tmp_path / "notes.txt").write_text("hello")
    code, out = invoke("import", str(project["id"]), str(tmp_path / "notes.txt"))
    assert code == 2 and "format" in out and "parquet" in out and "Traceback" not in out


@pytest.mark.usefixtures("cli_env")
def test_import_media_folder(factory: Factory, tmp_path: Path) -> None:
    owner, org_id = factory.owner()
    project = factory.project(
        owner,
        org_id,
        questions=[{"name": "objects", "type": "bbox", "settings": {"labels": ["cat"]}}],
    )
    folder = tmp_path / "images"
    (folder / "nested").mkdir(parents=True)
    Image.new("RGB", (64, 48)).save(folder / "a.png")
    Image.new("RGB", (32, 16)).save(folder / "nested" / "b.jpg")
    code, out = invoke("import", str(project["id"]), str(folder))
    assert code == 0, out
    assert "created 2" in out
    items = owner.get(f"/api/projects/{project['id']}/items").json()
    sizes = sorted(
        (i["fields"]["image"]["width"], i["fields"]["image"]["height"])
        for i in (items["items"] if isinstance(items, dict) else items)
    )
    assert sizes == [(32, 16), (64, 48)]


@pytest.mark.usefixtures("cli_env")
def test_export_errors(factory: Factory, tmp_path: Path) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id)
    code, out = invoke(
        "export", str(project["id"]), "--format", "coco", "-o", str(tmp_path / "x.json")
    )
    assert code == 2 and "bbox" in out
    code, out = invoke("export", "999999", "-o", str(tmp_path / "x.json"))
    assert code == 2 and "no such project" in out
    code, out = invoke("import", str(project["id"]), str(tmp_path / "nope.jsonl"))
    assert code == 2 and "no such file" in out
    assert not (tmp_path / "x.json").exists()


@pytest.mark.usefixtures("cli_env")
def test_demo_seeds_once_and_prints_logins(factory: Factory) -> None:
    code, out = invoke("demo", "--no-serve", "--workers", "8")
    assert code == 0, out
    assert "Fairwork thresholds, all recorded data:" in out
    assert "owner@demo.fairlabel.org" in out and "fairlabel-demo" in out
    assert "operator@demo.fairlabel.org" in out
    code, again = invoke("demo", "--no-serve")
    assert code == 0 and "owner@demo.fairlabel.org" in again
    operator = factory.user(operator=True)
    projects = operator.get("/api/projects").json()
    by_name = {p["name"]: p for p in projects}
    assert sorted(by_name) == [
        "Assistant replies: compare",
        CHAT_PROJECT,
        "Safety reports: route to the right team",
        "Shapes: detect objects",
        "Support tickets: triage and entities",
    ]
    counts = [operator.get(f"/api/projects/{p['id']}/counts").json()["items"] for p in projects]
    needed = items_needed(replace(DEFAULT_SCALE, workers=8))
    assert sorted(counts) == sorted([24, len(EXCHANGES), *needed.values()])
    tickets = by_name["Support tickets: triage and entities"]
    assert tickets["workflow"][0]["stage"] == "review"
    gold = operator.get(f"/api/projects/{tickets['id']}/gold").json()
    assert len(gold["gold"]) == 8
    shapes = by_name["Shapes: detect objects"]
    first_item = operator.get(f"/api/projects/{shapes['id']}/items").json()["items"][0]
    (suggestion,) = operator.get(f"/api/items/{first_item['id']}/suggestions").json()
    assert suggestion["agent"] == "shape-detector-demo" and suggestion["question"] == "objects"
