"""Property tests: the engine against the oracle, and laws every decision must obey."""

from __future__ import annotations

import copy
import functools
import json
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import civpolicy
from oracle import DEFAULT_PARAMS, oracle, period_span
from strategies import facts, params

Row = dict[str, Any]
Key = tuple[str, str, str, str]

YEARS = (2022, 2023)
BENEFIT_KINDS = frozenset({"civilized_unit.priority", "leadership.excellent_priority", "promotion.favored"})
QUARTERS_PER_YEAR = 4


class Decision(Protocol):
    """What the tests use of ``civpolicy``'s decision (contract section 5)."""

    @property
    def consequences(self) -> tuple[Any, ...]:
        """The consequences, as attrs objects."""

    def to_json(self) -> str:
        """The document of contract section 2."""

    def to_dict(self) -> dict[str, Any]:
        """The same document as a dict."""


class Policy(Protocol):
    """What the tests use of a loaded ``civpolicy`` policy."""

    def evaluate(self, facts: Mapping[str, Any]) -> Decision:
        """The decision on ``facts``."""


@functools.cache
def _cached_policy(overrides: tuple[tuple[str, Any], ...], engine: str | None) -> Policy:
    """Load the shipped policy once per distinct set of overrides and engine."""
    options: dict[str, Any] = {"params": dict(overrides)} if overrides else {}
    if engine is not None:
        options["engine"] = engine
    policy: Policy = civpolicy.load_policy(**options)
    return policy


def _engine_names() -> tuple[str | None, ...]:
    """The engines ``load_policy(engine=...)`` offers that run here, or just the default one."""
    try:
        from civpolicy.engine.registry import ENGINES  # not part of the contract
    except ImportError:
        return (None,)
    runnable: list[str | None] = []
    for name in ENGINES:
        try:
            _cached_policy((), name)  # loaded once, reused by the tests
        except ImportError:  # e.g. durable-rules on Python 3.13
            continue
        runnable.append(name)
    return tuple(runnable)


ENGINES = _engine_names()
each_engine = pytest.mark.parametrize("engine", ENGINES)


def policy_for(overrides: Mapping[str, Any] | None = None, engine: str | None = None) -> Policy:
    """The shipped policy with ``overrides`` on ``engine``, loaded at most once per value."""
    return _cached_policy(tuple(sorted((overrides or {}).items())), engine)


def evaluate(
    facts_doc: Mapping[str, Any],
    overrides: Mapping[str, Any] | None = None,
    engine: str | None = None,
) -> Decision:
    """Evaluate a private copy of ``facts_doc`` (the engine must not see our later edits)."""
    return policy_for(overrides, engine).evaluate(copy.deepcopy(facts_doc))


def json_rows(decision: Decision) -> list[Row]:
    """The decision's consequences from ``to_json()``, cut to unit, kind, period and params."""
    document = json.loads(decision.to_json())
    return [{key: row[key] for key in ("unit", "kind", "period", "params")} for row in document["consequences"]]


def key(row: Mapping[str, Any]) -> Key:
    """A hashable identity of one consequence."""
    params_json = json.dumps(row["params"], sort_keys=True, ensure_ascii=False)
    return row["unit"], row["kind"], row["period"], params_json


def assert_same_rows(expected: list[Row], actual: list[Row]) -> None:
    """Equal lists, or a failure that lists what is missing, extra or out of order."""
    if expected == actual:
        return
    expected_keys = {key(row) for row in expected}
    actual_keys = {key(row) for row in actual}
    missing = sorted(expected_keys - actual_keys)
    extra = sorted(actual_keys - expected_keys)
    lines = ["engine and oracle disagree"]
    lines += [f"  missing (oracle only): {item}" for item in missing]
    lines += [f"  extra (engine only):   {item}" for item in extra]
    if not missing and not extra:
        duplicates = [item for item, n in Counter(key(row) for row in actual).items() if n > 1]
        lines.append(f"  same set; duplicates in engine output: {duplicates}")
        lines.append(f"  order expected: {[key(row) for row in expected]}")
        lines.append(f"  order actual:   {[key(row) for row in actual]}")
    raise AssertionError("\n".join(lines))


def _check_against_oracle(facts_doc: Mapping[str, Any], overrides: Mapping[str, Any], engine: str | None) -> None:
    """The engine's consequences, in order and from both views, equal the oracle's."""
    decision = evaluate(facts_doc, overrides, engine)
    from_json = json_rows(decision)
    assert_same_rows(oracle(facts_doc, overrides), from_json)
    from_objects = [
        {"unit": c.unit, "kind": c.kind, "period": c.period, "params": dict(c.params)} for c in decision.consequences
    ]
    assert from_json == json.loads(json.dumps(from_objects))


@each_engine
@given(facts())
def test_engine_matches_oracle(engine: str | None, facts_doc: dict[str, Any]) -> None:
    """Default parameters: the engine and the oracle read the document alike."""
    _check_against_oracle(facts_doc, {}, engine)


