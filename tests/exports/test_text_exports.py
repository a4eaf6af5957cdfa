"""CoNLL and the aggregated JSONL of text and preference projects, read back as their users
read them: Hugging Face `datasets` (its CoNLL builder, which `datasets` 5 still ships as the
packaged module "conll", and its JSON builder) and seqeval, every value compared with what
the workers submitted through the real queue."""

import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import datasets
import pytest
from seqeval.metrics.sequence_labeling import get_entities
from seqeval.scheme import IOB2, Entities
from sqlalchemy import select

from fairlabel.db import Database
from fairlabel.models import Annotation, Assignment, Consensus, Item
from tests.factories import Factory

from .helpers import TOPIC, Built, build_project, work

LABELS = ["PER", "LOC"]
TEXTS = {
    "doc-1": "Ada Lovelace met Charles Babbage in London, England.",
    "doc-2": "Flights NYC-LAX leave at 9.30 daily.",
    "doc-3": "नमस्ते दिल्ली! Priya (Mumbai) calls.",
    "doc-4": "Nothing to see here.",
}


def at(external_id: str, phrase: str, label: str) -> dict[str, Any]:
    start = TEXTS[external_id].index(phrase)
    return {"start": start, "end": start + len(phrase), "label": label}


FULL = {
    "doc-1": [
        at("doc-1", "Ada Lovelace", "PER"),
        at("doc-1", "Charles Babbage", "PER"),
        at("doc-1", "London", "LOC"),
        at("doc-1", "England", "LOC"),
    ],
    "doc-2": [at("doc-2", "NYC", "LOC"), at("doc-2", "LAX", "LOC")],
    "doc-3": [
        at("doc-3", "दिल्ली", "LOC"),
        at("doc-3", "Priya", "PER"),
        at("doc-3", "Mumbai", "LOC"),
    ],
    "doc-4": [],
}
PARTIAL = {
    "doc-1": [at("doc-1", "Ada", "PER"), at("doc-1", "London", "LOC")],
    "doc-2": [at("doc-2", "NYC", "LOC")],
    "doc-3": [at("doc-3", "Priya (Mumbai)", "PER")],
    "doc-4": [at("doc-4", "Nothing", "LOC")],
}
#: What two of the three workers marked, character by character (span_vote at half).
CONSENSUS = {
    "doc-1": FULL["doc-1"],
    "doc-2": FULL["doc-2"],
    "doc-3": FULL["doc-3"],
    "doc-4": [],
}


@pytest.fixture(autouse=True)
def _offline_datasets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing is downloaded: the builders used are the ones `datasets` ships."""
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_OFFLINE", True)
    datasets.disable_progress_bars()


@pytest.fixture
def entities(factory: Factory) -> Built:
    """Four texts, each labelled by three workers: two mark every entity, one fewer."""
    question = {"name": "entities", "type": "span", "settings": {"labels": LABELS}}
    items = [{"external_id": key, "text": text} for key, text in TEXTS.items()]
    built = build_project(factory, [question], items, overlap=3)
    built.workers = [factory.worker() for _ in range(3)]
    for worker, answers in zip(built.workers, (FULL, FULL, PARTIAL), strict=True):
        for _ in TEXTS:
            work(built, worker, {key: {"entities": spans} for key, spans in answers.items()})
    return built


def download(built: Built, fmt: str, tmp_path: Path, **params: Any) -> tuple[str, Path]:
    response = built.owner.get(
        f"/api/projects/{built.project_id}/export", params={"format": fmt, **params}
    )
    assert response.status_code == 200, response.text
    path = tmp_path / f"export-{fmt}{'-aggregated' if params else ''}.{fmt}"
    path.write_bytes(response.content)
    return response.text, path


def conll_rows(path: Path, tmp_path: Path) -> list[dict[str, Any]]:
    """The way `datasets` users load a CoNLL file today: its packaged CoNLL builder."""
    loaded = datasets.load_dataset(
        "conll",
        data_files=str(path),
        column_names=["tokens", "ner_tags"],
        split="train",
        cache_dir=str(tmp_path / "hf-cache"),
    )
    rows: list[dict[str, Any]] = loaded.to_list()
    return rows


def json_rows(path: Path, tmp_path: Path) -> list[dict[str, Any]]:
    loaded = datasets.load_dataset(
        "json", data_files=str(path), split="train", cache_dir=str(tmp_path / "hf-cache")
    )
    rows: list[dict[str, Any]] = loaded.to_list()
    return rows


def headers(body: str) -> list[dict[str, str]]:
    """Each document's '-DOCSTART-' fields, in file order."""
    return [
        {key: unquote(value) for key, value in (pair.split("=", 1) for pair in line.split()[1:])}
        for line in body.splitlines()
        if line.startswith("-DOCSTART-")
    ]


