"""The items of a facts document read against the policy's inputs: each value checked, located, made a fact."""

from __future__ import annotations

import datetime
import json
import unicodedata
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from civpolicy.facts.in_force import InForceCheck
from civpolicy.facts.periods import PeriodSyntaxError, parse_period, period_fields
from civpolicy.source import model as m
from civpolicy.source.dates import date_problem, parse_date
from civpolicy.source.expressions import did_you_mean
from civpolicy.source.reader import Reader, got, is_number
from civpolicy.source.strict_yaml import SURROGATE, MarkedSeq, mark_of

Fact = dict[str, Any]
"""One fact as rules see it: ``type`` plus its fields."""


def canonical(fact: Mapping[str, Any]) -> str:
    """A fact's canonical text: the same for the same content, whatever the key order."""
    return json.dumps({k: v for k, v in fact.items() if k != "seq"}, sort_keys=True, ensure_ascii=False)


class ItemReader:
    """Reads the items of one facts document, telling each problem where it stands."""

    def __init__(
        self,
        r: Reader,
        vocabularies: Mapping[str, tuple[m.Term, ...]],
        in_force: m.InForce | None = None,
        ignore_out_of_force: bool = False,
    ) -> None:
        self.r = r
        self.vocabularies = vocabularies
        self.origins: dict[int, tuple[Any, int, str]] = {}
        """Where each fact was read: (list, index, the list's key), for problems found across items."""
        self.in_force = InForceCheck(in_force, ignore_out_of_force) if in_force is not None else None
        """Facts of periods that end before the policy is in force: refused, or left out with a warning."""

    def check_total(self, spec: m.InputFact, facts: list[Fact]) -> None:
        """Each group's values of the field must add up to the declared total."""
        for first, message in total_misses(spec, facts):
            items, index, key = self.origins[id(first)]
            self.r.problem(items, index, f"{key}[{index}]", message)

    def check_needed(self, spec: m.InputFact, units: list[Fact], facts: list[Fact]) -> None:
        """Every unit meeting the conditions needs at least one fact of this kind."""
        for unit, message in needed_misses(spec, units, facts):
            items, index, key = self.origins[id(unit)]
            self.r.problem(items, index, f"{key}[{index}]", message)

    def read_list(self, top: Any, spec: m.InputFact, known_units: set[str] | None) -> list[Fact]:
        """The facts of one input list (fast when every item is right, located when one is not)."""
        r, key = self.r, spec.source_key
        items = top[key]
        if items is None and not spec.required:
            return []  # `evaluations:` with nothing under it
        if not isinstance(items, (list, tuple)):
            what = "a mapping" if isinstance(items, Mapping) else "null" if items is None else type(items).__name__
            r.problem(top, key, key, f"must be a list (got {what})")
            return []
        seen: dict[tuple[Any, ...], tuple[Fact, int]] = {}
        """Each identity's first fact, and its index in the list."""
        result = []
        fast = self._fast_reader(spec, known_units)
        for index, item in enumerate(items):
            fact = fast(item)
            if fact is None:
                path = f"{key}[{index}]"
                data = r.mapping(item, items, index, path)
                if data is None:
                    continue
                names = [f.name for f in spec.fields]
                known = r.keys(data, path, names, [f.name for f in spec.fields if f.required])
                fact = self.read_item(data, spec, path, known_units)  # its fields' problems too
                if not known:
                    continue
            if fact is None:
                continue
            if self.in_force is not None and self.in_force.refuses(self.r, spec, item, f"{key}[{index}]", fact):
                continue
            self.origins[id(fact)] = (items, index, key)
            if spec.key is None:
                result.append(fact)
                continue
            identity = tuple(fact[k] for k in spec.key)
            if identity in seen:
                first, first_index = seen[identity]
                if spec.unique or canonical(first) != canonical(fact):
                    marked = isinstance(items, MarkedSeq)  # from a file; a mapping has no lines
                    where = _place(items, first_index, index) if marked else f"{key}[{first_index}]"
                    what = ", ".join(f"{k} {fact[k]}" for k in spec.key)
                    message = (
                        f"{what} is given twice (first at {where})"
                        if spec.unique
                        else f"conflicts with the {spec.name} at {where} for the same {what}"
                    )
                    r.problem(items, index, f"{key}[{index}]", message)
                continue
            seen[identity] = (fact, index)
            result.append(fact)
        return result

    def _fast_reader(self, spec: m.InputFact, known_units: set[str] | None) -> Callable[[Any], Fact | None]:
        """A reader for well-formed items: a fact, or None to take the slow path that explains."""
        allowed = frozenset(f.name for f in spec.fields)
        required = frozenset(f.name for f in spec.fields if f.required)
        # (given name, fact field, check, whether the value is a period's fields to merge, what absence gives)
        fields = [
            (f.name, f.target, self._fast_check(f, known_units), f.gives_period, absent_fields(f)) for f in spec.fields
        ]
        name = spec.name

        def read(item: Any) -> Fact | None:
            if not isinstance(item, dict) or not allowed.issuperset(item) or not required.issubset(item):
                return None
            fact: Fact = {"type": name}
            for given, target, check, merge, absent in fields:
                if given not in item:
                    fact.update(absent)
                    continue
                value = check(item[given])
                if value is _INVALID:
                    return None
                if merge:
                    fact.update(value)
                else:
                    fact[target] = value
            return fact

        return read

    def _fast_check(self, field: m.InputField, known_units: set[str] | None) -> Callable[[Any], Any]:
        """A check of one field's value: the value (a period's fields, when they join the fact) or _INVALID."""
        kind = field.type
        if kind == "unit" and known_units is not None:  # an id of the register, whose text was checked there
            units = known_units
            return lambda v: v if isinstance(v, str) and v in units else _INVALID
        if kind in ("text", "unit"):
            return lambda v: v if isinstance(v, str) and not text_problem(v) else _INVALID
        if kind == "boolean":
            return lambda v: v if v is True or v is False else _INVALID
        if kind in ("integer", "number", "year"):
            whole = kind in ("integer", "year")
            low, high = (1000, 9999) if kind == "year" else (field.minimum, field.maximum)

            def number(v: Any) -> Any:
                v = plain(v)  # 40.0 is 40, as JSON has it
                if not is_number(v, whole):
                    return _INVALID
                if (low is not None and v < low) or (high is not None and v > high):
                    return _INVALID
                return plain(v)

            return number
        if kind == "period":
            kinds = set(field.kinds)
            merge = field.gives_period

            def period(v: Any) -> Any:
                try:
                    fields = period_fields(v) if isinstance(v, (str, int)) and not isinstance(v, bool) else None
                except PeriodSyntaxError:
                    return _INVALID
                if fields is None or (kinds and fields["period_kind"] not in kinds):
                    return _INVALID
                return fields if merge else fields["period"]

            return period
        if kind == "date":
            return lambda v: iso_date(v) or _INVALID
        allowed = set(field.choices(self.vocabularies))
        return lambda v: v if isinstance(v, str) and v in allowed else _INVALID

    def read_item(self, data: Any, spec: m.InputFact, path: str, known_units: set[str] | None) -> Fact | None:
        """One item as a fact, or None with its problems told."""
        fact: Fact = {"type": spec.name}
        ok = True
        for field in spec.fields:
            if field.name not in data:
                fact.update(absent_fields(field))
                continue
            value = self.read_value(data, field, f"{path}.{field.name}", known_units)
            if value is _INVALID:
                ok = False
                continue
            if field.gives_period:
                fact.update(period_fields(value))
            else:
                fact[field.target] = value
        return fact if ok else None

    def read_value(self, data: Any, field: m.InputField, path: str, known_units: set[str] | None) -> Any:
        """One field's value, checked against the field; a wrong one has its problem told."""
        r, value = self.r, data[field.name]
        kind = field.type

        def bad(message: str) -> object:
            r.problem(data, field.name, path, message)
            return _INVALID

        if kind in ("text", "unit"):
            problem = text_problem(value) if isinstance(value, str) else "must be non-empty text"
            if problem:
                return bad(f"{problem} (got {got(value)})")
            if kind == "unit" and known_units is not None and value not in known_units:
                return bad(f"no unit {got(value)} in units{did_you_mean(value, known_units)}")
            return value
        if kind == "boolean":
            return value if isinstance(value, bool) else bad(f"must be true or false (got {got(value)})")
        if kind in ("integer", "number", "year"):
            whole = kind in ("integer", "year")
            value = plain(value)
            if not is_number(value, whole):
                return bad(f"must be {'a whole number' if whole else 'a number'} (got {got(value)})")
            low, high = (1000, 9999) if kind == "year" else (field.minimum, field.maximum)
            if (low is not None and value < low) or (high is not None and value > high):
                return bad(f"must be {_range(low, high)} (got {got(value)})")
            return plain(value)
        if kind == "period":
            try:
                period = parse_period(value)
            except PeriodSyntaxError as error:
                return bad(str(error))
            if field.kinds and period.kind not in field.kinds:
                return bad(f"must be a {' or '.join(field.kinds)} period (got {got(value)})")
            return period.label
        if kind == "date":
            return iso_date(value) or bad(date_problem(value))
        allowed = list(field.choices(self.vocabularies))
        if value not in allowed:
            return bad(
                f"must be one of {', '.join(map(str, allowed))} (got {got(value)}){did_you_mean(str(value), allowed)}"
            )
        return value


