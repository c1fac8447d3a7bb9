"""Constraints between parameters: weights that add up to 1, shares that do not overlap.

Checked on the policy's own values by ``civpolicy check`` (located), and on every
override (``load_policy(params=...)``, ``--param``) before anything is evaluated.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import civpolicy
from civpolicy.checks.validate import load_model
from civpolicy.errors import ParameterError, PolicyError, Problem
from civpolicy.source.model import Constraint, Text
from policy_copies import copy_policy, edit

SCORING = "scoring.yaml"


def problems_of(folder: Path) -> list[tuple[str, int, str, str]]:
    with pytest.raises(PolicyError) as caught:
        load_model(folder)
    return [(Path(p.file).name, p.line, p.path, p.message) for p in caught.value.problems]


def line_of(folder: Path, text: str) -> int:
    lines = (folder / SCORING).read_text(encoding="utf-8").splitlines()
    (number,) = [n for n, line in enumerate(lines, 1) if line == text]
    return number


def test_the_shipped_policy_has_its_three_constraints() -> None:
    model = civpolicy.load_policy().model
    expected = [
        ("period_weights_add_up_to_1", ("assessment_weight", "bulletin_weight"), "equals", 1),
        ("linked_weights_add_up_to_1", ("grid_weight", "linkage_work_weight"), "equals", 1),
        ("good_and_poor_shares_do_not_overlap", ("good_share", "poor_share"), "at_most", 1),
    ]
    assert expected == [(c.id, c.total, c.compare, c.bound) for c in model.constraints]


def test_an_override_that_breaks_a_constraint_is_refused_before_anything_is_evaluated() -> None:
    with pytest.raises(ParameterError) as refused:
        civpolicy.load_policy(params={"assessment_weight": 0.8})
    expected = (
        "parameters: assessment_weight 0.8 + bulletin_weight 0.3 = 1.1, must equal 1 (The assessment weight and "
        "the bulletin weight add up to 1: constraint period_weights_add_up_to_1, 二（三）1 三是)"
    )
    assert expected == str(refused.value)


def test_overrides_that_keep_the_constraints_are_taken() -> None:
    policy = civpolicy.load_policy(params={"assessment_weight": 0.8, "bulletin_weight": 0.2, "good_share": 0.9})
    assert (0.8, 0.2, 0.9) == tuple(policy.params[n] for n in ("assessment_weight", "bulletin_weight", "good_share"))


def test_an_at_most_constraint_refuses_a_total_above_its_bound() -> None:
    with pytest.raises(ParameterError, match=r"good_share 0.95 \+ poor_share 0.1 = 1.05, must be at most 1"):
        civpolicy.load_policy(params={"good_share": 0.95})


@given(hundredths=st.integers(0, 100), off=st.integers(-3, 3))
def test_weights_are_added_exactly_as_written(hundredths: int, off: int) -> None:
    """0.7 + 0.3 is 1 (not 0.9999999999999999); 0.71 + 0.3 is not."""
    weight = float(Decimal(hundredths) / 100)
    other = float((100 - Decimal(hundredths) + off) / 100)
    params = {"assessment_weight": weight, "bulletin_weight": other}
    if off == 0 or not 0 <= other <= 1:
        if 0 <= other <= 1:
            assert weight == civpolicy.load_policy(params=params).params["assessment_weight"]
        return
    with pytest.raises(ParameterError, match="must equal 1"):
        civpolicy.load_policy(params=params)


def test_the_policy_s_own_values_must_keep_its_constraints(tmp_path: Path) -> None:
    folder = copy_policy(tmp_path / "policy")
    edit(folder, SCORING, "  bulletin_weight:\n    value: 0.3", "  bulletin_weight:\n    value: 0.4")
    at = line_of(folder, "  - id: period_weights_add_up_to_1")
    message = (
        "the parameters' values break constraint period_weights_add_up_to_1: "
        "assessment_weight 0.7 + bulletin_weight 0.4 = 1.1, must equal 1"
    )
    assert [(SCORING, at, "constraints[0]", message)] == problems_of(folder)


@pytest.mark.parametrize(
    ("old", "new", "path", "message"),
    [
        (
            "total: [assessment_weight, bulletin_weight]",
            "total: [assessment_weight, bulletin_weigth]",
            "constraints[0].total",
            "no parameter 'bulletin_weigth' (did you mean 'bulletin_weight'?)",
        ),
        (
            "total: [good_share, poor_share]",
            "total: good_share",
            "constraints[2].total",
            "must be a list of two or more parameter names (got 'good_share')",
        ),
        (
            "    at_most: 1\n",
            "    at_most: 1\n    at_least: 0\n",
            "constraints[2]",
            "needs one of equals, at_most, at_least (got 2)",
        ),
        ("    at_most: 1\n", "    at_most: one\n", "constraints[2].at_most", "must be a number (got 'one')"),
        (
            "    at_most: 1\n",
            "    at_mots: 1\n",
            "constraints[2].at_mots",
            "unknown field 'at_mots' (did you mean 'at_most'?)",
        ),
        (
            "    text: 与月通报结果相结合，分别排名排序\n    interpretation:",
            "    text: 与月通报结果结合，分别排名排序\n    interpretation:",
            "constraints[0].text",
            "this quote is not in the document, word for word: after '与月通报结果' the document has "
            "'相结合，分别排名排序，召', the quote '结合，分别排名排序'",
        ),
    ],
    ids=[
        "misspelt-parameter",
        "total-not-a-list",
        "two-comparisons",
        "bound-not-a-number",
        "misspelt-comparison",
        "misquote",
    ],
)
def test_a_broken_constraint_is_located(tmp_path: Path, old: str, new: str, path: str, message: str) -> None:
    folder = copy_policy(tmp_path / "policy")
    edit(folder, SCORING, old, new)
    found = problems_of(folder)
    assert [(SCORING, path, message)] == [(file, p, m) for file, _, p, m in found]


def test_a_constraint_problem_names_file_line_and_column(tmp_path: Path) -> None:
    folder = copy_policy(tmp_path / "policy")
    edit(folder, SCORING, "total: [good_share, poor_share]", "total: good_share")
    with pytest.raises(PolicyError) as caught:
        load_model(folder)
    (problem,) = caught.value.problems
    at = line_of(folder, "    total: good_share")
    assert Problem(str(folder / SCORING), at, 12, problem.message, "constraints[2].total") == problem


def test_a_total_just_over_its_bound_is_told_as_written() -> None:
    """Not '= 1.0, must be at most 1': the sum is shown exactly, as the numbers were written."""
    constraint = Constraint("c", Text("", ""), None, ("a", "b"), "at_most", 1)
    assert "a 1e-17 + b 1 = 1.00000000000000001, must be at most 1" == constraint.broken_by({"a": 1e-17, "b": 1})
    assert "" == Constraint("c", Text("", ""), None, ("a", "b"), "equals", 0.3).broken_by({"a": 0.1, "b": 0.2})
