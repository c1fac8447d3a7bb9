"""The consequences of a facts document, computed as plainly and quickly as Python allows.

The baseline of the benchmarks' ratios: the same answer as ``tests/oracle.py`` (``unit``,
``kind``, ``period``, ``params`` of each consequence, in the engine's order: readings item 5)
written as straightforward loops over dicts and tuples, with no rule engine and nothing of
civpolicy imported. It is what a programmer would write by hand to answer the one question
the oracle answers, with the obvious care for speed and none of the oracle's generality
for the sake of clarity (``Fraction`` arithmetic, a canonical-JSON key per consequence, a
global sort): periods are parsed once per distinct string per call, grades are grouped per
unit as they are read, each unit's consequences are sorted among themselves and units are
taken in id order. Like the oracle it assumes valid facts (the engine checks them) and
reads the six contract parameters (``params`` overrides any of them).

Nothing is cached between calls: every call reads the facts afresh, as an evaluation does.
``benchmarks/truth.py`` checks it against the oracle on several populations before timing it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

__all__ = ["DEFAULT_PARAMS", "plain"]

DEFAULT_PARAMS: Mapping[str, int] = {
    "year_withhold_streak": 3,
    "review_deduction_points": 5,
    "quota_delta_good": 5,
    "quota_delta_poor": -10,
    "interview_consecutive_criticisms": 2,
    "self_examination_criticisms": 3,
}

# Cadences, as small integers.
YEAR, HALF, QUARTER, MONTH = 0, 1, 2, 3
# Readings 17: the cadence whose grades a category does not take (a unit without a category takes all).
OFF_CADENCE = {"other_task": QUARTER, "community": HALF, "township": HALF, "linked": HALF, "key_task": HALF}
LADDER = ("notice_and_rectify", "warning", "revoke")
SANCTION = "civilized_unit.sanction"

# One consequence before it is emitted: period start, kind, period end, tie-break, the row.
# Within a unit, (start, kind, end) names one consequence except on the sanction ladder,
# whose rows of one period differ by failed_rectifications (0, 1, 2): the tie-break, which
# orders them as their canonical JSON params do (readings item 5).
Row = tuple[int, str, int, int, dict[str, Any]]


def _span(text: str) -> tuple[int, int, int]:
    """First month, last month (months counted from year 0) and cadence of a period string."""
    base = int(text[:4]) * 12
    if len(text) == 4:
        return base, base + 11, YEAR
    tag = text[5]
    if tag == "Q":
        first = base + 3 * int(text[6]) - 3
        return first, first + 2, QUARTER
    if tag == "H":
        first = base + 6 * int(text[6]) - 6
        return first, first + 5, HALF
    month = base + int(text[5:]) - 1
    return month, month, MONTH


def _exact(value: Any) -> int | float:
    """A number as JSON has it in a decision: an int when integral, else a float."""
    fraction = Fraction(value)
    return int(fraction) if fraction.denominator == 1 else float(fraction)


def _quota(base: Any, headcount: Any, delta: Any) -> dict[str, Any]:
    """Readings item 3: delta, quota clamped to 0..100 (null when unknown), slots floored."""
    if base is None:
        return {"delta": _exact(delta), "quota": None, "slots": None}
    if type(base) is int and type(delta) is int:
        quota = min(max(base + delta, 0), 100)
        slots = None if headcount is None else headcount * quota // 100
        return {"delta": delta, "quota": quota, "slots": slots}
    exact = min(max(Fraction(base) + Fraction(delta), Fraction(0)), Fraction(100))
    floored = None if headcount is None else math.floor(Fraction(headcount) * exact / 100)
    return {"delta": _exact(delta), "quota": _exact(exact), "slots": floored}


def plain(facts: Mapping[str, Any], params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """The consequences of ``facts`` as ``{unit, kind, period, params}`` dicts, in the engine's order."""
    p = dict(DEFAULT_PARAMS)
    for name, value in (params or {}).items():
        if name not in p:
            raise KeyError(f"unknown parameter {name!r}")
        p[name] = value
    streak_needed = p["year_withhold_streak"]
    points = _exact(p["review_deduction_points"])
    delta_good = p["quota_delta_good"]
    delta_poor = p["quota_delta_poor"]
    run_needed = p["interview_consecutive_criticisms"]
    self_needed = p["self_examination_criticisms"]

    spans: dict[str, tuple[int, int, int]] = {}
    off: dict[str, int] = {}
    for unit in facts["units"]:
        off[unit["id"]] = OFF_CADENCE.get(unit.get("category"), -1)

    # unit -> period -> (grade, start, end, cadence); a later identical fact is the same fact.
    grades: dict[str, dict[str, tuple[str, int, int, int]]] = {}
    for evaluation in facts.get("evaluations") or ():
        uid = evaluation["unit"]
        period = evaluation["period"]
        text = period if type(period) is str else str(period)
        span = spans.get(text)
        if span is None:
            span = spans[text] = _span(text)
        if span[2] == off.get(uid, -1):
            continue
        of_unit = grades.get(uid)
        if of_unit is None:
            of_unit = grades[uid] = {}
        of_unit[text] = (evaluation["grade"], span[0], span[1], span[2])

    months_of: dict[str, set[int]] = {}
    for criticism in facts.get("criticisms") or ():
        uid = criticism["unit"]
        text = str(criticism["bulletin"])
        span = spans.get(text)
        if span is None:
            span = spans[text] = _span(text)
        months = months_of.get(uid)
        if months is None:
            months = months_of[uid] = set()
        months.add(span[0])

    failed: dict[tuple[str, int], int] = {}
    passed: set[tuple[str, int]] = set()
    for record in facts.get("rectifications") or ():
        key = (record["unit"], int(record["year"]))
        if record["passed"]:
            passed.add(key)
        else:
            failed[key] = failed.get(key, 0) + 1
    city_withheld = {
        (record["unit"], int(record["year"]))
        for record in facts.get("withholdings") or ()
        if record["bonus"] == "civilized_city"
    }

    out: list[dict[str, Any]] = []
    for unit in sorted(facts["units"], key=lambda u: u["id"]):
        uid = unit["id"]
        civilized = bool(unit.get("civilized_unit", False))
        vertical = bool(unit.get("vertically_managed", False))
        county = not vertical
        rows: list[Row] = []
        add = rows.append
        of_unit = grades.get(uid)
        if of_unit:
            # The freeze's end (readings 8): the non-poor evaluations by end, then length, then period.
            later: list[tuple[int, int, str]] | None = None
            poor_quarters: list[int] = []
            for text, (grade, start, end, cadence) in of_unit.items():
                if cadence == QUARTER:
                    if grade == "poor":
                        poor_quarters.append(start // 3)
                    continue
                if cadence != YEAR:
                    continue
                if grade == "good":
                    add(
                        (
                            start,
                            "civilized_unit.priority",
                            end,
                            0,
                            {"unit": uid, "kind": "civilized_unit.priority", "period": text, "params": {}},
                        )
                    )
                    if county:
                        add(
                            (
                                start,
                                "leadership.excellent_priority",
                                end,
                                0,
                                {"unit": uid, "kind": "leadership.excellent_priority", "period": text, "params": {}},
                            )
                        )
                        quota = _quota(unit.get("base_quota"), unit.get("headcount"), delta_good)
                        add(
                            (
                                start,
                                "excellence_quota.adjust",
                                end,
                                0,
                                {"unit": uid, "kind": "excellence_quota.adjust", "period": text, "params": quota},
                            )
                        )
                        add(
                            (
                                start,
                                "promotion.favored",
                                end,
                                0,
                                {"unit": uid, "kind": "promotion.favored", "period": text, "params": {}},
                            )
                        )
                    continue
                if grade != "poor":
                    continue
                year = start // 12
                if county:
                    add(
                        (
                            start,
                            "leadership.excellent_barred",
                            end,
                            0,
                            {"unit": uid, "kind": "leadership.excellent_barred", "period": text, "params": {}},
                        )
                    )
                    quota = _quota(unit.get("base_quota"), unit.get("headcount"), delta_poor)
                    add(
                        (
                            start,
                            "excellence_quota.adjust",
                            end,
                            0,
                            {"unit": uid, "kind": "excellence_quota.adjust", "period": text, "params": quota},
                        )
                    )
                    if later is None:
                        later = sorted((e, e - s, t) for t, (g, s, e, _) in of_unit.items() if g != "poor")
                    until = next((t for e, _, t in later if e > end), None)
                    add(
                        (
                            start,
                            "promotion.freeze",
                            end,
                            0,
                            {"unit": uid, "kind": "promotion.freeze", "period": text, "params": {"until": until}},
                        )
                    )
                    add(
                        (
                            start,
                            "accountability.admonishment",
                            end,
                            0,
                            {"unit": uid, "kind": "accountability.admonishment", "period": text, "params": {}},
                        )
                    )
                if vertical:
                    add(
                        (
                            start,
                            "vertical.letter_to_superior",
                            end,
                            0,
                            {"unit": uid, "kind": "vertical.letter_to_superior", "period": text, "params": {}},
                        )
                    )
                    if civilized:
                        rectified = (uid, year) in passed
                        add(
                            (
                                start,
                                "vertical.recommend_bonus_stop",
                                end,
                                0,
                                {
                                    "unit": uid,
                                    "kind": "vertical.recommend_bonus_stop",
                                    "period": text,
                                    "params": {"rectified": rectified},
                                },
                            )
                        )
                if not civilized:
                    continue
                add(
                    (
                        start,
                        "civilized_unit.review_deduction",
                        end,
                        0,
                        {
                            "unit": uid,
                            "kind": "civilized_unit.review_deduction",
                            "period": text,
                            "params": {"points": points},
                        },
                    )
                )
                for count in range(min(failed.get((uid, year), 0), 2) + 1):
                    add(
                        (
                            start,
                            SANCTION,
                            end,
                            count,
                            {
                                "unit": uid,
                                "kind": SANCTION,
                                "period": text,
                                "params": {"step": LADDER[count], "failed_rectifications": count},
                            },
                        )
                    )
                if county and (uid, year) not in city_withheld:
                    add(
                        (
                            start,
                            "civilized_city_bonus.suspend",
                            end,
                            0,
                            {"unit": uid, "kind": "civilized_city_bonus.suspend", "period": text, "params": {}},
                        )
                    )
            if poor_quarters:
                # Readings 15: one year withheld per streak, the year where it reaches the number.
                poor_quarters.sort()
                bonus = civilized and county
                withheld: set[int] = set()
                length = 0
                previous = -2
                for number in poor_quarters:
                    length = length + 1 if number == previous + 1 else 1
                    previous = number
                    if length == streak_needed:
                        withheld.add(number // 4)
                for number in poor_quarters:
                    start = number * 3
                    end = start + 2
                    text = f"{number // 4:04d}-Q{number % 4 + 1}"
                    if county:
                        if later is None:
                            later = sorted((e, e - s, t) for t, (g, s, e, _) in of_unit.items() if g != "poor")
                        until = next((t for e, _, t in later if e > end), None)
                        add(
                            (
                                start,
                                "promotion.freeze",
                                end,
                                0,
                                {"unit": uid, "kind": "promotion.freeze", "period": text, "params": {"until": until}},
                            )
                        )
                    if bonus and number // 4 not in withheld:
                        add(
                            (
                                start,
                                "civilized_unit_bonus.suspend",
                                end,
                                0,
                                {"unit": uid, "kind": "civilized_unit_bonus.suspend", "period": text, "params": {}},
                            )
                        )
                if bonus:
                    for year in withheld:
                        add(
                            (
                                year * 12,
                                "civilized_unit_bonus.withhold_year",
                                year * 12 + 11,
                                0,
                                {
                                    "unit": uid,
                                    "kind": "civilized_unit_bonus.withhold_year",
                                    "period": f"{year:04d}",
                                    "params": {},
                                },
                            )
                        )
        months = months_of.get(uid)
        if months:
            # Readings 6: an interview where a run of consecutive bulletins reaches the number;
            # a written self-examination at the year's N-th bulletin.
            length = 0
            previous = -2
            year = -1
            in_year = 0
            for month in sorted(months):
                length = length + 1 if month == previous + 1 else 1
                previous = month
                text = ""
                if length == run_needed:
                    text = f"{month // 12:04d}-{month % 12 + 1:02d}"
                    add(
                        (
                            month,
                            "accountability.interview",
                            month,
                            0,
                            {"unit": uid, "kind": "accountability.interview", "period": text, "params": {}},
                        )
                    )
                if month // 12 != year:
                    year = month // 12
                    in_year = 0
                in_year += 1
                if in_year == self_needed:
                    text = text or f"{month // 12:04d}-{month % 12 + 1:02d}"
                    add(
                        (
                            month,
                            "accountability.written_self_examination",
                            month,
                            0,
                            {
                                "unit": uid,
                                "kind": "accountability.written_self_examination",
                                "period": text,
                                "params": {},
                            },
                        )
                    )
        if rows:
            rows.sort()
            out += [row[4] for row in rows]
    return out
