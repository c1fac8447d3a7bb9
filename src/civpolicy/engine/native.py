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

from bisect import bisect_left
from collections.abc import Callable
from typing import Any

import attrs

from civpolicy.engine.plans import PatternPlan, Plans, RulePlan
from civpolicy.engine.workspace import Workspace
from civpolicy.facts.items import Fact
from civpolicy.source.expressions import Const, Ref

Env = dict[str, Fact | None]
Slot = tuple[int, int]
"""(rule number, pattern position)."""
Index = tuple[Any, tuple[str, ...]]
"""A memory's facts hashed by these fields (the memory: a slot, then a shared memory number)."""
Entry = tuple[int, Fact]
"""A fact with its serial number."""


def _key(values: Any) -> tuple[Any, ...]:
    """A hash key that keeps booleans apart from numbers (true is not 1)."""
    return tuple((bool, value) if value.__class__ is bool else value for value in values)


def _no_key(_: Any) -> tuple[Any, ...]:
    return ()


def _fact_key(fields: tuple[str, ...]) -> Callable[[Fact], tuple[Any, ...]]:
    """A fact's key on these fields (the common short keys spelled out: they run per fact)."""
    if not fields:
        return _no_key
    if len(fields) == 1:
        (only,) = fields

        def one(fact: Fact) -> tuple[Any, ...]:
            value = fact.get(only)
            return ((bool, value),) if value.__class__ is bool else (value,)

        return one
    if len(fields) == 2:
        first, second = fields

        def two(fact: Fact) -> tuple[Any, ...]:
            a, b = fact.get(first), fact.get(second)
            return ((bool, a) if a.__class__ is bool else a, (bool, b) if b.__class__ is bool else b)

        return two
    return lambda fact: _key(map(fact.get, fields))


def _probe(sources: tuple[tuple[str, str], ...]) -> Callable[[Env], tuple[Any, ...] | None]:
    """The key that facts found so far ask of the next pattern; None (no fact) when a value is null.

    A missing or null field equals nothing in a join between facts, as in durable-rules.
    """
    if not sources:
        return _no_key
    if len(sources) == 1:
        ((alias, field),) = sources

        def one(env: Env) -> tuple[Any, ...] | None:
            fact = env[alias]
            value = None if fact is None else fact.get(field)
            if value is None:
                return None
            return ((bool, value),) if value.__class__ is bool else (value,)

        return one
    if len(sources) == 2:
        (first, first_field), (second, second_field) = sources

        def two(env: Env) -> tuple[Any, ...] | None:
            x, y = env[first], env[second]
            a = None if x is None else x.get(first_field)
            b = None if y is None else y.get(second_field)
            if a is None or b is None:
                return None
            return ((bool, a) if a.__class__ is bool else a, (bool, b) if b.__class__ is bool else b)

        return two

    def many(env: Env) -> tuple[Any, ...] | None:
        values = [None if (fact := env[alias]) is None else fact.get(field) for alias, field in sources]
        return None if None in values else _key(values)

    return many


@attrs.frozen
class Step:
    """One pattern of a join plan: where to look its facts up, and by what key."""

    position: int
    alias: str
    index: Index
    sources: tuple[tuple[str, str], ...]
    """(alias, field) of bound facts whose values make the key, in the index's field order."""
    index_id: int = -1
    """The index's number in a run."""
    probe: Callable[[Env], tuple[Any, ...] | None] = _no_key
    """The key to look up, from the facts bound so far (None: no fact can match)."""
    others: tuple[str, ...] = ()
    """Aliases bound before to facts of the same type: a fact fills one pattern of a rule."""


@attrs.frozen
class JoinPlan:
    """A rule joined from one starting position."""

    start: int
    steps: tuple[Step, ...]


Equality = tuple[int, str, str, str]
"""An equality between facts: (position, field, other alias, other field)."""


def _constraints(plan: RulePlan) -> list[Equality]:
    """Equalities between facts: (position, field, other alias, other field)."""
    found = []
    for position, pattern in enumerate(plan.patterns):
        for test in pattern.pattern.tests:
            if test.op == "eq" and isinstance(test.value, Ref) and test.value.scope not in ("params", "this", "count"):
                found.append((position, test.field, test.value.scope, test.value.name))
    return found


