"""Join plans to Python source: one straight-line function per rule and starting pattern.

The native engine interprets its join plans (:mod:`civpolicy.engine.native`): every step
looks up a closure, builds a dictionary of the facts found so far and filters a bucket.
This module writes the same plans out as Python source instead (the approach of Drools'
executable model), which :mod:`civpolicy.engine.compiled` compiles once per policy: nested
``for`` loops over hash-index buckets, keys read into local variables, the output's values
computed inline, each match given to the workspace at once. An aggregate whose group is
read by plain fields is written out likewise (:func:`write_aggregate`): a loop over its
each-facts, the output inline, the workspace's own functions for the rest.

The policy stays data. The source holds only identifiers made here (``f0``, ``I3``,
``rule_2_from_1``…) and constants written by :func:`literal` (``repr`` of text, whole
numbers, finite floats, booleans and null); every other object the functions need (a
rule's plan, a condition's closure, a constant of another type) is handed to them in the
namespace under a made-up name. No text from a policy file reaches the source any other
way, so no name or string in a policy can change what the code means
(``tests/test_codegen.py`` feeds hostile ones through).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from civpolicy.engine.plans import AggregatePlan, RulePlan
from civpolicy.source.expressions import TOTALS, Call, Const, Expr, Ref
from civpolicy.source.model import Test

Namespace = dict[str, Any]
INDENT = "    "


def literal(value: Any, namespace: Namespace) -> str:
    """A constant as source: a ``repr`` literal for plain scalars, else a name bound in the namespace."""
    if value is None or value.__class__ in (bool, int, str):
        return repr(value)
    if value.__class__ is float and math.isfinite(value):
        return repr(value)
    name = f"K{len(namespace)}"
    namespace[name] = value
    return name


def bind(value: Any, namespace: Namespace, prefix: str) -> str:
    """An object handed to the generated code under a new name."""
    name = f"{prefix}{len(namespace)}"
    namespace[name] = value
    return name


def keyed(expr: str) -> str:
    """The source of a join-key component: booleans kept apart from numbers (true is not 1)."""
    return f"((bool, {expr}) if {expr}.__class__ is bool else {expr})"


def key_tuple(values: Sequence[str]) -> str:
    """A tuple of join-key components from variables."""
    if not values:
        return "()"
    return "(" + ", ".join(keyed(v) for v in values) + ("," if len(values) == 1 else "") + ")"


@attrs.frozen
class StepSource:
    """One positive pattern of a join as the generator needs it."""

    position: int
    index_id: int
    sources: tuple[tuple[int, str], ...]
    """(position of a bound fact, field) whose values make the key."""
    others: tuple[int, ...]
    """Positions bound before to facts of the same type (one fact fills one pattern)."""
    stop: str
    """``low`` (only facts older than the round) or ``high`` (older or as new)."""


@attrs.frozen
class AbsentSource:
    """One absent pattern: its index, key sources, same-type positions and extra conditions."""

    position: int
    index_id: int
    sources: tuple[tuple[int, str], ...]
    others: tuple[int, ...]
    checks: int
    """How many conditions read the facts found (closures bound in the namespace)."""


@attrs.frozen
class JoinSource:
    """A rule joined from one starting pattern: the steps in join order, the absent patterns."""

    name: str
    steps: tuple[StepSource, ...]
    absent: tuple[AbsentSource, ...]


class Writer:
    """Lines of source at a growing indent."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def line(self, depth: int, text: str) -> None:
        """One line at ``depth`` indents."""
        self.lines.append(INDENT * depth + text)

    def text(self) -> str:
        """The source."""
        return "\n".join(self.lines) + "\n"


MOST_PATTERNS = 12
"""The most patterns a rule written out may have: Python compiles at most 20 nested blocks."""
DEEPEST_VALUE = 40
"""The deepest calculation written out: Python reads at most 200 nested brackets."""


def writable(plan: RulePlan) -> bool:
    """Whether a rule fits Python's nesting limits as generated code (else the engine interprets it)."""
    return len(plan.patterns) <= MOST_PATTERNS and all(
        _depth(expr) <= DEEPEST_VALUE for _, expr in plan.rule.output.fields
    )


def _depth(expr: Expr) -> int:
    if isinstance(expr, Call):
        return 1 + max((_depth(arg) for arg in expr.args), default=0)
    return 0


