"""CoNLL: tokens cut at every span boundary, BIO tags, '-DOCSTART-' headers, and a refusal
listing every span that BIO cannot carry."""

from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from seqeval.metrics.sequence_labeling import get_entities

from fairlabel.errors import ValidationFailed
from fairlabel.formats import ExportQuestion, get_format
from fairlabel.formats.conll import bio_tags, tokenise

from .factories import BOXES, ENTITIES, export, make_annotation, make_project, make_record


def span(start: int, end: int, label: str) -> dict[str, Any]:
    return {"start": start, "end": end, "label": label}


def words(text: str, spans: list[dict[str, Any]] = ()) -> list[str]:  # type: ignore[assignment]
    cuts = [p for s in spans for p in (s["start"], s["end"])]
    return [text[start:end] for start, end in tokenise(text, cuts)]


def tagged(text: str, spans: list[dict[str, Any]]) -> list[tuple[str, str]]:
    cuts = [p for s in spans for p in (s["start"], s["end"])]
    tokens = tokenise(text, cuts)
    return list(zip(words(text, spans), bio_tags(tokens, spans), strict=True))


def test_punctuation_is_split_off_and_numbers_and_compounds_stay_whole() -> None:
    assert words("Ada met Bob in Paris, (France) on 1,000.5 e-mail days; don't.") == [
        "Ada",
        "met",
        "Bob",
        "in",
        "Paris",
        ",",
        "(",
        "France",
        ")",
        "on",
        "1,000.5",
        "e-mail",
        "days",
        ";",
        "don't",
        ".",
    ]


def test_combining_marks_stay_inside_their_word() -> None:
    assert words("नमस्ते दुनिया, cafe\u0301!") == ["नमस्ते", "दुनिया", ",", "cafe\u0301", "!"]


def test_two_spans_in_one_token_become_two_entities() -> None:
    text = "NYC-LAX flights"
    assert tagged(text, [span(0, 3, "LOC"), span(4, 7, "LOC")]) == [
        ("NYC", "B-LOC"),
        ("-", "O"),
        ("LAX", "B-LOC"),
        ("flights", "O"),
    ]
    assert tagged("AliceBob met", [span(0, 5, "PER"), span(5, 8, "PER")]) == [
        ("Alice", "B-PER"),
        ("Bob", "B-PER"),
        ("met", "O"),
    ]


def test_a_span_inside_a_word_is_cut_out_of_it_not_widened() -> None:
    assert tagged("the unhappy end", [span(4 + 2, 11, "EMO")]) == [
        ("the", "O"),
        ("un", "O"),
        ("happy", "B-EMO"),
        ("end", "O"),
    ]


def test_spans_with_whitespace_at_their_edges_take_the_tokens_inside() -> None:
    text = "Ada  Lovelace visited Paris, today"
    assert tagged(text, [span(0, 14, "PER"), span(21, 27, "LOC")]) == [
        ("Ada", "B-PER"),
        ("Lovelace", "I-PER"),
        ("visited", "O"),
        ("Paris", "B-LOC"),
        (",", "O"),
        ("today", "O"),
    ]


def test_touching_spans_of_one_label_each_begin_with_b_and_labels_stay_one_column() -> None:
    text = "Paris London big apple"
    spans = [span(0, 5, "LOC"), span(6, 12, "LOC"), span(13, 22, "food item")]
    assert [tag for _, tag in tagged(text, spans)] == [
        "B-LOC",
        "B-LOC",
        "B-food_item",
        "I-food_item",
    ]


def test_file_has_one_document_per_answered_annotation_with_the_same_tokens() -> None:
    project = make_project(ENTITIES, BOXES)
    records = [
        make_record(
            1,
            {"text": "Ada met Bob-Smith."},
            make_annotation({"entities": [span(0, 3, "PER")]}, worker="w-amber"),
            make_annotation({"entities": [span(8, 11, "PER")]}, id=2, worker="w-birch"),
        ),
        make_record(2, {"text": "nobody labelled this"}),
        make_record(3, {"text": "Rome"}, make_annotation({"entities": []}), external_id="doc 3%"),
        make_record(4, {"text": "unanswered"}, make_annotation({})),
        make_record(5, {"text": " \n "}, make_annotation({"entities": []})),
    ]
    assert export(get_format("conll"), project, records).decode() == (
        "-DOCSTART- id=ext-1 annotator=w-amber\n\n"
        "Ada B-PER\nmet O\nBob O\n- O\nSmith O\n. O\n\n"
        "-DOCSTART- id=ext-1 annotator=w-birch\n\n"
        "Ada O\nmet O\nBob B-PER\n- O\nSmith O\n. O\n\n"
        "-DOCSTART- id=doc%203%25 annotator=w-amber\n\nRome O\n\n"
    )
    assert unquote("doc%203%25") == "doc 3%"


