"""The values a fact field can take, where the policy tells them, and the checks that use them.

Known in advance: a boolean input field's true and false, a choice's values or its
vocabulary's terms, a period's kinds, a table's rows. A derived fact's field is known
where every rule giving the fact writes a constant or a parameter, or copies a field
whose values are known; a copied field keeps only the values its rule's own conditions
let through (``thing as e: {colour: red}`` then ``$e.colour``: only ``red``), and a
derived period's kinds are those of the period it copies. Derived fields are worked out
together from nothing up to a fixpoint, so a fact that extends itself (a streak) has
the values its first rule gives. A field whose values cannot be told (free text, a
computed number) has None.

:mod:`civpolicy.checks.lint` uses them to find rules that can never fire; here they check the
``{field:terms}`` placeholders of sentences, which tell a value by its label in the
vocabulary ``terms``: a value that is no term of it would be told as written (an English
id in a Chinese reason), without a word. Conditions that tie two facts together are not
followed, so a value may be counted that no fact will have: the check may then refuse a
placeholder that would have told every real value, never the other way round.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from civpolicy.errors import Problem
from civpolicy.facts.periods import KINDS, PeriodSyntaxError, parse_period
from civpolicy.source import model as m
from civpolicy.source.expressions import Call, Const, Expr, Ref, Template

Values = set[Any] | None
"""The values a field can take; None where they cannot be told."""
Known = dict[tuple[str, str], Values]
"""(fact type, field) -> the values the field can take (a field not here: not told)."""


def known_values(policy: m.PolicyModel) -> Known:
    """The values of every field of every fact type, as far as the policy tells them."""
    known = _given_values(policy)
    for name, derived in policy.derived.items():
        for output, _ in derived.outputs():
            for field, _ in output.fields:
                known[name, field] = set()  # nothing yet: the fixpoint adds what the rules give
        if (name, "period") in known:
            known[name, "period_kind"] = set()
    changed = True
    while changed:
        changed = False
        for name, derived in policy.derived.items():
            for field, values in _derived_values(policy, derived, known).items():
                if known.get((name, field)) != values:
                    known[name, field] = values
                    changed = True
    return known


def _given_values(policy: m.PolicyModel) -> Known:
    """The values of input fields and table columns, as the policy declares them."""
    known: Known = {}
    for name, spec in policy.inputs.items():
        for field in spec.fields:
            if field.type == "boolean":
                known[name, field.target] = {True, False}
            elif field.type == "choice":
                known[name, field.target] = set(field.choices(policy.vocabularies))
            if field.gives_period:
                known[name, "period_kind"] = set(field.kinds or KINDS)
    for name, table in policy.tables.items():
        for row in table.rows:
            for key, value in row:
                values = known.setdefault((name, key), set())
                assert values is not None
                values.add(value)
    return known


def _join(values: Values, more: Values) -> Values:
    return None if values is None or more is None else values | more


def _derived_values(policy: m.PolicyModel, derived: m.DerivedFact, known: Known) -> dict[str, Values]:
    """Each field of a derived fact: the values its outputs give from what is known now."""
    found: dict[str, Values] = {}
    for output, patterns in derived.outputs():
        scope = {p.alias: p for p in patterns if p.alias}
        this: dict[str, Values] = {}
        for field, expr in output.fields:
            values = this[field] = _values(policy, expr, scope, this, known)
            found[field] = _join(found.get(field, set()), values)
            if field == "period":
                found["period_kind"] = _join(found.get("period_kind", set()), _period_kinds(expr, scope, known))
    return found


def _narrowed(values: Values, pattern: m.Pattern, field: str) -> Values:
    """The values of a pattern's fact's field that the pattern's own conditions on it let through."""
    if values is None:
        return None
    for test in pattern.tests:
        if test.field != field or not isinstance(test.value, Const):
            continue
        given = test.value.value
        if test.op == "eq":
            values = values & {given}
        elif test.op == "ne":
            values = values - {given}
        elif test.op in ("in", "out") and isinstance(given, (list, tuple)):
            values = values & set(given) if test.op == "in" else values - set(given)
    return values


