"""Policy model to an engine-neutral rule form, with parameters fixed and strata assigned.

Compiling resolves every ``$params.name`` to its value (so a parameter override is a
recompile, never a code change), orders each rule's patterns as the engines need them
(facts to find first, absent facts last), and assigns each rule and aggregate a
stratum: a rule that asks for a fact to be absent, and an aggregate over facts, run
only once every fact of a lower stratum is known.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from civpolicy.checks.strata import strata
from civpolicy.source import model as m
from civpolicy.source.expressions import Call, Const, Expr, Ref, Template


@attrs.frozen
class CompiledRule:
    """A rule ready for an engine: patterns to match, then an output to give."""

    id: str
    head: str
    stratum: int
    patterns: tuple[m.Pattern, ...]
    """Facts to find, in order, then facts that must be absent."""
    output: m.Output
    consequence: str | None
    order: int
    """Position in the policy: a stable tie-break."""


@attrs.frozen
class CompiledAggregate:
    """A count or first-of over a group of facts, for each fact of a pattern."""

    id: str
    head: str
    stratum: int
    mode: str
    each: m.Pattern
    over: m.Pattern
    order_by: tuple[Expr, ...]
    output: m.Output
    value: Expr | None = None


@attrs.frozen
class CompiledPolicy:
    """What an engine runs: rules and aggregates by stratum, and how to describe facts."""

    rules: tuple[CompiledRule, ...]
    aggregates: tuple[CompiledAggregate, ...]
    strata: int
    says: Mapping[str, Template]
    tables: tuple[tuple[str, dict[str, Any]], ...]
    derived_types: frozenset[str]

    def rules_in(self, stratum: int) -> tuple[CompiledRule, ...]:
        """The rules of one stratum."""
        return tuple(rule for rule in self.rules if rule.stratum == stratum)

    def aggregates_in(self, stratum: int) -> tuple[CompiledAggregate, ...]:
        """The aggregates of one stratum."""
        return tuple(agg for agg in self.aggregates if agg.stratum == stratum)


def compile_policy(policy: m.PolicyModel, params: Mapping[str, Any]) -> CompiledPolicy:
    """The engine-neutral form of a validated policy, with these parameter values."""
    level = strata(policy)
    rules = []
    for order, rule in enumerate(policy.all_rules()):
        is_consequence = rule.then.consequence is not None
        stratum = level[rule.id] if is_consequence else level[rule.head]
        positives = [p for p in rule.when if not p.negated]
        negatives = [p for p in rule.when if p.negated]
        rules.append(
            CompiledRule(
                id=rule.id,
                head=rule.head,
                stratum=stratum,
                patterns=tuple(_fix_pattern(p, params) for p in positives + negatives),
                output=_fix_output(rule.then, params),
                consequence=rule.then.consequence,
                order=order,
            )
        )
    aggregates = []
    for name, derived in policy.derived.items():
        agg = derived.aggregate
        if agg is None:
            continue
        aggregates.append(
            CompiledAggregate(
                id=name,
                head=name,
                stratum=level[name],
                mode=agg.mode,
                each=_fix_pattern(agg.each, params),
                over=_fix_pattern(agg.over, params),
                order_by=tuple(_fix(e, params) for e in agg.order_by),
                output=_fix_output(agg.then, params),
                value=None if agg.value is None else _fix(agg.value, params),
            )
        )
    says: dict[str, Template] = {name: spec.says for name, spec in policy.inputs.items()}
    says.update({name: d.says for name, d in policy.derived.items()})
    says.update({name: t.says for name, t in policy.tables.items()})
    tables = tuple((name, dict(row)) for name, table in policy.tables.items() for row in table.rows)
    top = max([r.stratum for r in rules] + [a.stratum for a in aggregates] + [0])
    return CompiledPolicy(
        rules=tuple(rules),
        aggregates=tuple(aggregates),
        strata=top + 1,
        says=says,
        tables=tables,
        derived_types=frozenset(policy.derived),
    )


def _fix(expr: Expr, params: Mapping[str, Any]) -> Expr:
    if isinstance(expr, Ref) and expr.scope == "params":
        return Const(params[expr.name])
    if isinstance(expr, Call):
        return Call(expr.op, tuple(_fix(arg, params) for arg in expr.args))
    return expr


def _fix_pattern(pattern: m.Pattern, params: Mapping[str, Any]) -> m.Pattern:
    tests = tuple(m.Test(t.field, t.op, _fix(t.value, params)) for t in pattern.tests)
    return attrs.evolve(pattern, tests=tests)


def _fix_output(output: m.Output, params: Mapping[str, Any]) -> m.Output:
    return m.Output(tuple((name, _fix(expr, params)) for name, expr in output.fields), output.consequence)
