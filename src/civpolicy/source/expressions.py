"""Values in rules: references, constants and a few arithmetic operations, as data.

A value in the YAML is a constant, a reference written ``$alias.field``,
``$params.name``, ``$this.name`` (a param computed earlier in the same ``then``) or
``$count`` (in a counting aggregate), or a one-key mapping naming an operation:
``{add: [a, b]}``. Nothing is ever evaluated as code. Every operation passes ``null``
through: an unknown input gives an unknown result.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

import attrs


class ExpressionError(ValueError):
    """A value in the policy that is not a well-formed expression or template."""


@attrs.frozen
class Const:
    """A constant: text, number, boolean or null."""

    value: Any


@attrs.frozen
class Ref:
    """A reference: ``$alias.field``, ``$params.name``, ``$this.name`` or ``$count``."""

    scope: str
    name: str

    def __str__(self) -> str:
        return f"${self.scope}.{self.name}" if self.name else f"${self.scope}"


@attrs.frozen
class Call:
    """An operation on values, such as ``add``."""

    op: str
    args: tuple[Expr, ...]


Expr = Const | Ref | Call


def _exact(value: Any) -> Fraction:
    return Fraction(str(value)) if isinstance(value, float) else Fraction(value)


DECIMALS = 9
"""Results are exact within an expression and rounded to this many decimal places between
facts, so that equal values computed in different ways compare equal (65.1 is 65.1)."""


LARGEST = int(sys.float_info.max)
"""The largest a result may be (about 1.8e308), whole or not: beyond it a number is no float,
so a decision's reader (or Python itself, writing a longer whole number) could not take it."""

TOO_LARGE = f"the result is too large a number (beyond ±{sys.float_info.max:.2g})".replace("e+", "e")
"""What an operation whose result is beyond :data:`LARGEST` says: ``… (beyond ±1.8e308)``."""


def whole_number(value: int) -> int:
    """A whole result, unless it is beyond :data:`LARGEST` (an ExpressionError)."""
    if -LARGEST <= value <= LARGEST:
        return value
    raise ExpressionError(TOO_LARGE)


def plain_number(value: Fraction) -> int | float:
    """An exact result as a plain number: an int when whole, else rounded to DECIMALS places.

    A result beyond :data:`LARGEST` is an ExpressionError: finite numbers in, as the policy
    and the facts are, can still compute one (``multiply: [1e300, 1e300]``).
    """
    if value.denominator == 1:
        return whole_number(int(value))
    rounded = round(value, DECIMALS)
    if rounded.denominator == 1:
        return whole_number(int(rounded))
    try:
        return float(rounded)
    except OverflowError:
        raise ExpressionError(TOO_LARGE) from None


def _add(*xs: Fraction) -> Fraction:
    return sum(xs, Fraction(0))


def _multiply(*xs: Fraction) -> Fraction:
    return math.prod(xs, start=Fraction(1))


def _divide(a: Fraction, b: Fraction) -> Fraction:
    if b == 0:
        raise ExpressionError("division by zero")
    return a / b


OPERATIONS: dict[str, tuple[int | None, Callable[..., Fraction]]] = {
    "add": (None, _add),
    "subtract": (2, lambda a, b: a - b),
    "multiply": (None, _multiply),
    "divide": (2, _divide),
    "floor": (1, lambda a: Fraction(math.floor(a))),
    "percentage": (1, lambda a: min(max(a, Fraction(0)), Fraction(100))),
    "percent_of": (2, lambda whole, percent: whole * percent / 100),
    "first_known": (None, lambda *xs: xs[0]),
    "round_up_from": (2, lambda a, part: Fraction(math.floor(a)) + (1 if 0 < a - math.floor(a) >= part else 0)),
    "max": (None, max),
    "min": (None, min),
}
"""Each operation: how many arguments it takes (None: one or more) and what it does.
``percentage`` keeps a value within 0..100; ``percent_of`` is whole × percent / 100;
``first_known`` is the first of its values that is not null (it alone does not pass null on);
``round_up_from: [x, part]`` rounds x down, or up when its fraction is above 0 and at least
``part`` (1: always down, 0.5: to the nearest, half up, 0: always up); ``max`` and ``min``
are the largest and the smallest of their values."""

TOTALS = ("count", "sum", "mean")
"""What an aggregate over a group knows: how many, and the sum and mean of its ``value``."""

_REF = re.compile(r"^\$(?P<scope>[A-Za-z_][A-Za-z0-9_]*)(?:\.(?P<name>[A-Za-z_][A-Za-z0-9_]*))?$")


