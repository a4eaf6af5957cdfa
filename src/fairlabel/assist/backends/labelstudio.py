"""Label Studio ML backends (SAM, YOLO, spaCy, Hugging Face pipelines, ...) used unchanged.

We speak their protocol (`/health`, `/setup`, `/predict`, `/webhook`) and convert Label
Studio's result JSON into our answers: choices to labels, `labels` regions to spans,
rectangles and polygons from percent of the image to pixels, textarea to text. Anything
that does not convert is left out here and reported by the caller, never stored."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any
from xml.sax.saxutils import quoteattr

import httpx

from fairlabel.assist.backends.base import (
    Backend,
    BackendFailed,
    BackendItem,
    BackendQuestion,
    Prediction,
)
from fairlabel.assist.backends.registry import register

Result = dict[str, Any]

#: Our question type -> the Label Studio control tag that asks the same thing.
_TAGS = {
    "label": "Choices",
    "multi_label": "Choices",
    "span": "Labels",
    "bbox": "RectangleLabels",
    "polygon": "PolygonLabels",
    "text": "TextArea",
}


@register
class LabelStudioBackend(Backend):
    """A running Label Studio ML backend at `options["url"]`."""

    name = "label_studio"
    question_types = frozenset(_TAGS)
    batch_size = 16

    def __init__(self, options: dict[str, Any]) -> None:
        super().__init__(options)
        self.http = httpx.Client(
            base_url=str(options["url"]), timeout=float(options.get("timeout_s", 30))
        )

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        try:
            response = self.http.request(method, path, json=body)
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise BackendFailed(f"{method} {path}: {exc}") from exc

    def health(self) -> dict[str, Any]:
        return dict(self._call("GET", "/health"))

    def setup(self, project: int | str, questions: Sequence[BackendQuestion]) -> dict[str, Any]:
        """Tell the backend the labelling config, as Label Studio does when it is connected."""
        body = {"project": str(project), "schema": label_config(questions), "extra_params": {}}
        return dict(self._call("POST", "/setup", body))

    def predict(
        self, questions: Sequence[BackendQuestion], items: Sequence[BackendItem]
    ) -> list[Prediction]:
        body = {
            "tasks": [{"id": item.id, "data": item.fields} for item in items],
            "label_config": label_config(questions),
            "params": {},
        }
        reply = self._call("POST", "/predict", body)
        results = reply.get("results") if isinstance(reply, dict) else None
        if not isinstance(results, list) or len(results) != len(items):
            raise BackendFailed(f"/predict returned {len(items)} tasks' results expected")
        by_name = {q.name: q for q in questions}
        return [
            prediction
            for item, task in zip(items, results, strict=True)
            for prediction in task_predictions(item, task, by_name)
        ]

    def train(self, questions: Sequence[BackendQuestion], annotations: Sequence[Any]) -> None:
        """Each accepted annotation goes to `/webhook` as Label Studio's ANNOTATION_CREATED."""
        config = label_config(questions)
        for annotation in annotations:
            body = {
                "action": "ANNOTATION_CREATED",
                "annotation": annotation,
                "project": {"id": self.options.get("project", 0), "label_config": config},
            }
            self._call("POST", "/webhook", body)


def label_config(questions: Sequence[BackendQuestion]) -> str:
    """The Label Studio labelling config XML that asks our questions."""
    controls = "".join(_control(q) for q in questions if q.type in _TAGS)
    return f"<View>{controls}</View>"


def _control(question: BackendQuestion) -> str:
    tag = _TAGS[question.type]
    source = str(question.settings.get("field", "text"))
    attrs = f"name={quoteattr(question.name)} toName={quoteattr(source)}"
    if question.type == "multi_label":
        attrs += ' choice="multiple"'
    child = "Choice" if tag == "Choices" else "Label"
    labels = "".join(
        f"<{child} value={quoteattr(str(label))}/>" for label in question.settings.get("labels", [])
    )
    return f"<{tag} {attrs}>{labels}</{tag}>"


