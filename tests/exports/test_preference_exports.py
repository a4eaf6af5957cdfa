"""Preference, KTO and conversation-tree exports of pairwise and ranking answers over chat
conversations, built through the real API and queue by three workers, loaded with Hugging
Face `datasets` and compared value for value with a case worked out by hand: which pairs a
ranking expands to, ties skipped, and each margin."""

import io
import zipfile
from pathlib import Path
from typing import Any

import datasets
import pytest

from fairlabel.formats.split import DATASET_SPLITS, parse_split
from tests.factories import Factory
from tests.review.test_review import GUIDELINES, REJECT, REVIEW, review_task, verdict

from .datasets_helpers import (
    as_stored,
    card_header,
    download,
    folder_dataset,
    json_dataset,
    parquet_files_dataset,
    parquet_folder,
)
from .helpers import Built, build_project, work

QUESTIONS = [
    {
        "name": "better",
        "type": "pairwise",
        "settings": {"field": "responses", "strength_levels": 3},
    },
    {"name": "order", "type": "ranking", "settings": {"field": "candidates"}},
]
CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "weather", "arguments": '{"city": "Nairobi"}'},
}
PROMPTS: dict[str, list[dict[str, Any]]] = {
    "c1": [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Capital of Kenya?"},
    ],
    "c2": [
        {"role": "user", "content": "Weather in Nairobi?"},
        {"role": "assistant", "content": "", "tool_calls": [CALL]},
        {"role": "tool", "content": '{"temp": 24}', "tool_call_id": "call_1"},
    ],
}
TEXTS = {
    "c1": {
        "r1": "Nairobi.",
        "r2": "Mombasa.",
        "w": "Nairobi.",
        "x": "It is Nairobi.",
        "y": "Nairobi, since 1963.",
        "z": "Mombasa.",
    },
    "c2": {"a1": "24 °C and sunny.", "a2": "I cannot know.", "0": "It is 24 °C.", "1": "Sunny."}
    | {"2": "No idea."},
}
ITEMS = [
    {
        "external_id": "c1",
        "messages": PROMPTS["c1"],
        "responses": [{"id": "r1", "text": "Nairobi."}, {"id": "r2", "text": "Mombasa."}],
        "candidates": [{"id": k, "text": TEXTS["c1"][k]} for k in "wxyz"],
    },
    {
        "external_id": "c2",
        "messages": PROMPTS["c2"],
        "responses": [
            {"id": "a1", "content": "24 °C and sunny."},
            {"id": "a2", "text": "I cannot know."},
        ],
        "candidates": ["It is 24 °C.", "Sunny.", "No idea."],
    },
]
#: What worker k answered on each item.
ANSWERS = {
    "c1": [
        {"better": {"choice": "a", "strength": 3}, "order": [["w"], ["x", "y"], ["z"]]},
        {"better": {"choice": "a", "strength": 1}, "order": [["x"], ["w"], ["y"], ["z"]]},
        {"better": {"choice": "b", "strength": 2}, "order": [["w", "x", "y", "z"]]},
    ],
    "c2": [
        {"better": {"choice": "tie"}, "order": [["0"], ["1"], ["2"]]},
        {"better": {"choice": "both_bad"}, "order": [["0"], ["2"], ["1"]]},
        {"better": {"choice": "a", "strength": 2}, "order": [["1", "0"], ["2"]]},
    ],
}
#: (item, question, worker, chosen, rejected, margin), by hand: a pick's strength / 3; a
#: ranking's every pair across tiers, tier distance / (tiers - 1); ties and tie/both_bad
#: picks give none.
PAIRS = [
    ("c1", "better", 0, "r1", "r2", 1.0),
    ("c1", "order", 0, "w", "x", 0.5),
    ("c1", "order", 0, "w", "y", 0.5),
    ("c1", "order", 0, "w", "z", 1.0),
    ("c1", "order", 0, "x", "z", 0.5),
    ("c1", "order", 0, "y", "z", 0.5),
    ("c1", "better", 1, "r1", "r2", 1 / 3),
    ("c1", "order", 1, "x", "w", 1 / 3),
    ("c1", "order", 1, "x", "y", 2 / 3),
    ("c1", "order", 1, "x", "z", 1.0),
    ("c1", "order", 1, "w", "y", 1 / 3),
    ("c1", "order", 1, "w", "z", 2 / 3),
    ("c1", "order", 1, "y", "z", 1 / 3),
    ("c1", "better", 2, "r2", "r1", 2 / 3),
    ("c2", "order", 0, "0", "1", 0.5),
    ("c2", "order", 0, "0", "2", 1.0),
    ("c2", "order", 0, "1", "2", 0.5),
    ("c2", "order", 1, "0", "2", 0.5),
    ("c2", "order", 1, "0", "1", 1.0),
    ("c2", "order", 1, "2", "1", 0.5),
    ("c2", "better", 2, "a1", "a2", 2 / 3),
    ("c2", "order", 2, "1", "2", 1.0),
    ("c2", "order", 2, "0", "2", 1.0),
]
#: (item, question, worker, candidate, desirable): a pick and the other; both_bad, neither
#: desirable; a tie nothing; a ranking's best tier and its worst.
LABELS = [
    ("c1", "better", 0, "r1", True),
    ("c1", "better", 0, "r2", False),
    ("c1", "order", 0, "w", True),
    ("c1", "order", 0, "z", False),
    ("c1", "better", 1, "r1", True),
    ("c1", "better", 1, "r2", False),
    ("c1", "order", 1, "x", True),
    ("c1", "order", 1, "z", False),
    ("c1", "better", 2, "r2", True),
    ("c1", "better", 2, "r1", False),
    ("c2", "order", 0, "0", True),
    ("c2", "order", 0, "2", False),
    ("c2", "better", 1, "a1", False),
    ("c2", "better", 1, "a2", False),
    ("c2", "order", 1, "0", True),
    ("c2", "order", 1, "1", False),
    ("c2", "better", 2, "a1", True),
    ("c2", "better", 2, "a2", False),
    ("c2", "order", 2, "1", True),
    ("c2", "order", 2, "0", True),
    ("c2", "order", 2, "2", False),
]