def write_join(out: Writer, depth: int, join: JoinSource, plan: RulePlan, namespace: Namespace) -> None:
    """A function ``name(low, high)`` that gives every match new in the round [low, high)."""
    aliases = [p.pattern.alias or "" for p in plan.patterns]
    out.line(depth, f"def {join.name}(low, high):")
    body = depth + 1
    first, *rest = join.steps
    out.line(body, f"b = I{first.index_id}.get((), ())")
    out.line(body, "if not b:")
    out.line(body + 1, "return")
    out.line(body, f"for s{first.position}, f{first.position} in b[bisect(b, (low,)) : bisect(b, (high,))]:")
    at = body + 1
    bound = [first.position]
    for step in rest:
        at = _write_step(out, at, step)
        bound.append(step.position)
    env = "{" + ", ".join(f"{literal(aliases[p], namespace)}: f{p}" for p in bound) + "}"
    for absent in join.absent:
        at = _write_absent(out, at, absent, plan, env=env, namespace=namespace)
    _write_fire(out, at, plan, bound, env=env, namespace=namespace)


def _write_key(out: Writer, depth: int, sources: tuple[tuple[int, str], ...], name: str) -> str:
    """Read a key's values into locals; a null value skips the match (it joins no fact). The key's source."""
    if not sources:
        return "()"
    values = []
    for n, (position, field) in enumerate(sources):
        value = f"{name}_{n}"
        out.line(depth, f"{value} = f{position}.get({field!r})")
        out.line(depth, f"if {value} is None:")
        out.line(depth + 1, "continue")
        values.append(value)
    return key_tuple(values)


def _write_step(out: Writer, depth: int, step: StepSource) -> int:
    p = step.position
    key = _write_key(out, depth, step.sources, f"k{p}")
    out.line(depth, f"for s{p}, f{p} in I{step.index_id}.get({key}, ()):")
    out.line(depth + 1, f"if s{p} >= {step.stop}:")
    out.line(depth + 2, "break")
    for other in step.others:
        out.line(depth + 1, f"if f{p} is f{other}:")
        out.line(depth + 2, "continue")
    return depth + 1


def _write_absent(
    out: Writer, depth: int, absent: AbsentSource, plan: RulePlan, *, env: str, namespace: Namespace
) -> int:
    """Skip the match when a fact the rule asks to be absent is there."""
    p = absent.position
    if absent.sources:
        # A null value in the key finds no fact: the pattern is absent.
        values = [f"a{p}_{n}" for n in range(len(absent.sources))]
        for value, (position, field) in zip(values, absent.sources, strict=True):
            out.line(depth, f"{value} = f{position}.get({field!r})")
        nulls = " or ".join(f"{v} is None" for v in values)
        out.line(depth, f"g{p} = () if {nulls} else I{absent.index_id}.get({key_tuple(values)}, ())")
    else:
        out.line(depth, f"g{p} = I{absent.index_id}.get((), ())")
    if not absent.checks and not absent.others:
        out.line(depth, f"if g{p}:")
        out.line(depth + 1, "continue")
        return depth
    checks = [bind(check, namespace, "C") for check in plan.patterns[p].checks]
    tests = [f"{check}(g, env)" for check in checks] + [f"g is not f{other}" for other in absent.others]
    if checks:
        out.line(depth, f"env = {env}")
    out.line(depth, f"blocked{p} = False")
    out.line(depth, f"for _, g in g{p}:")
    out.line(depth + 1, f"if {' and '.join(tests)}:")
    out.line(depth + 2, f"blocked{p} = True")
    out.line(depth + 2, "break")
    out.line(depth, f"if blocked{p}:")
    out.line(depth + 1, "continue")
    return depth


