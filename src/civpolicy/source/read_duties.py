"""The sections of the document's duties: ``duties``, ``calendar`` and ``responsible``.

A duty says who does what and when (a schedule of weeks, months, quarters or years, or
none); the calendar settings say which fact type its occurrences become in an evaluation;
``responsible`` says which derived facts name the people who answer for a consequence.
"""

from __future__ import annotations

from typing import Any

from civpolicy.source import model as m
from civpolicy.source.reader import Reader, got
from civpolicy.source.sections import NAME, SectionReader
from civpolicy.source.strict_yaml import MarkedMap, MarkedSeq

EVERY = ("week", "month", "quarter", "year", "ongoing", "as_needed")
"""How often a duty falls due; ``ongoing`` and ``as_needed`` (适时) have no dated occurrence."""

MATCHED = ("unit", "kind")
"""The fields of a consequence (a finding's ``who`` is its unit) that ``responsible`` may match on."""


class DutySections(SectionReader):
    """Reads ``duties``, ``calendar`` and ``responsible``."""

    def _duties(self, r: Reader, top: MarkedMap, section: str) -> None:
        allowed: tuple[str, ...] = ("name", "source", "text", "who", "performers", "every", "months", "weekday")
        allowed += ("days", "lead", "responsible", "interpretation")
        terms = []
        for name, data, path in self._named(r, top, section):
            if not r.keys(data, path, allowed, ("name", "source", "text", "who", "every")):
                continue
            citation = self._citation(r, data, path, required=True)
            schedule = self._schedule(r, data, path)
            performers = tuple(self._performers(r, data, path))
            duty = m.Duty(
                id=name,
                name=self._text(r, data, "name", path),
                citation=citation or m.Citation("", ""),
                schedule=schedule,
                who=self._text(r, data, "who", path),
                performers=performers,
                lead=tuple(self._names(r, data, "lead", path)),
                responsible=tuple(self._names(r, data, "responsible", path)),
                interpretation=r.get(data, "interpretation", path, str, ""),
                file=r.filename,
                line=data.mark[0],
            )
            self.duties[name] = duty
            terms.append(m.Term(name, duty.name.zh, duty.name.en, citation))
        # The duties are a vocabulary too: an activity names its duty by id.
        self.vocabularies[section] = self.vocabularies.get(section, ()) + tuple(terms)

    def _schedule(self, r: Reader, data: MarkedMap, path: str) -> m.Schedule:
        every = r.get(data, "every", path, str, "")
        if every not in EVERY:
            r.problem(data, "every", f"{path}.every", f"must be one of {', '.join(EVERY)} (got {got(every)})")
        fits = {"months": "year", "weekday": "week", "days": "month"}
        for key, kind in fits.items():
            if key in data and every != kind:
                r.problem(data, key, f"{path}.{key}", f"'{key}' is for a duty of every: {kind}")
        months = r.get(data, "months", path, list, [])
        if not all(isinstance(x, int) and not isinstance(x, bool) and 1 <= x <= 12 for x in months):
            r.problem(data, "months", f"{path}.months", "must be a list of months, 1 to 12")
            months = []
        weekday = r.get(data, "weekday", path, int, 0)
        if not 0 <= weekday <= 7:
            r.problem(data, "weekday", f"{path}.weekday", "must be 1 (Monday) to 7 (Sunday)")
            weekday = 0
        days = None
        if "days" in data:
            raw = data["days"]
            if isinstance(raw, MarkedSeq) and len(raw) == 2:
                days = (self._expr(r, raw, 0, f"{path}.days[0]"), self._expr(r, raw, 1, f"{path}.days[1]"))
            else:
                r.problem(data, "days", f"{path}.days", "must be [first day, last day] of the month")
        return m.Schedule(every=every, months=tuple(sorted(set(months))), weekday=weekday, days=days)

    def _performers(self, r: Reader, data: MarkedMap, path: str) -> list[m.Performers]:
        items = r.get(data, "performers", path, list, [])
        found = []
        for index, item in enumerate(items):
            where = f"{path}.performers[{index}]"
            entry = r.mapping(item, items, index, where)
            if entry is None or not r.keys(entry, where, ("table", "facts", "where", "name", "place", "names")):
                continue
            sources = [key for key in ("table", "facts", "names") if key in entry]
            if len(sources) != 1:
                r.problem(entry, None, where, "name one of 'table', 'facts' or 'names'")
                continue
            if sources[0] != "names" and "name" not in entry:
                r.problem(entry, None, where, "'name' says which field names who")
            conditions = r.mapping(entry["where"], entry, "where", f"{where}.where") if "where" in entry else None
            found.append(
                m.Performers(
                    table=r.get(entry, "table", where, str, ""),
                    facts=r.get(entry, "facts", where, str, ""),
                    where=tuple(
                        (str(field), tuple(value) if isinstance(value, list) else (value,))
                        for field, value in (conditions or {}).items()
                    ),
                    name=r.get(entry, "name", where, str, ""),
                    place=r.get(entry, "place", where, str, ""),
                    names=tuple(self._names(r, entry, "names", where)),
                )
            )
        return found

    @staticmethod
    def _names(r: Reader, data: MarkedMap, key: str, path: str) -> list[str]:
        names = r.get(data, key, path, list, [])
        if not all(isinstance(name, str) and name.strip() for name in names):
            r.problem(data, key, f"{path}.{key}", "must be a list of names as the document writes them")
            return []
        return [str(name) for name in names]

    def _calendar(self, r: Reader, top: MarkedMap, section: str) -> None:
        data = r.mapping(top[section], top, section, section)
        if data is None or not r.keys(data, section, ("occurrence", "says", "spans", "dated", "date_field")):
            return
        occurrence = r.get(data, "occurrence", section, str, "")
        if not NAME.match(occurrence):
            r.problem(data, "occurrence", f"{section}.occurrence", "a fact type's name, in snake_case")
            return
        if ("facts", occurrence) in self.defined:
            r.problem(data, "occurrence", f"{section}.occurrence", f"{occurrence!r} is already defined")
            return
        self.defined["facts", occurrence] = r.filename
        self.calendar = m.CalendarSettings(
            occurrence=occurrence,
            says=self._template(r, data, "says", section),
            spans=r.get(data, "spans", section, str, ""),
            dated=r.get(data, "dated", section, str, ""),
            date_field=r.get(data, "date_field", section, str, "date"),
            file=r.filename,
            line=data.mark[0],
        )

    def _responsible(self, r: Reader, top: MarkedMap, section: str) -> None:
        data = r.mapping(top[section], top, section, section)
        if data is None or not r.keys(data, section, ("fact", "match", "fields", "order_by"), ("fact", "fields")):
            return
        match = r.mapping(data["match"], data, "match", f"{section}.match") if "match" in data else None
        pairs: list[tuple[str, str]] = []
        for field, target in (match or {}).items():
            if target not in MATCHED:
                r.problem(match, field, f"{section}.match.{field}", f"matches one of {', '.join(MATCHED)}")
                continue
            pairs.append((str(field), str(target)))
        self.responsibility = m.Responsibility(
            fact=r.get(data, "fact", section, str, ""),
            match=tuple(pairs),
            fields=tuple(_texts(r, data, "fields", section)),
            order_by=tuple(_texts(r, data, "order_by", section)),
            file=r.filename,
            line=data.mark[0],
        )


def _texts(r: Reader, data: MarkedMap, key: str, path: str) -> list[str]:
    values: list[Any] = r.get(data, key, path, list, [])
    if not all(isinstance(value, str) for value in values):
        r.problem(data, key, f"{path}.{key}", "must be a list of field names")
        return []
    return [str(value) for value in values]