def expected_entities(
    text: str, tokens: list[str], spans: list[dict[str, Any]]
) -> list[tuple[str, int, int]]:
    """(label, first token, last token) of each span, found from the text alone: the tokens
    hold the text's characters that are not whitespace, in order, so a span's first and last
    such characters name its tokens (a KeyError: a span boundary inside a token)."""
    assert "".join(tokens) == "".join(text.split())
    solid = [0]
    for character in text:
        solid.append(solid[-1] + (not character.isspace()))
    first_of, last_of, seen = {}, {}, 0
    for index, token in enumerate(tokens):
        first_of[seen], last_of[seen + len(token) - 1] = index, index
        seen += len(token)
    return sorted(
        (s["label"], first_of[solid[s["start"]]], last_of[solid[s["end"]] - 1]) for s in spans
    )


def read_entities(tags: list[str]) -> list[tuple[str, int, int]]:
    """seqeval's entities (label, first, last token), read leniently and by the strict IOB2
    scheme (whose end is exclusive): the two must agree."""
    lenient = sorted(get_entities(tags))
    strict = sorted((e.tag, e.start, e.end - 1) for e in Entities([tags], IOB2).entities[0])
    assert lenient == strict
    return lenient


def test_conll_loads_with_datasets_and_every_entity_is_a_submitted_span(
    entities: Built, tmp_path: Path
) -> None:
    body, path = download(entities, "conll", tmp_path)
    rows = conll_rows(path, tmp_path)
    documents = headers(body)
    assert len(rows) == len(documents) == 3 * len(TEXTS)
    submitted = {
        (key, done["worker"]): done["answers"]["entities"]
        for key, answers in entities.submitted.items()
        for done in answers
    }
    assert {(d["id"], d["annotator"]) for d in documents} == set(submitted)
    by_text: dict[str, list[list[str]]] = {}
    for document, row in zip(documents, rows, strict=True):
        spans = submitted[document["id"], document["annotator"]]
        text = TEXTS[document["id"]]
        assert read_entities(row["ner_tags"]) == expected_entities(text, row["tokens"], spans)
        by_text.setdefault(document["id"], []).append(row["tokens"])
    assert all(tokens == versions[0] for versions in by_text.values() for tokens in versions)
    assert by_text["doc-2"][0][:4] == ["Flights", "NYC", "-", "LAX"]
    assert by_text["doc-1"][0][-4:] == ["London", ",", "England", "."]
    assert by_text["doc-3"][0][:3] == ["नमस्ते", "दिल्ली", "!"]


def test_aggregated_conll_is_the_span_consensus(entities: Built, tmp_path: Path) -> None:
    body, path = download(entities, "conll", tmp_path, aggregated="true")
    rows = conll_rows(path, tmp_path)
    documents = headers(body)
    assert [d["id"] for d in documents] == list(TEXTS)
    stored = consensus_of(entities)
    for document, row in zip(documents, rows, strict=True):
        key = document["id"]
        spans = stored[key]["answer"]
        assert [{k: s[k] for k in ("start", "end", "label")} for s in spans] == CONSENSUS[key]
        assert float(document["confidence"]) == pytest.approx(stored[key]["confidence"], 1e-3)
        assert read_entities(row["ner_tags"]) == expected_entities(TEXTS[key], row["tokens"], spans)


def consensus_of(built: Built) -> dict[str, dict[str, Any]]:
    listed = built.owner.get(f"/api/projects/{built.project_id}/consensus").json()["consensus"]
    external = {
        item["id"]: item["external_id"]
        for item in built.owner.get(f"/api/projects/{built.project_id}/items").json()["items"]
    }
    return {external[row["item_id"]]: row for row in listed}


def same(loaded: Any, written: Any) -> bool:
    """Equal, floats to 10 significant digits: when a row holds an empty object (these items'
    meta is {}), `datasets`' JSON builder re-encodes the rows through pandas' ujson, which
    writes floats with 10 digits (datasets 5.2, packaged_modules/json)."""
    if isinstance(written, float):
        return isinstance(loaded, float) and loaded == pytest.approx(written, rel=1e-9)
    if isinstance(written, dict):
        return (
            isinstance(loaded, dict)
            and loaded.keys() == written.keys()
            and all(same(loaded[key], value) for key, value in written.items())
        )
    if isinstance(written, list):
        return (
            isinstance(loaded, list)
            and len(loaded) == len(written)
            and all(same(a, b) for a, b in zip(loaded, written, strict=True))
        )
    return type(loaded) is type(written) and loaded == written


