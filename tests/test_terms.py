"""Which values a fact field can take, as the ``{field:vocabulary}`` check works them out."""

from __future__ import annotations

from pathlib import Path

import pytest

from civpolicy.load import load_model
from civpolicy.terms import Known, known_values
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
        ("score", "period_kind", {"year", "half", "quarter", "month"}),  # from the period
        ("good_mark", "share", {0.3}),  # a parameter
        ("annual_score", "cadence", {"quarter", "half"}),
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
        ("poor_quarter_streak", "length"),  # given from itself
        ("grade", "no_such_field"),
        ("no_such_type", "grade"),
    ],
)
def test_values_not_told_are_not_guessed(values: Known, fact_type: str, field: str) -> None:
    assert (fact_type, field) not in values


def test_a_field_given_from_itself_is_not_told(tmp_path: Path) -> None:
    folder = copy_policy(tmp_path / "policy")
    edit(folder, "evaluation.yaml", "length: {add: [$r.length, 1]}", "length: $r.length")
    # The run's first link gives 1, each further link copies the one before: 1 in fact, but a
    # field is known only once every rule giving it tells, and this one waits on itself.
    assert ("criticism_run", "length") not in known_values(load_model(folder))


@pytest.mark.parametrize(
    "edits",
    [
        [  # the first known of two words: either
            (
                "why: bottom_share}",
                "why: {first_known: [bottom_share, below_cut_off]}}",
            ),
        ],
        [  # a field given as an earlier field of the same output ($this)
            ("why: bottom_share}", "mark: bottom_share, why: $this.mark}"),
            ("why: below_cut_off}", "mark: below_cut_off, why: $this.mark}"),
        ],
    ],
    ids=["first_known", "this"],
)
def test_values_through_first_known_and_this(tmp_path: Path, edits: list[tuple[str, str]]) -> None:
    folder = copy_policy(tmp_path / "policy")
    for old, new in edits:
        edit(folder, "scoring.yaml", old, new)
    assert {"bottom_share", "below_cut_off"} == known_values(load_model(folder))["poor_mark", "why"]
