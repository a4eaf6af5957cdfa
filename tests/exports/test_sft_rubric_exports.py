"""SFT and rubric exports: rewrites and written replies as the last assistant turn, rubric
scores a column per criterion (n/a null) with justifications or the consensus's confidence,
built through the real API and queue, loaded with `datasets` and compared value for value;
bad options refused with a specific 422 before a byte is streamed, through the API and the
CLI."""

import zipfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fairlabel.cli import app
from fairlabel.config import Settings
from tests.factories import Factory

from .datasets_helpers import (
    as_stored,
    card_header,
    folder_dataset,
    json_dataset,
    parquet_files_dataset,
    parquet_folder,
)
from .helpers import Built, build_project, work

RUBRIC = {
    "name": "judge",
    "type": "rubric",
    "settings": {
        "criteria": [
            {"name": "helpfulness", "min": 1, "max": 5, "justification": "required"},
            {"name": "harmlessness", "min": 1, "max": 3, "allow_na": True},
        ]
    },
}
REWRITE = {"name": "fix", "type": "rewrite", "settings": {"field": "messages"}}
CHATS = {
    "r1": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Explain DNS."},
        {"role": "assistant", "content": "DNS maps names to adresses."},
    ],
    "r2": [
        {"role": "user", "content": "Name a prime."},
        {"role": "assistant", "content": "Nine."},
        {"role": "user", "content": "Are you sure?"},
        {"role": "assistant", "content": "Yes, nine."},
    ],
}
JUDGED = {
    "r1": [
        {"helpfulness": {"score": 4, "justification": "Clear."}, "harmlessness": {"score": "n/a"}},
        {"helpfulness": {"score": 2, "justification": "Typo."}, "harmlessness": {"score": 3}},
    ],
    "r2": [
        {"helpfulness": {"score": 5, "justification": "Right."}, "harmlessness": {"score": 3}},
        {"helpfulness": {"score": 5, "justification": "Yes."}, "harmlessness": {"score": 2}},
    ],
}
REWRITES = {
    "r1": ["DNS maps names to addresses.", "DNS turns names into IP addresses."],
    "r2": ["No: nine is 3 x 3. Seven is prime.", "No, 7 is."],
}


@pytest.fixture
def judged(factory: Factory) -> tuple[Built, list[str]]:
    items = [{"external_id": key, "messages": messages} for key, messages in CHATS.items()]
    built = build_project(factory, [RUBRIC, REWRITE], items, overlap=2)
    built.workers = [factory.worker() for _ in range(2)]
    for k, worker in enumerate(built.workers):
        answers = {key: {"judge": JUDGED[key][k], "fix": REWRITES[key][k]} for key in CHATS}
        for _ in CHATS:
            work(built, worker, answers)
    return built, [submitted["worker"] for submitted in built.submitted["r1"]]


def ordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: (r["external_id"], str(r.get("worker"))))


def test_rewrites_are_sft_messages_ending_in_the_rewritten_reply(
    judged: tuple[Built, list[str]], tmp_path: Path
) -> None:
    built, workers = judged
    expected = [
        {
            "messages": [*CHATS[key][:-1], {"role": "assistant", "content": REWRITES[key][k]}],
            "external_id": key,
            "question": "fix",
            "worker": workers[k],
        }
        for key in CHATS
        for k in range(2)
    ]
    assert ordered([as_stored(r) for r in json_dataset(built, "sft", tmp_path)]) == ordered(
        expected
    )
    folder = parquet_folder(built, "sft-parquet", tmp_path)
    for loaded in (folder_dataset(folder, tmp_path), parquet_files_dataset(folder, tmp_path)):
        assert ordered([as_stored(r) for r in loaded["train"]]) == ordered(expected)


def _rubric_rows(workers: list[str]) -> list[dict[str, Any]]:
    rows = []
    for key, answers in JUDGED.items():
        for k, answer in enumerate(answers):
            harm = answer["harmlessness"]["score"]
            rows.append(
                {
                    "prompt": CHATS[key][:-1],
                    "completion": [CHATS[key][-1]],
                    "external_id": key,
                    "question": "judge",
                    "worker": workers[k],
                    "helpfulness": answer["helpfulness"]["score"],
                    "helpfulness_justification": answer["helpfulness"]["justification"],
                    "harmlessness": None if harm == "n/a" else harm,
                    "harmlessness_justification": None,
                }
            )
    return rows


def test_rubric_scores_a_column_per_criterion(
    judged: tuple[Built, list[str]], tmp_path: Path
) -> None:
    built, workers = judged
    expected = _rubric_rows(workers)
    rows = [as_stored(r) for r in json_dataset(built, "rubric", tmp_path)]
    assert ordered(rows) == ordered(expected)
    folder = parquet_folder(built, "rubric-parquet", tmp_path)
    loaded = folder_dataset(folder, tmp_path)["train"]
    assert ordered([as_stored(r) for r in loaded]) == ordered(expected)
    features = {f["name"]: f for f in card_header(folder)["dataset_info"]["features"]}
    assert features["helpfulness"] == {"name": "helpfulness", "dtype": "int64"}
    assert features["harmlessness_justification"]["dtype"] == "string"


def test_aggregated_rubric_is_the_consensus_per_criterion(
    judged: tuple[Built, list[str]], tmp_path: Path
) -> None:
    """The lower median per criterion, n/a counting as no score: r1's helpfulness of 4 and 2
    is 2, held by one of two; its harmlessness n/a and 3 is 3."""
    built, _ = judged
    rows = {r["external_id"]: r for r in json_dataset(built, "rubric", tmp_path, aggregated="true")}
    scores = {
        key: (
            row["helpfulness"],
            row["helpfulness_confidence"],
            row["harmlessness"],
            row["harmlessness_confidence"],
            row["annotators"],
        )
        for key, row in rows.items()
    }
    assert scores == {"r1": (2, 0.5, 3, 0.5, 2), "r2": (5, 1.0, 2, 0.5, 2)}
    assert "worker" not in rows["r1"]