@pytest.fixture
def compared(factory: Factory) -> tuple[Built, list[str]]:
    """The project, and each worker's pseudonym (as the export names them): worker k
    submits each item's k-th annotation."""
    built = build_project(factory, QUESTIONS, ITEMS, overlap=3)
    built.workers = [factory.worker() for _ in range(3)]
    for k, worker in enumerate(built.workers):
        for _ in ITEMS:
            work(built, worker, {key: answers[k] for key, answers in ANSWERS.items()})
    return built, [submitted["worker"] for submitted in built.submitted["c1"]]


def reply(key: str, candidate: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": TEXTS[key][candidate]}]


def expected_pairs(workers: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "prompt": PROMPTS[key],
            "chosen": reply(key, chosen),
            "rejected": reply(key, rejected),
            "margin": pytest.approx(margin),
            "chosen_id": chosen,
            "rejected_id": rejected,
            "external_id": key,
            "question": question,
            "worker": workers[k],
        }
        for key, question, k, chosen, rejected, margin in PAIRS
    ]


def ordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows in a fixed order: an item's annotations are exported in submission order."""
    return sorted(rows, key=lambda r: tuple(str(r[k]) for k in sorted(r) if k != "margin"))


def test_preference_jsonl_holds_every_pair_with_its_margin(
    compared: tuple[Built, list[str]], tmp_path: Path
) -> None:
    built, workers = compared
    rows = [as_stored(row) for row in json_dataset(built, "preference", tmp_path)]
    assert ordered(rows) == ordered(expected_pairs(workers))


def test_preference_parquet_split_loads_as_a_folder_and_by_data_files(
    compared: tuple[Built, list[str]], tmp_path: Path
) -> None:
    built, workers = compared
    folder = parquet_folder(built, "preference-parquet", tmp_path, split="train:0.5,test:0.5")
    split = parse_split("train:0.5,test:0.5", 0, DATASET_SPLITS)
    expected: dict[str, list[dict[str, Any]]] = {}
    for row in expected_pairs(workers):
        expected.setdefault(split.of(row["external_id"]), []).append(row)
    for loaded in (folder_dataset(folder, tmp_path), parquet_files_dataset(folder, tmp_path)):
        assert set(loaded) == set(expected)
        for name, rows in loaded.items():
            assert ordered([as_stored(r) for r in rows]) == ordered(expected[name])
    header = card_header(folder)
    assert header["configs"] == [
        {
            "config_name": "default",
            "data_files": [{"split": s, "path": f"data/{s}-*.parquet"} for s in expected],
        }
    ]
    info = header["dataset_info"]
    assert {s["name"]: s["num_examples"] for s in info["splits"]} == {
        name: len(rows) for name, rows in expected.items()
    }
    features = datasets.load_dataset(str(folder), cache_dir=str(tmp_path / "c"))["train"].features
    assert info["features"] == features._to_yaml_list()
    (prompt,) = [f for f in info["features"] if f["name"] == "prompt"]
    assert [key["name"] for key in prompt["list"]] == [
        "role",
        "content",
        "tool_calls",
        "tool_call_id",
    ]
    (chosen,) = [f for f in info["features"] if f["name"] == "chosen"]
    assert [key["name"] for key in chosen["list"]] == ["role", "content"]


