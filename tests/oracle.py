"""A second, independent reading of civpolicy's consequence rules.

This module reads contract section 3 and ``docs/readings.md`` in plain Python (loops and
dicts, no rule engine) so that the engine can be checked against it. It returns only
``unit``, ``kind``, ``period`` and ``params`` of each consequence: provenance is the
engine's business. Facts are assumed valid (the engine validates them).
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

__all__ = ["DEFAULT_PARAMS", "oracle", "period_span", "sort_key"]

DEFAULT_PARAMS: Mapping[str, int] = {
    "year_withhold_streak": 3,
    "review_deduction_points": 5,
    "quota_delta_good": 5,
    "quota_delta_poor": -10,
    "interview_consecutive_criticisms": 2,
    "self_examination_criticisms": 3,
}

Consequence = dict[str, Any]
Number = int | float | Fraction
_YEAR_LENGTH = len("YYYY")


def _month_number(year: int, month: int) -> int:
    """Months counted from year 0, so that consecutive months differ by one."""
    return year * 12 + month - 1


def period_span(period: str | int) -> tuple[int, int]:
    """First and last month number of a period ``YYYY``, ``YYYY-Hn``, ``YYYY-Qn`` or ``YYYY-MM``."""
    text = str(period)
    year = int(text[:4])
    if len(text) == _YEAR_LENGTH:
        return _month_number(year, 1), _month_number(year, 12)
    tag = text[5:]
    if tag[0] == "H":
        half = int(tag[1:])
        return _month_number(year, 6 * half - 5), _month_number(year, 6 * half)
    if tag[0] == "Q":
        quarter = int(tag[1:])
        return _month_number(year, 3 * quarter - 2), _month_number(year, 3 * quarter)
    month = int(tag)
    return _month_number(year, month), _month_number(year, month)


def _cadence(period: str) -> str:
    """``year``, ``half``, ``quarter`` or ``month``."""
    if len(period) == _YEAR_LENGTH:
        return "year"
    return {"H": "half", "Q": "quarter"}.get(period[5], "month")


def _quarter_number(period: str) -> int:
    """Quarters counted from year 0, so that consecutive quarters differ by one."""
    return int(period[:4]) * 4 + int(period[6]) - 1


def _quarter_period(number: int) -> str:
    """The ``YYYY-Qn`` period of a quarter number."""
    return f"{number // 4:04d}-Q{number % 4 + 1}"


def _month_period(number: int) -> str:
    """The ``YYYY-MM`` period of a month number."""
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


def _plain(value: Number | None) -> int | float | None:
    """An exact number as JSON wants it: an int when integral, else a float."""
    if value is None:
        return None
    fraction = Fraction(value)
    if fraction.denominator == 1:
        return int(fraction)
    return float(fraction)


def canonical_params(params: Mapping[str, Any]) -> str:
    """Canonical JSON of a consequence's params (readings item 5)."""
    return json.dumps(params, sort_keys=True, ensure_ascii=False)


def sort_key(row: Mapping[str, Any]) -> tuple[str, int, str, int, str]:
    """Readings item 5: unit, period start, kind, period end, params as canonical JSON."""
    start, end = period_span(row["period"])
    return row["unit"], start, row["kind"], end, canonical_params(row["params"])


