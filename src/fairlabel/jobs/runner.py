"""How jobs run: a registry of job kinds, the `Runner` interface that jobs are handed to, and
the in-process runner of the embedded default (one daemon thread per app, fed by a queue).

A job function takes the Database (not a session: it opens its own short transactions),
the job's params and a `Progress`, and returns its result as plain JSON. A production
deployment can set `job_runner` to a runner that puts job ids on a real queue, whose
workers call `run_job(database, job_id)`: claiming, the heartbeat, progress, the result and
the failure sentence all live there, whichever process runs it."""

from __future__ import annotations

import importlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol, TypeVar, cast

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fairlabel.config import Settings
from fairlabel.db import Database, utcnow
from fairlabel.errors import FairlabelError
from fairlabel.models import Job, JobStatus
from fairlabel.webhooks import events as webhook_events

log = logging.getLogger("fairlabel.jobs")

#: Modules whose import registers the product's job kinds: the one place to add a module.
KIND_MODULES = (
    "fairlabel.quality.jobs",
    "fairlabel.evaluation.generation",
    "fairlabel.evaluation.judges",
    "fairlabel.assist.jobs",
)
#: A running job with no heartbeat for this many heartbeat periods was left by a dead server.
STALE_HEARTBEATS = 6
INTERRUPTED = "interrupted: the server stopped while it ran; start it again"
UNEXPECTED = (
    "It stopped on an unexpected error, which was logged for the operator of this server; "
    "start it again, and tell the operator if it fails again"
)


class Progress(Protocol):
    """What a job reports while it works: `done` of `total` (None: not known yet) and a
    sentence for people on what it is doing now."""

    def update(self, done: int, total: int | None = None, message: str | None = None) -> None: ...


class NoProgress:
    """For work run inside someone else's transaction (a test, a one-off call)."""

    def update(self, done: int, total: int | None = None, message: str | None = None) -> None:
        return None


JobFunction = Callable[[Database, dict[str, Any], Progress], dict[str, Any] | None]
F = TypeVar("F", bound=JobFunction)


class Link(NamedTuple):
    href: str
    text: str


@dataclass(frozen=True, slots=True)
class JobKind:
    """A registered kind of job: its function, its name in words, how its result reads,
    and where a person goes next (a project's page)."""

    name: str
    title: str
    run: JobFunction
    summary: Callable[[dict[str, Any]], str]
    link: Callable[[Job], Link | None]


_KINDS: dict[str, JobKind] = {}


def register(
    name: str,
    *,
    title: str,
    summary: Callable[[dict[str, Any]], str] | None = None,
    link: Callable[[Job], Link | None] | None = None,
) -> Callable[[F], F]:
    """Register the decorated function as the job kind `name`."""

    def decorate(function: F) -> F:
        _KINDS[name] = JobKind(
            name, title, function, summary or _plain_summary, link or (lambda _job: None)
        )
        return function

    return decorate


def _plain_summary(result: dict[str, Any]) -> str:
    return "; ".join(f"{key.replace('_', ' ')}: {value}" for key, value in result.items())


def get_kind(name: str) -> JobKind | None:
    """The registered kind, or None for a name no module registers (any more)."""
    if name not in _KINDS:
        for module in KIND_MODULES:
            importlib.import_module(module)
    return _KINDS.get(name)


#: The pause after each batch transaction of a long job (see batch_transaction).
BATCH_PAUSE_SECONDS = 0.005


@contextmanager
def batch_transaction(database: Database) -> Iterator[Session]:
    """A write transaction for one batch of a long job, then a pause of a few milliseconds:
    on SQLite every write of the process goes through one connection, and without the pause
    the job's thread takes it straight back for its next batch, ahead of the submissions
    already waiting for it."""
    with database.session() as db:
        yield db
    time.sleep(BATCH_PAUSE_SECONDS)


# --- running one job ----------------------------------------------------------------------


