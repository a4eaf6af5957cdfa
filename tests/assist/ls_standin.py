"""A stand-in Label Studio ML backend, run as its own process by the tests.

It is a stand-in (the `label-studio-ml` package was not installed here), written the way
that package's servers behave: a model class with `setup`, `predict(tasks)` returning one
`{"result": [...], "score": ...}` per task in Label Studio's result JSON, and `fit` called
from `/webhook` training events. Its "model" reads cues in the task text so the tests can
ask for a good answer, a malformed one, or an answer to a question that was not asked."""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class KeywordModel:
    """Sentiment by keyword, a box and a polygon in percent, a span and a textarea."""

    def __init__(self) -> None:
        self.schema = ""
        self.trained: list[dict[str, Any]] = []

    def predict(self, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [self._one(task["data"]) for task in tasks]

    def _one(self, data: dict[str, Any]) -> dict[str, Any]:
        text = str(data.get("text", ""))
        label = "positive" if "good" in text else "negative"
        if "malformed" in text:
            label = "ecstatic"
        result: list[dict[str, Any]] = [
            _result("sentiment", "choices", {"choices": [label]}, 0.8),
            _result("note", "textarea", {"text": ["model note"]}, None),
            _result("entity", "labels", {"start": 0, "end": 4, "text": text[:4], "labels": ["W"]}),
        ]
        if "image" in data:
            box = {"x": 10, "y": 20, "width": 50, "height": 25, "rectanglelabels": ["cat"]}
            result.append({**_result("boxes", "rectanglelabels", box, 0.7)})
            shape = {"points": [[0, 0], [50, 0], [50, 50]], "polygonlabels": ["cat"]}
            result.append(
                {
                    **_result("shapes", "polygonlabels", shape, 0.6),
                    "original_width": 200,
                    "original_height": 100,
                }
            )
        return {"result": result, "score": 0.75, "model_version": "keyword-1"}

    def fit(self, event: str, data: dict[str, Any]) -> None:
        self.trained.append({"event": event, "annotation": data.get("annotation")})


def _result(name: str, kind: str, value: dict[str, Any], score: float | None = 0.9) -> Any:
    result = {"from_name": name, "to_name": "text", "type": kind, "value": value}
    return result if score is None else {**result, "score": score}


MODEL = KeywordModel()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test's output is the assertions."""

    def _reply(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == "/health":
            self._reply(200, {"status": "UP", "model_class": "KeywordModel"})
        elif self.path == "/trained":
            self._reply(200, MODEL.trained)
        else:
            self._reply(404, {"error": "not found"})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path == "/setup":
            MODEL.schema = body["schema"]
            self._reply(200, {"model_version": "keyword-1"})
        elif self.path == "/predict":
            self._reply(200, {"results": MODEL.predict(body["tasks"])})
        elif self.path == "/webhook":
            MODEL.fit(body["action"], body)
            self._reply(201, {"status": "ok"})
        else:
            self._reply(404, {"error": "not found"})


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