def _same_type(plan: RulePlan, aliases: dict[str, int], among: set[str], position: int) -> tuple[str, ...]:
    """The aliases among these whose facts have the type of the pattern at ``position`` (one fact, one pattern)."""
    fact_type = plan.patterns[position].pattern.fact_type
    return tuple(sorted(a for a in among if plan.patterns[aliases[a]].pattern.fact_type == fact_type))


def _connected_order(plan: RulePlan, start: int, positives: list[int], equalities: list[Equality]) -> list[int]:
    """The positive positions from ``start``, each next one tied by an equality to one bound before, if any."""
    alias_at = [p.pattern.alias for p in plan.patterns]
    order, rest = [start], [i for i in positives if i != start]
    while rest:
        bound = {alias_at[i] for i in order}
        tied = [
            i
            for i in rest
            if any(
                (at == i and other in bound) or (at in order and other == alias_at[i]) for at, _, other, _ in equalities
            )
        ]
        order.append((tied or rest)[0])
        rest.remove(order[-1])
    return order


def _plan_joins(r: int, plan: RulePlan, connected: bool = False) -> tuple[dict[int, JoinPlan], list[Step]]:
    """Join plans from each positive position, and the look-ups of the absent patterns.

    The patterns are joined in the policy's order from the starting one, or, ``connected``,
    each next one tied by an equality to those bound before where one is (the same
    combinations, found without a cross product).
    """
    aliases = {p.pattern.alias: i for i, p in enumerate(plan.patterns) if p.pattern.alias}
    equalities = _constraints(plan)
    positives = [i for i, p in enumerate(plan.patterns) if not p.pattern.negated]
    plans: dict[int, JoinPlan] = {}
    for start in positives:
        if connected:
            order = _connected_order(plan, start, positives, equalities)
        else:
            order = [start] + [i for i in positives if i != start]
        bound: set[str] = set()
        steps = []
        for position in order:
            alias = plan.patterns[position].pattern.alias or ""
            others = _same_type(plan, aliases, bound, position)
            fields: list[str] = []
            sources: list[tuple[str, str]] = []
            for at, field, other, other_field in equalities:
                if at == position and other in bound:
                    fields.append(field)
                    sources.append((other, other_field))
                elif other == alias and other in aliases and plan.patterns[at].pattern.alias in bound:
                    fields.append(other_field)
                    sources.append((plan.patterns[at].pattern.alias or "", field))
            steps.append(Step(position, alias, ((r, position), tuple(fields)), tuple(sources), others=others))
            bound.add(alias)
        plans[start] = JoinPlan(start, tuple(steps))
    absent = []
    found = {a for a, i in aliases.items() if not plan.patterns[i].pattern.negated}
    for position, pattern in enumerate(plan.patterns):
        if pattern.pattern.negated:
            pairs = [(f, (a, g)) for at, f, a, g in equalities if at == position]
            index = ((r, position), tuple(f for f, _ in pairs))
            others = _same_type(plan, aliases, found, position)
            absent.append(Step(position, "", index, tuple(s for _, s in pairs), others=others))
    return plans, absent


class NativeEngine:
    """Evaluates a compiled policy with no dependency."""

    name = "native"
    session = "document"

    def __init__(self, plans: Plans, *, connected: bool = False) -> None:
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
        self.index_ids: dict[Index, int] = {}
        self.joins: list[tuple[dict[int, JoinPlan], list[Step]]] = []
        for r, plan in enumerate(plans.rules):
            join_plans, absent = _plan_joins(r, plan, connected)
            self.joins.append(
                (
                    {start: JoinPlan(start, tuple(map(self._shared, jp.steps))) for start, jp in join_plans.items()},
                    [self._shared(step) for step in absent],
                )
            )
        indexes_of: dict[int, list[tuple[int, Callable[[Fact], tuple[Any, ...]]]]] = {m: [] for m in first_pattern}
        for (memory, fields), index_id in sorted(self.index_ids.items(), key=lambda item: item[1]):
            indexes_of[memory].append((index_id, _fact_key(fields)))
        self.routes: dict[str, list[tuple[Callable[[Fact], bool], int, tuple[tuple[int, Any], ...]]]] = {}
        """Per fact type: each memory's test, number, and (index, key) pairs to file a fact under."""
        for memory, pattern in first_pattern.items():
            self.routes.setdefault(pattern.pattern.fact_type, []).append(
                (pattern.accepts, memory, tuple(indexes_of[memory]))
            )
        self.strata = [
            [(r, plan) for r, plan in enumerate(plans.rules) if plan.rule.stratum == stratum]
            for stratum in range(plans.policy.strata)
        ]

    def _shared(self, step: Step) -> Step:
        index = (self.memory_of[step.index[0]], step.index[1])
        index_id = self.index_ids.setdefault(index, len(self.index_ids))
        return attrs.evolve(step, index=index, index_id=index_id, probe=_probe(step.sources))

    def run(self, facts: tuple[Fact, ...]) -> Workspace:
        """Derive every fact and fire every rule for these facts."""
        return _Run(self, facts).space

    def close(self) -> None:
        """Nothing to release."""


