"""The leaderboard exported as CSV, JSON and Parquet through the real API: the same
standings, intervals and rank intervals as the leaderboard API, with its parameters; an
unknown format is a 422."""

import csv
import io
from typing import Any

import pyarrow.parquet as pq
import pytest

from tests.exports.helpers import Built, build_project, work
from tests.factories import Factory
from tests.web.helpers import sign_in

QUESTIONS = [{"name": "better", "type": "pairwise", "settings": {"field": "responses"}}]
PLAN = [("m1", "m2", "a"), ("m2", "m3", "a"), ("m1", "m3", "tie"), ("m3", "m1", "b")]


def voted(factory: Factory) -> Built:
    items = [
        {
            "external_id": f"b{n}",
            "responses": [
                {"id": "x", "model": a, "text": "A"},
                {"id": "y", "model": b, "text": "B"},
            ],
        }
        for n, (a, b, _) in enumerate(PLAN)
    ]
    built = build_project(factory, QUESTIONS, items, overlap=2)
    answers = {f"b{n}": {"better": {"choice": choice}} for n, (_, _, choice) in enumerate(PLAN)}
    for _ in range(2):
        worker = factory.worker()
        for _ in PLAN:
            work(built, worker, answers)
    return built


PARAMS = {"bootstrap": 200, "seed": 7}


def exported(built: Built, file_format: str) -> Any:
    response = built.owner.get(
        f"/api/projects/{built.project_id}/leaderboard/export",
        params={**PARAMS, "format": file_format},
    )
    assert response.status_code == 200, response.text
    assert (
        f"leaderboard-project-{built.project_id}.{file_format}"
        in response.headers["content-disposition"]
    )
    return response


def test_csv_json_and_parquet_agree_with_the_api(factory: Factory) -> None:
    built = voted(factory)
    board = built.owner.get(f"/api/projects/{built.project_id}/leaderboard", params=PARAMS).json()
    standings = board["standings"]
    assert [s["model"] for s in standings] == ["m1", "m2", "m3"]

    as_json = exported(built, "json")
    assert as_json.headers["content-type"] == "application/json"
    assert as_json.json() == board

    as_csv = exported(built, "csv")
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r["model"] for r in rows] == ["m1", "m2", "m3"]
    for row, standing in zip(rows, standings, strict=True):
        for name in ("score", "lower", "upper"):
            assert float(row[name]) == pytest.approx(standing[name], rel=1e-12)
        assert int(row["rank_best"]) == standing["rank_best"]
        assert int(row["rank_worst"]) == standing["rank_worst"]
        assert row["style_score"] == ""  # not asked for

    table = pq.read_table(io.BytesIO(exported(built, "parquet").content))
    assert table.column("model").to_pylist() == ["m1", "m2", "m3"]
    assert table.column("upper").to_pylist() == pytest.approx([s["upper"] for s in standings])
    assert table.column("rank_worst").to_pylist() == [s["rank_worst"] for s in standings]
    assert str(table.schema.field("style_score").type) == "double"
    meta = table.schema.metadata[b"fairlabel.leaderboard"].decode()
    assert '"bootstrap_rounds":200' in meta and '"seed":7' in meta


def test_the_leaderboard_page_links_the_files(factory: Factory) -> None:
    built = voted(factory)
    sign_in(built.owner.client, built.owner.email)
    page = built.owner.client.get(f"/projects/{built.project_id}/leaderboard").text
    for file_format in ("csv", "json", "parquet"):
        assert f"/leaderboard/export?format={file_format}" in page


def test_bad_exports(factory: Factory) -> None:
    built = voted(factory)
    url = f"/api/projects/{built.project_id}/leaderboard/export"
    unknown = built.owner.get(url, params={"format": "xlsx"})
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "format"
    bad_rounds = built.owner.get(url, params={"format": "csv", "bootstrap": -1})
    assert bad_rounds.status_code == 422
    stranger, _ = factory.owner()
    assert stranger.get(url).status_code == 404
