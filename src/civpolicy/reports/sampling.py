"""A reproducible monthly sampling plan that visits every point once per cycle.

:func:`plan_month` is generic: for the cycle of ``months_per_cycle`` months that holds the
month, the points in canonical order are shuffled by a ``random.Random`` seeded with a
stable text of (seed, cycle start, cycle length), never with ``hash()``, which is salted
per process, and dealt into ``months_per_cycle`` near-equal parts; the k-th month of the
cycle gets part k. Each month thus gets about 1/``months_per_cycle`` of the points, and
every point is drawn exactly once per cycle. Cycles are aligned like periods (months
counted from year 0), so a cycle of 3 is a calendar quarter.

:func:`plan_for_facts` applies it to the monthly bulletin: about one third of the community
grids and field inspection points each month, all of them each quarter.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from civpolicy.errors import ParameterError
from civpolicy.facts.periods import KINDS, Period, PeriodSyntaxError, parse_period
from civpolicy.facts.read import UNIT_REGISTER, Facts

if TYPE_CHECKING:
    from civpolicy.policy import Policy

GRID = "grid"
"""Kind of a community (village) grid point: a unit of category :data:`GRID_CATEGORY`."""
GRID_CATEGORY = "community"
"""The unit category whose units are the grids of the monthly bulletin."""
FIELD_POINT = "field_point"
"""Kind of a field inspection point, and the input (fact type) that lists them."""


@attrs.frozen(order=True)
class Point:
    """A point to inspect: its id, the unit it belongs to, and a free kind label."""

    id: str = attrs.field(validator=attrs.validators.instance_of(str))
    unit: str = attrs.field(validator=attrs.validators.instance_of(str))
    kind: str = attrs.field(default="", validator=attrs.validators.instance_of(str))

    def to_dict(self) -> dict[str, str]:
        """The point as JSON data."""
        return {"id": self.id, "unit": self.unit, "kind": self.kind}


@attrs.frozen
class SamplePlan:
    """The points to inspect in one month, sorted by id, out of ``total`` points of the cycle."""

    month: str
    seed: int
    cycle: str
    """The cycle holding the month: ``2022-Q2`` for a quarter."""
    points: tuple[Point, ...]
    total: int

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON data: month, seed, cycle, points and ``of`` (the total)."""
        return {
            "month": self.month,
            "seed": self.seed,
            "cycle": self.cycle,
            "points": [point.to_dict() for point in self.points],
            "of": self.total,
        }


def parse_month(month: object) -> Period:
    """A month written ``YYYY-MM``; anything else is a ParameterError."""
    try:
        period = parse_period(month) if isinstance(month, str) else None
    except PeriodSyntaxError:
        period = None
    if period is None or period.kind != "month":
        raise ParameterError(f"not a month: {month!r} (expected YYYY-MM, like 2022-05)")
    return period


def cycle_label(start: int, months: int) -> str:
    """A cycle as text: the period label for 1, 3, 6 or 12 months, else ``first..last`` month."""
    if months in KINDS.values() and start % months == 0:
        return Period(start, months).label
    return f"{Period(start, 1).label}..{Period(start + months - 1, 1).label}"


def plan_month(points: Iterable[Point], month: str, seed: int = 0, months_per_cycle: int = 3) -> SamplePlan:
    """The points to inspect in ``month``: this month's share of the cycle's shuffled points.

    Points are a set: duplicates count once, and their order does not matter.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ParameterError(f"the seed must be a whole number (got {seed!r})")
    if isinstance(months_per_cycle, bool) or not isinstance(months_per_cycle, int) or months_per_cycle < 1:
        raise ParameterError(f"months per cycle must be a whole number of at least 1 (got {months_per_cycle!r})")
    period = parse_month(month)
    start = period.start - period.start % months_per_cycle
    ordered = sorted(set(points))
    # str seeds are hashed with SHA-512 by random.Random: the same in every process and version.
    # The salt is the text published plans were made with (the module's name before it moved): kept.
    rng = random.Random(f"civpolicy.sampling:{seed}:{Period(start, 1).label}:{months_per_cycle}")
    rng.shuffle(ordered)
    share = ordered[period.start - start :: months_per_cycle]
    return SamplePlan(period.label, seed, cycle_label(start, months_per_cycle), tuple(sorted(share)), len(ordered))


def facts_points(facts: Facts) -> list[Point]:
    """The bulletin's points in validated facts: each community unit as a grid, and each field point."""
    points = []
    for unit in facts.units:
        for fact in facts.by_unit[unit]:
            if fact["type"] == UNIT_REGISTER and fact.get("category") == GRID_CATEGORY:
                points.append(Point(fact["unit"], fact["unit"], GRID))
            elif fact["type"] == FIELD_POINT:
                points.append(Point(fact["point"], fact["unit"], FIELD_POINT))
    return points


def plan_for_facts(
    policy: Policy, facts: Facts | Mapping[str, Any] | str | Path, month: str, seed: int = 0
) -> SamplePlan:
    """The monthly bulletin's plan: about a third of the grids and field points, all of them each quarter."""
    parse_month(month)
    checked = facts if isinstance(facts, Facts) else policy.read_facts(facts)
    return facts_plan(checked, month, seed)


def facts_plan(facts: Facts, month: str, seed: int = 0) -> SamplePlan:
    """The monthly bulletin's plan for validated facts (what :func:`plan_for_facts` gives, and the bulletin shows)."""
    return plan_month(facts_points(facts), month, seed, KINDS["quarter"])