_INVALID = object()


def total_misses(spec: m.InputFact, facts: list[Fact]) -> list[tuple[Fact, str]]:
    """Each group whose values of the total's field do not add up to it: its first fact, and why."""
    assert spec.total is not None
    field, per, wanted = spec.total
    groups: dict[tuple[Any, ...], list[Fact]] = {}
    for fact in facts:
        groups.setdefault(tuple(fact.get(name) for name in per), []).append(fact)
    misses = []
    for group_key, members in sorted(groups.items(), key=lambda item: repr(item[0])):
        total = sum((Fraction(str(f.get(field) or 0)) for f in members), Fraction(0))
        if abs(total - Fraction(str(wanted))) > Fraction(1, 10**9):
            what = ", ".join(f"{name} {value}" for name, value in zip(per, group_key, strict=True))
            misses.append((members[0], f"the {field}s of {what} add up to {float(total):g}, not {wanted:g}"))
    return misses


def needed_misses(spec: m.InputFact, units: list[Fact], facts: list[Fact]) -> list[tuple[Fact, str]]:
    """Each unit that meets the conditions of ``needed_by`` but has no fact of this kind, and why."""
    assert spec.needed_by is not None
    conditions, when = spec.needed_by
    having = {fact["unit"] for fact in facts}
    wanted = ", ".join(f"{name} {value}" for name, value in conditions)
    because = f"once {when} are given, every such unit needs them"
    return [
        (unit, f"unit {unit['unit']} ({wanted}) has no {spec.source_key}: {because}")
        for unit in units
        if all(unit.get(name) == value for name, value in conditions) and unit["unit"] not in having
    ]


