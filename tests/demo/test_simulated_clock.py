"""The one clock the services read: real time by default; inside `simulated_time`, the
simulation's clock, in that context only (a thread beside it keeps the real time), and
only ever moving forward."""

import threading
from datetime import UTC, datetime, timedelta

import pytest

from fairlabel.db import SimulatedClock, simulated_time, utcnow

MONTH_AGO = datetime.now(UTC) - timedelta(days=30)


def test_services_read_the_simulated_time_inside_the_block_only() -> None:
    clock = SimulatedClock(MONTH_AGO)
    seen_by_thread: list[datetime] = []
    with simulated_time(clock):
        assert utcnow() == MONTH_AGO
        clock.advance(timedelta(hours=3))
        assert utcnow() == MONTH_AGO + timedelta(hours=3)
        beside = threading.Thread(target=lambda: seen_by_thread.append(utcnow()))
        beside.start()
        beside.join()
    assert seen_by_thread[0] - MONTH_AGO > timedelta(days=29)
    assert utcnow() - MONTH_AGO > timedelta(days=29)


def test_the_clock_moves_only_forward_and_in_utc() -> None:
    clock = SimulatedClock(MONTH_AGO)
    with pytest.raises(ValueError, match="cannot go back"):
        clock.advance_to(MONTH_AGO - timedelta(seconds=1))
    with pytest.raises(ValueError, match="cannot go back"):
        clock.advance(timedelta(seconds=-1))
    assert clock.now == MONTH_AGO
    with pytest.raises(ValueError, match="naive"):
        SimulatedClock(datetime(2026, 1, 1))
