"""Where a parameter with values by date takes its value: the anchor of each place a rule reads it.

A period takes the value in force at its start. In a rule, a condition of a pattern that
finds a fact reads the value at that fact's start (its ``start`` field, or its ``year`` for
a fact that has only a year); a value in ``then``, and a condition of an absent fact, read
it at the start of the output's period: ``period: $x.period`` reads it at ``x``'s
``start``, ``period: $x.year`` (or, with no period, ``year: $x.year``) at ``x``'s ``year``.
In an aggregate every place reads it at the start of the ``for_each`` fact, whose output
it is. A place with no such fact is refused by ``check``; the compiler
(:mod:`civpolicy.engine.compile`) splits a rule by these anchors.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping

import attrs

from civpolicy.errors import Problem
from civpolicy.source import model as m
from civpolicy.source.expressions import Expr, Ref, references

THEN = -1
"""The place of a rule's ``then`` (the others are the indexes of its ``when``)."""


@attrs.frozen
class Anchor:
    """The fact whose start gives the date: a pattern (by its index in ``when``) and its field."""

    pattern: int
    field: str
    """``start`` (a month) or ``year``."""


@attrs.frozen
class Site:
    """A place that reads parameters with values by date, and where they take their value."""

    place: int
    """An index of ``when``, or :data:`THEN`."""
    names: frozenset[str]
    anchor: Anchor | None
    """None: no fact gives the date (a problem)."""


def dated_names(parameters: Mapping[str, m.Parameter]) -> frozenset[str]:
    """The parameters that have values by date."""
    return frozenset(name for name, parameter in parameters.items() if parameter.dated)


def _read(exprs: Iterable[Expr], dated: Collection[str]) -> frozenset[str]:
    return frozenset(ref.name for e in exprs for ref in references(e) if ref.scope == "params" and ref.name in dated)


def _field(fact_type: str, fields: Mapping[str, set[str]]) -> str | None:
    known = fields.get(fact_type, set())
    return "start" if "start" in known else "year" if "year" in known else None


def rule_sites(rule: m.Rule, fields: Mapping[str, set[str]], dated: Collection[str]) -> list[Site]:
    """Each place of a rule that reads a parameter with values by date, with its anchor."""
    sites = []
    output: Anchor | None = None
    aliases = {p.alias: index for index, p in enumerate(rule.when) if p.alias and not p.negated}
    given = dict(rule.then.fields)
    for copied in ("period", "year"):
        value = given.get(copied)
        if isinstance(value, Ref) and value.scope in aliases and value.name in ("period", "year"):
            index = aliases[value.scope]
            found = _field(rule.when[index].fact_type, fields) if value.name == "period" else "year"
            output = Anchor(index, found) if found else None
            break
    for index, pattern in enumerate(rule.when):
        names = _read((t.value for t in pattern.tests), dated)
        if not names:
            continue
        if pattern.negated:
            sites.append(Site(index, names, output))
            continue
        own = _field(pattern.fact_type, fields)
        sites.append(Site(index, names, Anchor(index, own) if own else None))
    names = _read((e for _, e in rule.then.fields), dated)
    if names:
        sites.append(Site(THEN, names, output))
    return sites


def aggregate_site(aggregate: m.Aggregate, fields: Mapping[str, set[str]], dated: Collection[str]) -> Site | None:
    """The one place of an aggregate: every part of it reads its dated parameters at the ``for_each`` fact."""
    exprs = [t.value for p in (aggregate.each, aggregate.over) for t in p.tests]
    exprs += [e for _, e in aggregate.then.fields] + list(aggregate.order_by)
    exprs += [aggregate.value] if aggregate.value is not None else []
    names = _read(exprs, dated)
    if not names:
        return None
    own = _field(aggregate.each.fact_type, fields)
    return Site(THEN, names, Anchor(0, own) if own else None)


def dated_problems(policy: m.PolicyModel, fields: Mapping[str, set[str]]) -> Iterator[Problem]:
    """A problem for each place that reads a parameter with values by date where no fact gives the date."""
    dated = dated_names(policy.parameters)
    if not dated:
        return
    for rule in policy.all_rules():
        for site in rule_sites(rule, fields, dated):
            if site.anchor is not None:
                continue
            names = ", ".join(sorted(site.names))
            if site.place == THEN or rule.when[site.place].negated:
                part = "then" if site.place == THEN else f"when[{site.place}]"
                why = (
                    f"{part} reads {names}, which has values by date, but the rule's then copies no period "
                    "or year of a fact it finds ($x.period): no period says which date's value applies"
                )
            else:
                pattern = rule.when[site.place]
                part = f"when[{site.place}]"
                why = (
                    f"{part} reads {names}, which has values by date, but a {pattern.fact_type} has no period "
                    "or year to take the value at"
                )
            line = rule.line_of("then") if site.place == THEN else rule.when[site.place].line or rule.line
            yield Problem(rule.file, max(line, 1), 1, why, f"{rule.id}.{part}")
    for name, derived in policy.derived.items():
        aggregate = derived.aggregate
        if aggregate is None:
            continue
        whole = aggregate_site(aggregate, fields, dated)
        if whole is not None and whole.anchor is None:
            why = (
                f"the aggregate reads {', '.join(sorted(whole.names))}, which has values by date, but its for_each "
                f"fact ({aggregate.each.fact_type}) has no period or year to take the value at"
            )
            yield Problem(derived.file, max(derived.line, 1), 1, why, f"derived.{name}.for_each")