class _Collector:
    """A set of consequences keyed by (unit, kind, period, params)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, str, str], Consequence] = {}

    def add(self, unit: str, kind: str, period: str, **params: object) -> None:
        """Record one consequence; an identical one is the same consequence."""
        row = {"unit": unit, "kind": kind, "period": period, "params": params}
        self.rows.setdefault((unit, kind, period, canonical_params(params)), row)

    def sorted(self) -> list[Consequence]:
        """The consequences in readings item 5 order."""
        return sorted(self.rows.values(), key=sort_key)


def _grades_by_unit(evaluations: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    """Map unit -> period -> grade (identical duplicates collapse)."""
    grades: dict[str, dict[str, str]] = defaultdict(dict)
    for evaluation in evaluations:
        grades[evaluation["unit"]][str(evaluation["period"])] = evaluation["grade"]
    return grades


class _Indexes:
    """Per (unit, year) lookups of the facts, built once."""

    def __init__(self, facts: Mapping[str, Any]) -> None:
        self.failed_rectifications: Counter[tuple[str, int]] = Counter(
            (record["unit"], int(record["year"]))
            for record in facts.get("rectifications") or ()
            if not record["passed"]
        )
        self.passed_rectifications: set[tuple[str, int]] = {
            (record["unit"], int(record["year"])) for record in facts.get("rectifications") or () if record["passed"]
        }
        self.city_bonus_withheld: set[tuple[str, int]] = {
            (record["unit"], int(record["year"]))
            for record in facts.get("withholdings") or ()
            if record["bonus"] == "civilized_city"
        }


def _freeze_until(poor_period: str, grades: Mapping[str, str]) -> str | None:
    """The first later non-poor evaluation: ends after the poor period, earliest end, shortest."""
    poor_end = period_span(poor_period)[1]
    best: tuple[int, int, str] | None = None
    for period, grade in grades.items():
        if grade == "poor":
            continue
        start, end = period_span(period)
        if end <= poor_end:
            continue
        candidate = (end, end - start, period)
        if best is None or candidate < best:
            best = candidate
    return None if best is None else best[2]


def _quota_params(unit: Mapping[str, Any], delta: Number) -> dict[str, Any]:
    """Readings item 3: delta, quota clamped to 0..100, slots floored; null when unknown."""
    base = unit.get("base_quota")
    headcount = unit.get("headcount")
    quota: Fraction | None = None
    slots: int | None = None
    if base is not None:
        quota = min(max(Fraction(base) + Fraction(delta), Fraction(0)), Fraction(100))
        if headcount is not None:
            slots = math.floor(Fraction(headcount) * quota / 100)
    return {"delta": _plain(delta), "quota": _plain(quota), "slots": slots}


def _annual_rules(
    out: _Collector,
    unit: Mapping[str, Any],
    grades: Mapping[str, str],
    indexes: _Indexes,
    params: Mapping[str, Any],
) -> None:
    """Consequences of annual (``YYYY``) evaluations."""
    uid = unit["id"]
    civilized = bool(unit.get("civilized_unit", False))
    vertical = bool(unit.get("vertically_managed", False))
    # Readings: the county neither pays a vertically managed unit nor manages its cadres.
    county = not vertical
    for period, grade in grades.items():
        if _cadence(period) != "year":
            continue
        if grade == "good":
            out.add(uid, "civilized_unit.priority", period)
            if county:
                out.add(uid, "leadership.excellent_priority", period)
                out.add(
                    uid,
                    "excellence_quota.adjust",
                    period,
                    **_quota_params(unit, params["quota_delta_good"]),
                )
                out.add(uid, "promotion.favored", period)
            continue
        if grade != "poor":
            continue
        year = int(period)
        if county:
            out.add(uid, "leadership.excellent_barred", period)
            out.add(
                uid,
                "excellence_quota.adjust",
                period,
                **_quota_params(unit, params["quota_delta_poor"]),
            )
            out.add(uid, "promotion.freeze", period, until=_freeze_until(period, grades))
            out.add(uid, "accountability.admonishment", period)
        if vertical:
            out.add(uid, "vertical.letter_to_superior", period)
            if civilized:
                rectified = (uid, year) in indexes.passed_rectifications
                out.add(uid, "vertical.recommend_bonus_stop", period, rectified=rectified)
        if not civilized:
            continue
        out.add(
            uid,
            "civilized_unit.review_deduction",
            period,
            points=_plain(params["review_deduction_points"]),
        )
        failed = indexes.failed_rectifications[uid, year]
        ladder = ["notice_and_rectify", "warning", "revoke"]
        for count in range(min(failed, len(ladder) - 1) + 1):
            out.add(
                uid,
                "civilized_unit.sanction",
                period,
                step=ladder[count],
                failed_rectifications=count,
            )
        withheld = (uid, year) in indexes.city_bonus_withheld
        if not vertical and not withheld:
            out.add(uid, "civilized_city_bonus.suspend", period)


def _quarterly_rules(
    out: _Collector, unit: Mapping[str, Any], grades: Mapping[str, str], params: Mapping[str, Any]
) -> None:
    """Consequences of quarterly (``YYYY-Qn``) evaluations: bonus streaks and freezes."""
    uid = unit["id"]
    vertical = bool(unit.get("vertically_managed", False))
    bonus_rows = bool(unit.get("civilized_unit", False)) and not vertical
    poor_quarters = sorted(
        _quarter_number(period) for period, grade in grades.items() if _cadence(period) == "quarter" and grade == "poor"
    )
    streak_at: dict[int, int] = {}
    for number in poor_quarters:
        streak_at[number] = streak_at.get(number - 1, 0) + 1
    # One year per streak: the year of the quarter where the streak reaches the number.
    withheld = {number // 4 for number, length in streak_at.items() if length == params["year_withhold_streak"]}
    for number in poor_quarters:
        period = _quarter_period(number)
        if not vertical:
            out.add(uid, "promotion.freeze", period, until=_freeze_until(period, grades))
        if bonus_rows and number // 4 not in withheld:
            out.add(uid, "civilized_unit_bonus.suspend", period)
    if bonus_rows:
        for year in withheld:
            out.add(uid, "civilized_unit_bonus.withhold_year", f"{year:04d}")


def _criticism_rules(out: _Collector, uid: str, bulletins: Iterable[str], params: Mapping[str, Any]) -> None:
    """Interviews on runs of consecutive bulletins; self-examination on the N-th of a year."""
    months = sorted({period_span(bulletin)[0] for bulletin in bulletins})
    run = 0
    previous: int | None = None
    for month in months:
        run = run + 1 if previous is not None and month == previous + 1 else 1
        previous = month
        if run == params["interview_consecutive_criticisms"]:
            out.add(uid, "accountability.interview", _month_period(month))
    by_year: dict[int, list[int]] = defaultdict(list)
    for month in months:
        by_year[month // 12].append(month)
    needed = params["self_examination_criticisms"]
    for year_months in by_year.values():
        if needed >= 1 and len(year_months) >= needed:
            out.add(
                uid,
                "accountability.written_self_examination",
                _month_period(year_months[needed - 1]),
            )


_OFF_CADENCE = {"other_task": "quarter", "community": "half", "township": "half", "linked": "half", "key_task": "half"}
"""Readings: each category's grades count at its cadence only (quarters, or half-years for other-task units)."""


