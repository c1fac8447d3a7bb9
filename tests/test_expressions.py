"""civpolicy.source.expressions: parsing values of the policy, evaluating them exactly, and templates."""

from __future__ import annotations

from typing import Any

import pytest

from civpolicy.source.expressions import (
    Call,
    Const,
    ExpressionError,
    Ref,
    Scope,
    Template,
    did_you_mean,
    evaluate,
    parse_expr,
    references,
    show,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("$e.unit", Ref("e", "unit")),
        ("$params.year_withhold_streak", Ref("params", "year_withhold_streak")),
        ("$this.quota", Ref("this", "quota")),
        ("$count", Ref("count", "")),
        ("$_x1.f_2", Ref("_x1", "f_2")),
    ],
    ids=["alias-field", "param", "this", "count", "underscores-and-digits"],
)
def test_parse_reference(raw: str, expected: Ref) -> None:
    assert expected == parse_expr(raw)


@pytest.mark.parametrize(
    "raw",
    ["plain text", "", 3, -10, 17.5, True, None, "a $ in the middle"],
    ids=["text", "empty-text", "int", "negative", "float", "bool", "null", "dollar-not-first"],
)
def test_parse_constant(raw: Any) -> None:
    assert Const(raw) == parse_expr(raw)


def test_parse_operations_nest() -> None:
    raw = {"floor": {"percent_of": ["$u.headcount", {"add": ["$u.base_quota", 5]}]}}
    expected = Call(
        "floor",
        (Call("percent_of", (Ref("u", "headcount"), Call("add", (Ref("u", "base_quota"), Const(5))))),),
    )
    assert expected == parse_expr(raw)


def test_single_argument_may_be_written_without_a_list() -> None:
    assert Call("floor", (Const(3.5),)) == parse_expr({"floor": 3.5})


def test_reference_text() -> None:
    expected = ["$e.unit", "$count"]
    assert expected == [str(parse_expr("$e.unit")), str(parse_expr("$count"))]


