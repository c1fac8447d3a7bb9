"""A pure-Python forward chainer: stratified, semi-naive, with planned hash joins.

Per stratum, aggregates run first (over the complete lower strata), then the rules run
in rounds: the first round joins every fact; each later round only the combinations
with at least one fact new in the round before. Every fact has a serial number, and a
combination is enumerated once: in the round of its newest fact, from the position of
that fact (positions before it take only older facts, positions after it older or
equally new ones).

Joins are planned once per rule and starting position: the pattern holding the new
fact comes first, and every later pattern is looked up in a hash index on the fields
that an equality ties to facts already bound, whichever pattern wrote the equality.
So a round costs what is new, not what is known.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs

from civpolicy.expressions import Const, Ref
from civpolicy.facts import Fact
from civpolicy.plans import PatternPlan, Plans, RulePlan
from civpolicy.workspace import Workspace

Slot = tuple[int, int]
"""(rule number, pattern position)."""
Index = tuple[Any, tuple[str, ...]]
"""A memory's facts hashed by these fields (the memory: a slot, then a shared memory number)."""


@attrs.frozen
class Step:
    """One pattern of a join plan: where to look its facts up, and by what key."""

    position: int
    alias: str
    index: Index
    sources: tuple[tuple[str, str], ...]
    """(alias, field) of bound facts whose values make the key, in the index's field order."""


@attrs.frozen
class JoinPlan:
    """A rule joined from one starting position."""

    start: int
    steps: tuple[Step, ...]


def _key(values: Any) -> tuple[Any, ...]:
    """A hash key that keeps booleans apart from numbers (true is not 1)."""
    return tuple((bool, value) if value.__class__ is bool else value for value in values)


def _constraints(plan: RulePlan) -> list[tuple[int, str, str, str]]:
    """Equalities between facts: (position, field, other alias, other field)."""
    found = []
    for position, pattern in enumerate(plan.patterns):
        for test in pattern.pattern.tests:
            if test.op == "eq" and isinstance(test.value, Ref) and test.value.scope not in ("params", "this", "count"):
                found.append((position, test.field, test.value.scope, test.value.name))
    return found


def _plan_joins(r: int, plan: RulePlan) -> tuple[dict[int, JoinPlan], list[Step]]:
    """Join plans from each positive position, and the look-ups of the absent patterns."""
    aliases = {p.pattern.alias: i for i, p in enumerate(plan.patterns) if p.pattern.alias}
    equalities = _constraints(plan)
    positives = [i for i, p in enumerate(plan.patterns) if not p.pattern.negated]
    plans: dict[int, JoinPlan] = {}
    for start in positives:
        order = [start] + [i for i in positives if i != start]
        bound: set[str] = set()
        steps = []
        for position in order:
            alias = plan.patterns[position].pattern.alias or ""
            fields: list[str] = []
            sources: list[tuple[str, str]] = []
            for at, field, other, other_field in equalities:
                if at == position and other in bound:
                    fields.append(field)
                    sources.append((other, other_field))
                elif other == alias and other in aliases and plan.patterns[at].pattern.alias in bound:
                    fields.append(other_field)
                    sources.append((plan.patterns[at].pattern.alias or "", field))
            steps.append(Step(position, alias, ((r, position), tuple(fields)), tuple(sources)))
            bound.add(alias)
        plans[start] = JoinPlan(start, tuple(steps))
    absent = []
    for position, pattern in enumerate(plan.patterns):
        if pattern.pattern.negated:
            pairs = [(f, (a, g)) for at, f, a, g in equalities if at == position]
            absent.append(Step(position, "", ((r, position), tuple(f for f, _ in pairs)), tuple(s for _, s in pairs)))
    return plans, absent