def parse_expr(raw: Any) -> Expr:
    """Turn a YAML value into an expression; raise ExpressionError with what is wrong."""
    if isinstance(raw, str) and raw.startswith("$"):
        match = _REF.match(raw)
        if match is None:
            raise ExpressionError(f"not a reference: {raw!r} (write $alias.field or $params.name)")
        scope, name = match["scope"], match["name"] or ""
        if scope in TOTALS and name:
            raise ExpressionError(f"${scope} takes no field (got {raw!r})")
        if scope not in TOTALS and not name:
            raise ExpressionError(f"a reference needs a field: {raw!r} (write ${scope}.field)")
        return Ref(scope, name)
    if isinstance(raw, dict):
        if len(raw) != 1:
            raise ExpressionError(f"an operation is a mapping with one key (got {sorted(map(str, raw))})")
        ((op, args),) = raw.items()
        if op not in OPERATIONS:
            raise ExpressionError(f"unknown operation {op!r}{did_you_mean(str(op), OPERATIONS)}")
        arity, _ = OPERATIONS[op]
        arg_list = list(args) if isinstance(args, list) else [args]
        if (arity is None and not arg_list) or (arity is not None and len(arg_list) != arity):
            wanted = "one or more" if arity is None else str(arity)
            raise ExpressionError(f"{op} takes {wanted} value(s) (got {len(arg_list)})")
        return Call(op, tuple(parse_expr(arg) for arg in arg_list))
    if isinstance(raw, list):
        raise ExpressionError("a list is not a value here")
    return Const(raw)


def parse_policy_expr(raw: Any) -> Expr:
    """:func:`parse_expr`, with what evaluating would always refuse of its constants refused now.

    A constant that no operation but ``first_known`` computes with (text, a boolean) and a
    division by a constant 0 fail whenever the rule gives its output: a policy file's
    expression is refused for them where it stands, not on the first facts that reach it.
    """
    expr = parse_expr(raw)
    _check_constants(expr)
    return expr


def _check_constants(expr: Expr) -> None:
    if not isinstance(expr, Call):
        return
    for arg in expr.args:
        _check_constants(arg)
    if expr.op == "first_known":  # any value may be the first known one
        return
    for arg in expr.args:
        if isinstance(arg, Const) and arg.value is not None and not _is_number(arg.value):
            raise ExpressionError(f"{expr.op} needs numbers (got {arg.value!r})")
    divisor = expr.args[-1]
    if expr.op == "divide" and isinstance(divisor, Const) and _is_number(divisor.value) and divisor.value == 0:
        raise ExpressionError("division by zero")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def references(expr: Expr) -> list[Ref]:
    """Every reference inside an expression."""
    if isinstance(expr, Ref):
        return [expr]
    if isinstance(expr, Call):
        return [ref for arg in expr.args for ref in references(arg)]
    return []


@attrs.frozen
class Scope:
    """What references resolve to while a rule gives its output."""

    facts: Mapping[str, Mapping[str, Any] | None]
    params: Mapping[str, Any] = attrs.field(factory=dict)
    this: Mapping[str, Any] = attrs.field(factory=dict)
    count: int | None = None
    totals: Mapping[str, Any] = attrs.field(factory=dict)

    def lookup(self, ref: Ref) -> Any:
        """The value a reference stands for (None when the fact or field is absent)."""
        if ref.scope == "count" and self.count is not None:
            return self.count
        if ref.scope in TOTALS:
            return self.totals.get(ref.scope)
        if ref.scope == "params":
            return self.params[ref.name]
        if ref.scope == "this":
            return self.this.get(ref.name)
        fact = self.facts.get(ref.scope)
        return None if fact is None else fact.get(ref.name)


def evaluate(expr: Expr, scope: Scope) -> Any:
    """The value of an expression in a scope; None in, None out."""
    if isinstance(expr, Const):
        return expr.value
    if isinstance(expr, Ref):
        return scope.lookup(expr)
    values = [evaluate(arg, scope) for arg in expr.args]
    if expr.op == "first_known":
        return next((value for value in values if value is not None), None)
    if any(value is None for value in values):
        return None
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in values):
        raise ExpressionError(f"{expr.op} needs numbers (got {values!r})")
    _, function = OPERATIONS[expr.op]
    return plain_number(function(*(_exact(value) for value in values)))


def did_you_mean(name: str, known: Any) -> str:
    """`` (did you mean 'x'?)`` for the closest known name, or nothing."""
    import difflib

    close = difflib.get_close_matches(name, [str(k) for k in known], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)(?::([A-Za-z_][A-Za-z0-9_]*))?\}")
"""``{field}``, ``{alias.field}``, or ``{field:vocabulary}`` (the value is a term of that vocabulary)."""


LANGUAGES = ("en", "zh")
"""The languages a policy's sentences (``says``) may be written in; English is required."""

Labels = Mapping[str, Mapping[str, str]]
"""Per vocabulary, each term's label in the language told in."""