@each_engine
@given(facts(), params())
def test_engine_matches_oracle_with_params(
    engine: str | None, facts_doc: dict[str, Any], overrides: dict[str, int]
) -> None:
    """Overridden parameters: the engine and the oracle still agree."""
    _check_against_oracle(facts_doc, overrides, engine)


@each_engine
@given(facts(max_units=3, years=(2022, 2023, 2024)), params())
def test_engine_matches_oracle_over_three_years(
    engine: str | None, facts_doc: dict[str, Any], overrides: dict[str, int]
) -> None:
    """Streaks and bulletin runs that cross two year boundaries."""
    _check_against_oracle(facts_doc, overrides, engine)


@given(facts(), params())
def test_engines_agree_byte_for_byte(facts_doc: dict[str, Any], overrides: dict[str, int]) -> None:
    """Every engine gives the same ``to_json()``, provenance included."""
    outputs = {engine: evaluate(facts_doc, overrides, engine).to_json() for engine in ENGINES}
    assert len(set(outputs.values())) == 1, outputs


@each_engine
@given(facts(), st.randoms(use_true_random=False))
def test_input_order_does_not_matter(engine: str | None, facts_doc: dict[str, Any], rnd: random.Random) -> None:
    """Shuffling every list of the facts leaves ``to_json()`` byte for byte the same.

    But for where each warning points: a warning names its fact's place in the facts
    (``evaluations[3]``), which moves with the fact; which facts are warned of, and why, does not.
    """
    shuffled = copy.deepcopy(facts_doc)
    for records in shuffled.values():
        rnd.shuffle(records)
    expected = evaluate(facts_doc, engine=engine).to_dict()
    got = evaluate(shuffled, engine=engine).to_dict()
    expected_warnings, got_warnings = expected.pop("warnings"), got.pop("warnings")
    assert json.dumps(expected, ensure_ascii=False) == json.dumps(got, ensure_ascii=False)
    assert sorted(w["message"] for w in expected_warnings) == sorted(w["message"] for w in got_warnings)


@each_engine
@given(facts())
def test_evaluation_is_repeatable_and_pure(engine: str | None, facts_doc: dict[str, Any]) -> None:
    """Two evaluations give identical output, and the facts given are left untouched."""
    policy = policy_for(engine=engine)
    given_doc = copy.deepcopy(facts_doc)
    first = policy.evaluate(given_doc).to_json()
    second = policy.evaluate(given_doc).to_json()
    assert first == second
    assert facts_doc == given_doc


def _worsened(facts_doc: dict[str, Any], data: st.DataObject) -> tuple[dict[str, Any], bool]:
    """A copy of the facts with one evaluation turned poor, or one poor evaluation added.

    And whether that evaluation is its unit's latest of its cadence: only then must no
    bonus month be regained (docs/readings.md, "One year per streak": re-grading an earlier
    quarter can move the year a streak withholds).
    """
    evaluations = facts_doc.get("evaluations", [])
    graded = {(e["unit"], str(e["period"])) for e in evaluations}
    turnable = sorted({(e["unit"], str(e["period"])) for e in evaluations if e["grade"] != "poor"})
    periods = [f"{y}{tag}" for y in YEARS for tag in ("", "-H1", "-H2", "-Q1", "-Q2", "-Q3", "-Q4")]
    free = [(u["id"], p) for u in facts_doc["units"] for p in periods if (u["id"], p) not in graded]
    assume(turnable or free)
    unit, period = data.draw(st.sampled_from(turnable + free), label="made poor")
    worse = copy.deepcopy(facts_doc)
    worse["evaluations"] = [
        {**e, "grade": "poor"} if (e["unit"], str(e["period"])) == (unit, period) else e for e in evaluations
    ]
    if (unit, period) not in graded:
        worse["evaluations"].append({"unit": unit, "period": period, "grade": "poor"})
    start, end = period_span(period)
    latest = not any(
        e["unit"] == unit
        and period_span(str(e["period"]))[0] > start
        and period_span(str(e["period"]))[1] - period_span(str(e["period"]))[0] == end - start
        for e in evaluations
    )
    return worse, latest


def _bonus_quarters_lost(rows: Iterable[Row]) -> dict[str, set[str]]:
    """Per unit, the quarters whose civilized-unit bonus is lost: suspended or in a withheld year.

    A set, not "suspends + 4 x withheld years": a suspended quarter inside a withheld year is
    lost once. The sum is not monotone (a longer streak turns suspends of an already withheld
    year into nothing new), the set is.
    """
    lost: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if row["kind"] == "civilized_unit_bonus.suspend":
            lost[row["unit"]].add(row["period"])
        elif row["kind"] == "civilized_unit_bonus.withhold_year":
            quarters = range(1, QUARTERS_PER_YEAR + 1)
            lost[row["unit"]].update(f"{row['period']}-Q{q}" for q in quarters)
    return lost


def _benefits(rows: Iterable[Row]) -> set[Key]:
    """The favourable consequences: priorities, favour, a positive quota adjustment."""
    return {
        key(row)
        for row in rows
        if row["kind"] in BENEFIT_KINDS or (row["kind"] == "excellence_quota.adjust" and row["params"]["delta"] > 0)
    }


