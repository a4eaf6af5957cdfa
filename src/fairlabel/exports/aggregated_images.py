"""Aggregated COCO, YOLO and VOC: the image formats written from the consensus, one box or
polygon per object, each with the share of annotators who drew it as its score."""

from collections.abc import Callable, Iterable, Iterator
from typing import Any, cast

from fairlabel.formats.base import ExportProject
from fairlabel.formats.images import Objects, Shape, image_questions, shape_maker
from fairlabel.quality.kinds import Shapes, aggregator_for
from fairlabel.questions import get_question_type

#: The consensus figures each object carries in COCO's attributes.
FIGURES = ("method", "confidence", "annotators", "agreeing", "human_confirmed")


def consensus_objects(project: ExportProject) -> Objects:
    """Each image question's consensus shapes; `record.answers` are the counted answers the
    consensus was made from, against which each shape's support is measured."""
    questions = [(q, _shapes_kind(q.type), shape_maker(q.type)) for q in image_questions(project)]

    def objects(record: Any) -> Iterator[Shape]:
        for question, kind, make in questions:
            found = record.consensus.get(question.name)
            if not found or not found["answer"]:
                continue
            given = [a[question.name] for a in record.answers if a.get(question.name) is not None]
            support = kind.support(found["answer"], given) if given else None
            figures = {name: found[name] for name in FIGURES}
            for index, raw in enumerate(found["answer"]):
                score = support[index] if support is not None else found["confidence"]
                shape = make(raw, question.name, figures, round(score, 6))
                if shape is not None:
                    yield shape

    return objects


def _shapes_kind(type_name: str) -> Shapes:
    """The aggregator of a bbox or polygon question: both answer kinds are Shapes."""
    return cast(Shapes, aggregator_for(get_question_type(type_name).answer_kind))


def bounded(records: Iterable[Any]) -> Callable[..., Iterator[Any]]:
    """A record source whose later passes stop at the first pass's last item, so that an item
    imported in between is in no pass rather than in COCO's annotations but not its images.
    Every pass reads the consensus; `with_annotations` is there for the formats' signature."""
    end: list[int] = []

    def read(*, with_annotations: bool = True) -> Iterator[Any]:
        last = end[0] if end else None
        seen = 0
        for record in records:
            if last is not None and record.item_id > last:
                return
            seen = record.item_id
            yield record
        if not end:
            end.append(seen)

    return read
