from typing import Any

import pytest
from pydantic import BaseModel

from fairlabel.errors import ValidationFailed
from fairlabel.questions import QuestionType, get_question_type, question_type_names, register
from fairlabel.questions.base import QuestionSettings

ALL = [
    "label",
    "multi_label",
    "rating",
    "text",
    "span",
    "bbox",
    "polygon",
    "ranking",
    "pairwise",
    "rubric",
    "rewrite",
    "chat",
    "prompt",
]
KINDS = {
    "label": "categorical",
    "multi_label": "categorical_set",
    "rating": "ordinal",
    "text": "free_text",
    "span": "spans",
    "bbox": "boxes",
    "polygon": "polygons",
    "ranking": "ranking",
    "pairwise": "pairwise",
    "rubric": "rubric",
    "rewrite": "rewrite",
    "chat": "chat",
    "prompt": "prompt",
}


def test_every_type_is_registered_in_documented_order() -> None:
    assert question_type_names() == ALL


@pytest.mark.parametrize("name", ALL)
def test_each_type_declares_its_contract(name: str) -> None:
    question_type = get_question_type(name)
    assert isinstance(question_type, QuestionType)
    assert question_type.name == name
    assert question_type.answer_kind == KINDS[name]
    assert issubclass(question_type.settings_model, BaseModel)


@pytest.mark.parametrize("name", ["nope", "Label", "", None, 3])
def test_unknown_types_list_the_known_ones(name: Any) -> None:
    with pytest.raises(ValidationFailed) as info:
        get_question_type(name)
    error = info.value
    assert error.field == "type"
    assert error.value == name
    assert error.expected == "one of: " + ", ".join(ALL)


def test_registering_a_name_twice_is_a_programming_error() -> None:
    class Again(QuestionType[QuestionSettings]):
        name = "label"
        settings_model = QuestionSettings
        answer_kind = "categorical"

        def validate_answer(
            self, settings: QuestionSettings, answer: Any, fields: dict[str, Any], path: str
        ) -> Any:
            return answer

    with pytest.raises(RuntimeError, match="registered twice"):
        register(Again)
    assert question_type_names() == ALL
