"""Copies of the shipped policy holding values the loader reads but no rule can mean (issue 17).

Each is either refused as the policy is read, with a located problem (``file:line:column:
field: message``; ``check`` exits 1, every other command 2, nothing on stdout), or shown to
evaluate cleanly, in each engine. None may end a command with a Python traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import civpolicy
from civpolicy.cli import main
from engines import ENGINES
from policy_copies import copy_policy, edit

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "county-2022.yaml"
SCORES = ROOT / "examples" / "county-2022-scores.yaml"
"""Facts with monthly bulletins: the aggregates over them have groups to compute."""
LINKAGES, EVALUATION, SCORING, INVARIANTS = "linkages.yaml", "evaluation.yaml", "scoring.yaml", "invariants.yaml"


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    return copy_policy(tmp_path / "policy")


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


def place(folder: Path, name: str, old: str, new: str, marker: str = "X") -> tuple[int, int]:
    """Edit a copy (``new`` holds ``marker`` once); the line and column where the marker stood."""
    before = new.partition(marker)[0]
    text = (folder / name).read_text(encoding="utf-8")
    start = text.index(old) + len(before)
    edit(folder, name, old, new.replace(marker, "", 1))
    edited = (folder / name).read_text(encoding="utf-8")
    line = edited.count("\n", 0, start) + 1
    return line, start - edited.rfind("\n", 0, start)


def line_of(folder: Path, name: str, text: str) -> int:
    """The number of the one line of a policy file that holds ``text``."""
    found = [n for n, line in enumerate((folder / name).read_text(encoding="utf-8").splitlines(), 1) if text in line]
    assert 1 == len(found), f"{text!r} must stand on one line of {name}"
    return found[0]


def refused(capsys: pytest.CaptureFixture[str], folder: Path, problem: str) -> None:
    """``check`` exits 1 and ``evaluate`` 2, each with this one problem on stderr and nothing on stdout."""
    assert (1, "", problem + "\n") == run(capsys, "check", folder)
    assert (2, "", problem + "\n") == run(capsys, "evaluate", EXAMPLE, "--policy", folder)


# -- numbers that are not finite, wherever they stand ----------------------------------------------

NOT_FINITE = [(".nan", "nan"), (".NaN", "nan"), (".inf", "inf"), ("-.inf", "-inf"), ("1e999", "inf")]

PLACES = {
    "rule-constant": (
        LINKAGES,
        "{failed_rectifications: 0}",
        "{failed_rectifications: X}",
        "rules[2].when[2].sanction_ladder as l.failed_rectifications",
    ),
    "rule-calculation": (  # the issue's: it raised in the engine's exact arithmetic
        LINKAGES,
        "quota: {percentage: {add: [$u.base_quota, $params.quota_delta_good]}}",
        "quota: {percentage: {add: [$u.base_quota, X]}}",
        "rules[9].then.params.quota.percentage.add[1]",
    ),
    "aggregate-value": (
        SCORING,
        "value: $b.score",
        "value: {multiply: [$b.score, X]}",
        "derived.bulletin_mean.value.multiply[1]",
    ),
    "parameter-value": (
        SCORING,
        "  assessment_weight:\n    value: 0.7",
        "  assessment_weight:\n    value: X",
        "parameters.assessment_weight.value",
    ),
    "table-row": (
        LINKAGES,
        "{failed_rectifications: 0, step: notice_and_rectify}",
        "{failed_rectifications: X, step: notice_and_rectify}",
        "tables.sanction_ladder.rows[0].failed_rectifications",
    ),
    "constraint-bound": (SCORING, "    at_most: 1\n", "    at_most: X\n", "constraints[2].at_most"),
    "invariant-setting": (INVARIANTS, "quota: [0, 100]", "quota: [0, X]", "invariants[2].bounds.quota[1]"),
}


@pytest.mark.parametrize(("written", "got"), NOT_FINITE, ids=[written for written, _ in NOT_FINITE])
@pytest.mark.parametrize("where", PLACES)
def test_a_number_that_is_not_finite_is_refused_where_it_stands(
    capsys: pytest.CaptureFixture[str], policy_dir: Path, where: str, written: str, got: str
) -> None:
    name, old, new, path = PLACES[where]
    line, column = place(policy_dir, name, old, new.replace("X", f"X{written}"))
    refused(capsys, policy_dir, f"{policy_dir / name}:{line}:{column}: {path}: must be a finite number (got {got})")


def test_the_issue_s_policy_ends_the_command_with_its_problem_not_a_traceback(policy_dir: Path) -> None:
    """As the issue ran it: the installed command, in a process of its own."""
    line, column = place(
        policy_dir, *PLACES["rule-calculation"][:2], PLACES["rule-calculation"][2].replace("X", "X.nan")
    )
    command = [sys.executable, "-m", "civpolicy", "evaluate", str(EXAMPLE), "--policy", str(policy_dir)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    where = f"{policy_dir / LINKAGES}:{line}:{column}: rules[9].then.params.quota.percentage.add[1]"
    assert (2, "", f"{where}: must be a finite number (got nan)\n") == (done.returncode, done.stdout, done.stderr)


def test_a_number_that_is_not_finite_in_a_text_field_is_told_once(
    capsys: pytest.CaptureFixture[str], policy_dir: Path
) -> None:
    """Not also "must be text": the field's reader says nothing more of a value refused where it stands."""
    old = "summary:\n      zh: 年度综合考评“好”的单位，文明单位申报、评选、晋级时优先考虑。"
    line, column = place(policy_dir, LINKAGES, old, "summary:\n      zh: X.inf")
    refused(
        capsys,
        policy_dir,
        f"{policy_dir / LINKAGES}:{line}:{column}: rules[0].summary.zh: must be a finite number (got inf)",
    )