def _in_cadence(category: str | None, period: str) -> bool:
    """Whether a grade for this period counts for a unit of this category."""
    return category is None or _OFF_CADENCE.get(category) != _cadence(period)


def oracle(facts: Mapping[str, Any], params: Mapping[str, Any] | None = None) -> list[Consequence]:
    """The consequences of ``facts`` as ``{unit, kind, period, params}`` dicts, in contract order.

    ``params`` overrides any of the six contract parameters; an unknown name is a KeyError.
    """
    merged = dict(DEFAULT_PARAMS)
    for name, value in (params or {}).items():
        if name not in DEFAULT_PARAMS:
            raise KeyError(f"unknown parameter {name!r}")
        merged[name] = value
    categories = {unit["id"]: unit.get("category") for unit in facts["units"]}
    grades = _grades_by_unit(
        e for e in facts.get("evaluations") or () if _in_cadence(categories.get(e["unit"]), str(e["period"]))
    )
    bulletins: dict[str, list[str]] = defaultdict(list)
    for criticism in facts.get("criticisms") or ():
        bulletins[criticism["unit"]].append(str(criticism["bulletin"]))
    indexes = _Indexes(facts)
    out = _Collector()
    for unit in facts["units"]:
        unit_grades = grades.get(unit["id"], {})
        _annual_rules(out, unit, unit_grades, indexes, merged)
        _quarterly_rules(out, unit, unit_grades, merged)
        _criticism_rules(out, unit["id"], bulletins.get(unit["id"], ()), merged)
    return out.sorted()
