"""The policy's invariants, checked on generated populations of units.

An invariant is declared in the policy (``invariants:``) with one of four checks:

- ``worse_grade``: turning one record worse (``change``; per generated population, each
  record of one unit in turn) never lightens the outcome: per
  unit the months covered by the ``covered`` consequences' periods never shrink (a
  withheld year covers a suspended quarter; with ``covered_when: latest``, only when the
  record made worse is the unit's latest of its kind of period), the ``kept`` ones stay, a param
  named in ``not_earlier`` (a period) never comes earlier (or stops being null), and the
  ``never_gained`` ones never appear;
- ``at_most_once``: a consequence kind appears at most once per the ``per`` fields;
- ``within``: params of a kind stay within ``bounds`` (numbers or ``$params.name``);
- ``covered_once``: per unit, no month lies in the periods of two consequences of the
  ``consequences`` kinds (a bonus is never taken twice);
- ``contiguous``: per the ``per`` fields, a counter param of a kind runs 0, 1, 2... with no gap,
  and with ``order`` ({param: [its values in order]}) that param moves forward along the list.

Populations come from :mod:`civpolicy.authoring.strategies` (hypothesis, of the extra
``civpolicy[authoring]``: imported only when an invariant is checked, so that evaluating
needs none of it; without it :class:`HypothesisMissingError` says what to install). When one breaks an
invariant, it is shrunk here by dropping units and records one at a time while the
failure stays (each evaluation is cheap, hypothesis' own shrinking of whole documents
is not), and the smallest counterexample is returned as a facts document.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from civpolicy.decision.values import Consequence, Decision
from civpolicy.errors import CivpolicyError
from civpolicy.facts.periods import PeriodSyntaxError, parse_period, period_sort_key
from civpolicy.policy import Policy
from civpolicy.source import model as m
from civpolicy.source.dates import month_of, parse_date


@attrs.frozen
class InvariantResult:
    """Whether an invariant held on the examples tried, and if not, the smallest counterexample."""

    invariant: m.Invariant
    examples: int
    problems: tuple[str, ...] = ()
    counterexample: dict[str, Any] | None = attrs.field(default=None, eq=False)

    @property
    def holds(self) -> bool:
        """No example broke it."""
        return not self.problems


def _bound(value: Any, params: Mapping[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("$params."):
        return params[value.removeprefix("$params.")]
    return value


def _key(consequence: Consequence, fields: list[str]) -> tuple[Any, ...]:
    return tuple(getattr(consequence, field) for field in fields)


def decision_problems(invariant: m.Invariant, decision: Decision, params: Mapping[str, Any]) -> list[str]:
    """What one decision breaks of an invariant that looks at one decision."""
    if invariant.check == "covered_once":
        return _covered_once(invariant.spec, decision.consequences)
    found = [c for c in decision.consequences if c.kind == invariant.spec.get("consequence")]
    checks = {"at_most_once": _at_most_once, "within": _within, "contiguous": _contiguous}
    return checks[invariant.check](invariant.spec, found, params)


def _at_most_once(spec: Mapping[str, Any], found: list[Consequence], params: Mapping[str, Any]) -> list[str]:
    groups: dict[tuple[Any, ...], int] = defaultdict(int)
    for consequence in found:
        groups[_key(consequence, spec["per"])] += 1
    return [f"{spec['consequence']} {key} appears {n} times" for key, n in sorted(groups.items()) if n > 1]


def _covered_once(spec: Mapping[str, Any], consequences: tuple[Consequence, ...]) -> list[str]:
    """Per unit, no month lies in the periods of two consequences of the listed kinds."""
    kinds = set(spec["consequences"])
    first: dict[tuple[str, int], Consequence] = {}
    problems = []
    for consequence in consequences:
        if consequence.kind not in kinds:
            continue
        start, end = period_sort_key(consequence.period)
        for month in range(start, end + 1):
            earlier = first.setdefault((consequence.unit, month), consequence)
            if earlier is not consequence:
                problems.append(
                    f"{consequence.unit}: {earlier.kind} {earlier.period} and {consequence.kind} "
                    f"{consequence.period} both take month {month // 12:04d}-{month % 12 + 1:02d}"
                )
                break
    return problems


def _within(spec: Mapping[str, Any], found: list[Consequence], params: Mapping[str, Any]) -> list[str]:
    problems = []
    for consequence in found:
        for name, (low, high) in spec["bounds"].items():
            value, lowest, highest = consequence.params.get(name), _bound(low, params), _bound(high, params)
            if value is not None and not lowest <= value <= highest:
                where = f"{consequence.unit} {consequence.kind} {consequence.period}"
                problems.append(f"{where}: {name} {value} not in {lowest}..{highest}")
    return problems


def _contiguous(spec: Mapping[str, Any], found: list[Consequence], params: Mapping[str, Any]) -> list[str]:
    counters: dict[tuple[Any, ...], list[Consequence]] = defaultdict(list)
    for consequence in found:
        counters[_key(consequence, spec["per"])].append(consequence)
    problems = []
    for key, group in sorted(counters.items()):
        group.sort(key=lambda c: _counter_order(c.params.get(spec["counter"])))
        values = [c.params.get(spec["counter"]) for c in group]
        if values != list(range(len(values))):
            problems.append(f"{spec['consequence']} {key}: {spec['counter']} runs {values}, not 0, 1, 2...")
            continue
        problems += _out_of_order(spec, key, group)
    return problems


def _counter_order(value: Any) -> tuple[int, Any]:
    """Whole numbers in order, then anything else (a counter that is not one is told as such)."""
    return (0, value) if isinstance(value, int) and not isinstance(value, bool) else (1, repr(value))


def _out_of_order(spec: Mapping[str, Any], key: tuple[Any, ...], steps: list[Consequence]) -> list[str]:
    """With ``order`` ({param: [values in order]}), each later step's value comes later in the list."""
    problems = []
    for name, order in (spec.get("order") or {}).items():
        given = [c.params.get(name) for c in steps]
        places = [order.index(value) if value in order else -1 for value in given]
        if -1 in places or places != sorted(set(places)):
            counter = spec["counter"]
            shown = ", ".join(f"{c.params.get(counter)}: {value}" for c, value in zip(steps, given, strict=True))
            problems.append(
                f"{spec['consequence']} {key}: {name} goes {shown}, not in the order {', '.join(map(str, order))}"
            )
    return problems


