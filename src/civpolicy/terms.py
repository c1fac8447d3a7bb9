"""The values a fact field can take, where the policy tells them, and the checks that use them.

Known in advance: a boolean input field's true and false, a choice's values or its
vocabulary's terms, a period's kinds, a table's rows; and a derived fact's field where
every rule giving the fact writes a constant, a parameter, or copies a field whose
values are known (worked out to a fixpoint, so a field given from itself is known only
by what its other rules give). A field whose values cannot be told (free text, a
computed number) has none here.

:mod:`civpolicy.lint` uses them to find rules that can never fire; here they check the
``{field:terms}`` placeholders of sentences, which tell a value by its label in the
vocabulary ``terms``: a value that is no term of it would be told as written (an English
id in a Chinese reason), without a word.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from civpolicy import model as m
from civpolicy.errors import Problem
from civpolicy.expressions import Call, Const, Expr, Ref, Template
from civpolicy.periods import KINDS

Known = dict[tuple[str, str], set[Any]]
"""(fact type, field) -> the values the field can take, for the fields whose values are known."""


def known_values(policy: m.PolicyModel) -> Known:
    """The values of every field whose values the policy tells."""
    known = _given_values(policy)
    for name, derived in policy.derived.items():
        if any(field == "period" for output, _ in _outputs(derived) for field, _ in output.fields):
            known[name, "period_kind"] = set(KINDS)
    changed = True
    while changed:  # a derived field copied from a field with known values has them too
        changed = False
        for name, derived in policy.derived.items():
            for field, values in _derived_values(policy, derived, known).items():
                if values is not None and known.get((name, field)) != values:
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
                values = set(field.values) or {t.id for t in policy.vocabularies.get(field.vocabulary or "", ())}
                known[name, field.target] = values
            if field.gives_period:
                known[name, "period_kind"] = set(KINDS)
    for name, table in policy.tables.items():
        for row in table.rows:
            for key, value in row:
                known.setdefault((name, key), set()).add(value)
    return known


def _outputs(derived: m.DerivedFact) -> list[tuple[m.Output, dict[str, str]]]:
    """Each output that gives the fact, with the fact types of the aliases it may read."""
    outputs = [(rule.then, _aliases(rule.when)) for rule in derived.rules]
    if derived.aggregate is not None:
        aggregate = derived.aggregate
        outputs.append((aggregate.then, _aliases((aggregate.each, aggregate.over))))
    return outputs


def _aliases(patterns: Iterable[m.Pattern]) -> dict[str, str]:
    return {p.alias: p.fact_type for p in patterns if p.alias}


def _derived_values(policy: m.PolicyModel, derived: m.DerivedFact, known: Known) -> dict[str, set[Any] | None]:
    """The values each field of a derived fact can take, where every rule's output tells (None: not told)."""
    found: dict[str, set[Any] | None] = {}
    for output, aliases in _outputs(derived):
        this: dict[str, set[Any] | None] = {}
        for field, expr in output.fields:
            values = this[field] = _values(policy, expr, aliases, this, known)
            previous = found.get(field, set())
            found[field] = None if values is None or previous is None else previous | values
    return found


def _values(
    policy: m.PolicyModel, expr: Expr, aliases: Mapping[str, str], this: Mapping[str, set[Any] | None], known: Known
) -> set[Any] | None:
    """The values an output expression can give, or None when they cannot be told."""
    if isinstance(expr, Const):
        return None if isinstance(expr.value, (list, tuple, dict)) else {expr.value}
    if isinstance(expr, Call):
        if expr.op != "first_known":
            return None  # a calculation: a number, whatever its inputs
        found: set[Any] = set()
        for arg in expr.args:
            values = _values(policy, arg, aliases, this, known)
            if values is None:
                return None
            found |= values
        return found
    assert isinstance(expr, Ref)
    if expr.scope == "params":
        parameter = policy.parameters.get(expr.name)
        return None if parameter is None else {parameter.value}
    if expr.scope == "this":
        return this.get(expr.name)
    if expr.scope in aliases:
        return known.get((aliases[expr.scope], expr.name))
    return None  # $count, $sum, $mean: numbers


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
            told = sorted(known.get((fact_type, field), ()), key=repr)
            strays = [value for value in told if value is not None and not isinstance(value, bool)]
            strays = [value for value in strays if value not in ids]  # null, yes and no are told in words
            if strays:
                message = (
                    f"says {{{name}:{vocabulary}}}, but {field} can be {strays[0]!r}, which is no term of "
                    f"{vocabulary!r}: it would be told as written"
                )
                yield Problem(file, max(line, 1), 1, message, path)

    for name, spec in policy.inputs.items():
        yield from check(spec.says, {"": name}, spec.file, spec.line, f"inputs.{name}.says")
    for name, derived in policy.derived.items():
        yield from check(derived.says, {"": name}, derived.file, derived.line, f"derived.{name}.says")
    for name, table in policy.tables.items():
        yield from check(table.says, {"": name}, table.file, table.line, f"tables.{name}.says")
    for rule in policy.all_rules():
        aliases = _aliases(rule.when)
        for index, pattern in enumerate(rule.when):
            if pattern.says is not None:
                yield from check(pattern.says, aliases, rule.file, pattern.line, f"{rule.id}.when[{index}].says")
