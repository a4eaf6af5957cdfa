"""A small discrete-event scheduler for the demo's history: each process is a generator that
takes one step through the services and yields how long until its next; steps run in time
order, each at its moment on the simulated clock, so that time only ever moves forward."""

import heapq
import itertools
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from fairlabel.db import SimulatedClock

Process = Iterator[timedelta]


class Scheduler:
    def __init__(self, clock: SimulatedClock) -> None:
        self.clock = clock
        self._queue: list[tuple[datetime, int, Process]] = []
        self._order = itertools.count()  # same moment: first scheduled, first run

    def start(self, at: datetime, process: Process) -> None:
        """Run the process's first step at `at` (not before the clock's now)."""
        heapq.heappush(self._queue, (max(at, self.clock.now), next(self._order), process))

    def once(self, at: datetime, action: Callable[[], None]) -> None:
        """A process of one step."""

        def step() -> Process:
            action()
            yield from ()

        self.start(at, step())

    def run(self, until: datetime) -> None:
        """Every step due by `until`; processes with steps left after it are dropped."""
        while self._queue and self._queue[0][0] <= until:
            at, _order, process = heapq.heappop(self._queue)
            self.clock.advance_to(at)
            delay = next(process, None)
            if delay is not None:
                self.start(at + delay, process)
        self._queue.clear()
        self.clock.advance_to(max(until, self.clock.now))