def test_aggregated_jsonl_loads_with_datasets_json_builder_value_for_value(
    entities: Built, tmp_path: Path
) -> None:
    body, path = download(entities, "jsonl", tmp_path, aggregated="true")
    written = [json.loads(line) for line in body.splitlines()]
    assert same(json_rows(path, tmp_path), written)
    stored = consensus_of(entities)
    for row in written:
        key = row["item"]["external_id"]
        assert row["item"]["fields"] == {"text": TEXTS[key]}
        found = row["consensus"]["entities"]
        expected = {
            name: stored[key][name]
            for name in ("answer", "confidence", "annotators", "agreeing", "method")
        }
        assert {name: found[name] for name in expected} == expected
        assert (found["annotators"], found["method"]) == (3, "span_vote")
        plain = [{k: s[k] for k in ("start", "end", "label")} for s in found["answer"]]
        assert plain == CONSENSUS[key]


# --- the span consensus with overlap off ---------------------------------------------------

NESTED_TEXT = "Ada Lovelace Street is long."


def street_project(factory: Factory, allow_overlap: bool) -> Built:
    """Four workers: two mark 'Ada Lovelace' PER, one 'Ada' PER and 'Lovelace Street' LOC,
    one 'Lovelace Street' LOC. PER has three workers behind it, LOC two."""
    settings = {"labels": LABELS, "allow_overlap": allow_overlap}
    question = {"name": "entities", "type": "span", "settings": settings}
    items = [{"external_id": "street", "text": NESTED_TEXT}]
    built = build_project(factory, [question], items, overlap=4)
    per = {"start": 0, "end": 12, "label": "PER"}
    ada = {"start": 0, "end": 3, "label": "PER"}
    loc = {"start": 4, "end": 19, "label": "LOC"}
    for spans in ([per], [per], [ada, loc], [loc]):
        work(built, factory.worker(), {"street": {"entities": spans}})
    return built


def test_with_overlap_off_the_consensus_never_overlaps(factory: Factory, tmp_path: Path) -> None:
    built = street_project(factory, allow_overlap=False)
    (row,) = consensus_of(built).values()
    assert [{k: s[k] for k in ("start", "end", "label")} for s in row["answer"]] == [
        {"start": 0, "end": 12, "label": "PER"}
    ]
    _, path = download(built, "conll", tmp_path, aggregated="true")
    (document,) = conll_rows(path, tmp_path)
    assert document["ner_tags"][:3] == ["B-PER", "I-PER", "O"]