def test_references_lists_every_reference_in_order() -> None:
    expr = parse_expr({"add": ["$a.x", {"multiply": [2, "$params.p"]}, "$count"]})
    assert [Ref("a", "x"), Ref("params", "p"), Ref("count", "")] == references(expr)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("$", "not a reference: '$' (write $alias.field or $params.name)"),
        ("$e.", "not a reference: '$e.' (write $alias.field or $params.name)"),
        ("$1e.unit", "not a reference: '$1e.unit' (write $alias.field or $params.name)"),
        ("$e.unit.more", "not a reference: '$e.unit.more' (write $alias.field or $params.name)"),
        ("$e-x.unit", "not a reference: '$e-x.unit' (write $alias.field or $params.name)"),
        ("$e", "a reference needs a field: '$e' (write $e.field)"),
        ("$params", "a reference needs a field: '$params' (write $params.field)"),
        ("$count.x", "$count takes no field (got '$count.x')"),
    ],
    ids=["dollar-only", "trailing-dot", "digit-first", "two-dots", "dash", "no-field", "params-no-name", "count-field"],
)
def test_bad_reference(raw: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expr(raw)
    assert message == str(caught.value)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"ad": [1, 2]}, "unknown operation 'ad' (did you mean 'add'?)"),
        ({"substract": [1, 2]}, "unknown operation 'substract' (did you mean 'subtract'?)"),
        ({"percent": 1}, "unknown operation 'percent' (did you mean 'percentage'?)"),
        ({"percentof": [1, 2]}, "unknown operation 'percentof' (did you mean 'percent_of'?)"),
        ({"bogus": 1}, "unknown operation 'bogus'"),
        ({"add": [1], "subtract": [1, 2]}, "an operation is a mapping with one key (got ['add', 'subtract'])"),
        ({}, "an operation is a mapping with one key (got [])"),
        ([1, 2], "a list is not a value here"),
        ({"add": [[1], 2]}, "a list is not a value here"),
        ({"add": ["$e"]}, "a reference needs a field: '$e' (write $e.field)"),
    ],
    ids=[
        "ad",
        "substract",
        "percent",
        "percentof",
        "no-close-name",
        "two-keys",
        "empty-mapping",
        "list",
        "list-argument",
        "bad-reference-inside",
    ],
)
def test_bad_operation(raw: Any, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expr(raw)
    assert message == str(caught.value)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"add": []}, "add takes one or more value(s) (got 0)"),
        ({"multiply": []}, "multiply takes one or more value(s) (got 0)"),
        ({"subtract": [1]}, "subtract takes 2 value(s) (got 1)"),
        ({"subtract": [1, 2, 3]}, "subtract takes 2 value(s) (got 3)"),
        ({"divide": 1}, "divide takes 2 value(s) (got 1)"),
        ({"floor": [1, 2]}, "floor takes 1 value(s) (got 2)"),
        ({"percentage": []}, "percentage takes 1 value(s) (got 0)"),
        ({"percent_of": [40]}, "percent_of takes 2 value(s) (got 1)"),
    ],
    ids=["add-0", "multiply-0", "subtract-1", "subtract-3", "divide-1", "floor-2", "percentage-0", "percent_of-1"],
)
def test_wrong_number_of_arguments(raw: Any, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expr(raw)
    assert message == str(caught.value)


SCOPE = Scope(
    facts={"u": {"headcount": 40, "base_quota": None, "rate": 17.5}, "absent": None},
    params={"delta": -10},
    this={"quota": 20},
    count=3,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("$u.headcount", 40),
        ("$u.base_quota", None),
        ("$u.no_such_field", None),
        ("$absent.unit", None),
        ("$unbound.unit", None),
        ("$params.delta", -10),
        ("$this.quota", 20),
        ("$this.not_yet", None),
        ("$count", 3),
        ("text", "text"),
    ],
    ids=[
        "field",
        "null-field",
        "missing-field",
        "absent-fact",
        "unbound-alias",
        "param",
        "this",
        "this-not-computed",
        "count",
        "constant",
    ],
)
def test_evaluate_lookup(raw: Any, expected: Any) -> None:
    assert expected == evaluate(parse_expr(raw), SCOPE)


@pytest.mark.parametrize(
    "raw",
    [
        {"add": ["$u.base_quota", 5]},
        {"add": [1, None]},
        {"percentage": {"add": ["$u.base_quota", "$params.delta"]}},
        {"floor": {"percent_of": ["$u.headcount", "$this.not_yet"]}},
        {"divide": ["$absent.x", 0]},
        {"add": ["$u.base_quota", "not a number"]},
    ],
    ids=["add", "const-null", "nested", "two-levels", "before-division-by-zero", "before-type-check"],
)
def test_null_in_gives_null_out(raw: Any) -> None:
    assert evaluate(parse_expr(raw), SCOPE) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"floor": {"percent_of": [40, 17.5]}}, 7),
        ({"floor": {"percent_of": ["$u.headcount", "$u.rate"]}}, 7),
        ({"percent_of": [40, 17.5]}, 7),
        ({"percent_of": [12, 20]}, 2.4),
        ({"add": [0.1, 0.2]}, 0.3),
        ({"subtract": [0.3, 0.1]}, 0.2),
        ({"multiply": [0.1, 3]}, 0.3),
        ({"multiply": [2, 3, 4]}, 24),
        ({"add": [1, 2, 3.5]}, 6.5),
        ({"divide": [6, 3]}, 2),
        ({"divide": [1, 4]}, 0.25),
        ({"floor": -0.5}, -1),
        ({"floor": 2.9999}, 2),
        ({"add": [15, -10]}, 5),
    ],
    ids=[
        "floor-percent-of",
        "floor-percent-of-refs",
        "percent-of-integral",
        "percent-of-fraction",
        "add-decimals",
        "subtract-decimals",
        "multiply-decimal",
        "multiply-many",
        "add-many",
        "divide-integral",
        "divide-fraction",
        "floor-negative",
        "floor-below-integer",
        "add-negative",
    ],
)
def test_exact_arithmetic(raw: Any, expected: Any) -> None:
    actual = evaluate(parse_expr(raw), SCOPE)
    assert (expected, type(expected)) == (actual, type(actual))


