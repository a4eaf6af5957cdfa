"""The aggregated export end to end (API and `fairlabel export --aggregated`, JSONL and CSV)
and `fairlabel quality PROJECT` (with `--recompute`, the recompute job's own function)."""

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fairlabel.cli import app
from fairlabel.config import Settings
from tests.factories import Account, Factory
from tests.quality.helpers import consensus_rows, label_by, labelled_project

runner = CliRunner()


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAIRLABEL_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("FAIRLABEL_DATABASE_URL", settings.resolved_database_url)


def two_item_project(factory: Factory) -> tuple[Account, dict[str, Any], list[int]]:
    """Item 1 labelled positive, positive, negative; item 2 not labelled."""
    owner, project, items = labelled_project(factory, items=2, overlap=3)
    label_by(factory, project["id"], ["positive", "positive", "negative"])
    return owner, project, items


def test_aggregated_jsonl_through_the_api(factory: Factory) -> None:
    owner, project, (labelled, pending) = two_item_project(factory)
    response = owner.get(f"/api/projects/{project['id']}/export?aggregated=true")
    assert response.status_code == 200, response.text
    assert "-aggregated.jsonl" in response.headers["content-disposition"]
    first, second = (json.loads(line) for line in response.text.splitlines())
    assert first["item"]["id"] == labelled and first["item"]["fields"] == {"text": "item 0"}
    sentiment = first["consensus"]["sentiment"]
    assert sentiment["answer"] == "positive" and sentiment["method"] == "majority_vote"
    assert (sentiment["annotators"], sentiment["agreeing"]) == (3, 2)
    assert sentiment["confidence"] == pytest.approx(2 / 3)
    assert sentiment["human_confirmed"] is False
    assert second == {
        "item": {
            "id": pending,
            "external_id": second["item"]["external_id"],
            "fields": {"text": "item 1"},
            "meta": {"n": 1},
        },
        "consensus": {"sentiment": None},
    }


def test_aggregated_csv_and_a_format_it_does_not_come_in(factory: Factory) -> None:
    owner, project, _ = two_item_project(factory)
    url = f"/api/projects/{project['id']}/export?aggregated=true"
    response = owner.get(f"{url}&format=csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows[0]["sentiment.answer"] == "positive" and rows[0]["sentiment.annotators"] == "3"
    assert rows[1]["sentiment.answer"] == ""
    refused = owner.get(f"{url}&format=coco")
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "format"


@pytest.mark.usefixtures("cli_env")
def test_cli_aggregated_export_and_quality(factory: Factory, tmp_path: Path) -> None:
    _, project, _ = two_item_project(factory)
    output = tmp_path / "agg.jsonl"
    result = runner.invoke(app, ["export", str(project["id"]), "--aggregated", "-o", str(output)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in output.read_text().splitlines()]
    assert lines[0]["consensus"]["sentiment"]["answer"] == "positive"
    result = runner.invoke(app, ["quality", str(project["id"])], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for heading in (
        "Agreement per question",
        "Confusion: sentiment",
        "Lowest agreement",
        "Workers",
        "Accuracy against consensus per day",
    ):
        assert heading in result.output
    assert "alpha_nominal" in result.output


@pytest.mark.usefixtures("cli_env")
def test_cli_quality_of_an_unknown_project(factory: Factory) -> None:
    result = runner.invoke(app, ["quality", "999999"])
    assert result.exit_code == 2
    assert "no such project" in result.output


@pytest.mark.usefixtures("cli_env")
def test_cli_recomputes_the_consensus_first(factory: Factory) -> None:
    _, project, (labelled, _pending) = two_item_project(factory)
    args = ["quality", str(project["id"]), "--recompute"]
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Recomputed the consensus of 1 item (1 row: sentiment by Dawid-Skene)" in result.output
    assert "Agreement per question" in result.output
    row = consensus_rows(factory.database, project["id"])[labelled, "sentiment"]
    assert (row["method"], row["answer"]) == ("dawid_skene", "positive")
    refused = runner.invoke(app, [*args, "--question", "nope"])
    assert refused.exit_code == 2 and "has no question 'nope'" in refused.output
