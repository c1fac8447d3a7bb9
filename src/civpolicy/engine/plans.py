"""Compiled rules to executable plans: every condition and value as a ready Python closure.

A plan is made once per policy. Conditions on constants become predicates of one fact;
equality between facts becomes a join key; values become closures over the matched
facts. No expression is interpreted while facts are evaluated, and nothing is ever
evaluated as code: closures are built from the expression data.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

import attrs

from civpolicy.engine.compile import CompiledAggregate, CompiledPolicy, CompiledRule
from civpolicy.source import model as m
from civpolicy.source.expressions import (
    OPERATIONS,
    TOTALS,
    Const,
    Expr,
    ExpressionError,
    Labels,
    Ref,
    Template,
    plain_number,
    whole_number,
)

Fact = dict[str, Any]
Env = Mapping[str, Fact | None]
Totals = Mapping[str, Any] | None
Value = Callable[[Env, Mapping[str, Any], Totals], Any]
"""A value: given the matched facts, the params computed so far (``$this``) and an aggregate's
totals (``$count``, ``$sum``, ``$mean``)."""


_WHOLE: dict[str, Callable[[list[int]], int]] = {
    "add": sum,
    "subtract": lambda values: values[0] - values[1],
    "multiply": math.prod,
}
"""Operations whose result on whole numbers is a whole number, computed without fractions."""


def value_of(expr: Expr) -> Value:
    """A closure computing an expression (parameters must already be constants)."""
    if isinstance(expr, Const):
        constant = expr.value
        return lambda env, this, totals: constant
    if isinstance(expr, Ref):
        return _reference(expr)
    args = tuple(value_of(arg) for arg in expr.args)
    op = expr.op

    def call(env: Env, this: Mapping[str, Any], totals: Totals) -> Any:
        return apply_call(op, [arg(env, this, totals) for arg in args])

    return call


def apply_call(op: str, values: list[Any]) -> Any:
    """An operation of the value language on its arguments' values (null in, null out; exact numbers)."""
    if op == "first_known":
        return next((value for value in values if value is not None), None)
    if any(value is None for value in values):
        return None
    whole = _WHOLE.get(op)
    if whole is not None and all(v.__class__ is int for v in values):
        return whole_number(whole(values))
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in values):
        raise ExpressionError(f"{op} needs numbers (got {values!r})")
    _, function = OPERATIONS[op]
    result = function(*(Fraction(str(v)) if isinstance(v, float) else Fraction(v) for v in values))
    return plain_number(result)


def _reference(ref: Ref) -> Value:
    scope, name = ref.scope, ref.name
    if scope in TOTALS:
        return lambda env, this, totals: None if totals is None else totals.get(scope)
    if scope == "this":
        return lambda env, this, totals: this.get(name)
    if scope == "params":
        raise ExpressionError(f"${scope}.{name} was not fixed at compile time")

    def field(env: Env, this: Mapping[str, Any], totals: Totals) -> Any:
        fact = env.get(scope)
        return None if fact is None else fact.get(name)

    return field


def same(a: Any, b: Any) -> bool:
    """Equality that keeps booleans apart from numbers (true is not 1)."""
    return bool(a == b) and isinstance(a, bool) == isinstance(b, bool)


def _compare(op: str, actual: Any, expected: Any) -> bool:
    """A condition on a field; on a missing (null) field only equality to null can hold."""
    if op == "eq":
        return same(actual, expected)
    if actual is None or expected is None:
        return False
    if op == "in":
        return any(same(actual, item) for item in expected)
    if op == "out":
        return not any(same(actual, item) for item in expected)
    if op == "ne":
        return not same(actual, expected)
    if isinstance(actual, str) != isinstance(expected, str):
        return False
    if op == "lt":
        return bool(actual < expected)
    if op == "le":
        return bool(actual <= expected)
    if op == "gt":
        return bool(actual > expected)
    return bool(actual >= expected)


