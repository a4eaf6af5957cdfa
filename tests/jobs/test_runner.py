"""The in-process runner through the real API: progress visible while a job runs, a failure
as a sentence for people (the traceback only in the log), a refusal with its reason, and
what a restarting server does with the jobs a stopped one left behind."""

import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from fairlabel.db import utcnow
from fairlabel.jobs import runner as runners
from fairlabel.jobs import service as jobs_service
from fairlabel.models import Job
from tests.factories import Account, Factory
from tests.jobs.helpers import wait_for_job
from tests.jobs.kinds import GATE

WAIT_SECONDS = 30


@pytest.fixture
def gate() -> Iterator[None]:
    GATE.reset()
    yield
    GATE.opened.set()  # never leave the runner's thread stuck behind a failed test


def start(factory: Factory, kind: str, account: Account, **params: Any) -> int:
    """Create a job as a request would: submitted to the app's runner once committed."""
    runner = factory.client.app.state.runner  # type: ignore[attr-defined]
    with factory.database.session() as db:
        job = jobs_service.create(db, runner, kind, params, created_by_id=account.user_id)
        return job.id


@pytest.mark.usefixtures("gate")
def test_progress_is_visible_while_the_job_runs(factory: Factory) -> None:
    owner = factory.user()
    job_id = start(factory, "test_gate", owner)
    assert GATE.reached.wait(WAIT_SECONDS), "the job never started"
    running = wait_for_job(owner, job_id, until=("running",))
    assert (running["done"], running["total"], running["message"]) == (
        1,
        4,
        "Waiting at the gate",
    )
    assert running["title"] == "Gated test job"
    assert running["started_at"] is not None and running["finished_at"] is None
    GATE.opened.set()
    done = wait_for_job(owner, job_id)
    assert done["status"] == "succeeded", done
    assert done["result"] == {"passed": 1} and done["error"] is None
    # the last progress is written at the end even when it came sooner than the interval
    assert (done["done"], done["total"], done["message"]) == (4, 4, "Through the gate")
    assert done["finished_at"] >= done["started_at"]


def test_a_crash_fails_the_job_with_a_sentence(
    factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    owner = factory.user()
    with caplog.at_level(logging.ERROR, logger="fairlabel.jobs"):
        failed = wait_for_job(owner, start(factory, "test_crash", owner))
    assert failed["status"] == "failed" and failed["result"] is None
    assert failed["error"] == runners.UNEXPECTED
    assert "secret" not in failed["error"] and "Traceback" not in failed["error"]
    assert (failed["done"], failed["total"], failed["message"]) == (2, 5, "About to crash")
    logged = [r for r in caplog.records if r.name == "fairlabel.jobs" and r.exc_info]
    assert logged and "secret internal detail" in str(logged[0].exc_info[1])  # type: ignore[index]


def test_a_refusal_says_what_was_expected(factory: Factory) -> None:
    owner = factory.user()
    failed = wait_for_job(owner, start(factory, "test_refuse", owner, count=3))
    assert failed["status"] == "failed"
    assert failed["error"] == "the count must be even; expected 2, 4, …"


def test_a_job_of_an_unknown_kind_fails_plainly(factory: Factory) -> None:
    owner = factory.user()
    failed = wait_for_job(owner, start(factory, "retired_kind", owner))
    assert failed["status"] == "failed" and "no job kind 'retired_kind'" in failed["error"]
    assert failed["title"] == "Retired kind"


def test_a_job_is_submitted_only_when_its_transaction_commits(factory: Factory) -> None:
    owner = factory.user()
    runner = factory.client.app.state.runner  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError), factory.database.session() as db:
        jobs_service.create(db, runner, "test_echo", {}, created_by_id=owner.user_id)
        raise RuntimeError("the request failed after creating the job")
    with factory.database.session(write=False) as db:
        assert db.scalars(select(Job)).all() == []
    echoed = wait_for_job(owner, start(factory, "test_echo", owner, n=1))
    assert echoed["result"] == {"echo": {"n": 1}}


def test_a_restart_fails_interrupted_jobs_and_runs_queued_ones(
    factory: Factory, app: FastAPI
) -> None:
    owner = factory.user()
    now, long_ago = utcnow(), utcnow() - timedelta(hours=1)
    with factory.database.session() as db:
        crashed = Job(
            kind="test_echo",
            status="running",
            created_by_id=owner.user_id,
            started_at=long_ago,
            heartbeat_at=long_ago,
            done=3,
            total=10,
            message="Writing rows",
        )
        elsewhere = Job(
            kind="test_echo",
            status="running",
            created_by_id=owner.user_id,
            started_at=now,
            heartbeat_at=now,
        )
        waiting = Job(
            kind="test_echo", status="queued", created_by_id=owner.user_id, params={"n": 2}
        )
        db.add_all([crashed, elsewhere, waiting])
        db.flush()
        ids = crashed.id, elsewhere.id, waiting.id
    with TestClient(app):  # a server starting
        resumed = wait_for_job(owner, ids[2])
    assert resumed["status"] == "succeeded" and resumed["result"] == {"echo": {"n": 2}}
    interrupted = owner.get(f"/api/jobs/{ids[0]}").json()
    assert interrupted["status"] == "failed"
    assert interrupted["error"] == "interrupted: the server stopped while it ran; start it again"
    assert interrupted["finished_at"] is not None and interrupted["done"] == 3
    # a fresh heartbeat: another server process is still running it
    assert owner.get(f"/api/jobs/{ids[1]}").json()["status"] == "running"


def test_two_runners_run_a_job_once(factory: Factory) -> None:
    """Claiming is atomic: a job submitted to two runners (two server processes recovering
    the same queued job) runs once; the second finds it claimed and leaves it."""
    owner = factory.user()
    with factory.database.session() as db:
        job = Job(kind="test_echo", status="queued", created_by_id=owner.user_id)
        db.add(job)
        db.flush()
        job_id = job.id
    runners.run_job(factory.database, job_id)
    first = owner.get(f"/api/jobs/{job_id}").json()
    runners.run_job(factory.database, job_id)
    assert owner.get(f"/api/jobs/{job_id}").json() == first
    assert first["status"] == "succeeded"
