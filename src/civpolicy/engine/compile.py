"""Policy model to an engine-neutral rule form, with parameters fixed and strata assigned.

Compiling resolves every ``$params.name`` to its value (so a parameter override is a
recompile, never a code change; a parameter with values by date splits the rules that read
it into one variant per epoch, :mod:`civpolicy.engine.epochs`), orders each rule's patterns as the engines need them
(facts to find first, absent facts last), and assigns each rule and aggregate a
stratum: a rule that asks for a fact to be absent, and an aggregate over facts, run
only once every fact of a lower stratum is known.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from civpolicy.checks.crossref import fact_fields
from civpolicy.checks.dated import THEN, aggregate_site, rule_sites
from civpolicy.checks.strata import strata
from civpolicy.engine.epochs import schedules, variants
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
    variant: int = 0
    """Which of the rule's variants (one per epoch of a parameter with values by date; 0 without)."""


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
    variant: int = 0
    """Which of the aggregate's variants (one per epoch of a parameter with values by date; 0 without)."""


@attrs.frozen
class CompiledPolicy:
    """What an engine runs: rules and aggregates by stratum, and how to describe facts."""

    rules: tuple[CompiledRule, ...]
    aggregates: tuple[CompiledAggregate, ...]
    strata: int
    says: Mapping[str, Template]
    tables: tuple[tuple[str, dict[str, Any]], ...]
    derived_types: frozenset[str]
    findings: frozenset[str] = frozenset()
    """The kinds that are findings: their period is an occurrence's label, of any length, kept as written."""

    def rules_in(self, stratum: int) -> tuple[CompiledRule, ...]:
        """The rules of one stratum."""
        return tuple(rule for rule in self.rules if rule.stratum == stratum)

    def aggregates_in(self, stratum: int) -> tuple[CompiledAggregate, ...]:
        """The aggregates of one stratum."""
        return tuple(agg for agg in self.aggregates if agg.stratum == stratum)


def compile_policy(
    policy: m.PolicyModel, params: Mapping[str, Any], dated: Mapping[str, Sequence[tuple[str, Any]]] | None = None
) -> CompiledPolicy:
    """The engine-neutral form of a validated policy, with these parameter values.

    ``dated`` holds the parameters that keep their values by date ((ISO date, value)s; by
    default the policy's own): a rule that reads one is given as one variant per epoch
    (:mod:`civpolicy.engine.epochs`); ``params`` holds the value of every other parameter.
    """
    level = strata(policy)
    if dated is None:
        dated = {name: p.dated for name, p in policy.parameters.items() if p.dated}
    found = schedules(dated)
    fields = fact_fields(policy) if found else {}
    rules = []
    for order, rule in enumerate(policy.all_rules()):
        is_consequence = rule.then.consequence is not None
        stratum = level[rule.id] if is_consequence else level[rule.head]
        sites = rule_sites(rule, fields, found.keys()) if found else []
        for number, variant in enumerate(variants(sites, found)):
            patterns = []
            for index, pattern in enumerate(rule.when):
                fixed = _fix_pattern(pattern, {**params, **variant.values.get(index, {})})
                patterns.append(attrs.evolve(fixed, tests=fixed.tests + variant.tests.get(index, ())))
            rules.append(
                CompiledRule(
                    id=rule.id,
                    head=rule.head,
                    stratum=stratum,
                    patterns=tuple(p for p in patterns if not p.negated) + tuple(p for p in patterns if p.negated),
                    output=_fix_output(rule.then, {**params, **variant.values.get(THEN, {})}),
                    consequence=rule.then.consequence,
                    order=order,
                    variant=number,
                )
            )
    aggregates = []
    for name, derived in policy.derived.items():
        agg = derived.aggregate
        if agg is None:
            continue
        site = aggregate_site(agg, fields, found.keys()) if found else None
        for number, variant in enumerate(variants([site] if site else [], found)):
            values = {**params, **variant.values.get(THEN, {})}
            each = _fix_pattern(agg.each, values)
            aggregates.append(
                CompiledAggregate(
                    id=name,
                    head=name,
                    stratum=level[name],
                    mode=agg.mode,
                    each=attrs.evolve(each, tests=each.tests + variant.tests.get(0, ())),
                    over=_fix_pattern(agg.over, values),
                    order_by=tuple(_fix(e, values) for e in agg.order_by),
                    output=_fix_output(agg.then, values),
                    value=None if agg.value is None else _fix(agg.value, values),
                    variant=number,
                )
            )
    says: dict[str, Template] = {name: spec.says for name, spec in policy.inputs.items()}
    says.update({name: d.says for name, d in policy.derived.items()})
    says.update({name: t.says for name, t in policy.tables.items()})
    if policy.calendar is not None:
        says[policy.calendar.occurrence] = policy.calendar.says
    tables = tuple((name, dict(row)) for name, table in policy.tables.items() for row in table.rows)
    top = max([r.stratum for r in rules] + [a.stratum for a in aggregates] + [0])
    return CompiledPolicy(
        rules=tuple(rules),
        aggregates=tuple(aggregates),
        strata=top + 1,
        says=says,
        tables=tables,
        derived_types=frozenset(policy.derived),
        findings=frozenset(name for name, kind in policy.kinds.items() if kind.finding),
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