@pytest.mark.parametrize(
    ("raw", "in_floats", "exact"),
    [
        ({"floor": {"percent_of": [375, 18.4]}}, 375 * 18.4 / 100, 69),
        ({"floor": {"multiply": [0.29, 100]}}, 0.29 * 100, 29),
    ],
    ids=["percent-of", "multiply"],
)
def test_floor_is_exact_where_float_arithmetic_falls_below_the_integer(raw: Any, in_floats: float, exact: int) -> None:
    assert (exact, True) == (evaluate(parse_expr(raw), SCOPE), in_floats < exact)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(150, 100), (100, 100), (99.5, 99.5), (0, 0), (-3, 0), (-0.5, 0)],
    ids=["above", "top", "inside", "bottom", "below", "just-below"],
)
def test_percentage_clamps_to_0_100(value: float, expected: float) -> None:
    assert expected == evaluate(parse_expr({"percentage": value}), SCOPE)


def test_percentage_of_a_sum_with_a_param_as_the_policy_writes_it() -> None:
    scope = Scope(facts={"u": {"base_quota": 5, "headcount": 40}}, params={"delta": -10})
    quota = evaluate(parse_expr({"percentage": {"add": ["$u.base_quota", "$params.delta"]}}), scope)
    slots_expr = parse_expr({"floor": {"percent_of": ["$u.headcount", "$this.quota"]}})
    slots = evaluate(slots_expr, Scope(facts=scope.facts, this={"quota": quota}))
    expected = (0, 0)
    assert expected == (quota, slots)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"divide": [1, 0]}, "division by zero"),
        ({"add": ["a", 1]}, "add needs numbers (got ['a', 1])"),
        ({"add": [True, 1]}, "add needs numbers (got [True, 1])"),
        ({"floor": "2"}, "floor needs numbers (got ['2'])"),
    ],
    ids=["divide-by-zero", "text", "boolean", "numeric-text"],
)
def test_evaluate_refuses(raw: Any, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluate(parse_expr(raw), SCOPE)
    assert message == str(caught.value)


def test_unknown_param_is_a_lookup_error_not_null() -> None:
    with pytest.raises(KeyError):
        evaluate(parse_expr("$params.nope"), SCOPE)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("evalution", " (did you mean 'evaluation'?)"), ("grad", " (did you mean 'grade'?)"), ("zzz", "")],
    ids=["typo", "prefix", "nothing-close"],
)
def test_did_you_mean(name: str, expected: str) -> None:
    assert expected == did_you_mean(name, ["evaluation", "grade", "unit"])


def test_template_names_in_order() -> None:
    template = Template("{unit} graded {grade} for {q.period}; {unit} again")
    expected = ["unit", "grade", "q.period", "unit"]
    assert expected == template.names()


def test_template_render_shows_values_as_people_read_them() -> None:
    values = {"unit": "a", "n": 3, "yes": True, "no": False, "gone": None, "e.period": "2022-Q1"}
    text = Template("{unit}: {n} | {yes}/{no} | {gone} | {e.period}").render(values.get)
    expected = "a: 3 | yes/no | none | 2022-Q1"
    assert expected == text


def test_template_leaves_what_is_not_a_placeholder() -> None:
    template = Template("{not a name} {1x} {a.b.c} {{unit}}")
    expected = (["unit"], "{not a name} {1x} {a.b.c} {X}")
    assert expected == (template.names(), template.render(lambda _: "X"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "none"), (True, "yes"), (False, "no"), (0, "0"), (2.5, "2.5"), ("x", "x")],
    ids=["none", "true", "false", "zero", "float", "text"],
)
def test_show(value: Any, expected: str) -> None:
    assert expected == show(value)
