"""CoNLL: BIO tags from character spans, one document per annotator."""

from typing import Any

from fairlabel.formats import ExportQuestion, get_format
from fairlabel.formats.conll import bio_tags

from .factories import BOXES, ENTITIES, export, make_annotation, make_project, make_record


def span(start: int, end: int, label: str, text: str = "") -> dict[str, Any]:
    return {"start": start, "end": end, "label": label, "text": text}


def test_sentence_with_two_spans() -> None:
    text = "Ada Lovelace visited London today ."
    spans = [span(0, 12, "PER"), span(21, 27, "LOC")]
    assert list(bio_tags(text, spans)) == [
        ("Ada", "B-PER"),
        ("Lovelace", "I-PER"),
        ("visited", "O"),
        ("London", "B-LOC"),
        ("today", "O"),
        (".", "O"),
    ]


def test_touching_spans_of_one_label_each_begin_with_b() -> None:
    text = "Paris London Rome"
    assert [tag for _, tag in bio_tags(text, [span(0, 6, "LOC"), span(6, 12, "LOC")])] == [
        "B-LOC",
        "B-LOC",
        "O",
    ]


def test_two_spans_inside_one_token_tag_it_once() -> None:
    tags = list(bio_tags("AliceBob met", [span(0, 5, "PER"), span(5, 8, "PER")]))
    assert tags == [("AliceBob", "B-PER"), ("met", "O")]


def test_span_starting_mid_token_tags_the_whole_token() -> None:
    assert list(bio_tags("the unhappy end", [span(6, 11, "EMO")])) == [
        ("the", "O"),
        ("unhappy", "B-EMO"),
        ("end", "O"),
    ]
    assert [tag for _, tag in bio_tags("inNew York now", [span(2, 10, "LOC")])] == [
        "B-LOC",
        "I-LOC",
        "O",
    ]


def test_unsorted_spans_and_spaced_labels() -> None:
    tags = list(bio_tags("big  apple\tpie", [span(11, 14, "food item"), span(0, 3, "SIZE")]))
    assert tags == [("big", "B-SIZE"), ("apple", "O"), ("pie", "B-food_item")]


def test_file_has_one_document_per_answered_annotation() -> None:
    project = make_project(ENTITIES, BOXES)
    records = [
        make_record(
            1,
            {"text": "Ada met Bob"},
            make_annotation({"entities": [span(0, 3, "PER")]}, worker="w-amber"),
            make_annotation({"entities": [span(8, 11, "PER")]}, id=2, worker="w-birch"),
        ),
        make_record(2, {"text": "nobody labelled this"}),
        make_record(3, {"text": "Rome"}, make_annotation({"entities": []}), external_id="doc\n3"),
        make_record(4, {"text": "unanswered"}, make_annotation({})),
    ]
    assert export(get_format("conll"), project, records).decode() == (
        "# id = ext-1\n# annotator = w-amber\nAda B-PER\nmet O\nBob O\n\n"
        "# id = ext-1\n# annotator = w-birch\nAda O\nmet O\nBob B-PER\n\n"
        "# id = doc 3\n# annotator = w-amber\nRome O\n\n"
    )


def test_several_span_questions_are_named() -> None:
    notes = ExportQuestion("notes", "span", {"field": "notes", "labels": ["X"]})
    record = make_record(
        1,
        {"text": "a b", "notes": "c"},
        make_annotation({"entities": [span(2, 3, "LOC")], "notes": [span(0, 1, "X")]}),
    )
    lines = export(get_format("conll"), make_project(ENTITIES, notes), [record]).decode()
    assert lines.split("\n\n")[:2] == [
        "# id = ext-1\n# annotator = w-amber\n# question = entities\na O\nb B-LOC",
        "# id = ext-1\n# annotator = w-amber\n# question = notes\nc B-X",
    ]


def test_item_without_the_text_field_is_left_out() -> None:
    record = make_record(1, {"image": "x.png"}, make_annotation({"entities": []}))
    assert export(get_format("conll"), make_project(ENTITIES), [record]) == b""
