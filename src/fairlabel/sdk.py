"""Python SDK: `fairlabel.Client(url, token)` over the HTTP API.

Errors come back as `ApiError` carrying the server's field, value and expected text, so a
script can tell a client exactly what to fix."""

import time
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

import httpx
import orjson

JSON = dict[str, Any]
UPLOAD_CHUNK = 1 << 20


class ApiError(Exception):
    """A 4xx or 5xx answer from the server."""

    def __init__(self, status_code: int, body: JSON) -> None:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        self.status_code = status_code
        self.code: str = error.get("code", "http_error")
        self.field: str | None = error.get("field")
        self.value: Any = error.get("value")
        self.expected: str | None = error.get("expected")
        self.details: list[JSON] = error.get("details", [])
        self.message: str = error.get("message", f"HTTP {status_code}")
        super().__init__(
            f"{status_code} {self.code}: {self.message}"
            + (f" ({self.field}={self.value!r}; expected {self.expected})" if self.field else "")
        )


class JobFailed(Exception):
    """A job that ended in failure; `job` is all of it and `error` the server's sentence."""

    def __init__(self, job: JSON) -> None:
        self.job = job
        self.error: str = job.get("error") or "the job failed"
        super().__init__(f"job {job.get('id')} ({job.get('kind')}) failed: {self.error}")


