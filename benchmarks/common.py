"""What the benchmarks share: the population, the engines that run here, the oracle, rows to compare.

The population of every benchmark is ``civpolicy.authoring.generated.generate_facts(seed,
units)``: valid facts under the shipped policy (quarterly or half-yearly and annual grades,
bulletins from March 2022, withholdings and rectifications), two years (2022 and 2023),
deterministic for a seed.
"""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import civpolicy
from civpolicy.authoring.generated import generate_facts

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "tests") not in sys.path:
    sys.path.append(str(REPO / "tests"))
oracle: Callable[[Mapping[str, Any]], list[dict[str, Any]]] = importlib.import_module("oracle").oracle

Row = dict[str, Any]


def population(seed: int, units: int) -> dict[str, Any]:
    """The facts of ``units`` generated units over two years, the same for the same seed."""
    return generate_facts(seed, units)


def fact_count(facts: Mapping[str, Any]) -> int:
    """Records in the document (units, evaluations, criticisms, withholdings, rectifications)."""
    return sum(len(items) for items in facts.values())


def consequences(decision: civpolicy.Decision) -> list[Row]:
    """A decision's consequences as the oracle has them: unit, kind, period, params."""
    return [
        {"unit": c.unit, "kind": c.kind, "period": c.period, "params": dict(c.params)} for c in decision.consequences
    ]


def engine_names() -> tuple[str, ...]:
    """The engines ``load_policy(engine=...)`` accepts (civpolicy.engine.registry.ENGINES)."""
    from civpolicy.engine.registry import ENGINES

    return tuple(ENGINES)


@functools.cache
def default_engine() -> str:
    """The engine ``load_policy()`` uses when none is named."""
    return str(civpolicy.load_policy().engine.name)


@functools.cache
def load_engines() -> tuple[tuple[str, civpolicy.Policy | None, str], ...]:
    """Each engine with the shipped policy loaded on it (once per process), or None and why it does not run here."""
    loaded: list[tuple[str, civpolicy.Policy | None, str]] = []
    for name in engine_names():
        try:
            loaded.append((name, civpolicy.load_policy(engine=name), ""))
        except ImportError as error:  # e.g. durable-rules on Python 3.13
            loaded.append((name, None, str(error) or type(error).__name__))
    return tuple(loaded)
