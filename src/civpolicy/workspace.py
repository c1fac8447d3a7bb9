"""One unit's evaluation in progress: its facts, what derived them, and what they fired.

Engines decide *which* rule fires with *which* facts; everything else is here and is
the same for every engine: testing a fact against a pattern, giving a rule's output,
computing aggregates, keeping each derived fact once with its provenance, and turning
what fired into consequences with their reasons.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs

from civpolicy import model as m
from civpolicy.compile import CompiledAggregate, CompiledPolicy, CompiledRule
from civpolicy.errors import EngineError
from civpolicy.expressions import ExpressionError, Scope, evaluate, show
from civpolicy.facts import Fact, canonical
from civpolicy.periods import PeriodSyntaxError, parse_period

Bindings = Mapping[str, Fact | None]


@attrs.frozen
class Derivation:
    """How a fact came about: by which rule, from which facts, and what was absent."""

    rule: str
    premises: tuple[str, ...]
    absent: tuple[str, ...] = ()


@attrs.frozen
class Firing:
    """A consequence rule that fired: what it gives and from which facts."""

    unit: str
    kind: str
    period: str
    params: dict[str, Any]
    rule: CompiledRule
    derivation: Derivation


def holds(test: m.Test, fact: Fact, scope: Scope) -> bool:
    """Whether one condition holds of a fact; a condition on an unknown value fails."""
    actual = fact.get(test.field)
    expected = evaluate(test.value, scope)
    if test.op == "eq":
        return _same(actual, expected)
    if test.op == "in":
        return any(_same(actual, item) for item in expected)
    if test.op == "ne":
        return not _same(actual, expected)
    if actual is None or expected is None or isinstance(actual, str) != isinstance(expected, str):
        return False
    comparisons = {"lt": actual < expected, "le": actual <= expected, "gt": actual > expected, "ge": actual >= expected}
    return bool(comparisons[test.op])


def _same(a: Any, b: Any) -> bool:
    """Equality that keeps booleans apart from numbers (true is not 1)."""
    return bool(a == b) and isinstance(a, bool) == isinstance(b, bool)


def matches(pattern: m.Pattern, fact: Fact, bindings: Bindings) -> bool:
    """Whether a fact is of the pattern's type and meets every condition."""
    if fact["type"] != pattern.fact_type:
        return False
    scope = Scope(facts=bindings)
    return all(holds(test, fact, scope) for test in pattern.tests)