class JobProgress:
    """Progress written to the job's row, each write a short transaction of its own, at most
    once every `every` seconds; the runner records the latest (`final`) when the job ends."""

    def __init__(self, database: Database, job_id: int, every: float) -> None:
        self.database = database
        self.job_id = job_id
        self.every = every
        self.done = 0
        self.total: int | None = None
        self.message = ""
        self._written_at = -float("inf")

    def update(self, done: int, total: int | None = None, message: str | None = None) -> None:
        self.done, self.total = done, total
        if message is not None:
            self.message = message
        now = time.monotonic()
        if now - self._written_at < self.every:
            return
        self._written_at = now
        try:
            with self.database.session() as db:
                db.execute(
                    _running(self.job_id).values(
                        done=self.done,
                        total=self.total,
                        message=self.message,
                        heartbeat_at=utcnow(),
                    )
                )
        except Exception:  # progress is for people watching; the work goes on without it
            log.warning("could not record the progress of job %s", self.job_id, exc_info=True)

    def final(self) -> dict[str, Any]:
        return {"done": self.done, "total": self.total, "message": self.message}


def _running(job_id: int) -> Any:
    return update(Job).where(Job.id == job_id, Job.status == JobStatus.running)


def run_job(database: Database, job_id: int) -> None:
    """Claim a queued job, run it with progress and a heartbeat, and record how it ended.
    A job another runner claimed already, or that is gone, is left alone."""
    settings = database.settings
    with database.session() as db:
        now = utcnow()
        claimed = db.connection().execute(
            update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.queued)
            .values(status=JobStatus.running, started_at=now, heartbeat_at=now)
        )
        job = db.get(Job, job_id) if claimed.rowcount == 1 else None
        kind_name, params = (job.kind, dict(job.params)) if job is not None else ("", {})
    if job is None:
        return
    progress = JobProgress(database, job_id, settings.job_progress_seconds)
    kind = get_kind(kind_name)
    outcome: dict[str, Any]
    try:
        if kind is None:
            raise FairlabelError(f"this server has no job kind {kind_name!r}")
        with _heartbeat(database, job_id, settings.job_heartbeat_seconds):
            result = kind.run(database, params, progress)
        outcome = {"status": JobStatus.succeeded, "result": result or {}}
    except FairlabelError as exc:
        log.info("job %s (%s) refused: %s", job_id, kind_name, exc.message)
        outcome = {"status": JobStatus.failed, "error": _sentence(exc)}
    except Exception:
        log.exception("job %s (%s) failed", job_id, kind_name)
        outcome = {"status": JobStatus.failed, "error": UNEXPECTED}
    with database.session() as db:
        now = utcnow()
        ended = db.connection().execute(
            _running(job_id).values(
                **progress.final(), **outcome, finished_at=now, heartbeat_at=now
            )
        )
    if ended.rowcount != 1:
        log.warning("job %s was marked failed or deleted before it ended: outcome lost", job_id)
        return
    _announce(database, job_id, kind.title if kind is not None else kind_name)


def _announce(database: Database, job_id: int, title: str) -> None:
    """The job.finished webhook event; the job's outcome stands whatever becomes of it."""
    try:
        webhook_events.job_finished(database, job_id, title)
    except Exception:
        log.exception("could not record the webhook event of job %s", job_id)


def _sentence(error: FairlabelError) -> str:
    expected = f"; expected {error.expected}" if error.expected else ""
    return f"{error.message}{expected}"