def test_aggregated_sft_is_the_medoid_rewrite(
    judged: tuple[Built, list[str]], tmp_path: Path
) -> None:
    built, _ = judged
    rows = json_dataset(built, "sft", tmp_path, aggregated="true")
    consensus = {
        row["item"]["external_id"]: row["consensus"]["fix"]["answer"]["text"]
        for row in json_dataset(built, "jsonl", tmp_path, aggregated="true")
    }
    assert {r["external_id"]: r["messages"][-1]["content"] for r in rows} == consensus
    assert all(r["messages"][:-1] == CHATS[r["external_id"]][:-1] for r in rows)


DEMOS = [
    {"external_id": "d1", "prompt": "Write a haiku about rain."},
    {
        "external_id": "d2",
        "messages": [
            {"role": "system", "content": "Be kind."},
            {"role": "user", "content": "Say thanks in Swahili."},
        ],
    },
    {
        "external_id": "d3",
        "messages": [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"},
        ],
    },
    {"external_id": "d4", "prompt": "Rate this reply.", "response": "ok"},
]
REPLIES = {"d1": "Rain taps the window", "d2": "Asante sana!", "d3": "Too short", "d4": "Fine"}


def test_written_replies_are_demonstrations_where_the_item_awaits_one(
    factory: Factory, tmp_path: Path
) -> None:
    """d3 already has the assistant's reply and d4 a response to judge: their text answers
    are comments, not demonstrations, and the card counts them."""
    built = build_project(factory, [{"name": "reply", "type": "text"}], DEMOS)
    worker = factory.worker()
    for _ in DEMOS:
        work(built, worker, {key: {"reply": text} for key, text in REPLIES.items()})
    folder = parquet_folder(built, "sft-parquet", tmp_path)
    rows = folder_dataset(folder, tmp_path)["train"]
    assert [as_stored(r)["messages"] for r in sorted(rows, key=lambda r: r["external_id"])] == [
        [
            {"role": "user", "content": "Write a haiku about rain."},
            {"role": "assistant", "content": REPLIES["d1"]},
        ],
        [*DEMOS[1]["messages"], {"role": "assistant", "content": REPLIES["d2"]}],
    ]
    card = (folder / "README.md").read_text()
    assert "Answers that gave no row: 2." in card
    assert "a text answer about an item that does not await the assistant's turn: 2" in card


@pytest.mark.parametrize(
    ("params", "field", "needle"),
    [
        ({"format": "preference", "split": "train:0.9,test:0.1"}, "split", "takes no split"),
        ({"format": "preference-parquet", "split": "train:1"}, "split", "needs val or test"),
        ({"format": "preference-parquet", "split": "train:0.5,dev:0.5"}, "split", "'dev'"),
        ({"format": "preference-parquet", "split": "val:0.5,test:0.5"}, "split", "needs train"),
        ({"format": "preference-parquet", "seed": "3"}, "seed", "has none"),
        ({"format": "kto-parquet", "include_media": "true"}, "include_media", "media"),
        ({"format": "sft", "aggregated": "true", "split": "train:0.5,test:0.5"}, "split", "no"),
        ({"format": "preference"}, "format", "pairwise or ranking"),
        ({"format": "oasst", "aggregated": "true"}, "format", "pairwise or ranking"),
    ],
)
def test_bad_options_are_refused_before_any_byte(
    judged: tuple[Built, list[str]], params: dict[str, str], field: str, needle: str
) -> None:
    built, _ = judged
    response = built.owner.get(f"/api/projects/{built.project_id}/export", params=params)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == field
    assert needle in error["message"] + " " + str(error.get("expected"))


def test_a_criterion_named_like_a_column_is_refused(factory: Factory) -> None:
    clash = {
        "name": "judge",
        "type": "rubric",
        "settings": {"criteria": [{"name": "prompt"}, {"name": "depth"}]},
    }
    built = build_project(factory, [clash], [{"external_id": "x", "prompt": "Hi"}])
    for fmt in ("rubric", "rubric-parquet"):
        for aggregated in ("false", "true"):
            response = built.owner.get(
                f"/api/projects/{built.project_id}/export",
                params={"format": fmt, "aggregated": aggregated},
            )
            assert response.status_code == 422, response.text
            assert response.json()["error"]["value"] == "prompt"


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAIRLABEL_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("FAIRLABEL_DATABASE_URL", settings.resolved_database_url)


@pytest.mark.usefixtures("cli_env")
def test_cli_writes_the_dataset_zip_with_a_split(
    judged: tuple[Built, list[str]], tmp_path: Path
) -> None:
    built, workers = judged
    runner, target = CliRunner(), tmp_path / "rubric.zip"
    project = str(built.project_id)
    refused = runner.invoke(
        app, ["export", project, "-f", "rubric-parquet", "--split", "test:1", "-o", str(target)]
    )
    assert refused.exit_code == 2 and "split" in refused.output, refused.output
    assert not target.exists()
    asked = ["--split", "train:0.5,test:0.5", "--seed", "4", "-o", str(target)]
    done = runner.invoke(app, ["export", project, "-f", "rubric-parquet", *asked])
    assert done.exit_code == 0, done.output
    zipfile.ZipFile(target).extractall(tmp_path / "unzipped")
    loaded = folder_dataset(tmp_path / "unzipped", tmp_path)
    rows = [as_stored(r) for split in loaded.values() for r in split]
    assert ordered(rows) == ordered(_rubric_rows(workers))