# -- text that no output can write ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "old", "new", "path", "got"),
    [
        (  # explain told it: UnicodeEncodeError
            SCORING,
            '      zh: "{unit}：{period} 成绩 {score}（{basis:score_bases}）"',
            '      zh: X"{unit}：{period} \\ud800 成绩 {score}（{basis:score_bases}）"',
            "derived.period_score.says.zh",
            "'{unit}：{period} \\ud800 成绩 {score}（{b...",
        ),
        (
            LINKAGES,
            "{failed_rectifications: 0}",
            '{failed_rectifications: X"\\udc00"}',
            "rules[2].when[2].sanction_ladder as l.failed_rectifications",
            "'\\udc00'",
        ),
    ],
    ids=["in-a-sentence", "in-a-rule-constant"],
)
def test_a_lone_surrogate_is_refused_where_it_stands(
    capsys: pytest.CaptureFixture[str], policy_dir: Path, name: str, old: str, new: str, path: str, got: str
) -> None:
    line, column = place(policy_dir, name, old, new)
    problem = f"{policy_dir / name}:{line}:{column}: {path}: must be text without a lone UTF-16 surrogate (got {got})"
    refused(capsys, policy_dir, problem)
    explained = run(capsys, "explain", SCORES, "--policy", policy_dir, "--unit", "agri-bank", "--language", "zh")
    assert (2, "", problem + "\n") == explained


# -- calculations that would fail whatever the facts ---------------------------------------------

QUOTA = "quota: {percentage: {add: [$u.base_quota, $params.quota_delta_good]}}"


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("quota: X{percentage: {add: [$u.base_quota, abc]}}", "add needs numbers (got 'abc')"),
        ("quota: X{percentage: {add: [$u.base_quota, 2022-03-06]}}", "add needs numbers (got '2022-03-06')"),
        ("quota: X{percentage: {add: [$u.base_quota, true]}}", "add needs numbers (got True)"),
        ("quota: X{percentage: {divide: [$u.base_quota, 0]}}", "division by zero"),
        ("quota: X{percentage: {first_known: [{divide: [$u.base_quota, 0.0]}, 1]}}", "division by zero"),
    ],
    ids=["text", "date-is-text", "boolean", "divide-by-0", "divide-by-0.0-inside"],
)
def test_a_calculation_on_a_constant_it_cannot_compute_with_is_refused_as_the_policy_is_read(
    capsys: pytest.CaptureFixture[str], policy_dir: Path, new: str, message: str
) -> None:
    """Not first on the facts that reach the rule: ``check`` tells it."""
    line, column = place(policy_dir, LINKAGES, QUOTA, new)
    refused(capsys, policy_dir, f"{policy_dir / LINKAGES}:{line}:{column}: rules[9].then.params.quota: {message}")