def _values(
    policy: m.PolicyModel, expr: Expr, scope: Mapping[str, m.Pattern], this: Mapping[str, Values], known: Known
) -> Values:
    """The values an output expression can give, or None when they cannot be told."""
    if isinstance(expr, Const):
        return None if isinstance(expr.value, (list, tuple, dict)) else {expr.value}
    if isinstance(expr, Call):
        if expr.op != "first_known":
            return None  # a calculation: a number, whatever its inputs
        found: Values = set()
        for arg in expr.args:
            found = _join(found, _values(policy, arg, scope, this, known))
        return found
    assert isinstance(expr, Ref)
    if expr.scope == "params":
        parameter = policy.parameters.get(expr.name)
        return None if parameter is None else set(parameter.all_values())
    if expr.scope == "this":
        return this.get(expr.name)
    pattern = scope.get(expr.scope)
    if pattern is None:
        return None  # $count, $sum, $mean: numbers
    return _narrowed(known.get((pattern.fact_type, expr.name)), pattern, expr.name)


def _period_kinds(expr: Expr, scope: Mapping[str, m.Pattern], known: Known) -> Values:
    """The kinds of the period an output gives: those of the period it copies, where it tells."""
    if isinstance(expr, Ref) and expr.scope in scope:
        pattern = scope[expr.scope]
        if expr.name == "period":
            kinds = _narrowed(known.get((pattern.fact_type, "period_kind")), pattern, "period_kind")
            return set(KINDS) if kinds is None else kinds
        if expr.name == "year":
            return {"year"}
    if isinstance(expr, Const):
        try:
            return {parse_period(expr.value).kind}
        except PeriodSyntaxError:
            return set(KINDS)  # refused where the rule stands
    return set(KINDS)


def _aliases(patterns: Iterable[m.Pattern]) -> dict[str, str]:
    return {p.alias: p.fact_type for p in patterns if p.alias}


def placeholder_terms(policy: m.PolicyModel, known: Known) -> Iterator[Problem]:
    """Each ``{field:terms}`` whose field can take a value that is no term of the vocabulary ``terms``."""

    def check(template: Template, fact_of: dict[str, str], file: str, line: int, path: str) -> Iterator[Problem]:
        for name, vocabulary in template.labelled():
            terms = policy.vocabularies.get(vocabulary)
            alias, _, field = name.rpartition(".")
            fact_type = fact_of.get(alias)
            if terms is None or fact_type is None:
                continue  # no such vocabulary or alias: reported by the cross-checks
            ids = {term.id for term in terms}
            told = sorted(known.get((fact_type, field)) or (), key=repr)
            # null, yes and no are told in words, not by a label
            strays = [v for v in told if v is not None and not isinstance(v, bool) and v not in ids]
            if strays:
                message = (
                    f"says {{{name}:{vocabulary}}}, but {field} can be {strays[0]!r}, which is no term of "
                    f"{vocabulary!r}: it would be told as written"
                )
                yield Problem(file, max(template.line or line, 1), 1, message, path)

    for name, spec in policy.inputs.items():
        yield from check(spec.says, {"": name}, spec.file, spec.line, f"inputs.{name}.says")
        if spec.unused is not None:
            yield from check(spec.unused, {"": name}, spec.file, spec.line, f"inputs.{name}.unused")
    for name, derived in policy.derived.items():
        yield from check(derived.says, {"": name}, derived.file, derived.line, f"derived.{name}.says")
    for name, table in policy.tables.items():
        yield from check(table.says, {"": name}, table.file, table.line, f"tables.{name}.says")
    for rule in policy.all_rules():
        aliases = _aliases(rule.when)
        for index, pattern in enumerate(rule.when):
            if pattern.says is not None:
                yield from check(pattern.says, aliases, rule.file, pattern.line, f"{rule.id}.when[{index}].says")