def _const_test(test: m.Test) -> Callable[[Fact], bool]:
    field, op = test.field, test.op
    expected = test.value.value if isinstance(test.value, Const) else None
    if op == "eq" and not isinstance(expected, bool) and expected is not None:
        return lambda fact: fact.get(field) == expected and not isinstance(fact.get(field), bool)
    if op == "eq" and isinstance(expected, bool):
        return lambda fact: fact.get(field) is expected
    if op == "ne" and expected.__class__ is str:  # only text equals text
        return lambda fact: (actual := fact.get(field)) is not None and actual != expected
    if op in ("in", "out") and isinstance(expected, (list, tuple)) and all(v.__class__ is str for v in expected):
        texts = tuple(expected)
        if op == "in":
            return lambda fact: fact.get(field) in texts
        return lambda fact: (actual := fact.get(field)) is not None and actual not in texts
    return lambda fact: _compare(op, fact.get(field), expected)


def _conjunction(tests: list[m.Test]) -> Callable[[Fact], bool]:
    """One predicate for all the conditions on constants; plain equalities on text compare at once."""
    texts = [t for t in tests if t.op == "eq" and isinstance(t.value, Const) and isinstance(t.value.value, str)]
    rest = [_const_test(t) for t in tests if t not in texts]
    if texts:
        getter = _getter(tuple(t.field for t in texts))
        wanted = tuple(t.value.value for t in texts if isinstance(t.value, Const))
        if not rest:
            return lambda fact: getter(fact) == wanted
        if len(rest) == 1:
            (other,) = rest
            return lambda fact: getter(fact) == wanted and other(fact)
        return lambda fact: getter(fact) == wanted and all(test(fact) for test in rest)
    if not rest:
        return lambda fact: True
    if len(rest) == 1:
        return rest[0]
    return lambda fact: all(test(fact) for test in rest)


def _getter(fields: tuple[str, ...]) -> Callable[[Fact], tuple[Any, ...]]:
    """The values of some fields as a tuple (None where absent)."""
    if len(fields) == 1:
        (only,) = fields
        return lambda fact: (fact.get(only),)
    return lambda fact: tuple(map(fact.get, fields))


_ORDERS: dict[str, Callable[[Any, Any], bool]] = {
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}


def _ref_test(test: m.Test) -> Callable[[Fact, Env], bool]:
    field, op = test.field, test.op
    if isinstance(test.value, Ref) and op in _ORDERS and test.value.scope not in ("this", *TOTALS):
        alias, name, compare = test.value.scope, test.value.name, _ORDERS[op]

        def ordered(fact: Fact, env: Env) -> bool:
            actual, other = fact.get(field), env[alias]
            expected = None if other is None else other.get(name)
            if actual is None or expected is None or isinstance(actual, str) != isinstance(expected, str):
                return False
            return compare(actual, expected)

        return ordered
    value = value_of(test.value)
    return lambda fact, env: _compare(op, fact.get(field), value(env, {}, None))


@attrs.frozen
class PatternPlan:
    """How to find the facts of one pattern: a type, a predicate, a join key."""

    pattern: m.Pattern
    accepts: Callable[[Fact], bool]
    """The conditions on constants."""
    join_fields: tuple[str, ...]
    """Fields that must equal a value of facts found before (the join key)."""
    join_values: tuple[Value, ...]
    checks: tuple[Callable[[Fact, Env], bool], ...]
    """Other conditions that read facts found before (aggregates only)."""
    compared: tuple[tuple[str, str, Value], ...] = ()
    """The same conditions as data: (field, operator, value of the facts found before)."""
    join_tests: tuple[m.Test, ...] = ()
    """The equalities with facts found before, as written (``join_fields`` and ``join_values`` read them)."""
    compared_tests: tuple[m.Test, ...] = ()
    """The other conditions that read facts found before, as written (``checks`` and ``compared``)."""
    key_of: Callable[[Fact], tuple[Any, ...]] = attrs.field(
        init=False,
        eq=False,
        repr=False,
        default=attrs.Factory(lambda self: key_reader(self.join_fields), takes_self=True),
    )
    """The fact's join key."""

    def key_for(self, env: Env) -> tuple[Any, ...]:
        """The join key a fact must have to go with the facts found so far."""
        return tuple(keyed(value(env, {}, None)) for value in self.join_values)

    def key_to_join(self, env: Env) -> tuple[Any, ...] | None:
        """As ``key_for``, but None when a value is null: a null joins no fact (as in both engines)."""
        values = [value(env, {}, None) for value in self.join_values]
        return None if None in values else tuple(map(keyed, values))


