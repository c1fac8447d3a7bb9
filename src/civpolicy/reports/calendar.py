"""The calendar of duties: each dated occurrence of a year, with who, where, the lead and the clause.

Rows are built from the policy's duties (:mod:`civpolicy.facts.occurrences`) and, for the
duties whose performers are facts (every unit, every linked unit), from a facts document.
A duty with no date (``ongoing``, ``as_needed``) is one row with no date. Rows print as a
table, as JSON, or as an iCalendar file (RFC 5545) for a calendar program.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable
from typing import Any

import attrs

from civpolicy.facts.items import Fact
from civpolicy.facts.occurrences import ONE_DAY, assignments, occurrences
from civpolicy.source import model as m


@attrs.frozen
class CalendarRow:
    """One occurrence of a duty for one performer (or a duty with no date)."""

    duty: str
    name: str
    who: str
    place: str
    start: datetime.date | None
    end: datetime.date | None
    label: str
    schedule: str
    lead: tuple[str, ...]
    responsible: tuple[str, ...]
    source: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        """The row as JSON: ``date`` for a single day, else ``start`` and ``end`` (null for no date)."""
        row: dict[str, Any] = {"duty": self.duty, "name": self.name, "period": self.label or None}
        if self.start is not None and self.start == self.end:
            row["date"] = self.start.isoformat()
        else:
            row["start"] = self.start.isoformat() if self.start else None
            row["end"] = self.end.isoformat() if self.end else None
        row.update(
            {
                "schedule": self.schedule,
                "who": self.who,
                "place": self.place if self.place and self.place != self.who else None,
                "lead": list(self.lead),
                "responsible": list(self.responsible),
                "source": self.source,
            }
        )
        return row


def calendar_rows(
    model: m.PolicyModel, year: int, facts: Iterable[Fact], params: dict[str, Any], language: str = "en"
) -> list[CalendarRow]:
    """Every duty's occurrences in a year, for each of its performers, by date, then duty and who."""
    facts = tuple(facts)
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    rows = []
    for duty in model.duties.values():
        name = duty.name.zh if language == "zh" else duty.name.en
        common: dict[str, Any] = {
            "duty": duty.id,
            "name": name,
            "lead": duty.lead,
            "responsible": duty.responsible,
            "source": duty.citation.source,
            "text": duty.citation.text,
            "schedule": duty.schedule.every,
        }
        people = assignments(duty, model.tables, facts)
        if not duty.schedule.dated:
            who = duty.who.zh if language == "zh" else duty.who.en
            rows.append(CalendarRow(who=who, place="", start=None, end=None, label="", **common))
            continue
        for occurrence in occurrences(duty, first, last, params):
            for person in people:
                rows.append(
                    CalendarRow(
                        who=person.who,
                        place=person.place,
                        start=occurrence.due_from,
                        end=occurrence.due_to,
                        label=occurrence.label,
                        **common,
                    )
                )
    far = datetime.date.max
    return sorted(rows, key=lambda r: (r.start or far, r.duty, r.who, r.place, r.label))


def for_whom(rows: Iterable[CalendarRow], who: str) -> list[CalendarRow]:
    """The rows a person or unit carries out, leads or is responsible for, or that take place at it."""
    return [r for r in rows if who in (r.who, r.place) or who in r.lead or who in r.responsible]


def as_ics(rows: Iterable[CalendarRow], stamp: datetime.date) -> bytes:
    """The dated rows as an iCalendar file: one all-day event per row (``stamp`` is every DTSTAMP).

    The stamp is a fixed date (the policy's), not the clock: the same policy and facts give
    the same file, byte for byte.
    """
    import icalendar

    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//civpolicy//duties//ZH")
    calendar.add("version", "2.0")
    stamped = datetime.datetime(stamp.year, stamp.month, stamp.day, tzinfo=datetime.UTC)
    for row in rows:
        if row.start is None or row.end is None:
            continue
        event = icalendar.Event()
        identity = "|".join((row.duty, row.who, row.place, row.label))
        event.add("uid", hashlib.sha256(identity.encode()).hexdigest()[:32] + "@civpolicy")
        event.add("dtstamp", stamped)
        event.add("dtstart", row.start)
        event.add("dtend", row.end + ONE_DAY)
        event.add("summary", f"{row.name}: {row.who}")
        if row.place and row.place != row.who:
            event.add("location", row.place)
        lead = f"\n牵头 lead: {'、'.join(row.lead)}" if row.lead else ""
        responsible = f"\n责任 responsible: {'、'.join(row.responsible)}" if row.responsible else ""
        event.add("description", f"{row.source}: {row.text}{lead}{responsible}")
        calendar.add_component(event)
    return bytes(calendar.to_ical())


def table_lines(rows: Iterable[CalendarRow], zh: bool) -> list[list[str]]:
    """The rows as table lines, headings first: when, duty, who, where, clause."""
    heads = ["日期", "职责", "执行", "地点", "条款"] if zh else ["when", "duty", "who", "where", "clause"]
    lines = [heads]
    undated = {"ongoing": "常设" if zh else "ongoing", "as_needed": "适时" if zh else "when due"}
    for row in rows:
        if row.start is None or row.end is None:
            when = undated.get(row.schedule, "")
        elif row.start == row.end:
            when = row.start.isoformat()
        else:
            when = f"{row.start.isoformat()}..{row.end.isoformat()}"
        lines.append([when, row.name, row.who, row.place if row.place != row.who else "", row.source])
    return lines