def snapshot(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row an export could touch, to prove a refused one changed nothing."""
    with database.session(write=False) as db:
        return {
            model.__tablename__: sorted(
                tuple(getattr(row, c.name) for c in model.__table__.columns)
                for row in db.scalars(select(model))
            )
            for model in (Item, Assignment, Annotation, Consensus)
        }


def test_a_nested_consensus_refuses_the_aggregated_conll_listing_it(factory: Factory) -> None:
    """Each answer is flat, so the per-annotation file is written; their consensus nests."""
    built = street_project(factory, allow_overlap=True)
    assert built.export("conll").status_code == 200
    before = snapshot(factory.database)
    url = f"/api/projects/{built.project_id}/export"
    refused = built.owner.get(url, params={"format": "conll", "aggregated": "true"})
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert (error["field"], error["value"]) == ("format", "conll")
    assert f"POST /api/projects/{built.project_id}/consensus" in error["message"]
    (listed,) = error["details"]
    assert (listed["id"], listed["question"]) == ("street", "entities")
    assert listed["span"] == {"start": 4, "end": 19, "label": "LOC"}
    assert listed["problem"] == "overlaps another span of the same answer: BIO cannot nest"
    assert "confidence" in listed and "annotator" not in listed
    assert snapshot(factory.database) == before


def test_spans_bio_cannot_carry_refuse_the_conll_export_listing_each(factory: Factory) -> None:
    settings = {"labels": LABELS, "allow_overlap": True}
    question = {"name": "entities", "type": "span", "settings": settings}
    items = [
        {"external_id": "nested", "text": NESTED_TEXT},
        {"external_id": "gap", "text": "Ada   Bob"},
    ]
    built = build_project(factory, [question], items)
    worker = factory.worker()
    nested = [{"start": 0, "end": 12, "label": "PER"}, {"start": 4, "end": 19, "label": "LOC"}]
    gap = [{"start": 0, "end": 3, "label": "PER"}, {"start": 4, "end": 5, "label": "PER"}]
    answers = {"nested": {"entities": nested}, "gap": {"entities": gap}}
    for _ in items:
        work(built, worker, answers)
    before = snapshot(factory.database)
    response = built.export("conll")
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert "2 spans cannot be written" in error["message"]
    pseudonym = built.submitted["gap"][0]["worker"]
    assert error["details"] == [
        {
            "id": "nested",
            "annotator": pseudonym,
            "question": "entities",
            "span": nested[1],
            "problem": "overlaps another span of the same answer: BIO cannot nest",
        },
        {
            "id": "gap",
            "annotator": pseudonym,
            "question": "entities",
            "span": gap[1],
            "problem": "covers no token (only whitespace)",
        },
    ]
    assert snapshot(factory.database) == before


def test_aggregated_conll_of_a_project_without_spans_and_an_unknown_variant(
    factory: Factory,
) -> None:
    built = build_project(factory, [TOPIC], [{"external_id": "t", "text": "a match report"}])
    url = f"/api/projects/{built.project_id}/export"
    refused = built.owner.get(url, params={"format": "conll", "aggregated": "true"})
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert (error["field"], error["value"], error["expected"]) == (
        "format",
        "conll",
        "a project with a span question",
    )
    unknown = built.owner.get(url, params={"format": "parquet", "aggregated": "true"})
    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["error"]["field"] == "format"
    assert "conll" in unknown.json()["error"]["expected"]


# --- pairwise: a tie is an outcome, and the export says how to build preference pairs ------

PAIRS = {
    "p-tie": ("tie", "tie", "a"),
    "p-b": ("b", "b", "a"),
    "p-split": ("a", "b", "both_bad"),
}


@pytest.fixture
def preferences(factory: Factory) -> Built:
    question = {"name": "preferred", "type": "pairwise", "settings": {}}
    items = [
        {
            "external_id": key,
            "meta": {"batch": 1},
            "prompt": f"Say hello ({key})",
            "responses": [{"id": "r1", "text": "Hello!"}, {"id": "r2", "text": "Hi there."}],
        }
        for key in PAIRS
    ]
    built = build_project(factory, [question], items, overlap=3)
    built.workers = [factory.worker() for _ in range(3)]
    for turn, worker in enumerate(built.workers):
        for _ in PAIRS:
            work(
                built,
                worker,
                {key: {"preferred": {"choice": votes[turn]}} for key, votes in PAIRS.items()},
            )
    return built


def test_a_tie_majority_wins_and_the_export_names_the_preference_pair(
    preferences: Built, tmp_path: Path
) -> None:
    body, path = download(preferences, "jsonl", tmp_path, aggregated="true")
    written = [json.loads(line) for line in body.splitlines()]
    assert json_rows(path, tmp_path) == written
    found = {row["item"]["external_id"]: row["consensus"]["preferred"] for row in written}
    assert found["p-tie"] == {
        "answer": {
            "choice": "tie",
            "strength": None,
            "votes": {"a": 1, "b": 0, "tie": 2, "both_bad": 0},
        },
        "confidence": pytest.approx(2 / 3),
        "annotators": 3,
        "agreeing": 2,
        "method": "majority_vote",
        "human_confirmed": False,
        "chosen": None,
        "rejected": None,
        "share": pytest.approx(2 / 3),
    }
    assert (found["p-b"]["chosen"], found["p-b"]["rejected"]) == ("r2", "r1")
    assert found["p-b"]["share"] == pytest.approx(2 / 3)
    assert found["p-split"]["answer"]["choice"] == "both_bad"
    assert (found["p-split"]["chosen"], found["p-split"]["share"]) == (None, pytest.approx(1 / 3))
    pairs = [key for key, f in found.items() if f["chosen"] is not None and f["share"] >= 0.6]
    assert pairs == ["p-b"]


def test_pairwise_csv_columns_and_quality_report(preferences: Built) -> None:
    url = f"/api/projects/{preferences.project_id}"
    csv = preferences.owner.get(f"{url}/export", params={"format": "csv", "aggregated": "true"})
    assert csv.status_code == 200, csv.text
    header = csv.text.splitlines()[0].split(",")
    assert header[-4:] == [
        "preferred.human_confirmed",
        "preferred.chosen",
        "preferred.rejected",
        "preferred.share",
    ]
    report = preferences.owner.get(f"{url}/quality")
    assert report.status_code == 200, report.text
    (question,) = report.json()["questions"]
    confusion = question["confusion"]
    assert confusion["labels"] == ["a", "b", "tie", "both_bad"]
    tie_row = confusion["counts"][confusion["labels"].index("tie")]
    assert tie_row == [1, 0, 2, 0]