def worse_problems(invariant: m.Invariant, before: Decision, after: Decision, latest: bool = True) -> list[str]:
    """What a worse record changed against the invariant (a ``worse_grade`` check).

    With ``covered_when: latest`` the covered months are compared only when the record
    made worse is its unit's ``latest`` of its kind of period (as records arrive in time order).
    """
    spec = invariant.spec
    kinds = set(spec.get("covered") or []) if latest or spec.get("covered_when") != "latest" else set()
    months_before, months_after = _months(before, kinds), _months(after, kinds)
    problems = [
        f"{unit}: {len(months_before[unit] - months_after[unit])} month(s) no longer covered by {sorted(kinds)}"
        for unit in sorted(months_before)
        if not months_before[unit] <= months_after[unit]
    ]
    after_ids = {c.identity() for c in after.consequences}
    before_ids = {c.identity() for c in before.consequences}
    kept, never = spec.get("kept") or [], spec.get("never_gained") or []
    problems += [
        f"{c.unit} lost {c.kind} {c.period}"
        for c in before.consequences
        if c.kind in kept and c.identity() not in after_ids
    ]
    problems += [
        f"{c.unit} gained {c.kind} {c.period}"
        for c in after.consequences
        if c.kind in never and c.identity() not in before_ids
    ]
    for kind, param in (spec.get("not_earlier") or {}).items():
        problems += _not_earlier(kind, param, before, after)
    return problems