def keyed(value: Any) -> Any:
    """A join-key component that keeps booleans apart from numbers."""
    return (type(value) is bool, value)


def key_reader(fields: tuple[str, ...]) -> Callable[[Fact], tuple[Any, ...]]:
    """A fact's values of some fields as a join key (as ``keyed`` makes each)."""
    if len(fields) == 1:
        (one,) = fields
        return lambda fact: ((type(a := fact.get(one)) is bool, a),)
    if len(fields) == 2:
        one, two = fields
        return lambda fact: ((type(a := fact.get(one)) is bool, a), (type(b := fact.get(two)) is bool, b))
    return lambda fact: tuple([(type(value) is bool, value) for value in map(fact.get, fields)])


def filtered(group: list[Fact], field: str, op: str, expected: Any) -> list[Fact]:
    """The facts of a group whose field meets a condition against a value (as ``_compare`` tells)."""
    compare = _ORDERS.get(op)
    if compare is None:
        return [fact for fact in group if _compare(op, fact.get(field), expected)]
    if expected is None:
        return []
    text = isinstance(expected, str)
    return [
        fact
        for fact in group
        if (actual := fact.get(field)) is not None and isinstance(actual, str) is text and compare(actual, expected)
    ]


def plan_pattern(pattern: m.Pattern) -> PatternPlan:
    """The plan of one pattern."""
    joins = [t for t in pattern.tests if not isinstance(t.value, Const) and t.op == "eq"]
    others = [t for t in pattern.tests if not isinstance(t.value, Const) and t.op != "eq"]

    return PatternPlan(
        pattern=pattern,
        accepts=_conjunction([t for t in pattern.tests if isinstance(t.value, Const)]),
        join_fields=tuple(t.field for t in joins),
        join_values=tuple(value_of(t.value) for t in joins),
        checks=tuple(_ref_test(t) for t in others),
        compared=tuple((t.field, t.op, value_of(t.value)) for t in others),
        join_tests=tuple(joins),
        compared_tests=tuple(others),
    )


@attrs.frozen
class OutputPlan:
    """How to give an output: each field's value, in order."""

    fields: tuple[tuple[str, str, Value], ...]
    """(field name, name for ``$this``, value)."""

    def values(self, env: Env, totals: Totals, rule_id: str) -> dict[str, Any]:
        """Every output field's value for the matched facts."""
        values: dict[str, Any] = {}
        this: dict[str, Any] = {}
        name = ""
        try:
            for name, short, value in self.fields:
                values[name] = this[short] = value(env, this, totals)
        except ExpressionError as error:
            from civpolicy.errors import EngineError

            raise EngineError(f"rule {rule_id}: {name}: {error}", rule_id) from None
        return values


def plan_output(output: m.Output) -> OutputPlan:
    """The plan of a rule's output."""
    return OutputPlan(tuple((name, name.removeprefix("params."), value_of(expr)) for name, expr in output.fields))


@attrs.frozen
class RulePlan:
    """A rule ready to run: its patterns' plans, its output plan, its absent-fact notes."""

    rule: CompiledRule
    patterns: tuple[PatternPlan, ...]
    output: OutputPlan
    absent_notes: tuple[tuple[Template | None, str], ...]
    premise_aliases: tuple[str, ...] = ()
    """The aliases of the facts found (not the absent ones), in pattern order: the premises."""


@attrs.frozen
class AggregatePlan:
    """An aggregate ready to run."""

    aggregate: CompiledAggregate
    each: PatternPlan
    over: PatternPlan
    order_by: tuple[Value, ...]
    output: OutputPlan
    value: Value | None = None
    """What ``sum`` adds up over the group (``$sum``, ``$mean``)."""
    order_fields: tuple[str, ...] | None = None
    """The fields of the group's facts that ``order_by`` names, when it names nothing else."""
    value_field: str | None = None
    """The field of the group's facts that ``value`` names, when it is one."""
    group_of: Callable[[Fact], tuple[Any, ...]] | None = attrs.field(default=None, eq=False, repr=False)
    """The join key of the group that goes with a fact of ``each``, when the key is fields of it."""


