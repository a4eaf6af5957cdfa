"""Question types: the main extension point. Importing this package registers every type."""

# isort: off
# Registration order is the documented order, which error messages and the UI list.
from fairlabel.questions import label  # noqa: F401
from fairlabel.questions import multi_label  # noqa: F401
from fairlabel.questions import rating  # noqa: F401
from fairlabel.questions import text  # noqa: F401
from fairlabel.questions import span  # noqa: F401
from fairlabel.questions import bbox  # noqa: F401
from fairlabel.questions import polygon  # noqa: F401
from fairlabel.questions import ranking  # noqa: F401
from fairlabel.questions import pairwise  # noqa: F401
from fairlabel.questions import rubric  # noqa: F401
from fairlabel.questions import rewrite  # noqa: F401
from fairlabel.questions import chat  # noqa: F401
from fairlabel.questions import prompt  # noqa: F401

# isort: on
from fairlabel.questions.base import AnswerKind, QuestionType
from fairlabel.questions.registry import get_question_type, question_type_names, register
from fairlabel.questions.validate import (
    QuestionSpec,
    score_answers,
    validate_answers,
    validate_question_definition,
)

__all__ = [
    "AnswerKind",
    "QuestionSpec",
    "QuestionType",
    "get_question_type",
    "question_type_names",
    "register",
    "score_answers",
    "validate_answers",
    "validate_question_definition",
]