@each_engine
@given(facts(), params(), st.data())
def test_a_worse_grade_never_lightens_the_outcome(
    engine: str | None, facts_doc: dict[str, Any], overrides: dict[str, int], data: st.DataObject
) -> None:
    """One more poor grade: no bonus quarter regained, no freeze ends sooner, no benefit won."""
    worse_doc, latest = _worsened(facts_doc, data)
    before = json_rows(evaluate(facts_doc, overrides, engine))
    after = json_rows(evaluate(worse_doc, overrides, engine))

    lost_before, lost_after = _bonus_quarters_lost(before), _bonus_quarters_lost(after)
    for unit, quarters in lost_before.items():
        assert not latest or quarters <= lost_after[unit], (unit, sorted(quarters - lost_after[unit]))
    city = {key(r) for r in before if r["kind"] == "civilized_city_bonus.suspend"}
    assert city <= {key(r) for r in after}

    freezes_after = {(r["unit"], r["period"]): r["params"]["until"] for r in after if r["kind"] == "promotion.freeze"}
    for row in before:
        if row["kind"] != "promotion.freeze":
            continue
        frozen = (row["unit"], row["period"])
        assert frozen in freezes_after, frozen
        old_until, new_until = row["params"]["until"], freezes_after[frozen]
        if old_until is None:
            assert new_until is None, (frozen, new_until)
        elif new_until is not None:
            assert period_span(new_until)[1] >= period_span(old_until)[1], (
                frozen,
                old_until,
                new_until,
            )

    assert _benefits(after) <= _benefits(before)


def _poor_quarters(facts_doc: Mapping[str, Any], unit: str) -> set[int]:
    """Quarter numbers (year * 4 + quarter - 1) in which ``unit`` was graded poor (other-task units: none)."""
    category = next(u.get("category") for u in facts_doc["units"] if u["id"] == unit)
    if category == "other_task":  # assessed each half-year: a quarterly grade is not taken
        return set()
    return {
        int(str(e["period"])[:4]) * QUARTERS_PER_YEAR + int(str(e["period"])[6]) - 1
        for e in facts_doc.get("evaluations", [])
        if e["unit"] == unit and "-Q" in str(e["period"]) and e["grade"] == "poor"
    }


@each_engine
@given(facts(), params())
def test_withhold_year_needs_a_full_streak_reaching_that_year(
    engine: str | None, facts_doc: dict[str, Any], overrides: dict[str, int]
) -> None:
    """At most one withheld year per unit and year: the year where a streak reaches N poor quarters in a row."""
    needed = overrides.get("year_withhold_streak", DEFAULT_PARAMS["year_withhold_streak"])
    rows = json_rows(evaluate(facts_doc, overrides, engine))
    withheld = Counter((r["unit"], r["period"]) for r in rows if r["kind"] == "civilized_unit_bonus.withhold_year")
    assert all(n == 1 for n in withheld.values()), withheld
    expected = set()
    for unit in facts_doc["units"]:
        if not unit.get("civilized_unit") or unit.get("vertically_managed"):
            continue
        poor = _poor_quarters(facts_doc, unit["id"])
        for last in poor:
            if all(last - back in poor for back in range(needed)) and last - needed not in poor:
                expected.add((unit["id"], str(last // QUARTERS_PER_YEAR)))
    assert expected == set(withheld)


FLOW_UNIT = {
    "id": "flow",
    "category": "key_task",
    "civilized_unit": True,
    "headcount": 100,
    "base_quota": 50,
}


@each_engine
@given(facts(max_units=3), params())
def test_parameters_reach_the_outputs(engine: str | None, facts_doc: dict[str, Any], overrides: dict[str, int]) -> None:
    """Review deduction points and quota deltas are the parameters given, not constants."""
    doc = copy.deepcopy(facts_doc)
    doc["units"].append(dict(FLOW_UNIT))
    doc.setdefault("evaluations", []).extend(
        [
            {"unit": "flow", "period": "2022", "grade": "poor"},
            {"unit": "flow", "period": "2023", "grade": "good"},
        ]
    )
    merged = {**DEFAULT_PARAMS, **overrides}
    annual = {(e["unit"], str(e["period"])): e["grade"] for e in doc["evaluations"]}
    rows = json_rows(evaluate(doc, overrides, engine))

    deductions = [r for r in rows if r["kind"] == "civilized_unit.review_deduction"]
    assert deductions
    assert all(r["params"]["points"] == merged["review_deduction_points"] for r in deductions)

    adjusts = [r for r in rows if r["kind"] == "excellence_quota.adjust"]
    assert {r["unit"] for r in adjusts} >= {"flow"}
    for row in adjusts:
        grade = annual[(row["unit"], row["period"])]
        assert row["params"]["delta"] == merged[f"quota_delta_{grade}"]
    flow_poor = next(r for r in adjusts if (r["unit"], r["period"]) == ("flow", "2022"))
    quota = max(0, min(100, 50 + merged["quota_delta_poor"]))
    assert {"delta": merged["quota_delta_poor"], "quota": quota, "slots": quota} == flow_poor["params"]
