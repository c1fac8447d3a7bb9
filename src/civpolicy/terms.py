"""The terms a fact field can hold, and ``{field:vocabulary}`` placeholders checked against them.

A sentence that says ``{field:terms}`` tells the field's value by its label in the
vocabulary ``terms`` (in Chinese, the term's Chinese name). A value that is no term of it is
told as written, so a placeholder naming the wrong vocabulary shows English ids in a
Chinese reason without a word. This module works out, where the policy tells, which
values a field can take (an input field's vocabulary or values, a table's rows, the
constants and copied fields a derived fact's rules give) and reports a placeholder whose
vocabulary does not hold them all. A field whose values cannot be told (free text, a
computed number) is not checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from civpolicy import model as m
from civpolicy.errors import Problem
from civpolicy.expressions import TOTALS, Call, Const, Expr, Template
from civpolicy.periods import KINDS

Values = frozenset[object] | None
"""The values a field can take, or None where the policy does not tell."""


class FieldValues:
    """Which values each fact type's fields can take, worked out once per field."""

    def __init__(self, policy: m.PolicyModel) -> None:
        self.policy = policy
        self._known: dict[tuple[str, str], Values] = {}

    def of(self, fact_type: str, field: str) -> Values:
        """The values a field of a fact type can take (None: not told)."""
        key = (fact_type, field)
        if key not in self._known:
            self._known[key] = None  # a field given from itself tells nothing more
            self._known[key] = self._work_out(fact_type, field)
        return self._known[key]

    def _work_out(self, fact_type: str, field: str) -> Values:
        policy = self.policy
        if fact_type in policy.inputs:
            return self._input(policy.inputs[fact_type], field)
        if fact_type in policy.tables:
            return frozenset(value for row in policy.tables[fact_type].rows for name, value in row if name == field)
        derived = policy.derived.get(fact_type)
        if derived is None:
            return None
        given: list[tuple[m.Output, dict[str, str]]] = [(rule.then, _aliases(rule.when)) for rule in derived.rules]
        if derived.aggregate is not None:
            aggregate = derived.aggregate
            given.append((aggregate.then, _aliases((aggregate.each, aggregate.over))))
        if field == "period_kind" and any(name == "period" for output, _ in given for name, _ in output.fields):
            return frozenset(KINDS)
        found: set[object] = set()
        for output, aliases in given:
            expr = dict(output.fields).get(field)
            values = None if expr is None else self._expr(expr, output, aliases)
            if values is None:
                return None
            found |= values
        return frozenset(found)

    def _input(self, spec: m.InputFact, field: str) -> Values:
        if field == "period_kind" and any(f.gives_period for f in spec.fields):
            return frozenset(KINDS)
        for input_field in spec.fields:
            if input_field.target != field:
                continue
            if input_field.vocabulary is not None:
                terms = self.policy.vocabularies.get(input_field.vocabulary)
                return None if terms is None else frozenset(term.id for term in terms)
            if input_field.values:
                return frozenset(input_field.values)
        return None

    def _expr(self, expr: Expr, output: m.Output, aliases: dict[str, str]) -> Values:
        if isinstance(expr, Const):
            return frozenset([expr.value])
        if isinstance(expr, Call):
            if expr.op != "first_known":
                return None  # arithmetic: a number, no term
            found: set[object] = set()
            for arg in expr.args:
                part = self._expr(arg, output, aliases)
                if part is None:
                    return None
                found |= part
            return frozenset(found)
        if expr.scope == "params":
            parameter = self.policy.parameters.get(expr.name)
            return None if parameter is None else frozenset([parameter.value])
        if expr.scope == "this":
            earlier = dict(output.fields).get(expr.name)
            return None if earlier is None or earlier == expr else self._expr(earlier, output, aliases)
        if expr.scope in TOTALS or expr.scope not in aliases:
            return None
        return self.of(aliases[expr.scope], expr.name)


def _aliases(patterns: Iterable[m.Pattern]) -> dict[str, str]:
    return {p.alias: p.fact_type for p in patterns if p.alias}


def _told(values: Values) -> Iterator[object]:
    """The values a label could be looked up for (null and yes/no are told in words)."""
    for value in sorted(values or (), key=repr):
        if value is not None and not isinstance(value, bool):
            yield value


def check_placeholder_terms(policy: m.PolicyModel, problems: list[Problem]) -> None:
    """Report each ``{field:vocabulary}`` whose field can take a value that is no term of the vocabulary."""
    values = FieldValues(policy)

    def check(template: Template, fact_of: dict[str, str], file: str, line: int, path: str) -> None:
        for name, vocabulary in template.labelled():
            terms = policy.vocabularies.get(vocabulary)
            alias, _, field = name.rpartition(".")
            fact_type = fact_of.get(alias)
            if terms is None or fact_type is None:
                continue  # no such vocabulary or alias: reported by the cross-checks
            ids = {term.id for term in terms}
            strays = [value for value in _told(values.of(fact_type, field)) if value not in ids]
            if strays:
                message = (
                    f"says {{{name}:{vocabulary}}}, but {field} can be {strays[0]!r}, which is no term of "
                    f"{vocabulary!r}: it would be told as written"
                )
                problems.append(Problem(file, max(line, 1), 1, message, path))

    for name, spec in policy.inputs.items():
        check(spec.says, {"": name}, spec.file, spec.line, f"inputs.{name}.says")
    for name, derived in policy.derived.items():
        check(derived.says, {"": name}, derived.file, derived.line, f"derived.{name}.says")
    for name, table in policy.tables.items():
        check(table.says, {"": name}, table.file, table.line, f"tables.{name}.says")
    for rule in policy.all_rules():
        aliases = _aliases(rule.when)
        for index, pattern in enumerate(rule.when):
            if pattern.says is not None:
                check(pattern.says, aliases, rule.file, pattern.line, f"{rule.id}.when[{index}].says")