def _write_fire(out: Writer, depth: int, plan: RulePlan, bound: list[int], *, env: str, namespace: Namespace) -> None:
    """Compute the output's values inline and give them to the workspace; a failing value goes the generic way."""
    rule = plan.rule
    position_of = {p.pattern.alias: i for i, p in enumerate(plan.patterns) if p.pattern.alias and i in bound}
    premises = [f"f{position_of[alias]}['id']" for alias in plan.premise_aliases if alias in position_of]
    plan_name = bind(plan, namespace, "P")
    rule_id = literal(rule.id, namespace)
    out.line(depth, "try:")
    out.line(depth + 1, "pass")
    this: dict[str, str] = {}
    names = []
    exprs = dict(rule.output.fields)
    for n, (name, short, _) in enumerate(plan.output.fields):
        expr = exprs[name]
        out.line(depth + 1, f"v{n} = {_expression(expr, position_of, this, namespace)}")
        this[short] = f"v{n}"
        names.append(f"{literal(name, namespace)}: v{n}")
    out.line(depth, "except ExpressionError:")
    out.line(depth + 1, f"new = fire({plan_name}, {env})")
    out.line(depth, "else:")
    notes = f", notes=absent_notes({plan_name}, {env})" if plan.absent_notes else ""
    derivation = f"Derivation({rule_id}, ({''.join(p + ', ' for p in premises)}){notes})"
    values = "{" + ", ".join(names) + "}"
    if rule.consequence is not None:
        out.line(depth + 1, f"new = give({plan_name}, {derivation}, {values})")
    else:
        period = next((this[short] for name, short, _ in plan.output.fields if name == "period"), None)
        head = literal(rule.head, namespace)
        _write_derived(out, depth + 1, plan_name, head=head, derivation=derivation, values=values, period=period)
    out.line(depth, "if new is not None:")
    out.line(depth + 1, "insert(new)")


def _write_derived(
    out: Writer, depth: int, plan_name: str, *, head: str, derivation: str, values: str, period: str | None
) -> None:
    """A derived fact made inline, with its period's fields; a period not seen yet, or not one, goes by ``give``."""
    out.line(depth, f"d = {derivation}")
    out.line(depth, f"fact = {{'type': {head}, {values[1:]}")
    if period is None:
        out.line(depth, "new = derive(fact, d)")
        return
    out.line(depth, f"pf = PERIOD_FIELDS.get({period}) if {period}.__class__ is str else None")
    out.line(depth, "if pf is not None:")
    out.line(depth + 1, "fact.update(pf)")
    out.line(depth + 1, "new = derive(fact, d)")
    out.line(depth, f"elif {period} is None:")
    out.line(depth + 1, "new = derive(fact, d)")
    out.line(depth, "else:")
    out.line(depth + 1, f"new = give({plan_name}, d, {values})")


def _expression(
    expr: Expr, position_of: dict[str, int], this: dict[str, str], namespace: Namespace, totals: str = "None"
) -> str:
    """The source of a value: a constant, a field of a matched fact, an earlier output value, a call.

    ``totals`` is the source of an aggregate's totals (a rule has none).
    """
    if isinstance(expr, Const):
        return literal(expr.value, namespace)
    if isinstance(expr, Ref):
        if expr.scope in TOTALS:
            return "None" if totals == "None" else f"{totals}.get({literal(expr.scope, namespace)})"
        if expr.scope == "this":
            return this.get(expr.name, "None")
        position = position_of.get(expr.scope)
        return "None" if position is None else f"f{position}.get({literal(expr.name, namespace)})"
    assert isinstance(expr, Call)
    args = ", ".join(_expression(arg, position_of, this, namespace, totals) for arg in expr.args)
    return f"apply_call({literal(expr.op, namespace)}, [{args}])"


def aggregate_writable(plan: AggregatePlan) -> bool:
    """Whether an aggregate reads only plain fields where it reads a group (else the workspace runs it).

    Its group's key and conditions read fields of the each-fact; ``order_by`` and ``value`` read
    fields of the group's facts; its output fits Python's nesting limits.
    """
    aggregate = plan.aggregate
    compared = all(isinstance(t.value, Ref) and t.value.scope == aggregate.each.alias for t in plan.over.compared_tests)
    ordered = plan.order_fields is not None if aggregate.mode == "first" else plan.value is None or plan.value_field
    deep = any(_depth(expr) > DEEPEST_VALUE for _, expr in aggregate.output.fields)
    return plan.group_of is not None and compared and bool(ordered) and not deep


