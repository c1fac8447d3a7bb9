"""Hypothesis strategies for civpolicy facts and parameter overrides, for anyone's tests.

Public: integrators use them in their own property tests, and ``civpolicy test``
checks the policy's invariants with them. They need hypothesis, of the extra
``civpolicy[authoring]``; nothing else of civpolicy imports this module but the invariants,
and they only when one is checked, so evaluating needs none of it.

Year periods are sometimes written as integers, as YAML reads ``period: 2022`` in the
contract's own example. Populations are biased toward "poor" grades and consecutive
bulletins so that streaks, withheld years, interviews and self-examinations occur in most
examples. Every strategy shrinks toward absence (no fact) or toward "poor", the
interesting grade.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

try:
    from hypothesis import strategies as st
except ImportError as error:  # an integrator's install, without the extra
    message = f"civpolicy.authoring.strategies needs hypothesis: pip install 'civpolicy[authoring]' ({error})"
    raise ImportError(message, name=error.name) from error

from civpolicy.facts.periods import parse_period

__all__ = ["CATEGORIES", "GRADES", "facts", "params", "units"]

CATEGORIES = ("community", "township", "linked", "key_task", "other_task")
GRADES = ("poor", "medium", "good")

Facts = dict[str, Any]
Draw = st.DrawFn


def _chance(percent: int) -> st.SearchStrategy[bool]:
    """True about ``percent`` % of the time; shrinks toward True."""
    return st.integers(0, 99).map(lambda n: n < percent)


@st.composite
def _unit(draw: Draw, uid: str) -> dict[str, Any]:
    """One unit record with id ``uid``; optional fields are sometimes left out."""
    unit: dict[str, Any] = {"id": uid, "category": draw(st.sampled_from(CATEGORIES))}
    if draw(_chance(20)):
        unit["name"] = draw(st.sampled_from(["县财政局", "县农业银行", "城关镇", "Unit " + uid]))
    civilized = draw(_chance(70))
    if civilized or draw(st.booleans()):
        unit["civilized_unit"] = civilized
    vertical = draw(_chance(20))
    if vertical or draw(st.booleans()):
        unit["vertically_managed"] = vertical
    if draw(_chance(60)):
        unit["headcount"] = draw(st.integers(1, 500))
    if draw(_chance(60)):
        unit["base_quota"] = draw(st.integers(0, 100))
    return unit


def units(min_units: int = 1, max_units: int = 6) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Lists of unit records with unique ids ``u0``, ``u1``, ..."""
    return st.integers(min_units, max_units).flatmap(lambda n: st.tuples(*(_unit(f"u{i}") for i in range(n))).map(list))


def _grade(poor_percent: int) -> st.SearchStrategy[str]:
    """A grade that is "poor" about ``poor_percent`` % of the time."""
    return st.integers(0, 99).map(lambda n: "poor" if n < poor_percent else ("medium" if n % 2 else "good"))


def _periods_of_year(year: int) -> dict[str, list[str]]:
    """The candidate evaluation periods of a year, by cadence (months are graded by no one: 二（三）1)."""
    return {
        "year": [f"{year}"],
        "half": [f"{year}-H{h}" for h in (1, 2)],
        "quarter": [f"{year}-Q{q}" for q in (1, 2, 3, 4)],
    }


def _evaluations(draw: Draw, uid: str, years: Sequence[int]) -> list[dict[str, Any]]:
    """Evaluations of one unit: at most one grade per period, poor grades common."""
    poor_percent = draw(st.sampled_from([80, 55, 30]))
    presence = {
        "quarter": draw(st.sampled_from([85, 60])),
        "year": 70,
        "half": draw(st.sampled_from([0, 40])),
    }
    records: list[dict[str, Any]] = []
    for year in years:
        for cadence, periods in _periods_of_year(year).items():
            for period in periods:
                if draw(_chance(presence[cadence])):
                    grade = draw(_grade(poor_percent))
                    value: str | int = period
                    if cadence == "year" and draw(_chance(25)):
                        value = year  # what YAML makes of an unquoted ``period: 2022``
                    records.append({"unit": uid, "period": value, "grade": grade})
    return records


