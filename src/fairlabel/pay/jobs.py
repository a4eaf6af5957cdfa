"""The pay sweep in the background: every `pay_sweep_seconds`, pay past its review
deadline is approved, running projects are checked against the floors, and a payout is run
in each currency whose schedule (`payout_every_days`) has come round. One daemon
thread per app, started and stopped by the app's lifespan; its first run waits one period,
so a short-lived app (a test) never sees it unless it asks."""

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import NamedTuple

from fairlabel.config import Settings
from fairlabel.db import Database, utcnow
from fairlabel.pay import payouts, service, topups

log = logging.getLogger("fairlabel.pay")


class Swept(NamedTuple):
    approved: int
    raised: int
    payouts: int


def sweep(database: Database, settings: Settings, now: datetime | None = None) -> Swept:
    """One run, each part in its own transaction."""
    with database.session() as db:
        approved = service.approve_due(db, now)
    with database.session() as db:
        raised = topups.enforce_all(db)
    with database.session() as db:
        runs = payouts.run_scheduled(
            db,
            every_days=settings.payout_every_days,
            minimum=settings.payout_minimum_minor,
            now=now or utcnow(),
        )
    return Swept(approved, raised, len(runs))


@contextmanager
def sweeper(database: Database, settings: Settings) -> Iterator[None]:
    """Run the sweep in the background while the block runs; 0 seconds turns it off."""
    if settings.pay_sweep_seconds <= 0:
        yield
        return
    stop = threading.Event()
    thread = threading.Thread(target=_loop, args=(database, settings, stop), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


def _loop(database: Database, settings: Settings, stop: threading.Event) -> None:
    while not stop.wait(settings.pay_sweep_seconds):
        try:
            sweep(database, settings)
        except Exception:  # the next period tries again; the app must not die of it
            log.exception("pay sweep failed")
