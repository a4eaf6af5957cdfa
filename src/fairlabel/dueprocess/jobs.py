"""The due-process sweep as a small in-process background job: every few minutes it decides
overdue appeals for their workers, applies deactivations that took effect and ends projects
whose notice ran out. Reads settle overdue appeals lazily too, so a deployment that runs
the sweep elsewhere (`fairlabel appeals decide-due` from cron) can turn this off."""

import asyncio
import logging

from fastapi.concurrency import run_in_threadpool

from fairlabel.db import Database
from fairlabel.dueprocess import service

log = logging.getLogger("fairlabel.dueprocess")


def run_sweep(database: Database) -> dict[str, int]:
    """One sweep in a transaction of its own."""
    with database.session() as db:
        return service.sweep(db)


def start(database: Database, seconds: int) -> "asyncio.Task[None] | None":
    """The job, first run one interval after start-up; None when turned off (0)."""
    if seconds <= 0:
        return None
    return asyncio.create_task(_every(database, seconds))


async def _every(database: Database, seconds: int) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            done = await run_in_threadpool(run_sweep, database)
        except Exception:  # the next run tries again; a failure must not end the job
            log.exception("due-process sweep failed")
            continue
        if any(done.values()):
            log.info("due-process sweep: %s", done)
