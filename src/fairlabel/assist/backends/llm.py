"""Zero- and few-shot pre-labels from a chat model through a project's model endpoint.

One call per (item, question) asks for JSON `{"answer": ..., "confidence": ...}` whose
answer matches the question (a JSON schema as structured output where the server takes it),
with the project's guidelines and a few accepted answers as examples. A reply that is not
such JSON becomes an empty answer, which the caller's answer check reports; never repaired."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fairlabel.assist.backends.base import (
    Backend,
    BackendFailed,
    BackendItem,
    BackendQuestion,
    Prediction,
)
from fairlabel.assist.backends.registry import register
from fairlabel.llm import service as llm_service
from fairlabel.llm.client import CallResult, ChatMessage, EndpointConfig, stream_chat
from fairlabel.models import GuidelineVersion, Project


@register
class LLMBackend(Backend):
    """Options: `endpoint` (an EndpointConfig), `guidelines` (Markdown), `examples`
    ({question: [(text, answer), ...]}), `response_format` (json_schema, json_object, none)."""

    name = "llm"
    question_types = frozenset({"label", "multi_label", "span", "rubric"})
    batch_size = 8

    @classmethod
    def for_job(cls, db: Session, project: Project, options: dict[str, Any]) -> Backend:
        """`endpoint_id` (one of the project's organization's) becomes its configuration; the
        project's latest guidelines are sent unless the options give others."""
        (config,) = llm_service.organization_configs(
            db, project.organization_id, [int(options["endpoint_id"])]
        )
        guidelines = db.scalar(
            select(GuidelineVersion.body)
            .where(GuidelineVersion.project_id == project.id)
            .order_by(GuidelineVersion.version.desc())
            .limit(1)
        )
        return cls({"guidelines": guidelines or "", **options, "endpoint": config})

    def predict(
        self, questions: Sequence[BackendQuestion], items: Sequence[BackendItem]
    ) -> list[Prediction]:
        return asyncio.run(self._predict(questions, items))

    async def _predict(
        self, questions: Sequence[BackendQuestion], items: Sequence[BackendItem]
    ) -> list[Prediction]:
        asks = [(item, question) for item in items for question in questions]
        replies = await asyncio.gather(*(self._ask(item, q) for item, q in asks))
        return list(replies)

    async def _ask(self, item: BackendItem, question: BackendQuestion) -> Prediction:
        config: EndpointConfig = self.options["endpoint"]
        result: CallResult | None = None
        async for event in stream_chat(
            config,
            self.messages(item, question),
            response_format=response_format(self.options.get("response_format"), question),
        ):
            if isinstance(event, CallResult):
                result = event
        if result is None or not result.ok:
            reason = result.error.message if result and result.error else "no reply"
            raise BackendFailed(f"{config.name}: {reason}")
        return read_reply(item.id, question.name, result.text)

    def messages(self, item: BackendItem, question: BackendQuestion) -> list[ChatMessage]:
        """Guidelines as the system message, then each example as a user/assistant turn."""
        system = (
            "You pre-label data for human annotators. Answer with JSON only: "
            '{"answer": <the answer>, "confidence": <0 to 1>}.\n\n'
            + str(self.options.get("guidelines") or "")
        )
        messages: list[ChatMessage] = [{"role": "system", "content": system}]
        examples = self.options.get("examples", {}).get(question.name, [])
        for text, answer in examples:
            messages.append({"role": "user", "content": prompt(question, text)})
            messages.append({"role": "assistant", "content": json.dumps({"answer": answer})})
        field = str(question.settings.get("field", "text"))
        messages.append({"role": "user", "content": prompt(question, str(item.fields.get(field)))})
        return messages


def prompt(question: BackendQuestion, text: str) -> str:
    """The question, its labels one a line between <labels> tags, then the item's text."""
    labels = "\n".join(str(label) for label in question.settings.get("labels", []))
    parts = [f"Question ({question.type}): {question.name}"]
    if labels:
        parts.append(f"<labels>\n{labels}\n</labels>")
    if question.type == "span":
        parts.append("Answer a list of {start, end, label}: character offsets into the text.")
    if question.type == "rubric":
        criteria = question.settings.get("criteria", [])
        parts.append(
            "Score each: "
            + ", ".join(f"{c['name']} ({c.get('min', 1)} to {c.get('max', 5)})" for c in criteria)
        )
    parts.append(f"<item>\n{text}\n</item>")
    return "\n".join(parts)


def answer_schema(question: BackendQuestion) -> dict[str, Any]:
    """The JSON schema of the answer, so a structured-output server can only say valid ones."""
    labels = {"type": "string", "enum": list(question.settings.get("labels", []))}
    if question.type == "label":
        return labels
    if question.type == "multi_label":
        return {"type": "array", "items": labels}
    if question.type == "span":
        span = {"start": {"type": "integer"}, "end": {"type": "integer"}, "label": labels}
        return {"type": "array", "items": _object(span)}
    criteria = question.settings.get("criteria", [])
    return _object({c["name"]: _object({"score": {"type": "integer"}}) for c in criteria})


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def response_format(kind: Any, question: BackendQuestion) -> dict[str, Any] | None:
    """Structured output as the endpoint is set to take it (json_schema by default)."""
    if kind in (None, "json_schema"):
        schema = _object({"answer": answer_schema(question), "confidence": {"type": "number"}})
        return {
            "type": "json_schema",
            "json_schema": {"name": "prelabel", "strict": True, "schema": schema},
        }
    return {"type": "json_object"} if kind == "json_object" else None


def read_reply(item_id: int, question: str, text: str) -> Prediction:
    """The prediction in a reply; no answer when the reply is not the JSON asked for."""
    try:
        reply = json.loads(text)
    except ValueError:
        reply = None
    if not isinstance(reply, dict):
        return Prediction(item_id, question, None)
    confidence = reply.get("confidence")
    score = min(1.0, max(0.0, float(confidence))) if isinstance(confidence, int | float) else None
    return Prediction(item_id, question, reply.get("answer"), score)