def task_predictions(
    item: BackendItem, task: Any, questions: dict[str, BackendQuestion]
) -> list[Prediction]:
    """One task's result list grouped by control name, each group converted to one answer."""
    if not isinstance(task, dict) or not isinstance(task.get("result"), list):
        raise BackendFailed(f"task {item.id}: a prediction with a result list expected")
    groups: dict[str, list[Result]] = defaultdict(list)
    for result in task["result"]:
        if isinstance(result, dict) and result.get("from_name") in questions:
            groups[result["from_name"]].append(result)
    score = task.get("score")
    task_score = float(score) if isinstance(score, int | float) else None
    predictions = []
    for name, results in groups.items():
        question = questions[name]
        answer = convert(question.type, _sized(results, item, question))
        predictions.append(Prediction(item.id, name, answer, _score(results, task_score)))
    return predictions


def _sized(results: list[Result], item: BackendItem, question: BackendQuestion) -> list[Result]:
    """Results given the image size from the item where the backend left it out, so percent
    can become pixels; with no size known anywhere the coordinates stay unconverted and
    the answer check refuses them."""
    media = item.fields.get(str(question.settings.get("field", "image")))
    if not isinstance(media, dict):
        return results
    known = {"original_width": media.get("width"), "original_height": media.get("height")}
    return [{**known, **{k: v for k, v in r.items() if v is not None}} for r in results]


def _score(results: list[Result], task_score: float | None) -> float | None:
    """The lowest region score when regions have one (the answer is as sure as its least sure
    part), else the task's score, clipped to [0, 1]."""
    scores = [float(r["score"]) for r in results if isinstance(r.get("score"), int | float)]
    value = min(scores) if scores else task_score
    return None if value is None else min(1.0, max(0.0, value))


def convert(question_type: str, results: list[Result]) -> Any:
    """Our answer for one question from its Label Studio results; malformed values go through
    unchanged so that the answer check names what is wrong."""
    return _CONVERTERS[question_type](results)


def _values(results: list[Result]) -> list[dict[str, Any]]:
    return [r["value"] if isinstance(r.get("value"), dict) else {} for r in results]


def _choices(results: list[Result]) -> list[Any]:
    return [choice for value in _values(results) for choice in value.get("choices", [])]


def _single_choice(results: list[Result]) -> Any:
    chosen = _choices(results)
    return chosen[0] if len(chosen) == 1 else chosen


def _spans(results: list[Result]) -> list[dict[str, Any]]:
    return [
        {"start": value.get("start"), "end": value.get("end"), "label": _first(value, "labels")}
        for value in _values(results)
    ]


def _boxes(results: list[Result]) -> list[dict[str, Any]]:
    boxes = []
    for result, value in zip(results, _values(results), strict=True):
        width, height = _size(result)
        boxes.append(
            {
                "x": _scaled(value.get("x"), width),
                "y": _scaled(value.get("y"), height),
                "width": _scaled(value.get("width"), width),
                "height": _scaled(value.get("height"), height),
                "label": _first(value, "rectanglelabels"),
            }
        )
    return boxes


def _polygons(results: list[Result]) -> list[dict[str, Any]]:
    polygons = []
    for result, value in zip(results, _values(results), strict=True):
        width, height = _size(result)
        points = value.get("points", [])
        polygons.append(
            {
                "points": [
                    [_scaled(p[0], width), _scaled(p[1], height)]
                    if isinstance(p, list | tuple) and len(p) == 2
                    else p
                    for p in points
                ]
                if isinstance(points, list)
                else points,
                "label": _first(value, "polygonlabels"),
            }
        )
    return polygons


def _text(results: list[Result]) -> Any:
    texts = [text for value in _values(results) for text in value.get("text", [])]
    return "\n".join(texts) if all(isinstance(t, str) for t in texts) else texts


def _first(value: dict[str, Any], key: str) -> Any:
    labels = value.get(key)
    return labels[0] if isinstance(labels, list) and len(labels) == 1 else labels


def _size(result: Result) -> tuple[Any, Any]:
    return result.get("original_width"), result.get("original_height")


def _scaled(percent: Any, size: Any) -> Any:
    """Percent of the image to pixels; None (refused by the answer check) when either is not
    a number, since a percent kept as pixels would be a wrong box that looks right."""
    if isinstance(percent, int | float) and isinstance(size, int | float):
        return round(percent * size / 100, 3)
    return None


_CONVERTERS: dict[str, Callable[[list[Result]], Any]] = {
    "label": _single_choice,
    "multi_label": _choices,
    "span": _spans,
    "bbox": _boxes,
    "polygon": _polygons,
    "text": _text,
}