def test_the_split_is_reproducible_and_follows_the_seed(
    compared: tuple[Built, list[str]], tmp_path: Path
) -> None:
    built, _ = compared
    asked = {"split": "train:0.5,val:0.25,test:0.25", "seed": "11"}
    first, again = (
        zipfile.ZipFile(io.BytesIO(download(built, "preference-parquet", **asked)))
        for _ in range(2)
    )
    data = [name for name in first.namelist() if name.startswith("data/")]
    assert data == [name for name in again.namelist() if name.startswith("data/")]
    assert all(first.read(name) == again.read(name) for name in data)
    folder = parquet_folder(built, "preference-parquet", tmp_path, **asked)
    split = parse_split(asked["split"], 11, DATASET_SPLITS)
    hub = {"train": "train", "val": "validation", "test": "test"}
    for name, rows in folder_dataset(folder, tmp_path).items():
        assert {hub[split.of(row["external_id"])] for row in rows} == {name}


def test_aggregated_preference_margin_is_the_vote_lead(
    compared: tuple[Built, list[str]], tmp_path: Path
) -> None:
    """c1's pick: a, a, b, so chosen r1 with margin (2 - 1) / 3; c2's tie, both_bad, a is a
    tie and gives no pair. Each consensus ranking expands to its pairs across tiers."""
    built, _ = compared
    consensus = {
        row["item"]["external_id"]: row["consensus"]["order"] for row in json_rows(built, tmp_path)
    }
    rows = json_dataset(built, "preference", tmp_path, aggregated="true")
    picks = [as_stored(r) for r in rows if r["question"] == "better"]
    assert picks == [
        {
            "prompt": PROMPTS["c1"],
            "chosen": reply("c1", "r1"),
            "rejected": reply("c1", "r2"),
            "margin": pytest.approx(1 / 3),
            "chosen_id": "r1",
            "rejected_id": "r2",
            "external_id": "c1",
            "question": "better",
            "annotators": 3,
            "confidence": pytest.approx(2 / 3),
        }
    ]
    for key, found in consensus.items():
        tiers = found["answer"]
        last = len(tiers) - 1
        pairs = [
            (better, worse, (j - i) / last)
            for i, tier in enumerate(tiers)
            for j in range(i + 1, len(tiers))
            for better in tier
            for worse in tiers[j]
        ]
        got = [
            (r["chosen_id"], r["rejected_id"], r["margin"])
            for r in rows
            if r["question"] == "order" and r["external_id"] == key
        ]
        assert got == [(b, w, pytest.approx(m)) for b, w, m in pairs]
        assert all(
            (r["annotators"], r["confidence"]) == (3, pytest.approx(found["confidence"]))
            for r in rows
            if r["question"] == "order" and r["external_id"] == key
        )


def json_rows(built: Built, tmp_path: Path) -> list[dict[str, Any]]:
    return json_dataset(built, "jsonl", tmp_path, aggregated="true")


def test_kto_labels_picks_and_the_ends_of_each_ranking(
    compared: tuple[Built, list[str]], tmp_path: Path
) -> None:
    built, workers = compared
    expected = [
        {
            "prompt": PROMPTS[key],
            "completion": reply(key, candidate),
            "label": label,
            "completion_id": candidate,
            "external_id": key,
            "question": question,
            "worker": workers[k],
        }
        for key, question, k, candidate, label in LABELS
    ]
    rows = [as_stored(row) for row in json_dataset(built, "kto", tmp_path)]
    assert ordered(rows) == ordered(expected)
    folder = parquet_folder(built, "kto-parquet", tmp_path)
    loaded = folder_dataset(folder, tmp_path)
    assert ordered([as_stored(r) for r in loaded["train"]]) == ordered(expected)


