"""The sections that say which values apply when: ``parameters`` (one value, or values by date) and ``in_force``.

A parameter is a number, or a text among its ``choices``. It has one ``value``, or
``values`` by date (``2022-03-06: 5``), as OpenFisca's parameters have: dates ascending,
each value checked as a one value is. A period takes the value in force at its start (the
1st of its first month); see :mod:`civpolicy.checks.dated` for what a rule may anchor on.
"""

from __future__ import annotations

from typing import Any

from civpolicy.source import model as m
from civpolicy.source.dates import date_problem, first_start_from, month_label, parse_date
from civpolicy.source.expressions import did_you_mean
from civpolicy.source.reader import Reader, got, is_number
from civpolicy.source.sections import SectionReader, finite_number
from civpolicy.source.strict_yaml import MarkedMap

_PARAMETER_KEYS = (
    "value",
    "values",
    "choices",
    "description",
    "source",
    "text",
    "set_by",
    "minimum",
    "maximum",
    "unit",
)


class ParameterSections(SectionReader):
    """Reads ``parameters`` and ``in_force``."""

    def _parameters(self, r: Reader, top: MarkedMap, section: str) -> None:
        for name, data, path in self._named(r, top, section):
            # Kept even with a misspelt or missing field (already reported), so that the rules
            # that use it are not also told "no parameter".
            r.keys(data, path, _PARAMETER_KEYS, ("description", "set_by"))
            forms = [key for key in ("value", "values") if key in data]
            if len(forms) != 1:
                message = (
                    "takes 'value' (one value) or 'values' (values by date), not both"
                    if forms
                    else "missing required field 'value'"
                )
                r.problem(data, None, path, message)
            set_by = r.get(data, "set_by", path, str, "document")
            if set_by not in ("document", "headquarters"):
                r.problem(data, "set_by", f"{path}.set_by", "must be 'document' or 'headquarters'")
            citation = self._citation(r, data, path, required=set_by == "document")
            choices = _choices(r, data, path)
            minimum = finite_number(r, data, "minimum", path)
            maximum = finite_number(r, data, "maximum", path)
            if choices and (minimum is not None or maximum is not None):
                key = "minimum" if minimum is not None else "maximum"
                r.problem(
                    data, key, f"{path}.{key}", "minimum and maximum are for numbers, not for a parameter with choices"
                )
                minimum = maximum = None
            elif minimum is not None and maximum is not None and minimum > maximum:
                r.problem(data, "maximum", f"{path}.maximum", f"must be at least the minimum {minimum} (got {maximum})")
                minimum = maximum = None
            bounds = _Bounds(choices, minimum, maximum)
            dated = _dated(r, data, path, bounds) if "values" in data and "value" not in data else ()
            value = dated[0][1] if dated else bounds.checked(r, data, "value", path) if "value" in data else None
            if value is None:
                value = choices[0] if choices else 0
            self.parameters[name] = m.Parameter(
                name=name,
                value=value,
                description=self._text(r, data, "description", path),
                citation=citation,
                set_by=set_by,
                minimum=minimum,
                maximum=maximum,
                integer=isinstance(value, int) and not isinstance(value, bool),
                file=r.filename,
                line=data.mark[0],
                dated=dated,
                choices=choices,
            )

    def _in_force(self, r: Reader, top: MarkedMap, section: str) -> None:
        data = r.mapping(top[section], top, section, section)
        if data is None or not r.keys(data, section, ("from", "source", "text"), ("from", "source", "text")):
            return
        if self.in_force is not None:
            r.problem_at_key(top, section, section, f"in_force is already given in {self.in_force.file}")
            return
        problem = date_problem(data["from"])
        if problem:
            r.problem(data, "from", f"{section}.from", problem)
            return
        citation = self._citation(r, data, section, required=True)
        self.in_force = m.InForce(str(data["from"]), citation, r.filename, data.mark[0])


class _Bounds:
    """What every value of one parameter must be: one of its choices, or a number within its bounds."""

    def __init__(self, choices: tuple[str, ...], minimum: float | None, maximum: float | None) -> None:
        self.choices = choices
        self.minimum = minimum
        self.maximum = maximum
        self.whole: bool | None = None
        """Whether the values are whole numbers, as the first is written (None: no number read yet)."""

    def checked(self, r: Reader, data: MarkedMap, key: str, path: str) -> Any:
        """The value at ``data[key]``, or None with its problem told (``path`` is the container's)."""
        value = data[key]
        where = f"{path}.{key}"
        if self.choices:
            if isinstance(value, str) and value in self.choices:
                return value
            hint = did_you_mean(value, self.choices) if isinstance(value, str) else ""
            r.problem(data, key, where, f"must be one of {', '.join(self.choices)} (got {got(value)}){hint}")
            return None
        number = finite_number(r, data, key, path)
        if number is None:
            return None
        if self.whole is None:
            self.whole = is_number(number, whole=True)
        elif self.whole and not is_number(number, whole=True):
            r.problem(data, key, where, f"must be a whole number, as the first value is (got {number})")
            return None
        if self.minimum is not None and number < self.minimum:
            r.problem(data, key, where, f"must be at least its minimum {self.minimum} (got {number})")
            return None
        if self.maximum is not None and number > self.maximum:
            r.problem(data, key, where, f"must be at most its maximum {self.maximum} (got {number})")
            return None
        return number


def _choices(r: Reader, data: MarkedMap, path: str) -> tuple[str, ...]:
    """A text parameter's choices: one or more distinct non-empty texts (none for a number)."""
    given = r.get(data, "choices", path, list)
    if given is None:
        return ()
    texts = [item for item in given if isinstance(item, str) and item.strip()]
    if not given or len(texts) != len(given) or len(set(texts)) != len(texts):
        message = f"must be a list of distinct texts, such as [down, nearest, up] (got {got(given)})"
        r.problem(data, "choices", f"{path}.choices", message)
        return tuple(dict.fromkeys(texts))
    return tuple(texts)


def _dated(r: Reader, data: MarkedMap, path: str, bounds: _Bounds) -> tuple[tuple[str, Any], ...]:
    """``values``: each ISO date to the value in force from it, dates ascending, each value checked."""
    where = f"{path}.values"
    given = r.mapping(data["values"], data, "values", where)
    if given is None:
        return ()
    if not given:
        r.problem(data, "values", where, "needs at least one date and its value (2022-03-06: 5)")
        return ()
    found: list[tuple[str, Any]] = []
    for key in given:
        problem = date_problem(key)
        if problem:
            r.problem_at_key(given, key, f"{where}.{key}", problem)
            continue
        if found and key <= found[-1][0]:
            r.problem_at_key(given, key, f"{where}.{key}", f"dates go up: {key} is written after {found[-1][0]}")
            continue
        value = bounds.checked(r, given, key, where)
        if value is None:
            continue
        if found and _governs(key) == _governs(found[-1][0]):
            first = month_label(_governs(key))
            message = (
                f"{found[-1][0]} and {key} both apply from the periods starting {first} (a period starts on "
                f"the 1st of its first month): the value of {found[-1][0]} would never apply"
            )
            r.problem_at_key(given, key, f"{where}.{key}", message)
            continue
        found.append((str(key), value))
    return tuple(found)


def _governs(date: str) -> int:
    """The first month a value dated so is in force for (as a period's start)."""
    parsed = parse_date(date)
    assert parsed is not None
    return first_start_from(parsed)
