"""Python's cycle collector paused while civpolicy builds many small objects that hold no cycles."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off while the block runs, then as it was (on or off).

    An evaluation allocates many small objects, and so does a decision's document; the
    native and compiled engines and the decision make no reference cycles, so reference
    counting frees all they drop, and the collector would only re-scan the growing
    workspace again and again (about a third of an evaluation's time, measured in
    docs/benchmarks.md). durable-rules' callbacks do make cycles (about 100,000 objects per
    county of 120 units); they are collected once the block is over.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
