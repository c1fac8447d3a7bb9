"""The dated occurrences of the policy's duties, and who carries each out.

A duty's schedule (:class:`~civpolicy.source.model.Schedule`) gives one occurrence per
week (Monday to Sunday), month, quarter or year, or per listed month of the year. Each has
the days it is open (``opens`` … ``closes``) and the days it is due on time (``due_from`` …
``due_to``): the whole occurrence, unless the schedule names a weekday or days of the month.
Who carries it out comes from the duty's performers: rows of a policy table, facts of an
input, or names. Nothing here knows a duty: all of it is read from the policy.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs

from civpolicy.facts.items import Fact
from civpolicy.source import model as m
from civpolicy.source.expressions import Const, Ref

ONE_DAY = datetime.timedelta(days=1)


@attrs.frozen(order=True)
class Occurrence:
    """One time a duty falls due."""

    opens: datetime.date
    duty: str
    label: str
    """The occurrence's period as written: ``2023-W19``, ``2023-05``, ``2023-Q2``, ``2023``."""
    closes: datetime.date
    due_from: datetime.date
    due_to: datetime.date


@attrs.frozen(order=True)
class Assignment:
    """Who carries out a duty, and where (their own place when the duty names none)."""

    duty: str
    who: str
    place: str


def occurrences(duty: m.Duty, first: datetime.date, last: datetime.date, params: Mapping[str, Any]) -> list[Occurrence]:
    """The duty's occurrences that lie wholly between two days (both included), in order."""
    schedule = duty.schedule
    found = []
    for opens, closes, label in _periods(schedule, first, last):
        if opens < first or closes > last:
            continue
        due_from, due_to = opens, closes
        if schedule.weekday:
            due_from = due_to = opens + datetime.timedelta(days=schedule.weekday - 1)
        if schedule.days is not None:
            low, high = (int(_number(expr, params)) for expr in schedule.days)
            due_from = opens.replace(day=min(max(low, 1), closes.day))
            due_to = opens.replace(day=min(max(high, 1), closes.day))
        found.append(Occurrence(opens, duty.id, label, closes, due_from, due_to))
    return found


def _number(expr: Any, params: Mapping[str, Any]) -> Any:
    if isinstance(expr, Const):
        return expr.value
    if isinstance(expr, Ref) and expr.scope == "params":
        return params[expr.name]
    raise ValueError(f"a day of a schedule is a number or a parameter (got {expr})")


def _periods(schedule: m.Schedule, first: datetime.date, last: datetime.date) -> Iterator[tuple[Any, Any, str]]:
    """(opens, closes, label) of each period of the schedule's kind that meets the span."""
    every = schedule.every
    if every == "week":
        monday = first - datetime.timedelta(days=first.weekday())
        while monday <= last:
            year, week, _ = monday.isocalendar()
            yield monday, monday + datetime.timedelta(days=6), f"{year:04d}-W{week:02d}"
            monday += datetime.timedelta(days=7)
        return
    length = {"month": 1, "quarter": 3, "year": 12}.get(every)
    if length is None:
        return
    months = schedule.months if every == "year" and schedule.months else ()
    for year in range(first.year, last.year + 1):
        if months:
            for month in months:
                yield (*_month(year, month, 1), f"{year:04d}-{month:02d}")
            continue
        for start in range(1, 13, length):
            opens, closes = _month(year, start, length)
            label = {1: f"{year:04d}-{start:02d}", 3: f"{year:04d}-Q{(start + 2) // 3}", 12: f"{year:04d}"}[length]
            yield opens, closes, label


def _month(year: int, month: int, length: int) -> tuple[datetime.date, datetime.date]:
    """The first and last day of ``length`` months from a month."""
    opens = datetime.date(year, month, 1)
    after = month + length
    closes = datetime.date(year + (after - 1) // 12, (after - 1) % 12 + 1, 1) - ONE_DAY
    return opens, closes


def assignments(duty: m.Duty, tables: Mapping[str, m.Table], facts: Iterable[Fact]) -> list[Assignment]:
    """Who carries out the duty and where, from its performers, once each, in order."""
    facts = tuple(facts)
    found: set[Assignment] = set()
    for performers in duty.performers:
        if performers.names:
            found.update(Assignment(duty.id, name, name) for name in performers.names)
            continue
        if performers.table:
            table = tables.get(performers.table)
            rows: Iterable[Mapping[str, Any]] = [dict(row) for row in table.rows] if table is not None else []
        else:
            rows = [fact for fact in facts if fact["type"] == performers.facts]
        for row in rows:
            if not all(row.get(field) in allowed for field, allowed in performers.where):
                continue
            who = row.get(performers.name)
            place = row.get(performers.place) if performers.place else who
            if isinstance(who, str) and who and isinstance(place, str) and place:
                found.add(Assignment(duty.id, who, place))
    return sorted(found)


def occurrence_facts(
    model: m.PolicyModel, first: datetime.date, last: datetime.date, facts: Iterable[Fact], params: Mapping[str, Any]
) -> list[Fact]:
    """Every (occurrence, assignment) of the policy's dated duties between two days, as facts rules find."""
    settings = model.calendar
    if settings is None:
        return []
    facts = tuple(facts)
    made: list[Fact] = []
    for duty in sorted(model.duties.values(), key=lambda d: d.id):
        if not duty.schedule.dated:
            continue
        people = assignments(duty, model.tables, facts)
        for occurrence in occurrences(duty, first, last, params):
            for person in people:
                made.append(
                    {
                        "type": settings.occurrence,
                        "seq": len(made),
                        "unit": None,
                        "duty": duty.id,
                        "who": person.who,
                        "place": person.place,
                        "label": occurrence.label,
                        "opens": occurrence.opens.isoformat(),
                        "due_from": occurrence.due_from.isoformat(),
                        "due_to": occurrence.due_to.isoformat(),
                        "late_from": (occurrence.due_to + ONE_DAY).isoformat(),
                        "closes": occurrence.closes.isoformat(),
                        "source": duty.citation.source,
                    }
                )
    return made


OCCURRENCE_FIELDS = ("duty", "who", "place", "label", "opens", "due_from", "due_to", "late_from", "closes", "source")
"""The fields of an occurrence fact, as rules see them."""


def checked_span(model: m.PolicyModel, facts: Iterable[Fact]) -> tuple[datetime.date, datetime.date] | None:
    """The first and last day whose duties an evaluation checks (None: the facts give no span).

    The months of the ``spans`` input's periods, else the months from the first to the last
    date of the ``dated`` input.
    """
    settings = model.calendar
    if settings is None:
        return None
    facts = tuple(facts)
    months = [(f["start"], f["end"]) for f in facts if f["type"] == settings.spans and "start" in f]
    if months:
        first, last = min(s for s, _ in months), max(e for _, e in months)
        return _month(first // 12, first % 12 + 1, 1)[0], _month(last // 12, last % 12 + 1, 1)[1]
    dates = sorted(f[settings.date_field] for f in facts if f["type"] == settings.dated and f.get(settings.date_field))
    if not dates:
        return None
    low, high = datetime.date.fromisoformat(dates[0]), datetime.date.fromisoformat(dates[-1])
    return _month(low.year, low.month, 1)[0], _month(high.year, high.month, 1)[1]
