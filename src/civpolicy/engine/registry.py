"""Engines that run a compiled policy over one unit's facts.

An engine decides which rule fires with which facts; the workspace
(:mod:`civpolicy.engine.workspace`) does the rest. ``durable`` runs the rules in durable-rules'
Rete network; ``native`` is a pure-Python forward chainer with the same results, the
reference interpreter; ``compiled`` runs the native engine's plans as generated Python.
"""

from __future__ import annotations

from typing import Protocol

from civpolicy.engine.plans import Plans
from civpolicy.engine.workspace import Workspace
from civpolicy.errors import CivpolicyError
from civpolicy.facts.items import Fact

ENGINES = ("compiled", "durable", "native")
"""The engine names ``load_policy(engine=...)`` and ``--engine`` accept."""


class Engine(Protocol):
    """Runs a compiled policy over one unit's facts."""

    name: str
    session: str
    """What one run holds: ``unit`` (each unit's facts apart) or ``document`` (all of them)."""

    def run(self, facts: tuple[Fact, ...]) -> Workspace:
        """Every derived fact and firing for these facts."""
        ...

    def close(self) -> None:
        """Release what the engine holds."""
        ...


class EngineUnavailableError(CivpolicyError, ImportError):
    """The requested engine cannot run on this installation."""


def make_engine(name: str, plans: Plans) -> Engine:
    """The engine called ``name`` for a compiled policy."""
    if name == "durable":
        from civpolicy.engine.durable import DurableEngine, durable_available

        if not durable_available():
            raise EngineUnavailableError("the durable engine needs durable-rules, which is not installed here")
        return DurableEngine(plans)
    if name == "native":
        from civpolicy.engine.native import NativeEngine

        return NativeEngine(plans)
    if name == "compiled":
        from civpolicy.engine.compiled import CompiledEngine

        return CompiledEngine(plans)
    raise CivpolicyError(f"no engine {name!r}; choose one of {', '.join(ENGINES)}")