class Client:
    """A fairlabel server, authenticated with an API token (see `fairlabel tokens create`)."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = httpx.Client(
            base_url=url.rstrip("/") + "/api",
            timeout=timeout,
            headers={"Authorization": f"Bearer {token}"},
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise ApiError(response.status_code, _json_or_empty(response))
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    # --- account -----------------------------------------------------------------------
    def me(self) -> JSON:
        result: JSON = self._call("GET", "/me")
        return result

    # --- projects ----------------------------------------------------------------------
    def list_projects(self) -> list[JSON]:
        result: list[JSON] = self._call("GET", "/projects")
        return result

    def get_project(self, project_id: int) -> JSON:
        result: JSON = self._call("GET", f"/projects/{project_id}")
        return result

    def create_project(self, organization_id: int, name: str, **fields: Any) -> JSON:
        body = {"organization_id": organization_id, "name": name, **fields}
        result: JSON = self._call("POST", "/projects", json=body)
        return result

    def update_project(self, project_id: int, **fields: Any) -> JSON:
        result: JSON = self._call("PATCH", f"/projects/{project_id}", json=fields)
        return result

    # --- items -------------------------------------------------------------------------
    def import_items(
        self,
        project_id: int,
        source: str | Path | Iterable[JSON],
        *,
        format: str | None = None,
        skip_invalid: bool = False,
    ) -> JSON:
        """Import a JSONL/JSON/CSV file, or an iterable of item dicts (sent as JSONL), streamed."""
        if isinstance(source, str | Path):
            path = Path(source)
            fmt = format or path.suffix.lstrip(".").lower()
            with path.open("rb") as handle:
                return self._upload(project_id, _file_chunks(handle), fmt, skip_invalid)
        return self._upload(project_id, _jsonl_chunks(source), "jsonl", skip_invalid)

    def _upload(self, project_id: int, body: Iterator[bytes], fmt: str, skip_invalid: bool) -> JSON:
        params = {"format": fmt, "skip_invalid": str(skip_invalid).lower()}
        result: JSON = self._call(
            "POST", f"/projects/{project_id}/imports", params=params, content=body
        )
        return result

    def upload_media(self, project_id: int, paths: Iterable[str | Path]) -> JSON:
        with ExitStack() as stack:
            files = [
                ("files", (Path(p).name, stack.enter_context(Path(p).open("rb")))) for p in paths
            ]
            result: JSON = self._call("POST", f"/projects/{project_id}/media", files=files)
            return result

    def iter_items(self, project_id: int, page_size: int = 500) -> Iterator[JSON]:
        after = 0
        while True:
            page = self._call(
                "GET", f"/projects/{project_id}/items", params={"after": after, "limit": page_size}
            )
            items = page["items"] if isinstance(page, dict) else page
            if not items:
                return
            yield from items
            after = items[-1]["id"]

    def get_item(self, item_id: int) -> JSON:
        result: JSON = self._call("GET", f"/items/{item_id}")
        return result

    # --- work --------------------------------------------------------------------------
    def next_assignment(self, project_id: int) -> JSON | None:
        """The next task leased to this worker, or None when the project has nothing left."""
        result = self._call("POST", f"/projects/{project_id}/assignments/next")
        if not result or result.get("assignment", result) is None:
            return None
        return dict(result)

    def return_assignment(self, assignment_id: int) -> JSON:
        result: JSON = self._call("POST", f"/assignments/{assignment_id}/return")
        return result

    def save_draft(self, assignment_id: int, answers: JSON, time_spent_ms: int = 0) -> JSON:
        result: JSON = self._call(
            "PUT",
            f"/assignments/{assignment_id}/draft",
            json={"answers": answers, "time_spent_ms": time_spent_ms},
        )
        return result

    def submit(self, assignment_id: int, answers: JSON, time_spent_ms: int = 0) -> JSON:
        result: JSON = self._call(
            "POST",
            f"/assignments/{assignment_id}/submit",
            json={"answers": answers, "time_spent_ms": time_spent_ms},
        )
        return result

    def revise(self, annotation_id: int, answers: JSON, time_spent_ms: int = 0) -> JSON:
        result: JSON = self._call(
            "POST",
            f"/annotations/{annotation_id}/revise",
            json={"answers": answers, "time_spent_ms": time_spent_ms},
        )
        return result

    # --- models and quality --------------------------------------------------------------
    def store_suggestions(self, project_id: int, suggestions: list[JSON]) -> JSON:
        """A model's answers ({item_id or external_id, question, answer, score, agent}),
        shown to workers pre-filled and marked as suggestions; all or none are stored."""
        result: JSON = self._call("POST", f"/projects/{project_id}/suggestions", json=suggestions)
        return result

    def set_gold(self, item_id: int, answers: JSON) -> JSON:
        """Make an item a hidden gold task with these known answers."""
        result: JSON = self._call("PUT", f"/items/{item_id}/gold", json={"answers": answers})
        return result

    def gold_accuracy(self, project_id: int) -> JSON:
        result: JSON = self._call("GET", f"/projects/{project_id}/gold/accuracy")
        return result

    def quality(self, project_id: int) -> JSON:
        """Agreement per question, per worker and per item, and confusion matrices."""
        result: JSON = self._call("GET", f"/projects/{project_id}/quality")
        return result

    def recompute_consensus(
        self, project_id: int, *, timeout: float = 3600.0, interval: float = 0.5, **params: Any
    ) -> JSON:
        """Recompute the project's consensus (`method`, `question` optional) and wait for
        the job: returns what was recomputed (methods, items, rows, reopened, seconds)."""
        job: JSON = self._call("POST", f"/projects/{project_id}/consensus", params=params)
        result: JSON = self.wait_for_job(job["id"], timeout=timeout, interval=interval)["result"]
        return result

    # --- model endpoints -------------------------------------------------------------------
    def list_model_endpoints(self, organization_id: int) -> list[JSON]:
        """The organization's OpenAI-compatible endpoints; a key shows only its last 4."""
        result: list[JSON] = self._call("GET", f"/organizations/{organization_id}/model-endpoints")
        return result

    def create_model_endpoint(
        self, organization_id: int, name: str, base_url: str, model: str, **fields: Any
    ) -> JSON:
        """Register an endpoint (api_key, sampling, max_concurrency, timeout_seconds,
        max_retries, currency and prices optional); the key is stored encrypted."""
        body = {"name": name, "base_url": base_url, "model": model, **fields}
        result: JSON = self._call(
            "POST", f"/organizations/{organization_id}/model-endpoints", json=body
        )
        return result

    def get_model_endpoint(self, endpoint_id: int) -> JSON:
        result: JSON = self._call("GET", f"/model-endpoints/{endpoint_id}")
        return result

    def update_model_endpoint(self, endpoint_id: int, **fields: Any) -> JSON:
        """The fields given replace the stored ones; api_key=None removes the key."""
        result: JSON = self._call("PATCH", f"/model-endpoints/{endpoint_id}", json=fields)
        return result

    def delete_model_endpoint(self, endpoint_id: int) -> None:
        """The endpoint goes; the record of its calls stays."""
        self._call("DELETE", f"/model-endpoints/{endpoint_id}")

    def test_model_endpoint(self, endpoint_id: int) -> JSON:
        """A one-token completion: `ok`, latency and time to first token, or the failure's
        code and message (a failing endpoint is an answer, not an ApiError)."""
        result: JSON = self._call("POST", f"/model-endpoints/{endpoint_id}/test")
        return result

    def model_usage(self, project_id: int) -> JSON:
        """The project's model calls, tokens and cost (by currency and per endpoint)."""
        result: JSON = self._call("GET", f"/projects/{project_id}/model-usage")
        return result

    # --- LLM judges ------------------------------------------------------------------------
    def create_judge(self, project_id: int, name: str, endpoint_id: int, **fields: Any) -> JSON:
        """A judge of the project's pairwise or rubric question (question, template, rubric,
        response_format, min_confidence optional; the shipped template by default)."""
        body = {"name": name, "endpoint_id": endpoint_id, **fields}
        result: JSON = self._call("POST", f"/projects/{project_id}/judges", json=body)
        return result

    def run_judge(self, judge_id: int, *, timeout: float = 3600.0, interval: float = 0.5) -> JSON:
        """Ask the judge for every verdict it lacks and wait for the job: returns the counts
        (ok, unparseable, failed), the errors, and how many items went to people."""
        job: JSON = self._call("POST", f"/judges/{judge_id}/runs")
        result: JSON = self.wait_for_job(job["id"], timeout=timeout, interval=interval)["result"]
        return result

    def judge_verdicts(self, judge_id: int, **params: Any) -> list[JSON]:
        """The judge's verdicts (`status`, `after`, `limit` optional), the reply as it came."""
        result: list[JSON] = self._call("GET", f"/judges/{judge_id}/verdicts", params=params)
        return result

    def judge_agreement(self, judge_id: int, **params: Any) -> JSON:
        """Cohen's kappa with people and its interval, swap consistency, flagged items."""
        result: JSON = self._call("GET", f"/judges/{judge_id}/agreement", params=params)
        return result

    def rubric_scores(self, project_id: int, **params: Any) -> JSON:
        """Per model and criterion, the mean score with its interval (`source` optional)."""
        result: JSON = self._call("GET", f"/projects/{project_id}/rubric-scores", params=params)
        return result

    def compare_versions(
        self, project_id: int, baseline: str, candidate: str, **params: Any
    ) -> JSON:
        """The candidate version's paired win rate over the baseline, overall and per category."""
        query = {"baseline": baseline, "candidate": candidate, **params}
        result: JSON = self._call("GET", f"/projects/{project_id}/versions", params=query)
        return result

    # --- chat turns ------------------------------------------------------------------------
    def chat_turn(
        self,
        assignment_id: int,
        question: str,
        turn: int,
        message: str | None = None,
        previous: JSON | None = None,
    ) -> Iterator[tuple[str, JSON]]:
        """Start (or regenerate) a turn of a chat task held by this worker: its server-sent
        events as (name, data) as they arrive: start, delta per piece of a candidate, done
        per candidate, then turn (stored), error (nothing stored, the lease extended) or
        stopped. `previous` is {chosen, rewrite} of the turn before. A refused request
        raises ApiError when the iteration starts, before any event."""
        body = {"turn": turn, "message": message, "previous": previous}
        url = f"/assignments/{assignment_id}/chat/{question}/turns"
        with self._http.stream("POST", url, json=body) as response:
            if response.status_code >= 400:
                response.read()
                raise ApiError(response.status_code, _json_or_empty(response))
            yield from _server_sent_events(response.iter_lines())

    def chat_turns(self, assignment_id: int, question: str) -> list[JSON]:
        """The turns stored so far: prompt, candidates (model, sampling, text), wait."""
        url = f"/assignments/{assignment_id}/chat/{question}/turns"
        result: list[JSON] = self._call("GET", url)
        return result

    def stop_chat_turn(self, assignment_id: int, question: str) -> bool:
        """Stop the generation running for this task; False when none was."""
        result = self._call("POST", f"/assignments/{assignment_id}/chat/{question}/stop")
        return bool(result["stopped"])

    # --- jobs ----------------------------------------------------------------------------
    def job(self, job_id: int) -> JSON:
        """A job's status, progress (`done` of `total`, `message`), result or error."""
        result: JSON = self._call("GET", f"/jobs/{job_id}")
        return result

    def jobs(self, project_id: int | None = None, limit: int = 20) -> list[JSON]:
        """Newest first: a project's jobs, or (without project_id) the ones you started."""
        params: JSON = {"limit": limit}
        if project_id is not None:
            params["project_id"] = project_id
        result: list[JSON] = self._call("GET", "/jobs", params=params)
        return result

    def wait_for_job(self, job_id: int, *, timeout: float = 3600.0, interval: float = 0.5) -> JSON:
        """Poll the job until it ends: returns it when it succeeded, raises JobFailed with
        its error when it failed, and TimeoutError when it is still at work after
        `timeout` seconds (it goes on running on the server)."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if job["status"] == "succeeded":
                return job
            if job["status"] == "failed":
                raise JobFailed(job)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(
                    f"job {job_id} is still {job['status']} after {timeout} s: {job['message']}"
                )
            time.sleep(min(interval, left))

    # --- pay -----------------------------------------------------------------------------
    def fund(self, project_id: int, amount_minor: int, currency: str = "USD") -> JSON:
        """Move money into the project's budget (escrow); work is published only when funded."""
        body = {"amount_minor": amount_minor, "currency": currency}
        result: JSON = self._call("POST", f"/projects/{project_id}/funding", json=body)
        return result

    def refund(self, project_id: int, amount_minor: int | None = None) -> JSON:
        """Return unused budget to the organization (all of it when no amount is given)."""
        body = {} if amount_minor is None else {"amount_minor": amount_minor}
        result: JSON = self._call("POST", f"/projects/{project_id}/refunds", json=body)
        return result

    def earnings(self) -> JSON:
        """This worker's pending, approved and paid totals, and the latest entries."""
        result: JSON = self._call("GET", "/me/earnings")
        return result

    # --- review --------------------------------------------------------------------------
    def next_review(self, project_id: int, stage: str = "review") -> JSON | None:
        """The next piece of work to judge at a stage, or None when nothing waits."""
        result = self._call("POST", f"/projects/{project_id}/reviews/next", params={"stage": stage})
        task: JSON | None = result.get("task")
        return task

    def give_verdict(self, assignment_id: int, verdict: str, **fields: Any) -> JSON:
        """accept; reject with reason_code and guideline_ref; or correct with answers."""
        body = {"verdict": verdict, **fields}
        result: JSON = self._call("POST", f"/assignments/{assignment_id}/verdict", json=body)
        return result

    def my_reviews(self) -> list[JSON]:
        """Every verdict on this worker's work, newest first, with its reason."""
        result: list[JSON] = self._call("GET", "/reviews/mine")
        return result

    # --- terms and governance --------------------------------------------------------------
    def terms(self) -> list[JSON]:
        """Every version of the platform terms, newest first, marked current or upcoming."""
        result: list[JSON] = self._call("GET", "/terms")
        return result

    def consultations(self) -> list[JSON]:
        """The consultations held with worker representatives, newest first."""
        result: list[JSON] = self._call("GET", "/governance/consultations")
        return result

    # --- export ------------------------------------------------------------------------
    def export(
        self,
        project_id: int,
        format: str,
        destination: str | Path | IO[bytes],
        *,
        aggregated: bool = False,
        split: str | None = None,
        seed: int | None = None,
        include_media: bool = False,
    ) -> int:
        """Stream an export to a path or binary file; returns the number of bytes written.
        aggregated: the consensus, one answer (or one box or polygon) each; split (yolo, voc:
        "train:0.8,val:0.2"), seed and include_media (coco, yolo, voc) as the API takes them."""
        params: dict[str, Any] = {"format": format}
        if aggregated:
            params["aggregated"] = "true"
        if include_media:
            params["include_media"] = "true"
        params |= {k: v for k, v in (("split", split), ("seed", seed)) if v is not None}
        with self._http.stream("GET", f"/projects/{project_id}/export", params=params) as response:
            if response.status_code >= 400:
                response.read()
                raise ApiError(response.status_code, _json_or_empty(response))
            if isinstance(destination, str | Path):
                with Path(destination).open("wb") as handle:
                    return _copy(response, handle)
            return _copy(response, destination)