def test_first_known_may_hold_any_constant(policy_dir: Path) -> None:
    edit(policy_dir, LINKAGES, QUOTA, "quota: {percentage: {first_known: [20, none of it]}}")
    decision = civpolicy.load_policy(policy_dir).evaluate(EXAMPLE).to_dict()
    quotas = {c["params"]["quota"] for c in decision["consequences"] if c["rule"] == "excellence_quota.adjust.good"}
    assert {20} == quotas


# -- results too large a number: each a located engine error -------------------------------------

TOO_LARGE = "the result is too large a number (beyond ±1.8e308)"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("name", "old", "new", "at", "told"),
    [
        (  # a whole result of more digits than Python writes (4300) stopped the description of the fact
            EVALUATION,
            "length: {add: [$s.length, 1]}}",
            "length: {multiply: [$s.length, 1e300, 1e300]}}",
            "- id: poor_quarter_streak.extend",
            "rule poor_quarter_streak.extend: length",
        ),
        (  # beyond a float: OverflowError
            LINKAGES,
            QUOTA,
            "quota: {divide: [1.7e308, 0.3]}",
            "- id: excellence_quota.adjust.good",
            "rule excellence_quota.adjust.good: params.quota",
        ),
        (SCORING, "value: $b.score", "value: 1.7e308", "  bulletin_mean:", "rule bulletin_mean: value"),
        (
            SCORING,
            "start: {at_least: $a.start}",
            "start: {at_least: {multiply: [$a.start, 1e300, 1e300]}}",
            "  bulletin_mean:",
            "rule bulletin_mean: a condition",
        ),
        (
            EVALUATION,
            "order_by: [$f.end, $f.months]",
            "order_by: [{multiply: [$f.end, 1e300, 1e300]}, $f.months]",
            "  next_good_standing:",
            "rule next_good_standing: order_by",
        ),
    ],
    ids=["rule-output-whole", "rule-output-fraction", "sum", "aggregate-condition", "order-by"],
)
def test_a_result_too_large_a_number_is_an_engine_error_at_its_rule(
    capsys: pytest.CaptureFixture[str], policy_dir: Path, engine: str, name: str, old: str, new: str, at: str, told: str
) -> None:
    edit(policy_dir, name, old, new)
    assert 0 == run(capsys, "check", policy_dir)[0]  # finite numbers all: only a calculation can tell
    line = line_of(policy_dir, name, at) + (1 if at.endswith(":") else 0)  # a derived fact: its first line
    problem = f"{policy_dir / name}:{line}:1: {told}: {TOO_LARGE}"
    evaluated = run(capsys, "evaluate", SCORES, "--policy", policy_dir, "--engine", engine)
    assert (2, "", f"civpolicy: {problem}\n") == evaluated


# -- values that compare cleanly ------------------------------------------------------------------

STREAK = "length: $params.year_withhold_streak"
"""The condition of streak_withholding (evaluation.yaml): a streak of that length withholds its year."""
SUSPEND = "civilized_unit_bonus.suspend"
POOR_QUARTER = "      - grade as q: {unit: $u.unit, period_kind: quarter, grade: poor}\n"
"""The suspension's poor quarter (linkages.yaml); a test asks its streak's length after it."""


