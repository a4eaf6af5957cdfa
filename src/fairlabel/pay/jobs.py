"""The pay sweep in the background: every `pay_sweep_seconds`, pay past its review
deadline is approved and running projects are checked against the floors. One daemon
thread per app, started and stopped by the app's lifespan; its first run waits one period,
so a short-lived app (a test) never sees it unless it asks."""

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from fairlabel.config import Settings
from fairlabel.db import Database
from fairlabel.pay import service, topups

log = logging.getLogger("fairlabel.pay")


def sweep(database: Database) -> tuple[int, int]:
    """One run, each part in its own transaction: (assignments approved, projects raised)."""
    with database.session() as db:
        approved = service.approve_due(db)
    with database.session() as db:
        raised = topups.enforce_all(db)
    return approved, raised


@contextmanager
def sweeper(database: Database, settings: Settings) -> Iterator[None]:
    """Run the sweep in the background while the block runs; 0 seconds turns it off."""
    if settings.pay_sweep_seconds <= 0:
        yield
        return
    stop = threading.Event()
    thread = threading.Thread(
        target=_loop, args=(database, settings.pay_sweep_seconds, stop), daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


def _loop(database: Database, seconds: int, stop: threading.Event) -> None:
    while not stop.wait(seconds):
        try:
            sweep(database)
        except Exception:  # the next period tries again; the app must not die of it
            log.exception("pay sweep failed")