def _server_sent_events(lines: Iterable[str]) -> Iterator[tuple[str, JSON]]:
    """(event, data) per event of a text/event-stream, its data parsed as JSON."""
    name, data = "message", list[str]()
    for line in lines:
        if not line:
            if data:
                yield name, orjson.loads("\n".join(data))
            name, data = "message", []
        elif line.startswith("event:"):
            name = line[len("event:") :].strip()
        elif line.startswith("data:"):
            data.append(line[len("data:") :].strip())
    if data:
        yield name, orjson.loads("\n".join(data))


def _copy(response: httpx.Response, handle: IO[bytes]) -> int:
    written = 0
    for chunk in response.iter_bytes(UPLOAD_CHUNK):
        handle.write(chunk)
        written += len(chunk)
    return written


def _file_chunks(handle: IO[bytes]) -> Iterator[bytes]:
    while chunk := handle.read(UPLOAD_CHUNK):
        yield chunk


def _jsonl_chunks(rows: Iterable[JSON]) -> Iterator[bytes]:
    buffer = bytearray()
    for row in rows:
        buffer += orjson.dumps(row) + b"\n"
        if len(buffer) >= UPLOAD_CHUNK:
            yield bytes(buffer)
            buffer.clear()
    if buffer:
        yield bytes(buffer)


def _json_or_empty(response: httpx.Response) -> JSON:
    try:
        body = response.json()
    except ValueError:
        return {"error": {"message": response.text[:500]}}
    return body if isinstance(body, dict) else {}
