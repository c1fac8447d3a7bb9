"""A pure-Python forward chainer: stratified and semi-naive, with hashed join memories.

Per stratum, aggregates run first (over the complete lower strata), then the rules run
in rounds: the first round joins every fact, each later round only the combinations
that contain at least one fact new in the round before (each fact has a serial
number; a combination is enumerated in the round of its newest fact, once). Facts of
each pattern are kept in a memory hashed by the pattern's join key, so a join is a
dictionary look-up, not a scan.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from civpolicy.facts import Fact
from civpolicy.plans import Plans, RulePlan
from civpolicy.workspace import Workspace

Memory = dict[tuple[Any, ...], list[tuple[int, Fact]]]


class NativeEngine:
    """Evaluates a compiled policy with no dependency."""

    name = "native"

    def __init__(self, plans: Plans) -> None:
        self.plans = plans
        self._slots: dict[str, list[tuple[int, int]]] = {}
        for r, plan in enumerate(plans.rules):
            for p, pattern in enumerate(plan.patterns):
                self._slots.setdefault(pattern.pattern.fact_type, []).append((r, p))

    def run(self, facts: tuple[Fact, ...]) -> Workspace:
        """Derive every fact and fire every rule for one unit's facts."""
        return _Run(self, facts).space

    def close(self) -> None:
        """Nothing to release."""


class _Run:
    """One unit's evaluation: the memories and serial numbers of its facts."""

    def __init__(self, engine: NativeEngine, facts: tuple[Fact, ...]) -> None:
        self.engine = engine
        self.plans = engine.plans
        self.space = Workspace(engine.plans)
        self.memories: dict[tuple[int, int], Memory] = {}
        self.newest: dict[tuple[int, int], int] = {}
        self.serial = 0
        for fact in self.space.add_inputs(facts):
            self.insert(fact)
        for stratum in range(self.plans.policy.strata):
            for aggregate in self.plans.aggregates_in(stratum):
                for fact in self.space.run_aggregate(aggregate):
                    self.insert(fact)
            self.run_stratum([(r, plan) for r, plan in enumerate(self.plans.rules) if plan.rule.stratum == stratum])

    def insert(self, fact: Fact) -> None:
        serial = self.serial
        self.serial += 1
        for slot in self.engine._slots.get(fact["type"], ()):
            pattern = self.plans.rules[slot[0]].patterns[slot[1]]
            if pattern.accepts(fact):
                self.memories.setdefault(slot, {}).setdefault(pattern.key_of(fact), []).append((serial, fact))
                self.newest[slot] = serial

    def run_stratum(self, rules: list[tuple[int, RulePlan]]) -> None:
        low, high = 0, self.serial
        while True:
            for r, plan in rules:
                positives = [p for p, pattern in enumerate(plan.patterns) if not pattern.pattern.negated]
                for delta in positives:
                    if self.newest.get((r, delta), -1) < low:
                        continue
                    for env in self.joins(r, plan, positives, (delta, low, high)):
                        fact = self.space.fire(plan, env)
                        if fact is not None:
                            self.insert(fact)
            if self.serial == high:
                return
            low, high = high, self.serial

    def joins(
        self, r: int, plan: RulePlan, positives: list[int], window: tuple[int, int, int]
    ) -> Iterator[dict[str, Fact | None]]:
        """Every combination whose fact at position ``delta`` is new in [low, high)."""
        delta, low, high = window
        env: dict[str, Fact | None] = {}
        negatives = [p for p in range(len(plan.patterns)) if p not in positives]

        def extend(index: int) -> Iterator[dict[str, Fact | None]]:
            if index == len(positives):
                if all(self.absent(r, plan, p, env) for p in negatives):
                    yield dict(env)
                return
            position = positives[index]
            pattern = plan.patterns[position]
            bucket = self.memories.get((r, position), {}).get(pattern.key_for(env), ())
            start, stop = (0, low) if position < delta else (low, high) if position == delta else (0, high)
            for serial, fact in bucket:
                if start <= serial < stop:
                    env[pattern.pattern.alias or ""] = fact
                    yield from extend(index + 1)
            env.pop(pattern.pattern.alias or "", None)

        yield from extend(0)

    def absent(self, r: int, plan: RulePlan, position: int, env: dict[str, Fact | None]) -> bool:
        pattern = plan.patterns[position]
        bucket = self.memories.get((r, position), {}).get(pattern.key_for(env), ())
        return not any(all(check(fact, env) for check in pattern.checks) for _, fact in bucket)
