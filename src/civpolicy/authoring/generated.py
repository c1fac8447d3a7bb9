"""A generated population of units in the contract's facts format (section 1), seeded, without hypothesis.

For ``civpolicy diff`` when no facts are given, and for benchmarks: the same seed gives the same facts.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

from civpolicy.errors import ParameterError

CATEGORIES = ("community", "township", "linked", "key_task", "other_task")
"""The unit categories of contract section 1."""
HALF_YEARLY = "other_task"
"""The category graded every half year instead of every quarter."""
YEARS = (2022, 2023)
POOR_RATES = (0.15, 0.35, 0.55)
"""A unit's chance of a poor grade, one of these: about 35 % on average, with streaks."""


def generate_facts(seed: int = 0, units: int = 200) -> dict[str, Any]:
    """A deterministic facts document of ``units`` units over two years, biased toward poor grades."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ParameterError(f"the seed must be a whole number (got {seed!r})")
    if isinstance(units, bool) or not isinstance(units, int) or units < 1:
        raise ParameterError(f"the number of units must be a whole number of at least 1 (got {units!r})")
    rnd = random.Random(seed)
    digits = len(str(units - 1))
    document: dict[str, list[dict[str, Any]]] = {
        "units": [],
        "evaluations": [],
        "criticisms": [],
        "withholdings": [],
        "rectifications": [],
    }
    for index in range(units):
        uid = f"u{index:0{digits}d}"
        unit = _generated_unit(rnd, uid)
        document["units"].append(unit)
        evaluations = list(_generated_evaluations(rnd, uid, unit["category"] == HALF_YEARLY))
        document["evaluations"].extend(evaluations)
        document["criticisms"].extend(_generated_criticisms(rnd, uid))
        if rnd.random() < 0.05:
            bonus = rnd.choice(("civilized_city", "civilized_unit"))
            document["withholdings"].append({"unit": uid, "bonus": bonus, "year": rnd.choice(YEARS)})
        for e in evaluations:
            if isinstance(e["period"], int) and e["grade"] == "poor" and rnd.random() < 0.3:
                for _ in range(rnd.choice((1, 1, 2))):
                    document["rectifications"].append({"unit": uid, "year": e["period"], "passed": rnd.random() < 0.4})
    return dict(document)


def _generated_unit(rnd: random.Random, uid: str) -> dict[str, Any]:
    """One unit record."""
    category = rnd.choice(CATEGORIES)
    unit: dict[str, Any] = {"id": uid, "category": category, "civilized_unit": rnd.random() < 0.7}
    vertical = rnd.random() < (0.4 if category == HALF_YEARLY else 0.05)
    if vertical:
        unit["vertically_managed"] = True
    if rnd.random() < 0.9:
        unit["headcount"] = rnd.randint(5, 300)
    if rnd.random() < 0.9:
        unit["base_quota"] = rnd.choice((10, 15, 15, 20))
    return unit


def _generated_evaluations(rnd: random.Random, uid: str, half_yearly: bool) -> Iterable[dict[str, Any]]:
    """Quarterly (or half-yearly) and annual grades of one unit; now and then a period is missing."""
    poor = rnd.choice(POOR_RATES)

    def grade() -> str:
        return "poor" if rnd.random() < poor else rnd.choice(("medium", "good"))

    for year in YEARS:
        periods = [f"{year}-H{h}" for h in (1, 2)] if half_yearly else [f"{year}-Q{q}" for q in (1, 2, 3, 4)]
        if not half_yearly and rnd.random() < 0.1:
            periods.append(f"{year}-H{rnd.choice((1, 2))}")
        for period in periods:
            if rnd.random() < 0.92:
                yield {"unit": uid, "period": period, "grade": grade()}
        if rnd.random() < 0.92:
            yield {"unit": uid, "period": year, "grade": grade()}


def _generated_criticisms(rnd: random.Random, uid: str) -> list[dict[str, Any]]:
    """Bulletins naming the unit: random months, sometimes in a run."""
    # From March of the first year: the shipped policy is in force from 2022-03-01 (its in_force).
    first, last = YEARS[0] * 12 + 2, (YEARS[-1] + 1) * 12 - 1
    months: set[int] = set()
    for _ in range(rnd.choice((0, 0, 1, 1, 2, 3, 4))):
        start = rnd.randint(first, last)
        run = rnd.choice((1, 1, 2, 3))
        months.update(m for m in range(start, start + run) if m <= last)
    return [{"unit": uid, "bulletin": f"{m // 12:04d}-{m % 12 + 1:02d}"} for m in sorted(months)]