@attrs.frozen
class _Form:
    """One language's sentence, split once: placeholder names, their vocabularies, how to fill it."""

    language: str
    names: tuple[str, ...]
    vocabularies: tuple[str | None, ...]
    format: str
    """The sentence with ``{}`` for each placeholder, in turn."""
    terms: tuple[tuple[int, str], ...]
    """The placeholders that name a vocabulary: their places among the names, and the vocabulary."""
    paths: tuple[tuple[str, str], ...]
    """Each placeholder's alias and field (``alias.field``; a bare ``field`` is an alias with no field)."""


def _compiled(text: str, language: str) -> _Form:
    parts = _PLACEHOLDER.split(text)  # literal, name, vocabulary, literal, name, vocabulary, ..., literal
    literal = [part.replace("{", "{{").replace("}", "}}") for part in parts[::3]]
    names, vocabularies = tuple(parts[1::3]), tuple(parts[2::3])
    paths = tuple((alias, field) for alias, _, field in (name.partition(".") for name in names))
    terms = tuple((index, vocabulary) for index, vocabulary in enumerate(vocabularies) if vocabulary)
    return _Form(language, names, vocabularies, "{}".join(literal), terms, paths)


@attrs.frozen
class Template:
    """A sentence with ``{field}`` or ``{alias.field}`` placeholders, in English and optionally in Chinese.

    ``{field:terms}`` says the value is a term of the vocabulary ``terms``: told by its
    label in the language of the labels given.
    """

    text: str
    zh: str = ""
    """The same sentence in Chinese (empty: told in English in every language)."""
    line: int = attrs.field(default=0, eq=False, repr=False)
    """Where the sentence stands in its policy file (0: not from a file), for problems with it."""
    _forms: dict[str, _Form] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        forms = {"en": _compiled(self.text, "en")}
        if self.zh:
            forms["zh"] = _compiled(self.zh, "zh")
        object.__setattr__(self, "_forms", forms)

    def names(self) -> list[str]:
        """The placeholders, in order (of the English sentence, then those only the Chinese one has)."""
        english = list(self._forms["en"].names)
        chinese = self._forms["zh"].names if "zh" in self._forms else ()
        return english + [name for name in dict.fromkeys(chinese) if name not in english]

    def vocabularies(self) -> list[str]:
        """The vocabularies its placeholders name (``{field:terms}``), in either language."""
        found = [v for form in self._forms.values() for v in form.vocabularies if v]
        return list(dict.fromkeys(found))

    def labelled(self) -> list[tuple[str, str]]:
        """The placeholders that name a vocabulary, with it (``{field:terms}``), in either language."""
        found = [
            (name, vocabulary)
            for form in self._forms.values()
            for name, vocabulary in zip(form.names, form.vocabularies, strict=True)
            if vocabulary
        ]
        return list(dict.fromkeys(found))

    def render(self, lookup: Callable[[str], Any], language: str = "en", labels: Labels | None = None) -> str:
        """Fill the placeholders; yes/no (是/否) for booleans, none (无) for null, terms by their labels."""
        form = self._forms.get(language) or self._forms["en"]
        return _filled(form, [*map(lookup, form.names)], labels)

    def render_in(
        self, facts: Mapping[str, Mapping[str, Any] | None], language: str = "en", labels: Labels | None = None
    ) -> str:
        """:meth:`render` of ``{alias.field}`` placeholders: each the field of the fact of that alias (null if none)."""
        form = self._forms.get(language) or self._forms["en"]
        values = [None if (fact := facts.get(alias)) is None else fact.get(field) for alias, field in form.paths]
        return _filled(form, values, labels)


def _filled(form: _Form, values: list[Any], labels: Labels | None) -> str:
    """A sentence with these values of its placeholders, in order (``values`` is changed)."""
    if labels is not None:
        for index, vocabulary in form.terms:
            value = values[index]
            if value is not None and value.__class__ is not bool:
                values[index] = labels.get(vocabulary, {}).get(value, value)
    if _IN_WORDS.isdisjoint(map(type, values)):  # no null or boolean (the common case): the values as they are
        return form.format.format(*values)
    none, yes, no = _WORDS[form.language]  # as show() tells them
    words = [none if v is None else (yes if v else no) if v.__class__ is bool else v for v in values]
    return form.format.format(*words)


_IN_WORDS = frozenset((type(None), bool))
"""The types of values told in words of the language (:func:`show`), not as they are."""

_WORDS = {"en": ("none", "yes", "no"), "zh": ("无", "是", "否")}


def show(value: Any, language: str = "en") -> str:
    """A value as people read it (null and booleans in words of the language)."""
    none, yes, no = _WORDS.get(language, _WORDS["en"])
    if value is None:
        return none
    if isinstance(value, bool):
        return yes if value else no
    return str(value)
