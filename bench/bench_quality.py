"""Quality maths on simulated crowds, ours beside the peers on the same data:
(a) Dawid-Skene on 1,000,000 labels (250k items, 1,000 workers, 5 classes) and crowd-kit's
DawidSkene once, with both accuracies against the simulated truth; (b) Krippendorff's alpha on
1,000,000 values beside the `krippendorff` package; (c) Bradley-Terry on 1,000,000 comparisons
among 50 candidates. Medians of --repeat runs; peak memory of one more run under tracemalloc.

    PYTHONPATH=. .venv/bin/python bench/bench_quality.py [--repeat 5] [--no-crowd-kit]

Targets (issue 4): Dawid-Skene <= 1 s; alpha <= 0.2 s; Bradley-Terry <= 0.2 s."""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from typing import Any

import krippendorff
import numpy as np
import pandas as pd

from bench.common import median
from fairlabel.quality.aggregation import bradley_terry, dawid_skene
from fairlabel.quality.agreement import Level, krippendorff_alpha
from tests.quality.simulate import comparisons, crowd, ratings

LEVELS: tuple[Level, ...] = ("nominal", "ordinal", "interval")


def timed(run: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Median wall-clock and median CPU seconds of `repeat` runs, and the last result: on
    the shared machine the CPU time is the steadier figure."""
    wall, cpu, result = [], [], None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = run()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return median(wall), median(cpu), result


def peak_mb(run: Callable[[], Any]) -> float:
    """Peak of memory allocated during one run (NumPy and SciPy arrays report to tracemalloc)."""
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def bench_dawid_skene(repeat: int, with_crowd_kit: bool) -> None:
    data = crowd(250_000, 1000, 5, per_item=4, seed=0)
    args = (data.items, data.workers, data.labels, data.n_items, data.n_workers, data.n_classes)
    seconds, cpu, result = timed(lambda: dawid_skene(*args), repeat)
    accuracy = (result.labels == data.truth).mean()
    print(
        f"Dawid-Skene, 1,000,000 labels: {seconds:.3f} s median of {repeat} (CPU {cpu:.3f} s) "
        f"({result.n_iter} iterations, accuracy {accuracy:.4f}, "
        f"peak {peak_mb(lambda: dawid_skene(*args)):.0f} MB) - target <= 1 s"
    )
    if not with_crowd_kit:
        return
    from crowdkit.aggregation import DawidSkene

    frame = pd.DataFrame({"task": data.items, "worker": data.workers, "label": data.labels})
    start, start_cpu = time.perf_counter(), time.process_time()
    peer = DawidSkene(n_iter=100, tol=1e-5).fit(frame)
    peer_seconds, peer_cpu = time.perf_counter() - start, time.process_time() - start_cpu
    assert peer.labels_ is not None
    labels = peer.labels_.reindex(range(data.n_items)).to_numpy().astype(int)
    print(
        f"  crowd-kit DawidSkene, same data: {peer_seconds:.2f} s (CPU {peer_cpu:.2f} s), once "
        f"({len(peer.loss_history_)} iterations, accuracy {(labels == data.truth).mean():.4f}, "
        f"same label as ours on {(labels == result.labels).mean():.2%} of items)"
    )


def bench_alpha(repeat: int) -> None:
    units, coders, values = ratings(250_000, 1000, per_unit=4, seed=0)
    counts = np.zeros((250_000, 5))
    np.add.at(counts, (units, values), 1)  # the package's (units x values) input, not timed
    for level in LEVELS:
        ours_run = partial(krippendorff_alpha, units, coders, values, level)
        peer_run = partial(krippendorff.alpha, value_counts=counts, level_of_measurement=level)
        seconds, cpu, ours = timed(ours_run, repeat)
        peer_seconds, peer_cpu, peer = timed(peer_run, repeat)
        memory = peak_mb(ours_run)
        print(
            f"Krippendorff's alpha ({level}), 1,000,000 values: {seconds:.3f} s median of "
            f"{repeat} (CPU {cpu:.3f} s, alpha {ours:.6f}, peak {memory:.0f} MB) - target "
            f"<= 0.2 s; krippendorff package from ready value counts {peer_seconds:.3f} s "
            f"(CPU {peer_cpu:.3f} s, alpha {peer:.6f})"
        )


def bench_bradley_terry(repeat: int) -> None:
    winners, losers, strengths = comparisons(1_000_000, 50, seed=0)
    seconds, cpu, result = timed(lambda: bradley_terry(winners, losers, 50), repeat)
    error = np.abs(np.log(result.scores) - np.log(strengths)).max()
    memory = peak_mb(lambda: bradley_terry(winners, losers, 50))
    print(
        f"Bradley-Terry, 1,000,000 comparisons, 50 candidates: {seconds:.4f} s median of "
        f"{repeat} (CPU {cpu:.4f} s, {result.n_iter} MM iterations, max |log-score error| "
        f"{error:.3f}, peak {memory:.0f} MB) - target <= 0.2 s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-crowd-kit", action="store_true", help="skip the ~10 s peer run")
    options = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    bench_dawid_skene(options.repeat, not options.no_crowd_kit)
    bench_alpha(options.repeat)
    bench_bradley_terry(options.repeat)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