class _Run:
    """One evaluation: the hash indexes and serial numbers of its facts."""

    def __init__(self, engine: NativeEngine, facts: tuple[Fact, ...]) -> None:
        self.engine = engine
        self.space = Workspace(engine.plans, offers_once=True)  # each combination is enumerated once
        self.indexes: list[dict[tuple[Any, ...], list[Entry]]] = [{} for _ in engine.index_ids]
        self.search = Search(engine, self.indexes)
        self.routes = {
            fact_type: [
                (accepts, memory, tuple((self.indexes[i], key) for i, key in keyed))
                for accepts, memory, keyed in memories
            ]
            for fact_type, memories in engine.routes.items()
        }
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
        for accepts, memory, keyed in self.routes.get(fact["type"], ()):
            if accepts(fact):
                for index, key_of in keyed:
                    key = key_of(fact)
                    bucket = index.get(key)
                    if bucket is None:
                        index[key] = [entry]
                    else:
                        bucket.append(entry)
                self.newest[memory] = serial

    def run_stratum(self, rules: list[tuple[int, RulePlan]]) -> None:
        low, high = 0, self.serial
        fire, insert = self.space.fire, self.insert
        while True:
            for r, plan in rules:
                join_plans, absent = self.engine.joins[r]
                for start, join_plan in join_plans.items():
                    if self.newest.get(self.engine.memory_of[(r, start)], -1) < low:
                        continue
                    for env in self.search.matches(plan, join_plan, absent, low, high):
                        fact = fire(plan, env)
                        if fact is not None:
                            insert(fact)
            if self.serial == high:
                return
            low, high = high, self.serial


class Search:
    """Finds a rule's combinations of facts in one run's hash indexes."""

    def __init__(self, engine: NativeEngine, indexes: list[dict[tuple[Any, ...], list[Entry]]]) -> None:
        self.engine = engine
        self.indexes = indexes

    def matches(self, plan: RulePlan, join_plan: JoinPlan, absent: list[Step], low: int, high: int) -> list[Env]:
        """Every combination whose fact at the start position is new in [low, high).

        Built pattern by pattern, in the order a depth-first search would give them.
        """
        first, *rest = join_plan.steps
        bucket = self.indexes[first.index_id].get((), [])
        alias = first.alias
        envs: list[Env] = [
            {alias: fact} for _, fact in bucket[bisect_left(bucket, (low,)) : bisect_left(bucket, (high,))]
        ]
        start = join_plan.start
        for step in rest:
            if not envs:
                return envs
            stop = low if step.position < start else high
            index, probe, alias, others = self.indexes[step.index_id], step.probe, step.alias, step.others
            extended: list[Env] = []
            for env in envs:
                key = probe(env)
                if key is None:
                    continue
                found = [fact for serial, fact in index.get(key, ()) if serial < stop]
                if others:
                    found = [fact for fact in found if all(fact is not env[other] for other in others)]
                if len(found) == 1:
                    env[alias] = found[0]
                    extended.append(env)
                else:
                    extended.extend({**env, alias: fact} for fact in found)
            envs = extended
        if absent:
            envs = [env for env in envs if all(self.absent(plan, step, env) for step in absent)]
        return envs

    def absent(self, plan: RulePlan, step: Step, env: Env) -> bool:
        """Whether no fact of an absent pattern goes with the facts found (a null key finds none)."""
        key = step.probe(env)
        bucket = () if key is None else self.indexes[step.index_id].get(key, ())
        checks, others = plan.patterns[step.position].checks, step.others
        return not any(
            all(check(fact, env) for check in checks) and all(fact is not env[other] for other in others)
            for _, fact in bucket
        )