def fired(folder: Path, rule: str, engine: str) -> list[tuple[str, str]]:
    decision = civpolicy.load_policy(folder, engine=engine).evaluate(SCORES).to_dict()
    return [(c["unit"], c["period"]) for c in decision["consequences"] if c["rule"] == rule]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("condition", "same_as"),
    [
        ("length: {below: 1" + "0" * 400 + "}", "length: {below: 99}"),  # exact, not a float's inf
        ("length: {above: -1" + "0" * 400 + "}", "length: {below: 99}"),
        ("length: {below: 1.7e308}", "length: {below: 99}"),
        ("length: {below: abc}", "length: {below: 0}"),  # text orders against no number
        ("length: {below: 2022-03-06}", "length: {below: 0}"),  # a date is text
        ("length: {one_of: [a, true, 2022-03-06, 1, 2]}", "length: {one_of: [1, 2]}"),
    ],
    ids=["huge-whole", "huge-negative-whole", "largest-float", "text", "date", "mixed-one-of"],
)
def test_a_constant_of_another_kind_compares_as_in_every_engine(
    tmp_path: Path, engine: str, condition: str, same_as: str
) -> None:
    hostile, plain = copy_policy(tmp_path / "hostile"), copy_policy(tmp_path / "plain")
    for folder, asked in ((hostile, condition), (plain, same_as)):
        streak = f"      - poor_quarter_streak as s: {{unit: $u.unit, period: $q.period, {asked}}}\n"
        edit(folder, LINKAGES, POOR_QUARTER, POOR_QUARTER + streak)
    assert fired(plain, SUSPEND, engine) == fired(hostile, SUSPEND, engine)


