"""Which values a fact field can take (``civpolicy.checks.terms``), as the lint and ``{field:terms}`` use them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from civpolicy.checks.terms import Known, known_values
from civpolicy.checks.validate import load_model
from civpolicy.errors import PolicyError
from policy_copies import copy_policy, edit

ROOT = Path(__file__).resolve().parents[1]
GRADES = {"good", "medium", "poor"}


@pytest.fixture(scope="module")
def values() -> Known:
    return known_values(load_model(ROOT / "policy"))


@pytest.mark.parametrize(
    ("fact_type", "field", "expected"),
    [
        ("evaluation", "grade", GRADES),  # an input field's vocabulary
        ("computed_grade", "grade", GRADES),  # constants of three rules
        ("grade", "grade", GRADES),  # copied from an input and from another derived fact
        ("poor_mark", "why", {"bottom_share", "below_cut_off"}),
        ("sanction_ladder", "step", {"notice_and_rectify", "warning", "revoke"}),  # a table's rows
        ("score", "period_kind", {"year", "half", "quarter", "month"}),  # any period
        ("criticism", "period_kind", {"month"}),  # a period of the kinds its field allows
        ("criticism_run", "period_kind", {"month"}),  # a derived period: the kinds of the period copied
        ("period_final", "period_kind", {"quarter", "half"}),  # narrowed by `period_kind: {one_of: …}`
        ("scored_year", "period_kind", {"year"}),  # `period: $q.year`
        ("scored_year", "cadence", {"quarter", "half"}),  # `cadence: $q.period_kind`, narrowed
        ("good_mark", "minimum", {0}),  # a parameter
    ],
)
def test_the_values_a_field_can_take(values: Known, fact_type: str, field: str, expected: set[object]) -> None:
    assert expected == values[fact_type, field]


@pytest.mark.parametrize(
    ("fact_type", "field"),
    [
        ("unit", "unit"),  # free text
        ("assessed_score", "score"),  # computed: first_known of arithmetic
        ("standing", "rank"),  # an aggregate's count
        ("poor_quarter_streak", "length"),  # one more than the streak before: a calculation
    ],
)
def test_values_not_told_are_not_guessed(values: Known, fact_type: str, field: str) -> None:
    assert values.get((fact_type, field)) is None


def _edited(tmp_path: Path, edits: list[tuple[str, str, str]]) -> Path:
    """A copy of the shipped policy with these (file, old, new) edits."""
    folder = copy_policy(tmp_path / "policy")
    for name, old, new in edits:
        edit(folder, name, old, new)
    return folder


def _known_in_copy(tmp_path: Path, edits: list[tuple[str, str, str]]) -> Known:
    return known_values(load_model(_edited(tmp_path, edits)))


def test_a_fact_that_extends_itself_has_the_values_its_first_link_gives(tmp_path: Path) -> None:
    # The run's first link gives 1, each further link copies the one before: so only 1.
    known = _known_in_copy(tmp_path, [("evaluation.yaml", "length: {add: [$r.length, 1]}", "length: $r.length")])
    assert {1} == known["criticism_run", "length"]


@pytest.mark.parametrize(
    "edits",
    [
        [("scoring.yaml", "why: bottom_share}", "why: {first_known: [bottom_share, below_cut_off]}}")],
        [  # a field given as an earlier field of the same output ($this)
            ("scoring.yaml", "why: bottom_share}", "mark: bottom_share, why: $this.mark}"),
            ("scoring.yaml", "why: below_cut_off}", "mark: below_cut_off, why: $this.mark}"),
        ],
    ],
    ids=["first_known", "this"],
)
def test_values_through_first_known_and_this(tmp_path: Path, edits: list[tuple[str, str, str]]) -> None:
    assert {"bottom_share", "below_cut_off"} == _known_in_copy(tmp_path, edits)["poor_mark", "why"]


def test_a_copied_field_keeps_only_what_its_rule_lets_through(tmp_path: Path) -> None:
    condition = "standing as s: {}\n          - tier_places as t: {unit: $s.unit, period: $s.period, poor_margin:"
    narrowed = condition.replace("{}", "{category: {one_of: [township, linked]}}", 1)
    folder = _edited(
        tmp_path,
        [
            ("scoring.yaml", condition, narrowed),
            ("scoring.yaml", "why: bottom_share}", "why: $s.category}"),
        ],
    )
    # Of the five categories only the two the condition lets through; 'community' comes first otherwise.
    with pytest.raises(PolicyError, match="why can be 'linked', which is no term of 'poor_reasons'"):
        load_model(folder)


def test_a_placeholder_is_checked_against_the_values_its_rules_let_through(tmp_path: Path) -> None:
    """A vocabulary of the quarter and half-year only holds every cadence a year's scores can have."""
    cadences = (
        "  score_cadences:\n    - {id: quarter, zh: 季度, en: quarter}\n    - {id: half, zh: 半年, en: half-year}\n"
    )
    folder = _edited(
        tmp_path,
        [
            ("scoring.yaml", "vocabulary:\n", "vocabulary:\n" + cadences),
            ("scoring.yaml", "有 {cadence:period_kinds} 成绩", "有 {cadence:score_cadences} 成绩"),
        ],
    )
    load_model(folder)  # no problem: scored_year's cadence is a quarter or a half-year
    edit(
        folder,
        "scoring.yaml",
        "score as a: {kind: assessment, period_kind: {one_of: [quarter, half]}}",
        "score as a: {kind: assessment, period_kind: {one_of: [quarter, half, month]}}",
    )
    with pytest.raises(PolicyError, match="cadence can be 'month', which is no term of 'score_cadences'"):
        load_model(folder)


def test_a_rule_on_a_fact_never_derived_can_never_fire(tmp_path: Path) -> None:
    """A run that only ever extends itself, with no first link, is never derived: its rules say so."""
    start = (
        "      - id: criticism_run.start\n"
        "        when:\n"
        "          - criticism as c: {}\n"
        "          - no criticism: {unit: $c.unit, ordinal: $c.previous}\n"
        "            says:\n"
        '              en: "{c.unit} was not criticised in the bulletin before {c.period}"\n'
        '              zh: "{c.unit} 在 {c.period} 的上一期月通报中未被批评"\n'
        "        then: {unit: $c.unit, period: $c.period, length: 1}\n"
    )
    folder = _edited(
        tmp_path,
        [
            ("evaluation.yaml", start, ""),
            ("evaluation.yaml", "length: {add: [$r.length, 1]}", "length: $r.length"),
            ("linkages.yaml", "{length: $params.interview_consecutive_criticisms}", "{length: 2}"),
        ],
    )
    message = "criticism_run.length is never 2 (no criticism_run is ever derived)"
    with pytest.raises(PolicyError, match=re.escape(message)):
        load_model(folder)