def _bulletins(draw: Draw, uid: str, years: Sequence[int]) -> list[dict[str, Any]]:
    """Criticisms of one unit as runs of consecutive months, so interviews happen."""
    first = min(years) * 12 + 2  # from March 2022, when the opinion is in force (从2022年3月份开始)
    last = (max(years) + 1) * 12 - 1
    runs = draw(st.lists(st.tuples(st.integers(first, last), st.integers(1, 4)), max_size=3))
    records = []
    for start, length in runs:
        for month in range(start, min(start + length, last + 1)):
            records.append({"unit": uid, "bulletin": f"{month // 12}-{month % 12 + 1:02d}"})
    return records


def _with_duplicates(draw: Draw, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Occasionally repeat a few records verbatim (identical facts collapse)."""
    repeat: bool = draw(_chance(15))
    if records and repeat:
        extra = draw(st.lists(st.sampled_from(records), min_size=1, max_size=2))
        records = records + [dict(record) for record in extra]
    return records


@st.composite
def facts(
    draw: Draw,
    min_units: int = 1,
    max_units: int = 6,
    years: Sequence[int] = (2022, 2023),
    from_month: int | None = None,
) -> Facts:
    """Valid facts documents (contract section 1) over the given calendar ``years``.

    With ``from_month`` (months counted as ``year * 12 + month - 1``), records of periods
    ending before it are left out after drawing (a policy's ``in_force``), so the draws,
    and the examples a search tries, are those of a policy in force from the start.
    """
    unit_records = draw(units(min_units, max_units))
    ids = [unit["id"] for unit in unit_records]
    evaluations: list[dict[str, Any]] = []
    criticisms: list[dict[str, Any]] = []
    for uid in ids:
        evaluations.extend(_evaluations(draw, uid, years))
        criticisms.extend(_bulletins(draw, uid, years))
    withholdings = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "unit": st.sampled_from(ids),
                    "bonus": st.sampled_from(["civilized_city", "civilized_unit"]),
                    "year": st.sampled_from(list(years)),
                }
            ),
            max_size=3,
        )
    )
    rectifications = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "unit": st.sampled_from(ids),
                    "year": st.sampled_from(list(years)),
                    "passed": _chance(30),
                }
            ),
            max_size=5,
        )
    )
    document: Facts = {"units": unit_records}
    optional = {
        "evaluations": _with_duplicates(draw, evaluations),
        "criticisms": _with_duplicates(draw, criticisms),
        "withholdings": _with_duplicates(draw, withholdings),
        "rectifications": _with_duplicates(draw, rectifications),
    }
    if from_month is not None:
        optional = {key: [r for r in records if _ends_in_force(r, from_month)] for key, records in optional.items()}
    for key, records in optional.items():
        keep_empty: bool = draw(st.booleans())
        if records or keep_empty:
            document[key] = records
    return document


def _ends_in_force(record: dict[str, Any], from_month: int) -> bool:
    """Whether a record's period (or year) ends in or after the month the policy is in force from."""
    return parse_period(record.get("period", record.get("bulletin", record.get("year")))).end >= from_month


def params() -> st.SearchStrategy[dict[str, int]]:
    """Random valid overrides of some of the six contract parameters."""
    return st.fixed_dictionaries(
        {},
        optional={
            "year_withhold_streak": st.integers(1, 5),
            "review_deduction_points": st.integers(0, 20),
            "quota_delta_good": st.integers(0, 20),
            "quota_delta_poor": st.integers(-30, 0),
            "interview_consecutive_criticisms": st.integers(1, 4),
            "self_examination_criticisms": st.integers(1, 6),
        },
    )