def test_oasst_trees_rank_the_candidates_by_the_consensus(
    compared: tuple[Built, list[str]], tmp_path: Path
) -> None:
    built, workers = compared
    stored = {row["item"]["external_id"]: row["consensus"] for row in json_rows(built, tmp_path)}
    for aggregated in ("false", "true"):
        trees = {
            t["message_tree_id"]: t
            for t in json_dataset(built, "oasst", tmp_path, aggregated=aggregated)
        }
        assert set(trees) == {"c1/better", "c1/order", "c2/better", "c2/order"}
        pick = trees["c1/better"]
        assert (pick["system"], pick["choice"], pick["annotators"]) == ("You are terse.", "a", 3)
        root = pick["prompt"]
        assert (root["message_id"], root["parent_id"], root["role"], root["text"]) == (
            "c1/better/0",
            None,
            "prompter",
            "Capital of Kenya?",
        )
        assert [
            (r["candidate_id"], r["text"], r["rank"], r["parent_id"]) for r in root["replies"]
        ] == [
            ("r1", "Nairobi.", 0, "c1/better/0"),
            ("r2", "Mombasa.", 1, "c1/better/0"),
        ]
        tie = trees["c2/better"]
        assert tie["choice"] == "tie"
        chain, node = [], tie["prompt"]
        while node["replies"] and "candidate_id" not in node["replies"][0]:
            chain.append((node["role"], node["text"]))
            node = node["replies"][0]
        chain.append((node["role"], node["text"]))
        assert chain == [
            ("prompter", "Weather in Nairobi?"),
            ("assistant", ""),
            ("tool", '{"temp": 24}'),
        ]
        assert [r["rank"] for r in node["replies"]] == [0, 0]
        for key in ("c1", "c2"):
            order = trees[f"{key}/order"]
            leaf = order["prompt"]
            while "candidate_id" not in leaf["replies"][0]:
                leaf = leaf["replies"][0]
            ranks = {r["candidate_id"]: r["rank"] for r in leaf["replies"]}
            tiers = stored[key]["order"]["answer"]
            assert ranks == {c: t for t, tier in enumerate(tiers) for c in tier}
        if aggregated == "false":
            answers = trees["c1/order"]["answers"]
            assert sorted((a["worker"], str(a["answer"])) for a in answers) == sorted(
                (workers[k], str(ANSWERS["c1"][k]["order"])) for k in range(3)
            )
        else:
            assert trees["c1/order"]["confidence"] == pytest.approx(
                stored["c1"]["order"]["confidence"]
            )


def test_trl_reads_the_rows_with_its_own_helpers(
    compared: tuple[Built, list[str]], tmp_path: Path
) -> None:
    """TRL's data utilities (trl.data_utils, which need no torch) take each row as it is:
    conversational, and rendered by a chat template into prompt and chosen text."""
    data_utils = pytest.importorskip("trl.data_utils")
    tokenizers = pytest.importorskip("tokenizers")
    transformers = pytest.importorskip("transformers")
    built, _ = compared
    words = tokenizers.Tokenizer(tokenizers.models.WordLevel({"[UNK]": 0}, unk_token="[UNK]"))
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=words,
        chat_template=(
            "{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}\n{% endfor %}"
            "{% if add_generation_prompt %}<assistant>{% endif %}"
        ),
    )
    for fmt in ("preference", "kto"):
        for row in json_dataset(built, fmt, tmp_path):
            assert data_utils.is_conversational(row)
            rendered = data_utils.maybe_apply_chat_template(row, tokenizer)
            assert rendered["prompt"].endswith("<assistant>")
            key = "chosen" if fmt == "preference" else "completion"
            assert rendered[key] == row[key][0]["content"] + "\n"


def test_work_a_reviewer_rejected_is_left_out(factory: Factory, tmp_path: Path) -> None:
    """Two workers pick opposite sides; the reviewer rejects the second pick, so the
    dataset holds the first alone (the rejected version stays the latest until reworked)."""
    question = {"name": "better", "type": "pairwise", "settings": {"field": "responses"}}
    item = {"external_id": "v1", "prompt": "Say hi.", "responses": ["Hi!", "Go away."]}
    built = build_project(
        factory, [question], [item], overlap=2, workflow=REVIEW, guidelines=GUIDELINES
    )
    picks = [factory.worker(), factory.worker()]
    for worker, choice in zip(picks, "ab", strict=True):
        work(built, worker, {"v1": {"better": {"choice": choice}}})
    kept, rejected = (s["worker"] for s in built.submitted["v1"])
    for reviewer in (factory.worker(), factory.worker()):
        task = review_task(reviewer, built.project_id)
        mine = task["annotation"]["worker"] == rejected
        answer = verdict(reviewer, task, **(REJECT if mine else {"verdict": "accept"}))
        assert answer.status_code == 201, answer.text
    rows = json_dataset(built, "preference", tmp_path)
    assert [(r["worker"], r["chosen_id"], r["rejected_id"]) for r in rows] == [(kept, "0", "1")]
