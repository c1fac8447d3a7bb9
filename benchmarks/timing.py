"""One way to time anything in process, used by every benchmark that compares two computations.

``best_of(work, n)`` runs ``work()`` ``n`` times and keeps the fastest run: before each run
the previous result is dropped and a full collection is made (``gc.collect()``), and the
cycle collector is off while the run goes (restored after, as it was). Both sides of a
ratio are timed by this helper in the same process, so neither pays for the other's
garbage, nor for a collection the other was spared (``Policy.evaluate`` pauses the
collector on its own; here the plain computation gets the same).
"""

from __future__ import annotations

import gc
import os
import platform
import sys
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

DEFAULT_RUNS = 3


def timed(work: Callable[[], T]) -> tuple[float, T]:
    """One call of ``work``: a full collection first, the cycle collector off while it runs."""
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        started = time.perf_counter()
        result = work()
        seconds = time.perf_counter() - started
    finally:
        if enabled:
            gc.enable()
    return seconds, result


def best_of(work: Callable[[], T], runs: int = DEFAULT_RUNS) -> tuple[float, T]:
    """The fastest of ``runs`` calls of ``work`` timed by :func:`timed` (seconds), and the last result."""
    if runs < 1:
        raise ValueError(f"runs must be at least 1 (got {runs})")
    best, result = timed(work)
    for _ in range(runs - 1):
        del result  # the previous result is freed before the next collection, untimed
        seconds, result = timed(work)
        best = min(best, seconds)
    return best, result


def machine() -> str:
    """One line: Python, platform, cores and the load averages (1, 5, 15 minutes) now."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"Python {platform.python_version()} ({platform.python_implementation()}, {sys.platform}), "
        f"{os.cpu_count()} cores, load average {load}"
    )