@contextmanager
def _heartbeat(database: Database, job_id: int, seconds: float) -> Iterator[None]:
    """Renew the job's heartbeat every `seconds` while the block runs, from a thread of its
    own: a job may compute for minutes between two progress reports."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(seconds):
            try:
                with database.session() as db:
                    db.execute(_running(job_id).values(heartbeat_at=utcnow()))
            except Exception:
                log.warning("could not renew the heartbeat of job %s", job_id, exc_info=True)

    thread = threading.Thread(target=beat, name=f"fairlabel-job-{job_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=seconds + 5)


# --- recovery -----------------------------------------------------------------------------


def fail_interrupted(database: Database, now: datetime | None = None) -> list[int]:
    """Running jobs whose heartbeat stopped (their server died) become failed, saying so."""
    seconds = database.settings.job_heartbeat_seconds * STALE_HEARTBEATS
    cutoff = (now or utcnow()) - timedelta(seconds=seconds)
    stale = (Job.status == JobStatus.running) & (
        Job.heartbeat_at.is_(None) | (Job.heartbeat_at < cutoff)
    )
    with database.session(write=False) as db:
        if not db.scalars(select(Job.id).where(stale).limit(1)).first():
            return []  # the usual answer costs a read, not the write lock
    with database.session() as db:
        ids = list(db.scalars(select(Job.id).where(stale)))
        if ids:
            db.execute(
                update(Job)
                .where(Job.id.in_(ids), stale)
                .values(status=JobStatus.failed, error=INTERRUPTED, finished_at=utcnow())
            )
    if ids:
        log.warning("jobs interrupted by a server that stopped: %s", ids)
    return ids


def queued_jobs(database: Database) -> list[int]:
    with database.session(write=False) as db:
        query = select(Job.id).where(Job.status == JobStatus.queued).order_by(Job.id)
        return list(db.scalars(query))


def recover(database: Database, runner: Runner) -> None:
    """On start: fail what a dead server left running, and hand queued jobs to the runner
    (claiming is atomic, so a job two servers both submit still runs once)."""
    fail_interrupted(database)
    for job_id in queued_jobs(database):
        runner.submit(job_id)


# --- runners ------------------------------------------------------------------------------


class Runner(Protocol):
    """Where jobs go to run once the transaction that created them has committed. The app's
    lifespan calls `start` (which may recover what a stopped server left) and `stop`."""

    def submit(self, job_id: int) -> None: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


class InProcessRunner:
    """One daemon worker thread per app, started by the lifespan or by the first submit,
    running one job at a time in submission order. While idle it looks for jobs that a dead
    server left running. Stopping lets the current job finish in the background; jobs still
    queued stay queued in the database and run after the next start."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._lock = threading.Lock()
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        try:
            recover(self.database, self)
        except Exception:  # the server serves without it; the idle sweep tries again
            log.exception("could not recover the jobs a stopped server left")
        self._ensure_thread()

    def submit(self, job_id: int) -> None:
        with self._lock:
            self._queue.put(job_id)
        self._ensure_thread()

    def stop(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
            self._stop.set()
            self._queue.put(None)  # wakes the thread if it waits for work
            self._queue, self._stop = queue.Queue(), threading.Event()
        if thread is not None:
            thread.join(timeout=2)

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(
                target=self._work,
                args=(self._queue, self._stop),
                name="fairlabel-jobs",
                daemon=True,
            )
            self._thread.start()

    def _work(self, jobs: queue.Queue[int | None], stop: threading.Event) -> None:
        idle = self.database.settings.job_heartbeat_seconds
        while not stop.is_set():
            try:
                job_id = jobs.get(timeout=idle)
            except queue.Empty:
                self._sweep()
                continue
            if job_id is None or stop.is_set():
                return
            try:
                run_job(self.database, job_id)
            except Exception:  # the database went away mid-job: the next job tries again
                log.exception("job %s could not be run", job_id)

    def _sweep(self) -> None:
        try:
            fail_interrupted(self.database)
        except Exception:
            log.exception("looking for interrupted jobs failed")


def make_runner(database: Database, settings: Settings) -> Runner:
    """The runner `settings.job_runner` names."""
    if settings.job_runner == "in-process":
        return InProcessRunner(database)
    module_name, _, attribute = settings.job_runner.partition(":")
    factory = getattr(importlib.import_module(module_name), attribute)
    return cast(Runner, factory(database, settings))
