"""A slow upload must not hold up the workers: on SQLite the body is received before the
import takes the database's one write lock, so labelling goes on meanwhile."""

import threading
import time
from collections.abc import Iterator

import httpx
import orjson

from tests.factories import Factory
from tests.queue.helpers import setup_project

UPLOAD_SECONDS = 3.0


def _slow_body(rows: int) -> Iterator[bytes]:
    """A JSONL body that arrives over UPLOAD_SECONDS, like one from a slow connection."""
    for n in range(rows):
        yield orjson.dumps({"external_id": f"slow-{n}", "text": f"row {n}"}) + b"\n"
        time.sleep(UPLOAD_SECONDS / rows)


def test_workers_label_while_a_slow_import_uploads(factory: Factory, live_server: str) -> None:
    owner, project, _ids = setup_project(factory, items=3)
    worker = factory.worker()
    url = f"{live_server}/api/projects/{project['id']}"
    result: dict[str, object] = {}

    def upload() -> None:
        with httpx.Client(headers=owner.headers, timeout=30) as client:
            response = client.post(
                f"{url}/imports", params={"format": "jsonl"}, content=_slow_body(30)
            )
            result["status"], result["done_at"] = response.status_code, time.monotonic()

    uploader = threading.Thread(target=upload)
    uploader.start()
    time.sleep(0.5)  # the upload is under way
    with httpx.Client(headers=worker.headers, timeout=30) as client:
        started = time.monotonic()
        assignment = client.post(f"{url}/assignments/next").json()["assignment"]
        submitted = client.post(
            f"{live_server}/api/assignments/{assignment['id']}/submit",
            json={"answers": {"sentiment": "positive"}, "time_spent_ms": 10},
        )
        labelled_at = time.monotonic()
    uploader.join()
    assert submitted.status_code == 201, submitted.text
    assert result["status"] == 201
    assert labelled_at - started < 1.5, "the worker waited for the upload"
    assert labelled_at < result["done_at"], "the upload finished before the worker could label"