def write_aggregate(out: Writer, depth: int, name: str, plan: AggregatePlan, namespace: Namespace) -> None:
    """A function ``name()`` deriving an aggregate's facts as the workspace does, returning the new ones.

    Each fact of ``each`` in the order they came: its group (``groups`` makes them), filtered by
    each condition (``filtered``), its totals or first fact and its premises by the workspace's
    own functions, the output inline. Whatever fails to be computed so (a value, a period not
    seen yet) goes through ``one``, the workspace's interpreted path for that fact.
    """
    aggregate = plan.aggregate
    plan_name = bind(plan, namespace, "P")
    out.line(depth, f"def {name}():")
    body = depth + 1
    out.line(body, f"G = groups({plan_name})")
    out.line(body, "new = []")
    out.line(body, f"for fact in of_type({literal(aggregate.each.fact_type, namespace)})[:]:")
    at = body + 1
    tests = [test for test in aggregate.each.tests if isinstance(test.value, Const)]
    if tests:
        conditions = [condition(test, namespace) for test in tests]
        accepts = " and ".join(f"({c})" for c in conditions) if all(conditions) else None
        out.line(at, f"if not ({accepts or bind(plan.each.accepts, namespace, 'A') + '(fact)'}):")
        out.line(at + 1, "continue")
    out.line(at, "f0 = fact")
    _write_group(out, at, plan, namespace)
    position_of = {aggregate.each.alias or "": 0}
    if plan.value is None and aggregate.mode != "first":
        out.line(at, "t = {'count': len(g)}")
    else:
        out.line(at, "try:")
        if aggregate.mode == "first":
            out.line(at + 1, f"f1 = first({plan_name}, {{}}, g)")
            position_of[aggregate.over.alias or ""] = 1
        else:
            out.line(at + 1, f"t = totals({plan_name}, {{}}, g)")
        out.line(at, "except EngineError:")
        _write_one(out, at + 1, plan_name)
    if aggregate.mode == "first":
        out.line(at, "if f1 is None:")
        out.line(at + 1, f"d = Derivation({literal(aggregate.id, namespace)}, (f0['id'],))")
        out.line(at + 1, "f1 = {}")  # no first fact: its fields read null
        out.line(at, "else:")
        out.line(at + 1, f"d = Derivation({literal(aggregate.id, namespace)}, premises(f0, [f1]))")
    else:
        out.line(at, f"d = Derivation({literal(aggregate.id, namespace)}, premises(f0, g), expand=1)")
    totals = "None" if aggregate.mode == "first" else "t"
    _write_aggregate_output(
        out, at, plan, plan_name=plan_name, position_of=position_of, totals=totals, namespace=namespace
    )
    out.line(body, "return new")


def _write_one(out: Writer, depth: int, plan_name: str) -> None:
    """Give this each-fact to the workspace's interpreted path, and go on to the next."""
    out.line(depth, f"b = one({plan_name}, f0, G)")
    out.line(depth, "if b is not None:")
    out.line(depth + 1, "new.append(b)")
    out.line(depth, "continue")


def _write_group(out: Writer, depth: int, plan: AggregatePlan, namespace: Namespace) -> None:
    """``g``: the group of ``f0``, filtered by each condition in turn (each reads a field of ``f0``)."""
    parts = []
    for n, test in enumerate(plan.over.join_tests):
        assert isinstance(test.value, Ref)
        out.line(depth, f"x{n} = f0.get({literal(test.value.name, namespace)})")
        parts.append(f"(x{n}.__class__ is bool, x{n})")
    out.line(depth, f"g = G.get(({', '.join(parts)}{',' if len(parts) == 1 else ''}))")
    out.line(depth, "if g is None:")
    out.line(depth + 1, "g = []")
    for test in plan.over.compared_tests:
        assert isinstance(test.value, Ref)
        field, op, other = (literal(text, namespace) for text in (test.field, test.op, test.value.name))
        out.line(depth, "if g:")
        out.line(depth + 1, f"g = filtered(g, {field}, {op}, f0.get({other}))")