def _not_earlier(kind: str, param: str, before: Decision, after: Decision) -> list[str]:
    """A period param of a kind never comes earlier, and never stops being null."""
    later = {(c.unit, c.period): c.params.get(param, "missing") for c in after.consequences if c.kind == kind}
    problems = []
    for consequence in (c for c in before.consequences if c.kind == kind):
        old = consequence.params.get(param)
        new = later.get((consequence.unit, consequence.period), "missing")
        earlier = new is not None and (
            new == "missing" or old is None or period_sort_key(new)[1] < period_sort_key(old)[1]
        )
        if earlier:
            problems.append(f"{consequence.unit} {kind} {consequence.period}: {param} {old} became {new}")
    return problems


def _months(decision: Decision, kinds: set[str]) -> dict[str, set[int]]:
    """Per unit, the months the periods of its consequences of these kinds cover."""
    covered: dict[str, set[int]] = defaultdict(set)
    for consequence in decision.consequences:
        if consequence.kind in kinds:
            start, end = period_sort_key(consequence.period)
            covered[consequence.unit].update(range(start, end + 1))
    return covered


UNITS = 3
"""Units per generated population: rules look at one unit at a time, and small examples shrink fast."""


NEEDS_HYPOTHESIS = "the invariants need hypothesis: pip install 'civpolicy[authoring]'"
"""What to do where hypothesis is missing, in one line."""

_HYPOTHESIS_MODULES = ("hypothesis", "sortedcontainers")
"""hypothesis and what it needs: missing, the invariants cannot be checked."""


class HypothesisMissingError(CivpolicyError):
    """An invariant is to be checked where hypothesis is not installed."""


class _Violation(Exception):
    """Raised inside the search when an example breaks the invariant."""


