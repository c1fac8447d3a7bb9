"""One field's given values down a whole list, checked and made what facts hold: what msgspec's types leave.

msgspec has checked each value's type, bounds and vocabulary as it decoded. Checked here,
once per column and once per distinct value where values repeat: text that shows
something, unit ids of the register, periods and their kinds, dates, a whole float as an
int, and the in-force date. A check gives the column's fact values, or None when any value
is wrong: the located reader then reads the document again to tell where and why.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from civpolicy.facts.items import iso_date, plain, text_problem
from civpolicy.facts.periods import PeriodSyntaxError, period_fields
from civpolicy.source import model as m
from civpolicy.source.dates import month_of, parse_date


@attrs.frozen
class Context:
    """What a list's values are checked against besides their field."""

    known_units: set[str] | None
    """The unit ids of the register (None while the register itself is read)."""
    first_month: int | None
    """A period whose last month is before this one ends before the policy is in force (None: no date)."""


Check = Callable[[list[Any], Context], list[Any] | None]
"""A column's given values (none absent) to their fact values, or None if one is wrong."""


def column_check(field: m.InputField, vocabularies: Mapping[str, tuple[m.Term, ...]]) -> Check:
    """The check of one field's column, as the located reader's ``read_value`` judges each value."""
    kind = field.type
    if kind == "period":
        return _periods(frozenset(field.kinds))
    checks: dict[str, Check] = {
        "text": _text,
        "unit": _units,
        "boolean": _as_decoded,
        "integer": _as_decoded,
        "number": _numbers,
        "year": _years,
        "date": _dates,
    }
    if kind in checks:
        return checks[kind]
    choices = field.choices(vocabularies)
    return _as_decoded if choices and all(isinstance(c, str) for c in choices) else _never


def _as_decoded(values: list[Any], context: Context) -> list[Any] | None:
    """Values msgspec has checked in full (true or false, a whole number in bounds, a term)."""
    return values


def _never(values: list[Any], context: Context) -> list[Any] | None:
    """A choice without terms to choose: no value is right."""
    return None


def _text(values: list[Any], context: Context) -> list[Any] | None:
    return None if any(map(text_problem, set(values))) else values


def _units(values: list[Any], context: Context) -> list[Any] | None:
    known = context.known_units
    if known is None:  # the register's own fields are text
        return _text(values, context)
    return values if known.issuperset(values) else None


def _numbers(values: list[Any], context: Context) -> list[Any] | None:
    floats = [value for value in values if value.__class__ is float]
    if not floats:
        return values
    return list(map(plain, values)) if all(map(math.isfinite, floats)) else None


def _years(values: list[Any], context: Context) -> list[Any] | None:
    first = context.first_month
    return None if first is not None and min(values) * 12 + 11 < first else values


def _dates(values: list[Any], context: Context) -> list[Any] | None:
    days = list(map(iso_date, values))
    if "" in days:
        return None
    first = context.first_month
    if first is not None and any(month_of(parse_date(day)) < first for day in set(days)):  # type: ignore[arg-type]
        return None
    return days


def _periods(kinds: frozenset[str]) -> Check:
    """Periods of the kinds, and in force: their labels (a period whose fields join the fact too)."""

    def check(values: list[Any], context: Context) -> list[Any] | None:
        made: dict[Any, Any] = {}
        first = context.first_month
        for value in set(values):
            try:
                fields = period_fields(value)
            except PeriodSyntaxError:
                return None
            if (kinds and fields["period_kind"] not in kinds) or (first is not None and int(fields["end"]) < first):
                return None
            made[value] = fields["period"]
        return list(map(made.__getitem__, values))

    return check