def _write_aggregate_output(
    out: Writer,
    depth: int,
    plan: AggregatePlan,
    *,
    plan_name: str,
    position_of: dict[str, int],
    totals: str,
    namespace: Namespace,
) -> None:
    """The output's values inline, then the derived fact made with its period's fields and derived."""
    aggregate = plan.aggregate
    this: dict[str, str] = {}
    names = []
    exprs = dict(aggregate.output.fields)
    out.line(depth, "try:")
    out.line(depth + 1, "pass")
    for n, (name, short, _) in enumerate(plan.output.fields):
        out.line(depth + 1, f"v{n} = {_expression(exprs[name], position_of, this, namespace, totals)}")
        this[short] = f"v{n}"
        names.append(f"{literal(name, namespace)}: v{n}")
    out.line(depth, "except ExpressionError:")
    _write_one(out, depth + 1, plan_name)
    out.line(depth, f"fact = {{'type': {literal(aggregate.head, namespace)}, {', '.join(names)}}}")
    period = next((this[short] for name, short, _ in plan.output.fields if name == "period"), None)
    if period is not None:
        out.line(depth, f"pf = PERIOD_FIELDS.get({period}) if {period}.__class__ is str else None")
        out.line(depth, "if pf is not None:")
        out.line(depth + 1, "fact.update(pf)")
        out.line(depth, f"elif {period} is not None:")
        _write_one(out, depth + 1, plan_name)
    out.line(depth, "b = derive(fact, d)")
    out.line(depth, "if b is not None:")
    out.line(depth + 1, "new.append(b)")


Memory = tuple[Callable[[Any], bool], tuple[Test, ...], int, Sequence[tuple[int, tuple[str, ...]]]]
"""A memory as a filing function needs it: its predicate, the conditions on constants it checks, its
number, and its indexes with the fields of their keys."""


_ORDERS = {"lt": "<", "le": "<=", "gt": ">", "ge": ">="}


def condition(test: Test, namespace: Namespace) -> str | None:
    """A condition on a constant as an expression on ``fact``, where it reads simply (else None).

    As ``plans`` reads them: equality keeps true apart from 1, null equals only null, and a
    null field is in no list and out of none.
    """
    value = test.value.value if isinstance(test.value, Const) else None
    field = f"fact.get({literal(test.field, namespace)})"
    if test.op == "eq" and (value is None or value.__class__ is bool):
        return f"{field} is {literal(value, namespace)}"
    if test.op == "eq" and value.__class__ is str:
        return f"{field} == {literal(value, namespace)}"
    number = value.__class__ in (int, float)
    if test.op == "eq" and number:
        return f"{field} == {literal(value, namespace)} and {field}.__class__ is not bool"
    if test.op in _ORDERS and number:
        compared = f"{field} {_ORDERS[test.op]} {literal(value, namespace)}"
        return f"{field} is not None and not isinstance({field}, str) and {compared}"
    if (
        test.op in ("in", "out")
        and isinstance(value, (list, tuple))
        and value
        and all(v.__class__ is str for v in value)
    ):
        items = "(" + ", ".join(literal(v, namespace) for v in value) + ("," if len(value) == 1 else "") + ")"
        if test.op == "in":
            return f"{field} in {items}"
        return f"{field} is not None and {field} not in {items}"
    return None


def write_inserter(
    out: Writer,
    depth: int,
    name: str,
    memories: Sequence[Memory],
    namespace: Namespace,
) -> None:
    """A function ``name(fact, serial)`` filing a fact of one type in every memory whose conditions it meets.

    Each field a key reads is read once, as its key component; the bucket of an index with no
    key (``L…``, made when the run starts) is appended to directly.
    """
    out.line(depth, f"def {name}(fact, serial):")
    body = depth + 1
    out.line(body, "entry = (serial, fact)")
    fields = list(dict.fromkeys(field for *_, indexes in memories for _, keys in indexes for field in keys))
    component = {}
    for n, field in enumerate(fields):
        out.line(body, f"x{n} = fact.get({literal(field, namespace)})")
        out.line(body, f"y{n} = {keyed(f'x{n}')}")
        component[field] = f"y{n}"
    for accepts, tests, memory, indexes in memories:
        at = body
        if tests:
            conditions = [condition(test, namespace) for test in tests]
            if all(conditions):
                out.line(body, f"if {' and '.join(f'({c})' for c in conditions)}:")
            else:
                out.line(body, f"if {bind(accepts, namespace, 'A')}(fact):")
            at = body + 1
        for index_id, keys in indexes:
            if not keys:
                out.line(at, f"L{index_id}.append(entry)")
                continue
            parts = [component[field] for field in keys]
            out.line(at, f"k = ({', '.join(parts)}{',' if len(parts) == 1 else ''})")
            out.line(at, f"b = I{index_id}.get(k)")
            out.line(at, "if b is None:")
            out.line(at + 1, f"I{index_id}[k] = [entry]")
            out.line(at, "else:")
            out.line(at + 1, "b.append(entry)")
        out.line(at, f"newest[{memory}] = serial")