def check_invariant(policy: Policy, invariant: m.Invariant, examples: int = 100) -> InvariantResult:
    """Search generated populations for an example that breaks the invariant, and shrink it."""
    try:
        from hypothesis import HealthCheck, Phase, given, settings
        from hypothesis import strategies as st

        from civpolicy.authoring.strategies import facts as facts_strategy
    except ImportError as error:
        if error.name is None or error.name.partition(".")[0] not in _HYPOTHESIS_MODULES:
            raise
        raise HypothesisMissingError(NEEDS_HYPOTHESIS) from error

    change = invariant.spec.get("change")
    populations = facts_strategy(max_units=UNITS, **_in_force_years(policy.model))
    if change is not None:
        strategy: Any = st.tuples(populations, st.integers(min_value=0, max_value=10_000))
    else:
        strategy = populations

    def problems_of(document: dict[str, Any], chosen: dict[str, Any] | None, base: Any = None) -> list[str]:
        if change is None:
            return decision_problems(invariant, policy.evaluate(document), policy.params)
        worse = _worsened(document, change, chosen)
        if worse is None:
            return []
        before = policy.evaluate(document) if base is None else base
        return worse_problems(invariant, before, policy.evaluate(worse), _is_latest(document, change, chosen))

    found: dict[str, Any] = {}

    @settings(
        max_examples=examples,
        database=None,
        derandomize=True,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def search(example: Any) -> None:
        if change is None:
            if problems_of(example, None):
                found["document"], found["chosen"] = example, None
                raise _Violation
            return
        document = example[0]
        base = policy.evaluate(document)
        # Every record of the unit the pick falls on, each made worse in turn: a rule's effect
        # often hangs on one particular record of a unit (the quarter before a streak).
        for chosen in _picks(document, change, example[1]):
            if problems_of(document, chosen, base):
                found["document"], found["chosen"] = document, chosen
                raise _Violation

    try:
        search()
    except _Violation:
        chosen = found["chosen"]
        document = shrink(found["document"], lambda doc: bool(_safely(problems_of, doc, chosen)), keep=chosen)
        problems = tuple(problems_of(document, chosen))
        if change is not None:
            document = {"before": document, "after": _worsened(document, change, chosen)}
        return InvariantResult(invariant, examples, problems, document)
    return InvariantResult(invariant, examples)


def _safely(problems_of: Callable[..., list[str]], document: dict[str, Any], chosen: Any) -> list[str]:
    """The problems of a candidate, or none when the candidate is not valid facts."""
    try:
        return problems_of(document, chosen)
    except CivpolicyError:
        return []


def shrink(
    document: dict[str, Any], fails: Callable[[dict[str, Any]], bool], keep: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A smaller facts document that still fails.

    Units (with their facts) and records are dropped one at a time while the failure stays,
    until no single drop keeps it; the ``keep`` record stays.
    """
    changed = True
    while changed:
        changed = False
        for key in list(document):
            items = document[key]
            index = len(items) - 1 if isinstance(items, list) else -1
            while index >= 0:
                item = items[index]
                if item != keep:
                    candidate = _without(document, key, index)
                    if fails(candidate):
                        document, items, changed = candidate, candidate[key], True
                index = min(index - 1, len(items) - 1)
    return document


def _without(document: dict[str, Any], key: str, index: int) -> dict[str, Any]:
    """The document without one record; without a unit, also without that unit's records."""
    items = document[key]
    smaller = {**document, key: items[:index] + items[index + 1 :]}
    if key == "units":
        gone = items[index].get("id")
        for other, records in smaller.items():
            if other != "units" and isinstance(records, list):
                smaller[other] = [r for r in records if not (isinstance(r, dict) and gone in r.values())]
    return smaller


def _pick(document: dict[str, Any], change: Mapping[str, str], pick: int) -> dict[str, Any] | None:
    """The record a worse_grade example changes: one whose field is not yet the worse value."""
    records = document.get(change["facts"]) or []
    candidates = [record for record in records if record.get(change["field"]) != change["to"]]
    return dict(candidates[pick % len(candidates)]) if candidates else None


def _picks(document: dict[str, Any], change: Mapping[str, str], pick: int) -> list[dict[str, Any]]:
    """The records a worse_grade example changes in turn: those of the picked record's unit not yet worse."""
    first = _pick(document, change, pick)
    if first is None:
        return []
    records = document.get(change["facts"]) or []
    unit = first.get("unit")
    return [dict(r) for r in records if r.get("unit") == unit and r.get(change["field"]) != change["to"]]


def _worsened(
    document: dict[str, Any], change: Mapping[str, str], chosen: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The document with the chosen record's field set to the worse value (None if it is gone)."""
    records = document.get(change["facts"]) or []
    if chosen is None or chosen not in records:
        return None
    changed = [dict(record) for record in records]
    for record in changed:
        if record == chosen:  # identical copies change together: they are one fact
            record[change["field"]] = change["to"]
    return {**document, change["facts"]: changed}


def _in_force_years(model: m.PolicyModel) -> dict[str, Any]:
    """Generated populations from the year the policy is in force, without facts of periods before it.

    A policy in force from 2022 or earlier gets the generator's own two years, drawn as always.
    """
    since = parse_date(model.in_force.since) if model.in_force is not None else None
    if since is None:
        return {}
    first = max(since.year, 2022)
    return {"years": (first, first + 1), "from_month": month_of(since)}


def _is_latest(document: dict[str, Any], change: Mapping[str, str], chosen: dict[str, Any] | None) -> bool:
    """Whether no record of the chosen one's unit, of the same kind of period, starts later."""
    if chosen is None or not isinstance(chosen.get("period"), (str, int)):
        return True
    try:
        mine = parse_period(chosen["period"])
        others = [
            parse_period(record["period"])
            for record in document.get(change["facts"]) or []
            if record.get("unit") == chosen.get("unit")
        ]
    except PeriodSyntaxError:
        return True
    return not any(other.months == mine.months and other.start > mine.start for other in others)


def check_invariants(policy: Policy, examples: int = 100) -> list[InvariantResult]:
    """Every invariant of the policy, each searched for a counterexample."""
    return [check_invariant(policy, invariant, examples) for invariant in policy.model.invariants]
