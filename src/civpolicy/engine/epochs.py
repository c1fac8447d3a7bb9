"""Parameters with values by date, compiled: a rule split into one variant per epoch of its anchors.

Where a rule reads a parameter with values by date (:mod:`civpolicy.checks.dated` finds the
fact each place takes the date from, its anchor), the compiler gives the engines one
variant of the rule per epoch: the parameter fixed to the value of that epoch, and the
anchor fact held to the epoch by two constant conditions on its ``start`` (a month) or
``year``. Epochs do not overlap, so a set of facts matches one variant at most; every
variant keeps the rule's id, so provenance and coverage see one rule. The engines stay
generic: they only see constant conditions.

A value dated ``D`` is in force for the periods that start on or after ``D``: from the first
month whose 1st is ``D`` or later (``2022-03-06``: from 2022-04; ``2024-01-01``: from 2024-01).
A period that starts before the first date takes the first value.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs

from civpolicy.checks.dated import Anchor, Site
from civpolicy.source import model as m
from civpolicy.source.dates import first_start_from, parse_date
from civpolicy.source.expressions import Const

Schedule = tuple[tuple[int, Any], ...]
"""A parameter's values by the first month each is in force for, ascending."""


def schedules(dated: Mapping[str, Sequence[tuple[str, Any]]]) -> dict[str, Schedule]:
    """Each parameter's (ISO date, value)s as (first month in force, value)s."""
    found = {}
    for name, entries in dated.items():
        months = []
        for since, value in entries:
            date = parse_date(since)
            assert date is not None  # checked when the policy was read
            months.append((first_start_from(date), value))
        found[name] = tuple(months)
    return found


@attrs.frozen
class Epoch:
    """A span of an anchor's field (months for ``start``, years for ``year``) and the values in force in it."""

    low: int | None
    """From (None: from the beginning)."""
    high: int | None
    """Until, not included (None: for ever)."""
    values: tuple[tuple[str, Any], ...]

    def tests(self, field: str) -> tuple[m.Test, ...]:
        """The conditions that hold the anchor's field within the span."""
        tests = []
        if self.low is not None:
            tests.append(m.Test(field, "ge", Const(self.low)))
        if self.high is not None:
            tests.append(m.Test(field, "lt", Const(self.high)))
        return tuple(tests)


def epochs(field: str, names: frozenset[str], found: Mapping[str, Schedule]) -> list[Epoch]:
    """The spans in which the named parameters keep their values, at an anchor of this field."""

    def scaled(month: int) -> int:
        return month if field == "start" else -(-month // 12)  # the first year that starts in or after it

    bounds = sorted({scaled(month) for name in names for month, _ in found[name][1:]})
    result: list[Epoch] = []
    for low, high in zip([None, *bounds], [*bounds, None], strict=True):
        month = None if low is None else low if field == "start" else low * 12
        values = tuple(sorted((name, _value_at(found[name], month)) for name in names))
        if result and result[-1].values == values:
            result[-1] = Epoch(result[-1].low, high, values)
        else:
            result.append(Epoch(low, high, values))
    return result


def _value_at(schedule: Schedule, month: int | None) -> Any:
    """The value in force for a period starting in ``month`` (None: before every date)."""
    chosen = schedule[0][1]
    for since, value in schedule:
        if month is not None and since <= month:
            chosen = value
    return chosen


@attrs.frozen
class Variant:
    """One variant of a rule: the parameter values of each place, and the conditions added to each pattern."""

    values: Mapping[int, Mapping[str, Any]]
    """By place (an index of ``when``, or THEN): the dated parameters' values there."""
    tests: Mapping[int, tuple[m.Test, ...]]
    """By index of ``when``: the conditions that hold the anchor fact to its epoch."""


def variants(sites: Sequence[Site], found: Mapping[str, Schedule]) -> Iterator[Variant]:
    """Every combination of the epochs of a rule's anchors (one variant, with nothing added, when it has none)."""
    names: dict[Anchor, frozenset[str]] = {}
    for site in sites:
        assert site.anchor is not None  # refused by check
        names[site.anchor] = names.get(site.anchor, frozenset()) | site.names
    anchors = list(names)
    spans = [epochs(anchor.field, names[anchor], found) for anchor in anchors]
    for chosen in itertools.product(*spans):
        at = dict(zip(anchors, chosen, strict=True))
        values = {site.place: dict(at[site.anchor].values) for site in sites if site.anchor is not None}
        tests: dict[int, tuple[m.Test, ...]] = {}
        for anchor, epoch in at.items():
            tests[anchor.pattern] = tests.get(anchor.pattern, ()) + epoch.tests(anchor.field)
        yield Variant(values, tests)