@attrs.frozen
class Plans:
    """Every rule's and aggregate's plan for one compiled policy."""

    policy: CompiledPolicy
    rules: tuple[RulePlan, ...]
    aggregates: tuple[AggregatePlan, ...]
    by_rule: Mapping[str, RulePlan]
    order_of: Mapping[str, int] = attrs.field(factory=dict)
    """Each rule's place in the policy, then each aggregate's after them (for ranking derivations)."""
    language: str = "en"
    """The language facts are described in (``says``: English, or Chinese where the policy has it)."""
    labels: Labels | None = None
    """Per vocabulary, each term's label in that language (None: terms are told by their ids)."""

    def rules_in(self, stratum: int) -> tuple[RulePlan, ...]:
        """The rule plans of one stratum."""
        return tuple(plan for plan in self.rules if plan.rule.stratum == stratum)

    def aggregates_in(self, stratum: int) -> tuple[AggregatePlan, ...]:
        """The aggregate plans of one stratum."""
        return tuple(plan for plan in self.aggregates if plan.aggregate.stratum == stratum)


def _fields_of(exprs: tuple[Expr, ...], alias: str | None) -> tuple[str, ...] | None:
    """The field names, if every expression is a plain reference to a field of ``alias``."""
    if all(isinstance(e, Ref) and e.scope == alias for e in exprs):
        return tuple(e.name for e in exprs if isinstance(e, Ref))
    return None


def _field_of(expr: Expr | None, alias: str | None) -> str | None:
    """The field name, if the expression is a plain reference to a field of ``alias``."""
    return expr.name if isinstance(expr, Ref) and expr.scope == alias else None


def _group_of(over: PatternPlan, each_alias: str | None) -> Callable[[Fact], tuple[Any, ...]] | None:
    """The group key from a fact of ``each`` alone, when every join value is a field of it."""
    fields = _fields_of(tuple(t.value for t in over.join_tests), each_alias)
    return None if fields is None else key_reader(fields)


def _aggregate_plan(agg: CompiledAggregate) -> AggregatePlan:
    """The plan of one aggregate."""
    over = plan_pattern(agg.over)
    return AggregatePlan(
        aggregate=agg,
        each=plan_pattern(agg.each),
        over=over,
        order_by=tuple(value_of(e) for e in agg.order_by),
        order_fields=_fields_of(agg.order_by, agg.over.alias),
        value=None if agg.value is None else value_of(agg.value),
        value_field=_field_of(agg.value, agg.over.alias),
        group_of=_group_of(over, agg.each.alias),
        output=plan_output(agg.output),
    )


def make_plans(policy: CompiledPolicy, language: str = "en", labels: Labels | None = None) -> Plans:
    """Plans for every rule and aggregate of a compiled policy, describing facts in ``language``."""
    rules = tuple(
        RulePlan(
            rule=rule,
            patterns=tuple(plan_pattern(p) for p in rule.patterns),
            output=plan_output(rule.output),
            absent_notes=tuple((p.says, p.fact_type) for p in rule.patterns if p.negated),
            premise_aliases=tuple(p.alias for p in rule.patterns if p.alias and not p.negated),
        )
        for rule in policy.rules
    )
    aggregates = tuple(_aggregate_plan(agg) for agg in policy.aggregates)
    order_of = {plan.rule.id: plan.rule.order for plan in rules}
    after = 1 + max(order_of.values(), default=-1)
    names = dict.fromkeys(plan.aggregate.id for plan in aggregates)  # an aggregate's variants share its place
    order_of.update({name: after + i for i, name in enumerate(names)})
    return Plans(policy, rules, aggregates, {plan.rule.id: plan for plan in rules}, order_of, language, labels)


__all__ = ["AggregatePlan", "PatternPlan", "Plans", "RulePlan", "apply_call", "keyed", "make_plans", "same", "value_of"]