def iso_date(value: Any) -> str:
    """A date field's value as facts hold it, ISO text (``2023-05-12``); empty if it is no date.

    YAML reads an unquoted ``2023-05-12`` as a date: it is taken as the text it was written as.
    """
    if value.__class__ is datetime.date:
        return str(value.isoformat())
    return value if parse_date(value) is not None else ""


def text_problem(text: str) -> str:
    """What is wrong with a text field's value (nothing: empty): it must show something, and be text.

    A text of nothing but spaces and invisible characters (a zero-width space, a
    byte-order mark) would name a unit that looks like none, or like another.
    """
    if not text.strip():
        return "must be non-empty text"
    if text.isprintable():
        return ""
    if SURROGATE.search(text) is not None:
        return "must be text without a lone UTF-16 surrogate"
    if all(char.isspace() or unicodedata.category(char) in ("Cc", "Cf") for char in text):
        return "must show a character, not only spaces and invisible ones"
    return ""


def _place(items: Any, first: int, later: int) -> str:
    """Where the first of two items stands, as seen from the later: its line, or its column on the same line."""
    (line, column), (later_line, _) = mark_of(items, first), mark_of(items, later)
    return f"column {column}" if line == later_line else f"line {line}"


def value_problem(field: m.InputField, value: Any, vocabularies: Mapping[str, tuple[m.Term, ...]]) -> str | None:
    """Why ``value`` cannot be this field's value in a facts file (None if it can), as a facts problem says it."""
    reader = ItemReader(Reader("<value>"), vocabularies)
    reader.read_value({field.name: value}, field, field.name, None)
    return reader.r.problems[0].message if reader.r.problems else None


def plain(number: Any) -> Any:
    """A number as facts hold it: a whole number as an int (``50.0`` is ``50``); anything else as it is."""
    return int(number) if number.__class__ is float and number.is_integer() else number


def absent_fields(field: m.InputField) -> dict[str, Any]:
    """What a fact holds when the field is not given: its default, as a given value would be read."""
    default = field.default
    if default is None or field.type != "period":
        return {field.target: default}
    try:
        label = parse_period(default).label
    except PeriodSyntaxError:
        return {field.target: default}  # refused when the policy is loaded
    return dict(period_fields(label)) if field.gives_period else {field.target: label}


def _range(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"between {low} and {high}"
    return f"at least {low}" if low is not None else f"at most {high}"