def test_a_boolean_is_not_ordered(capsys: pytest.CaptureFixture[str], policy_dir: Path) -> None:
    """Python orders true as 1, which the engines, keeping true apart from 1, would not say."""
    line, column = place(policy_dir, EVALUATION, STREAK, "length: X{below: true}")
    path = "derived.streak_withholding.rules[0].when[0].length"
    refused(
        capsys,
        policy_dir,
        f"{policy_dir / EVALUATION}:{line}:{column}: {path}: 'below' orders numbers or text, not true or false",
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_a_boolean_asked_of_a_number_field_never_holds(policy_dir: Path, engine: str) -> None:
    """``true`` is not 1: the rule finds no table row, and the engines say so alike."""
    assert fired(policy_dir, "civilized_unit.sanction.notice", engine)  # the shipped rule fires on these facts
    edit(policy_dir, LINKAGES, "{failed_rectifications: 0}", "{failed_rectifications: true}")
    assert [] == fired(policy_dir, "civilized_unit.sanction.notice", engine)


def test_a_deep_calculation_evaluates_and_a_deeper_one_is_refused_as_nested_too_deeply(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A depth the loader reads is one every later stage walks (checks, engines, explain, diff)."""

    def nested(depth: int) -> str:
        expr = "$s.length"
        for _ in range(depth):
            expr = f"{{add: [{expr}, 0]}}"
        return f"length: {{add: [{expr}, 1]}}}}"

    deep, deeper = copy_policy(tmp_path / "deep"), copy_policy(tmp_path / "deeper")
    edit(deep, EVALUATION, "length: {add: [$s.length, 1]}}", nested(60))
    edit(deeper, EVALUATION, "length: {add: [$s.length, 1]}}", nested(400))
    assert 0 == run(capsys, "check", deep)[0]
    code, out, _ = run(capsys, "evaluate", SCORES, "--policy", deep)
    shipped = json.loads(run(capsys, "evaluate", SCORES)[1])["consequences"]
    assert (0, shipped) == (code, json.loads(out)["consequences"])
    assert 0 == run(capsys, "explain", SCORES, "--policy", deep, "--unit", "agri-bank")[0]
    code, out, err = run(capsys, "evaluate", SCORES, "--policy", deeper)
    assert (2, "") == (code, out)
    assert f"{deeper / EVALUATION}:1:1: not valid YAML: nested too deeply\n" in err


# -- invariant settings of another shape: check and test read them --------------------------------


@pytest.mark.parametrize(
    ("old", "new", "path", "message"),
    [
        (
            "quota: [0, 100]",
            "quota: X[0]",
            "invariants[2].bounds.quota",
            "must be [lowest, highest], each a number or $params.name (got [0])",
        ),
        (
            "quota: [0, 100]",
            "quota: X[low, 100]",
            "invariants[2].bounds.quota",
            "must be [lowest, highest], each a number or $params.name (got ['low', 100])",
        ),
        (
            "quota: [0, 100]",
            "quota: X[false, true]",
            "invariants[2].bounds.quota",
            "must be [lowest, highest], each a number or $params.name (got [False, True])",
        ),
        (
            "    bounds:\n      delta: [$params.quota_delta_poor, $params.quota_delta_good]\n      quota: [0, 100]",
            "    bounds: X5",
            "invariants[2].bounds",
            "must be a mapping of each param to its [lowest, highest] (got 5)",
        ),
        (
            "consequence: excellence_quota.adjust",
            "consequence: X[excellence_quota.adjust]",
            "invariants[2].consequence",
            "must be a consequence kind's name (got ['excellence_quota.adjust'])",
        ),
        (
            "counter: failed_rectifications",
            "counter: X[failed_rectifications]",
            "invariants[3].counter",
            "must be the name of a param of the consequence (got ['failed_rectifications'])",
        ),
        (
            "    per: [unit, period]\n\n  - id: quota",
            "    per: Xunit\n\n  - id: quota",
            "invariants[1].per",
            "must be a list of a consequence's fields (unit, kind, period, rule, source) (got 'unit')",
        ),
        (
            "    per: [unit, period]\n\n  - id: quota",
            "    per: X[unit, year]\n\n  - id: quota",
            "invariants[1].per",
            "must be a list of a consequence's fields (unit, kind, period, rule, source) (got ['unit', 'year'])",
        ),
        (
            "change: {facts: evaluations, field: grade, to: poor}",
            "change: X{facts: [evaluations], field: grade, to: poor}",
            "invariants[0].change",
            "must be a mapping {facts: LIST, field: FIELD, to: VALUE} (got {'facts': ['evaluations'], 'field': '...)",
        ),
        (
            "    covered:\n      - civilized_unit_bonus.suspend\n      - civilized_unit_bonus.withhold_year\n",
            "    covered: Xcivilized_unit_bonus.suspend\n",
            "invariants[0].covered",
            "must be a list of consequence kinds (got 'civilized_unit_bonus.suspend')",
        ),
        (
            "not_earlier: {promotion.freeze: until}",
            "not_earlier: X[promotion.freeze]",
            "invariants[0].not_earlier",
            "must be a mapping of each consequence kind to its period param (got ['promotion.freeze'])",
        ),
        (
            "not_earlier: {promotion.freeze: until}",
            "not_earlier: {promotion.freeze: X[until]}",
            "invariants[0].not_earlier.promotion.freeze",
            "must be the name of the kind's period param (got ['until'])",
        ),
    ],
    ids=[
        "one-bound",
        "text-bound",
        "boolean-bounds",
        "bounds-not-a-mapping",
        "consequence-list",
        "counter-list",
        "per-text",
        "per-no-field",
        "change-facts-list",
        "covered-text",
        "not-earlier-list",
        "not-earlier-list-param",
    ],
)
def test_an_invariant_setting_of_another_shape_is_refused_where_it_stands(
    capsys: pytest.CaptureFixture[str], policy_dir: Path, old: str, new: str, path: str, message: str
) -> None:
    """``check`` read some of them as lists or mappings, ``test`` all of them: each raised a Python error."""
    line, column = place(policy_dir, INVARIANTS, old, new)
    problem = f"{policy_dir / INVARIANTS}:{line}:{column}: {path}: {message}"
    assert (1, "", problem + "\n") == run(capsys, "check", policy_dir)
    assert (2, "", problem + "\n") == run(capsys, "test", policy_dir)
