"""Facts of periods the policy does not govern: those that end before it is in force (``in_force``).

A period ends on the last day of its last month, so it ends before the in-force date when
its last month is before the date's month: with ``in_force: {from: 2022-03-01}``, 2021-Q4,
2022-02 and the year 2021 end before it; 2022-Q1, 2022-03 and the year 2022 do not. Every
input field of type ``period``, ``year`` or ``date`` is judged
(a date by its month). Such a fact is a facts error at that
field, or, when asked (``--ignore-out-of-force``), left out of the evaluation with a
warning at the same place.
"""

from __future__ import annotations

from typing import Any

from civpolicy.errors import Problem
from civpolicy.facts.periods import PeriodSyntaxError, parse_period
from civpolicy.source import model as m
from civpolicy.source.dates import month_of, parse_date
from civpolicy.source.reader import Reader
from civpolicy.source.strict_yaml import mark_of

IGNORE_OPTION = "--ignore-out-of-force"
"""The command-line option that leaves such facts out (``ignore_out_of_force=True`` in the API)."""


class InForceCheck:
    """Judges each fact's periods against the in-force date; collects the warnings of facts left out."""

    def __init__(self, in_force: m.InForce, ignore: bool) -> None:
        date = parse_date(in_force.since)
        assert date is not None  # checked when the policy was read
        self.first_month = month_of(date)
        """A period whose last month is before this one ends before the policy is in force."""
        clause = f", {in_force.citation.source}" if in_force.citation is not None else ""
        self.since = f"from {in_force.since}{clause}"
        self.ignore = ignore
        self.warnings: list[Problem] = []

    def last_month(self, field: m.InputField, value: Any) -> int | None:
        """The last month of a period or year field's value (None: no period to judge)."""
        if field.type == "year":
            return value * 12 + 11 if isinstance(value, int) and not isinstance(value, bool) else None
        if field.type == "date":  # a day is judged by its month, as the in-force date's month
            day = parse_date(value)
            return month_of(day) if day is not None else None
        try:
            return parse_period(value).end
        except PeriodSyntaxError:
            return None

    def refuses(self, r: Reader, spec: m.InputFact, item: Any, path: str, fact: dict[str, Any]) -> bool:
        """Whether the fact is out of force: then told (an error, or a warning when ignored) and not to be kept."""
        out = False
        for field in spec.fields:
            if field.type not in ("period", "year", "date") or field.name not in item:
                continue
            value = fact.get(field.target)
            last = self.last_month(field, value)
            if last is None or last >= self.first_month:
                continue
            out = True
            where = f"{path}.{field.name}"
            said = f"{field.name} {value} ends before the policy is in force ({self.since})"
            if self.ignore:
                line, column = mark_of(item, field.name)
                self.warnings.append(Problem(r.filename, line, column, f"{said}: left out", where))
            else:
                r.problem(item, field.name, where, f"{said}; {IGNORE_OPTION} leaves such facts out with a warning")
        return out