def test_several_span_questions_are_named() -> None:
    notes = ExportQuestion("notes", "span", {"field": "notes", "labels": ["X"]})
    record = make_record(
        1,
        {"text": "a b", "notes": "c"},
        make_annotation({"entities": [span(2, 3, "LOC")], "notes": [span(0, 1, "X")]}),
    )
    lines = export(get_format("conll"), make_project(ENTITIES, notes), [record]).decode()
    assert lines.split("\n\n")[:4] == [
        "-DOCSTART- id=ext-1 annotator=w-amber question=entities",
        "a O\nb B-LOC",
        "-DOCSTART- id=ext-1 annotator=w-amber question=notes",
        "c B-X",
    ]


def test_item_without_the_text_field_is_left_out() -> None:
    record = make_record(1, {"image": "x.png"}, make_annotation({"entities": []}))
    assert export(get_format("conll"), make_project(ENTITIES), [record]) == b""


def test_spans_bio_cannot_carry_refuse_the_export_listing_each() -> None:
    nested = ExportQuestion("entities", "span", {"labels": ["PER", "LOC"], "allow_overlap": True})
    records = [
        make_record(
            1, {"text": "Ada Lovelace"}, make_annotation({"entities": [span(0, 3, "PER")]})
        ),
        make_record(
            2,
            {"text": "New York City"},
            make_annotation({"entities": [span(0, 8, "LOC"), span(4, 13, "LOC")]}, worker="w-oak"),
        ),
        make_record(3, {"text": "a   b"}, make_annotation({"entities": [span(1, 4, "PER")]})),
        make_record(4, {"text": "short"}, make_annotation({"entities": [span(0, 9, "PER")]})),
    ]
    with pytest.raises(ValidationFailed) as caught:
        export(get_format("conll"), make_project(nested), records)
    error = caught.value
    assert (error.field, error.value) == ("format", "conll")
    assert "3 spans cannot be written" in error.message
    assert error.details == [
        {
            "id": "ext-2",
            "annotator": "w-oak",
            "question": "entities",
            "span": span(4, 13, "LOC"),
            "problem": "overlaps another span of the same answer: BIO cannot nest",
        },
        {
            "id": "ext-3",
            "annotator": "w-amber",
            "question": "entities",
            "span": span(1, 4, "PER"),
            "problem": "covers no token (only whitespace)",
        },
        {
            "id": "ext-4",
            "annotator": "w-amber",
            "question": "entities",
            "span": span(0, 9, "PER"),
            "problem": "ends past the text (5 characters): it was edited",
        },
    ]


def _text_and_spans() -> st.SearchStrategy[tuple[str, list[dict[str, Any]]]]:
    """A text of words, punctuation and odd whitespace, and spans that do not overlap and each
    hold a character that is not whitespace."""
    pieces = st.sampled_from(
        ["Ada", "NYC", "-", "LAX", ",", ".", " ", "  ", "\t", "\n", "é", "3.5"]
    )
    texts = st.lists(pieces, min_size=1, max_size=15).map("".join)

    def spans(text: str) -> st.SearchStrategy[tuple[str, list[dict[str, Any]]]]:
        cuts = st.lists(st.integers(0, len(text)), unique=True, max_size=8).map(sorted)
        labelled = cuts.flatmap(
            lambda points: st.lists(
                st.sampled_from(["PER", "LOC"]),
                min_size=len(points) // 2,
                max_size=len(points) // 2,
            ).map(
                lambda labels: [
                    span(points[2 * k], points[2 * k + 1], labels[k]) for k in range(len(labels))
                ]
            )
        )
        return labelled.map(
            lambda found: (text, [s for s in found if text[s["start"] : s["end"]].strip()])
        )

    return texts.flatmap(spans)


@given(_text_and_spans())
def test_every_span_comes_back_exactly_through_seqeval(
    case: tuple[str, list[dict[str, Any]]],
) -> None:
    """Entities read back by seqeval are the spans, token for token: each starts and ends at
    the token of its first and last character that is not whitespace (a KeyError here is a
    span boundary inside a token)."""
    text, spans = case
    record = make_record(1, {"text": text}, make_annotation({"entities": spans}))
    body = export(get_format("conll"), make_project(ENTITIES), [record]).decode()
    lines = [line.split(" ") for line in body.split("\n\n", 1)[-1].splitlines() if line]
    tokens, tags = [token for token, _ in lines], [tag for _, tag in lines]
    assert "".join(tokens) == "".join(text.split())
    solid = [0]  # solid[k]: characters before offset k that are not whitespace
    for character in text:
        solid.append(solid[-1] + (not character.isspace()))
    first_of, last_of, seen = {}, {}, 0
    for index, token in enumerate(tokens):
        first_of[seen], last_of[seen + len(token) - 1] = index, index
        seen += len(token)
    expected = [
        (s["label"], first_of[solid[s["start"]]], last_of[solid[s["end"]] - 1]) for s in spans
    ]
    assert sorted(get_entities(tags)) == sorted(expected)