class Workspace:
    """The facts of one unit's evaluation, with provenance, and the firings so far."""

    def __init__(self, policy: CompiledPolicy) -> None:
        self.policy = policy
        self.facts: dict[str, Fact] = {}
        self.by_type: dict[str, list[Fact]] = {}
        self.derivations: dict[str, Derivation] = {}
        self._by_content: dict[str, str] = {}
        self.firings: list[Firing] = []
        self._fired: set[tuple[str, tuple[str, ...]]] = set()

    def add(self, fact: Fact, derivation: Derivation | None = None) -> Fact | None:
        """Store a fact; return it with its id, or None if the same fact is already known."""
        content = json.dumps(fact, sort_keys=True, ensure_ascii=False)
        if content in self._by_content:
            return None
        fact = dict(fact)
        if "id" not in fact:
            fact["id"] = (
                f"{fact['type']}#{len(self.facts)}"
                if derivation
                else f"{fact['type']}:{fact.get('seq', len(self.facts))}"
            )
        self._by_content[content] = fact["id"]
        self.facts[fact["id"]] = fact
        self.by_type.setdefault(fact["type"], []).append(fact)
        if derivation is not None:
            self.derivations[fact["id"]] = derivation
        return fact

    def add_inputs(self, facts: Iterable[Fact]) -> list[Fact]:
        """Store the input facts and the policy's table rows; return those stored."""
        stored = [self.add(fact) for fact in facts]
        stored += [
            self.add({"type": name, **row, "seq": index}) for index, (name, row) in enumerate(self.policy.tables)
        ]
        return [fact for fact in stored if fact is not None]

    def of_type(self, fact_type: str) -> list[Fact]:
        """Every known fact of a type."""
        return self.by_type.get(fact_type, [])

    def fire(self, rule: CompiledRule, bindings: Bindings) -> Fact | None:
        """Give a rule's output for these facts once; return a new derived fact, if any."""
        premises = tuple(
            fact["id"] for p in rule.patterns if not p.negated and (fact := bindings.get(p.alias or "")) is not None
        )
        key = (rule.id, premises)
        if key in self._fired:
            return None
        self._fired.add(key)
        derivation = Derivation(rule.id, premises, tuple(self._absent_notes(rule, bindings)))
        values = self._output(rule.output, Scope(facts=bindings), rule.id)
        if rule.consequence is None:
            return self.add({"type": rule.head, **_with_period(values, rule.id)}, derivation)
        params = {name.removeprefix("params."): value for name, value in values.items() if name.startswith("params.")}
        self.firings.append(
            Firing(
                unit=_text(values.get("unit"), rule.id, "unit"),
                kind=rule.consequence,
                period=_period_label(values.get("period"), rule.id),
                params=params,
                rule=rule,
                derivation=derivation,
            )
        )
        return None

    def _output(self, output: m.Output, scope: Scope, rule_id: str) -> dict[str, Any]:
        values: dict[str, Any] = {}
        this: dict[str, Any] = {}
        for name, expr in output.fields:
            try:
                value = evaluate(expr, attrs.evolve(scope, this=this))
            except ExpressionError as error:
                raise EngineError(f"rule {rule_id}: {name}: {error}") from None
            values[name] = value
            this[name.removeprefix("params.")] = value
        return values

    def _absent_notes(self, rule: CompiledRule, bindings: Bindings) -> Iterator[str]:
        def lookup(name: str) -> Any:
            alias, _, field = name.partition(".")
            fact = bindings.get(alias)
            return None if fact is None else fact.get(field)

        for pattern in rule.patterns:
            if pattern.negated:
                yield pattern.says.render(lookup) if pattern.says else f"no matching {pattern.fact_type}"

    def run_aggregate(self, aggregate: CompiledAggregate) -> list[Fact]:
        """Derive the aggregate's facts from the facts known now; return the new ones."""
        new = []
        each_alias, over_alias = aggregate.each.alias or "", aggregate.over.alias or ""
        for each in sorted(self.of_type(aggregate.each.fact_type), key=canonical):
            if not matches(aggregate.each, each, {}):
                continue
            group = [
                f for f in self.of_type(aggregate.over.fact_type) if matches(aggregate.over, f, {each_alias: each})
            ]
            bindings: dict[str, Fact | None] = {each_alias: each}
            if aggregate.mode == "count":
                scope = Scope(facts=bindings, count=len(group))
                premises = (each, *sorted(group, key=canonical))
            else:
                first = min(group, key=lambda f: self._order(aggregate, bindings, f), default=None)
                bindings[over_alias] = first
                scope = Scope(facts=bindings)
                premises = (each,) if first is None else (each, first)
            ids = tuple(dict.fromkeys(fact["id"] for fact in premises))
            values = self._output(aggregate.output, scope, aggregate.id)
            fact = self.add(
                {"type": aggregate.head, **_with_period(values, aggregate.id)}, Derivation(aggregate.id, ids)
            )
            if fact is not None:
                new.append(fact)
        return new

    def _order(self, aggregate: CompiledAggregate, bindings: Bindings, fact: Fact) -> tuple[Any, ...]:
        scope = Scope(facts={**bindings, aggregate.over.alias or "": fact})
        keys = tuple(evaluate(expr, scope) for expr in aggregate.order_by)
        return (*((key is None, key) for key in keys), canonical(fact))

    def describe(self, fact_id: str) -> str:
        """A fact in words, by its type's ``says``."""
        fact = self.facts[fact_id]
        template = self.policy.says.get(fact["type"])
        return template.render(fact.get) if template else show(fact)


def _with_period(values: dict[str, Any], rule_id: str) -> dict[str, Any]:
    if values.get("period") is None:
        return values
    return {**values, **parse_period(_period_label(values["period"], rule_id)).fields()}


def _period_label(value: Any, rule_id: str) -> str:
    try:
        return parse_period(value).label
    except PeriodSyntaxError as error:
        raise EngineError(f"rule {rule_id} gives a period that is not one: {error}") from None


def _text(value: Any, rule_id: str, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise EngineError(f"rule {rule_id} gives no {name} (got {json.dumps(value)})")
    return value
