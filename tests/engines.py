"""The engines a test runs on: every engine of the registry that runs on this Python."""

from __future__ import annotations

from typing import Any

import pytest

from civpolicy.engine.durable import durable_available
from civpolicy.engine.registry import ENGINES as ALL_ENGINES

NEEDS_DURABLE = pytest.mark.skipif(not durable_available(), reason="durable-rules does not run on this Python")
RUNNABLE: tuple[str, ...] = tuple(name for name in ALL_ENGINES if name != "durable" or durable_available())
"""The engines this installation runs (durable-rules does not import on Python 3.13)."""
ENGINES: tuple[Any, ...] = tuple(
    pytest.param(name, marks=NEEDS_DURABLE) if name == "durable" else name for name in ALL_ENGINES
)
"""Every engine, for ``pytest.mark.parametrize``: durable skipped where it does not run."""
