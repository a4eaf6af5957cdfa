"""Job kinds for the tests only, registered when a test module imports this one: a job that
waits at a gate the test opens, one that fails, one that refuses its input, a quick one."""

import threading
from typing import Any

from fairlabel.db import Database
from fairlabel.errors import ValidationFailed
from fairlabel.jobs.runner import Link, Progress, register
from fairlabel.models import Job

#: How long a gated job waits for its test before giving up.
GATE_SECONDS = 30


class Gate:
    """Lets a test hold a job mid-run, look at it, then let it finish."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.opened = threading.Event()

    def reset(self) -> None:
        self.reached.clear()
        self.opened.clear()


GATE = Gate()


def _project_page(job: Job) -> Link | None:
    return Link(f"/projects/{job.project_id}", "the project") if job.project_id else None


@register(
    "test_gate",
    title="Gated test job",
    summary=lambda result: f"Passed the gate {result['passed']} time.",
    link=_project_page,
)
def gated(_database: Database, _params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    progress.update(1, 4, "Waiting at the gate")
    GATE.reached.set()
    if not GATE.opened.wait(GATE_SECONDS):
        raise RuntimeError("the test never opened the gate")
    progress.update(4, 4, "Through the gate")
    return {"passed": 1}


@register("test_crash", title="Crashing test job", link=_project_page)
def crashing(_database: Database, _params: dict[str, Any], progress: Progress) -> None:
    progress.update(2, 5, "About to crash")
    raise RuntimeError("secret internal detail: SELECT * FROM users")


@register("test_refuse", title="Refusing test job")
def refusing(_database: Database, params: dict[str, Any], _progress: Progress) -> None:
    raise ValidationFailed(
        "the count must be even", field="count", value=params.get("count"), expected="2, 4, …"
    )


@register("test_echo", title="Echoing test job")
def echoing(_database: Database, params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    progress.update(1, 1, "Echoed")
    return {"echo": params}
