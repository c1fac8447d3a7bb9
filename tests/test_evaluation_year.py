"""Issue 14's engine additions: warnings of unused facts, discretion and provisional results, the
new operations, and the covered_once invariant check. The readings themselves are tested as
scenarios in policy/scenarios/ (bonus_streaks, scoring_tiers, vertical_units, ...)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import civpolicy
from civpolicy.authoring.invariants import check_invariants
from civpolicy.source.expressions import Call, Const, Scope, evaluate
from policy_copies import copy_policy, edit

ROOT = Path(__file__).resolve().parents[1]

BANK = {"id": "bank", "category": "other_task", "civilized_unit": True}
A_MONTH_ADJUSTMENT = {
    "units": [{"id": "a", "category": "key_task"}, {"id": "b", "category": "key_task"}],
    "scores": [
        {"unit": "a", "period": "2022-Q2", "score": 80},
        {"unit": "b", "period": "2022-Q2", "score": 90},
    ],
    "adjustments": [
        {"unit": "a", "period": "2022-12", "reason": "citizen_complaint", "points": -30},
        {"unit": "a", "period": "2022-Q2", "reason": "citizen_complaint", "points": -1},
    ],
}


@pytest.fixture(scope="module")
def policy() -> civpolicy.Policy:
    return civpolicy.load_policy()


def test_an_adjustment_no_score_takes_is_a_warning_with_its_place(policy: civpolicy.Policy, tmp_path: Path) -> None:
    path = tmp_path / "county.yaml"
    path.write_text(
        "units:\n"
        "  - {id: a, category: key_task}\n"
        "  - {id: b, category: key_task}\n"
        "scores:\n"
        "  - {unit: a, period: 2022-Q2, score: 80}\n"
        "  - {unit: b, period: 2022-Q2, score: 90}\n"
        "adjustments:\n"
        "  - {unit: a, period: 2022-Q2, reason: citizen_complaint, points: -1}\n"
        "  - {unit: a, period: 2022-12, reason: citizen_complaint, points: -30}\n",
        encoding="utf-8",
    )
    decision = policy.evaluate(path)
    (warning,) = decision.warnings
    assert (warning.file, warning.line, warning.column, warning.path) == (str(path), 9, 5, "adjustments[1]")
    assert warning.message.startswith("a: -30 point(s) for citizen_complaint in 2022-12: not used: ")
    assert "an adjustment for a month" in warning.message
    document = decision.to_dict()
    assert [{"file": str(path), "line": 9, "field": "adjustments[1]", "message": warning.message}] == document[
        "warnings"
    ]
    # The quarter's own adjustment is used: a's score is 79, not 80 and not 49.
    scores = {(r.values["unit"], r.values["period"]): r.values["score"] for r in decision.reports["grades"]}
    assert 79 == scores[("a", "2022-Q2")]


def test_a_json_file_is_read_again_only_to_place_a_warning(policy: civpolicy.Policy, tmp_path: Path) -> None:
    path = tmp_path / "county.json"
    path.write_text(json.dumps(A_MONTH_ADJUSTMENT, indent=2), encoding="utf-8")
    (warning,) = policy.evaluate(path).warnings
    line = path.read_text(encoding="utf-8").splitlines()[warning.line - 1]
    assert warning.path == "adjustments[0]"
    assert line.strip() == "{"  # the item's own line in the JSON text
    assert '"period": "2022-12"' in path.read_text(encoding="utf-8").splitlines()[warning.line + 1]


def test_facts_given_as_a_mapping_warn_with_their_field(policy: civpolicy.Policy) -> None:
    (warning,) = policy.evaluate(A_MONTH_ADJUSTMENT).warnings
    assert ("<facts>", "adjustments[0]") == (warning.file, warning.path)


def test_a_quarterly_grade_of_an_other_task_unit_is_not_taken(policy: civpolicy.Policy) -> None:
    facts = {"units": [BANK], "evaluations": [{"unit": "bank", "period": "2022-Q1", "grade": "poor"}]}
    decision = policy.evaluate(facts)
    assert () == decision.consequences
    assert ["evaluations[0]"] == [w.path for w in decision.warnings]
    assert "half-years for other-task units" in decision.warnings[0].message


def test_the_cli_prints_each_warning_on_standard_error_after_the_output(tmp_path: Path) -> None:
    path = tmp_path / "county.json"
    path.write_text(json.dumps(A_MONTH_ADJUSTMENT), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "civpolicy", "evaluate", str(path)], capture_output=True, text=True, check=False
    )
    assert 0 == done.returncode
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"civpolicy: warning: {path}:1:")
    assert line.endswith(
        "(二（三）1 四是, 二（三）2); an adjustment for a month, or for a period without a score, changes nothing"
    )
    assert json.loads(done.stdout)["warnings"][0]["field"] == "adjustments[0]"


def test_an_input_that_says_nothing_of_unused_items_never_warns(tmp_path: Path) -> None:
    folder = copy_policy(tmp_path / "policy")
    text = (folder / "facts.yaml").read_text(encoding="utf-8")
    start = text.index("    unused:\n      en: >-\n        points count")
    end = text.index("    key: null", start)
    (folder / "facts.yaml").write_text(text[:start] + text[end:], encoding="utf-8")
    assert () == civpolicy.load_policy(folder).evaluate(A_MONTH_ADJUSTMENT).warnings


def test_discretionary_kinds_mark_their_consequences(policy: civpolicy.Policy) -> None:
    facts = {
        "units": [{"id": "a", "civilized_unit": True}],
        "evaluations": [{"unit": "a", "period": 2022, "grade": "good"}],
    }
    flags = {c.kind: c.discretionary for c in policy.evaluate(facts).consequences}
    assert {
        "civilized_unit.priority": True,
        "leadership.excellent_priority": True,
        "promotion.favored": True,
        "excellence_quota.adjust": False,
    } == flags
    assert all(kind.discretionary in (True, False) for kind in policy.model.kinds.values())


def _one_annual(quarters: int) -> dict[str, Any]:
    units = [{"id": f"k{i}", "category": "key_task", "civilized_unit": True} for i in range(3)]
    scores = [
        {"unit": f"k{i}", "period": f"2022-Q{q}", "score": 90 - 10 * i}
        for i in range(3)
        for q in range(1, quarters + 1)
    ]
    return {"units": units, "scores": scores}


@pytest.mark.parametrize(("quarters", "provisional"), [(4, False), (3, True), (1, True)])
def test_an_annual_grade_is_provisional_until_the_year_is_scored(
    policy: civpolicy.Policy, quarters: int, provisional: bool
) -> None:
    decision = policy.evaluate(_one_annual(quarters))
    annual = [row.values for row in decision.reports["grades"] if row.values["period"] == "2022"]
    assert {("k0", "good"), ("k1", "medium"), ("k2", "poor")} == {(r["unit"], r["grade"]) for r in annual}
    assert {provisional} == {r["provisional"] for r in annual}
    # A year withheld for three poor quarters rests on the quarters, final as they are.
    streak = "civilized_unit_bonus.withhold_year"
    yearly = [c for c in decision.consequences if c.period == "2022" and c.kind != streak]
    quarterly = [c for c in decision.consequences if c.period != "2022" or c.kind == streak]
    assert yearly and {provisional} == {c.provisional for c in yearly}
    # A quarter's freeze ends at the year only where the year is graded: it rests on it.
    assert all(c.provisional is (provisional and c.params.get("until") == "2022") for c in quarterly)


def test_the_table_notes_discretion_and_provisional_results(policy: civpolicy.Policy) -> None:
    from civpolicy.decision.render import decision_table

    text = decision_table(policy.evaluate(_one_annual(2)))
    line = next(line for line in text.splitlines() if "promotion.favored" in line)
    assert "discretionary provisional" in line


@pytest.mark.parametrize(
    ("op", "args", "expected"),
    [
        ("round_up_from", [4.2, 1], 4),
        ("round_up_from", [4.5, 0.5], 5),
        ("round_up_from", [4.4, 0.5], 4),
        ("round_up_from", [4.2, 0], 5),
        ("round_up_from", [4, 0], 4),
        ("max", [1, 0.3, 2], 2),
        ("min", [1, 0.3, 2], 0.3),
    ],
)
def test_rounding_and_extremes(op: str, args: list[Any], expected: Any) -> None:
    assert expected == evaluate(Call(op, tuple(Const(a) for a in args)), Scope({}))


def test_covered_once_finds_a_quarter_taken_twice(tmp_path: Path) -> None:
    folder = copy_policy(tmp_path / "policy")
    edit(folder, "linkages.yaml", "      - no streak_withholding: {unit: $u.unit, year: $q.year}\n", "")
    edit(
        folder,
        "linkages.yaml",
        """        says:
          en: "the bonus of {q.year} is not withheld from {u.unit} for a poor streak"
          zh: "{u.unit} {q.year} 年度的奖金未因连续“差”被扣发全年"
""",
        "",
    )
    broken = civpolicy.load_policy(folder)
    (result,) = [
        r for r in check_invariants(broken, examples=60) if r.invariant.id == "each_quarter_bonus_taken_at_most_once"
    ]
    assert not result.holds
    assert any("both take month" in problem for problem in result.problems)


def test_invariants_are_searched_from_the_year_the_policy_is_in_force(tmp_path: Path) -> None:
    """A policy in force from a later date gets populations it can judge, not a facts error on each one."""
    folder = copy_policy(tmp_path / "policy")
    edit(folder, "evaluation.yaml", "from: 2022-03-01", "from: 2023-05-01")
    later = civpolicy.load_policy(folder)
    results = check_invariants(later, examples=20)
    assert results and all(result.holds for result in results), [r.problems for r in results]