class NativeEngine:
    """Evaluates a compiled policy with no dependency."""

    name = "native"
    session = "document"

    def __init__(self, plans: Plans) -> None:
        self.plans = plans
        # Patterns with the same type and conditions on constants share one memory: each fact
        # is tested once per memory, and stored once per distinct join key.
        signatures: dict[tuple[str, str], int] = {}
        self.memory_of: dict[Slot, int] = {}
        first_pattern: dict[int, PatternPlan] = {}
        for r, plan in enumerate(plans.rules):
            for p, pattern in enumerate(plan.patterns):
                consts = sorted(
                    repr((t.field, t.op, t.value)) for t in pattern.pattern.tests if isinstance(t.value, Const)
                )
                memory = signatures.setdefault((pattern.pattern.fact_type, "|".join(consts)), len(signatures))
                self.memory_of[(r, p)] = memory
                first_pattern.setdefault(memory, pattern)
        self.joins: list[tuple[dict[int, JoinPlan], list[Step]]] = []
        fields_of: dict[int, set[tuple[str, ...]]] = {memory: set() for memory in first_pattern}
        for r, plan in enumerate(plans.rules):
            join_plans, absent = _plan_joins(r, plan)
            join_plans = {
                start: JoinPlan(start, tuple(self._shared(step) for step in jp.steps))
                for start, jp in join_plans.items()
            }
            absent = [self._shared(step) for step in absent]
            for step in [s for jp in join_plans.values() for s in jp.steps] + absent:
                fields_of[step.index[0]].add(step.index[1])
            self.joins.append((join_plans, absent))
        self.by_type: dict[str, list[tuple[PatternPlan, int, tuple[tuple[str, ...], ...]]]] = {}
        for memory, pattern in first_pattern.items():
            self.by_type.setdefault(pattern.pattern.fact_type, []).append(
                (pattern, memory, tuple(sorted(fields_of[memory])))
            )
        self.strata = [
            [(r, plan) for r, plan in enumerate(plans.rules) if plan.rule.stratum == stratum]
            for stratum in range(plans.policy.strata)
        ]

    def _shared(self, step: Step) -> Step:
        return attrs.evolve(step, index=(self.memory_of[step.index[0]], step.index[1]))

    def run(self, facts: tuple[Fact, ...]) -> Workspace:
        """Derive every fact and fire every rule for these facts."""
        return _Run(self, facts).space

    def close(self) -> None:
        """Nothing to release."""


class _Run:
    """One evaluation: the hash indexes and serial numbers of its facts."""

    def __init__(self, engine: NativeEngine, facts: tuple[Fact, ...]) -> None:
        self.engine = engine
        self.space = Workspace(engine.plans)
        self.indexes: dict[Index, dict[tuple[Any, ...], list[tuple[int, Fact]]]] = {}
        self.newest: dict[int, int] = {}
        self.serial = 0
        for fact in self.space.add_inputs(facts):
            self.insert(fact)
        for stratum, rules in enumerate(engine.strata):
            for aggregate in engine.plans.aggregates_in(stratum):
                for fact in self.space.run_aggregate(aggregate):
                    self.insert(fact)
            self.run_stratum(rules)

    def insert(self, fact: Fact) -> None:
        serial = self.serial
        self.serial += 1
        entry = (serial, fact)
        for pattern, memory, index_fields in self.engine.by_type.get(fact["type"], ()):
            if pattern.accepts(fact):
                for fields in index_fields:
                    key = _key(fact.get(field) for field in fields)
                    self.indexes.setdefault((memory, fields), {}).setdefault(key, []).append(entry)
                self.newest[memory] = serial

    def run_stratum(self, rules: list[tuple[int, RulePlan]]) -> None:
        low, high = 0, self.serial
        while True:
            for r, plan in rules:
                join_plans, absent = self.engine.joins[r]
                for start, join_plan in join_plans.items():
                    if self.newest.get(self.engine.memory_of[(r, start)], -1) < low:
                        continue
                    for env in self.matches(plan, join_plan, absent, (low, high)):
                        fact = self.space.fire(plan, env)
                        if fact is not None:
                            self.insert(fact)
            if self.serial == high:
                return
            low, high = high, self.serial

    def matches(
        self, plan: RulePlan, join_plan: JoinPlan, absent: list[Step], window: tuple[int, int]
    ) -> Iterator[dict[str, Fact | None]]:
        """Every combination whose fact at the start position is new in [low, high)."""
        low, high = window
        start = join_plan.start
        steps = join_plan.steps
        env: dict[str, Fact | None] = {}

        def extend(depth: int) -> Iterator[dict[str, Fact | None]]:
            if depth == len(steps):
                if all(self.absent(plan, step, env) for step in absent):
                    yield dict(env)
                return
            step = steps[depth]
            key = _key(env[alias][field] if env[alias] else None for alias, field in step.sources)  # type: ignore[index]
            bucket = self.indexes.get(step.index, {}).get(key, ())
            first, stop = (0, low) if step.position < start else (low, high) if step.position == start else (0, high)
            for serial, fact in bucket:
                if first <= serial < stop:
                    env[step.alias] = fact
                    yield from extend(depth + 1)
            env.pop(step.alias, None)

        yield from extend(0)

    def absent(self, plan: RulePlan, step: Step, env: dict[str, Fact | None]) -> bool:
        key = _key(env[alias][field] if env[alias] else None for alias, field in step.sources)  # type: ignore[index]
        bucket = self.indexes.get(step.index, {}).get(key, ())
        checks = plan.patterns[step.position].checks
        return not any(all(check(fact, env) for check in checks) for _, fact in bucket)
