"""Parameters with values by date (``values:``), and text parameters with ``choices``.

A period takes the value in force at its start (the 1st of its first month): a value
dated 2022-03-06 is in force for the periods that start in 2022-04 or later, and a period
that starts before the first date takes the first value. Both engines read it alike;
``--param`` sets one value for every date; ``check`` refuses what it cannot read, located.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import civpolicy
from civpolicy.authoring.policy_changes import policy_changes
from civpolicy.checks.validate import load_model
from civpolicy.cli import main
from civpolicy.engine.durable import durable_available
from civpolicy.errors import ParameterError, PolicyError
from engines import ENGINES, RUNNABLE
from policy_copies import copy_policy, edit

PARAMETERS = """\
parameters:
  points:
    values:
      2022-01-01: 5
      2022-03-06: 6
      2024-01-01: 7
    minimum: 0
    set_by: headquarters
    description: {zh: 扣分, en: points deducted}
  needed:
    values:
      2022-01-01: 2
      2023-07-01: 1
    minimum: 1
    set_by: headquarters
    description: {zh: 次数, en: poor grades that call for a warning}
  rounding:
    choices: [down, nearest, up]
    value: down
    set_by: headquarters
    description: {zh: 取整, en: how shares are rounded}
"""

POINTS_VALUES = "      2022-01-01: 5\n      2022-03-06: 6\n      2024-01-01: 7\n"
"""The dated values of ``points`` as PARAMETERS writes them."""

CITED = """\
    source: 二（四）1
    text: 年度综合考评被评定为“差”的单位
"""

REST = f"""\
inputs:
  unit:
    from: units
    required: true
    description: {{zh: 单位, en: a unit}}
    says: "unit {{unit}}"
    key: [unit]
    unique: true
    fields:
      id: {{type: text, required: true, as: unit}}
  evaluation:
    from: evaluations
    description: {{zh: 等次, en: a grade}}
    says: "{{unit}} graded {{grade}} for {{period}}"
    key: [unit, period]
    fields:
      unit: {{type: unit, required: true}}
      period: {{type: period, required: true}}
      grade: {{type: choice, values: [good, poor], required: true}}
  count:
    from: counts
    description: {{zh: 次数, en: poor grades counted}}
    says: "{{unit}}: {{poor}} poor grade(s) in {{period}}"
    key: [unit, period]
    fields:
      unit: {{type: unit, required: true}}
      period: {{type: period, required: true}}
      poor: {{type: integer, required: true}}
  fine:
    from: fines
    description: {{zh: 罚款, en: a fine}}
    says: "{{unit}}: a fine of {{amount}} in {{year}}"
    key: [unit, year]
    fields:
      unit: {{type: unit, required: true}}
      year: {{type: year, required: true}}
      amount: {{type: integer, required: true}}

derived:
  tally:
    description: {{zh: 累计, en: poor grades so far}}
    says: "{{unit}}: {{n}} poor grade(s) up to {{period}}, {{bar}} needed"
{CITED}    interpretation: ""
    for_each:
      evaluation as e: {{}}
    count:
      evaluation as f: {{unit: $e.unit, grade: poor, start: {{at_most: $e.start}}}}
    then: {{unit: $e.unit, period: $e.period, n: $count, bar: $params.needed}}

consequences:
  deduction:
    description: {{zh: 扣分, en: points deducted}}
    period: [year, quarter, month]
    params: [points, rounding]
  warning:
    description: {{zh: 警告, en: a warning}}
    period: [quarter]
  clear:
    description: {{zh: 无警告, en: a good grade with no count calling for a warning}}
    period: [quarter]
  big_fine:
    description: {{zh: 大额罚款, en: a fine above the points}}
    period: [year]
  tallied:
    description: {{zh: 累计, en: the tally}}
    period: [quarter, year, month]
    params: [n, bar]

rules:
  - id: deduction
{CITED}    summary: {{zh: 扣分, en: a poor grade deducts points}}
    when:
      - evaluation as e: {{grade: poor}}
    then:
      consequence: deduction
      unit: $e.unit
      period: $e.period
      params: {{points: $params.points, rounding: $params.rounding}}
  - id: warning
{CITED}    summary: {{zh: 警告, en: enough poor grades warn}}
    when:
      - count as c: {{poor: {{at_least: $params.needed}}}}
    then:
      consequence: warning
      unit: $c.unit
      period: $c.period
  - id: clear
{CITED}    summary: {{zh: 无警告, en: a good grade with no count that warns}}
    when:
      - evaluation as e: {{grade: good}}
      - no count: {{unit: $e.unit, poor: {{at_least: $params.needed}}}}
    then:
      consequence: clear
      unit: $e.unit
      period: $e.period
  - id: big_fine
{CITED}    summary: {{zh: 大额罚款, en: a fine above the points}}
    when:
      - fine as f: {{amount: {{above: $params.points}}}}
    then:
      consequence: big_fine
      unit: $f.unit
      period: $f.year
  - id: tallied
{CITED}    summary: {{zh: 累计, en: the tally of a poor grade}}
    when:
      - tally as t: {{}}
      - evaluation as e: {{unit: $t.unit, period: $t.period, grade: poor}}
    then:
      consequence: tallied
      unit: $t.unit
      period: $t.period
      params: {{n: $t.n, bar: $t.bar}}
"""

FACTS: dict[str, Any] = {
    "units": [{"id": "a"}, {"id": "b"}],
    "evaluations": [
        {"unit": "a", "period": "2022-Q1", "grade": "poor"},
        {"unit": "a", "period": "2022-03", "grade": "poor"},
        {"unit": "a", "period": "2022-04", "grade": "poor"},
        {"unit": "a", "period": "2022-Q2", "grade": "poor"},
        {"unit": "a", "period": "2024", "grade": "poor"},
        {"unit": "b", "period": "2023-Q2", "grade": "good"},
        {"unit": "b", "period": "2023-Q3", "grade": "good"},
    ],
    "counts": [{"unit": "b", "period": "2023-Q1", "poor": 1}],
    "fines": [{"unit": "a", "year": 2023, "amount": 7}, {"unit": "a", "year": 2024, "amount": 7}],
}


def small_policy(folder: Path, parameters: str = PARAMETERS, rest: str = REST) -> Path:
    """The small policy of this module in ``folder`` (its parameters may be given otherwise)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "policy.yaml").write_text(parameters + "\n" + rest, encoding="utf-8")
    return folder


def rows(decision: civpolicy.Decision, kind: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [(c.unit, c.period, dict(c.params)) for c in decision.consequences if c.kind == kind]


def problems(folder: Path) -> list[tuple[int, int, str, str]]:
    with pytest.raises(PolicyError) as caught:
        load_model(folder)
    return [(p.line, p.column, p.path, p.message) for p in caught.value.problems]


def line_of(folder: Path, text: str) -> int:
    lines = (folder / "policy.yaml").read_text(encoding="utf-8").splitlines()
    (number,) = [n for n, line in enumerate(lines, 1) if line == text]
    return number


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_policy(tmp_path_factory.mktemp("dated") / "policy")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_period_takes_the_value_in_force_at_its_start(folder: Path, engine: str) -> None:
    """2022-Q1 and 2022-03 start before 2022-03-06 (on the 1st): 5; 2022-04 and 2022-Q2 start after it: 6."""
    decision = civpolicy.load_policy(folder, engine=engine).evaluate(FACTS)
    expected = [
        ("a", "2022-Q1", {"points": 5, "rounding": "down"}),
        ("a", "2022-03", {"points": 5, "rounding": "down"}),
        ("a", "2022-04", {"points": 6, "rounding": "down"}),
        ("a", "2022-Q2", {"points": 6, "rounding": "down"}),
        ("a", "2024", {"points": 7, "rounding": "down"}),
    ]
    assert expected == rows(decision, "deduction")


@pytest.mark.parametrize("engine", ENGINES)
def test_every_kind_of_place_reads_its_own_date(folder: Path, engine: str) -> None:
    """A condition of a fact (its start or its year), an absent fact and an aggregate, each at its date."""
    decision = civpolicy.load_policy(folder, engine=engine).evaluate(FACTS)
    # A count of 1 in 2023-Q1 is below the 2 needed then: no warning.
    assert [] == rows(decision, "warning")
    # The same count blocks 2023-Q3 (1 needed from 2023-07-01), not 2023-Q2 (2 needed).
    assert [("b", "2023-Q2", {})] == rows(decision, "clear")
    # A fine of 7 is above the 6 points of 2023, not the 7 of 2024 (a year starts on January 1st).
    assert [("a", "2023", {})] == rows(decision, "big_fine")
    # The aggregate takes the bar in force at each evaluation's start.
    bars = {period: params["bar"] for _, period, params in rows(decision, "tallied")}
    assert {"2022-Q1": 2, "2022-03": 2, "2022-04": 2, "2022-Q2": 2, "2024": 1} == bars


@pytest.mark.skipif(not durable_available(), reason="durable-rules does not run on this Python")
def test_both_engines_give_the_same_decision(folder: Path) -> None:
    native = civpolicy.load_policy(folder, engine="native").evaluate(FACTS).to_json()
    assert native == civpolicy.load_policy(folder, engine="durable").evaluate(FACTS).to_json()


def test_the_rules_keep_their_ids_and_the_variants_are_numbered(folder: Path) -> None:
    policy = civpolicy.load_policy(folder)
    ids = [(rule.id, rule.variant) for rule in policy.compiled.rules]
    assert [("deduction", 0), ("deduction", 1), ("deduction", 2)] == [i for i in ids if i[0] == "deduction"]
    assert {"deduction", "warning", "clear", "big_fine", "tallied"} == {rule_id for rule_id, _ in ids}
    assert [0, 1] == [agg.variant for agg in policy.compiled.aggregates]
    decision = policy.evaluate(FACTS)
    assert {"deduction", "clear", "big_fine", "tallied"} == {c.rule for c in decision.consequences}


def test_an_override_sets_one_value_for_every_date(folder: Path) -> None:
    dated = civpolicy.load_policy(folder)
    policy = civpolicy.load_policy(folder, params={"points": 3})
    assert {3} == {params["points"] for _, _, params in rows(policy.evaluate(FACTS), "deduction")}
    assert "points" not in policy.dated and "needed" in policy.dated
    assert 7 == dated.params["points"]  # the latest value; the others are in dated
    assert (("2022-01-01", 5), ("2022-03-06", 6), ("2024-01-01", 7)) == dated.dated["points"]
    assert dated.digest != policy.digest


def test_an_override_is_checked_as_every_dated_value_is(folder: Path) -> None:
    with pytest.raises(ParameterError, match="parameter points must be at least 0"):
        civpolicy.load_policy(folder, params={"points": -1})
    with pytest.raises(ParameterError, match=r"parameter points must be a whole number \(got 2.5\)"):
        civpolicy.load_policy(folder, params={"points": 2.5})


def test_the_digest_changes_with_a_dated_value(tmp_path: Path) -> None:
    first = civpolicy.load_policy(small_policy(tmp_path / "a"))
    changed = PARAMETERS.replace("      2024-01-01: 7\n", "      2024-01-01: 8\n")
    assert first.digest != civpolicy.load_policy(small_policy(tmp_path / "b", changed)).digest


def test_the_one_value_form_stays_valid_and_reads_as_before(tmp_path: Path) -> None:
    one = PARAMETERS.replace("    values:\n" + POINTS_VALUES, "    value: 5\n")
    policy = civpolicy.load_policy(small_policy(tmp_path / "p", one))
    assert {5} == {params["points"] for _, _, params in rows(policy.evaluate(FACTS), "deduction")}
    assert ["deduction"] == [rule.id for rule in policy.compiled.rules if rule.id == "deduction"]


# --- check ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "at", "column", "path", "message"),
    [
        (
            "      2022-03-06: 5\n      2022-01-01: 6\n",
            "      2022-01-01: 6",
            7,
            "parameters.points.values.2022-01-01",
            "dates go up: 2022-01-01 is written after 2022-03-06",
        ),
        (
            "      2022-03-06: 5\n      2022-02-30: 6\n",
            "      2022-02-30: 6",
            7,
            "parameters.points.values.2022-02-30",
            "2022-02-30 is no day of the calendar",
        ),
        (
            "      2022-03-06: 5\n      March 2024: 6\n",
            "      March 2024: 6",
            7,
            "parameters.points.values.March 2024",
            "must be a date written YYYY-MM-DD, such as 2022-03-06 (got 'March 2024')",
        ),
        (
            "      2022-03-06: 5\n      2024-01-01: -1\n",
            "      2024-01-01: -1",
            19,
            "parameters.points.values.2024-01-01",
            "must be at least its minimum 0 (got -1)",
        ),
        (
            "      2022-03-06: 5\n      2024-01-01: 7.5\n",
            "      2024-01-01: 7.5",
            19,
            "parameters.points.values.2024-01-01",
            "must be a whole number, as the first value is (got 7.5)",
        ),
        (
            "      2022-03-06: 5\n      2022-03-20: 6\n",
            "      2022-03-20: 6",
            7,
            "parameters.points.values.2022-03-20",
            "2022-03-06 and 2022-03-20 both apply from the periods starting 2022-04 (a period starts on the 1st "
            "of its first month): the value of 2022-03-06 would never apply",
        ),
    ],
)
def test_check_refuses_a_dated_value_it_cannot_read_where_it_stands(
    tmp_path: Path, values: str, at: str, column: int, path: str, message: str
) -> None:
    folder = small_policy(tmp_path / "p", PARAMETERS.replace(POINTS_VALUES, values))
    assert [(line_of(folder, at), column, path, message)] == problems(folder)


def test_check_refuses_value_and_values_together_and_neither(tmp_path: Path) -> None:
    both = small_policy(
        tmp_path / "both", PARAMETERS.replace("  points:\n    values:\n", "  points:\n    value: 5\n    values:\n")
    )
    start = line_of(both, "    value: 5")
    expected = (start, 5, "parameters.points", "takes 'value' (one value) or 'values' (values by date), not both")
    assert [expected] == problems(both)
    neither = small_policy(
        tmp_path / "neither",
        PARAMETERS.replace("    values:\n" + POINTS_VALUES, ""),
    )
    expected = (line_of(neither, "    minimum: 0"), 5, "parameters.points", "missing required field 'value'")
    assert [expected] == problems(neither)


def test_check_refuses_empty_values(tmp_path: Path) -> None:
    empty = PARAMETERS.replace("    values:\n" + POINTS_VALUES, "    values: {}\n")
    folder = small_policy(tmp_path / "p", empty)
    line = line_of(folder, "    values: {}")
    assert [
        (line, 13, "parameters.points.values", "needs at least one date and its value (2022-03-06: 5)")
    ] == problems(folder)


def test_check_refuses_a_dated_parameter_read_where_no_fact_gives_the_date(tmp_path: Path) -> None:
    rest = REST.replace(
        "      - count as c: {poor: {at_least: $params.needed}}\n",
        "      - unit as u: {unit: {not: $params.needed}}\n      - count as c: {unit: $u.unit}\n",
    )
    folder = small_policy(tmp_path / "p", rest=rest)
    (found,) = problems(folder)
    line = line_of(folder, "      - unit as u: {unit: {not: $params.needed}}")
    message = "when[0] reads needed, which has values by date, but a unit has no period or year to take the value at"
    assert (line, 1, "warning.when[0]", message) == found


def test_check_refuses_a_dated_value_in_then_when_then_copies_no_period(tmp_path: Path) -> None:
    kinds = REST.replace("    period: [quarter]\n  clear:", "    period: [quarter]\n    params: [bar]\n  clear:", 1)
    rest = kinds.replace(
        "      consequence: warning\n      unit: $c.unit\n      period: $c.period\n",
        "      consequence: warning\n      unit: $c.unit\n      period: 2023-Q1\n      params: {bar: $params.needed}\n",
    )
    folder = small_policy(tmp_path / "p", rest=rest)
    messages = [message for _, _, path, message in problems(folder) if path == "warning.then"]
    assert [
        "then reads needed, which has values by date, but the rule's then copies no period or year of a fact it "
        "finds ($x.period): no period says which date's value applies"
    ] == messages


def test_a_constraint_must_hold_at_every_date(tmp_path: Path) -> None:
    folder = copy_policy(tmp_path / "policy")
    edit(
        folder,
        "scoring.yaml",
        "  assessment_weight:\n    value: 0.7\n",
        "  assessment_weight:\n    values:\n      2022-03-06: 0.7\n      2024-01-01: 0.8\n",
    )
    found = [p for p in problems(folder) if "period_weights_add_up_to_1" in p[3]]
    assert 1 == len(found)
    assert "from 2024-01-01: assessment_weight 0.8 + bulletin_weight 0.3 = 1.1, must equal 1" in found[0][3]
    # Both amended from the same date: kept.
    edit(
        folder,
        "scoring.yaml",
        "  bulletin_weight:\n    value: 0.3\n",
        "  bulletin_weight:\n    values:\n      2022-03-06: 0.3\n      2024-01-01: 0.2\n",
    )
    policy = civpolicy.load_policy(folder)
    assert {"assessment_weight", "bulletin_weight"} <= set(policy.dated)
    with pytest.raises(ParameterError, match=r"from 2024-01-01: assessment_weight 0.8 \+ bulletin_weight 0.3"):
        civpolicy.load_policy(folder, params={"bulletin_weight": 0.3})


def test_diff_tells_each_dated_value_added_changed_or_removed(tmp_path: Path) -> None:
    old = load_model(small_policy(tmp_path / "old"))
    amended = PARAMETERS.replace("      2024-01-01: 7\n", "      2024-01-01: 8\n      2025-01-01: 9\n")
    new = load_model(small_policy(tmp_path / "new", amended))
    expected = ("parameter points: value from 2024-01-01: 7 → 8, value from 2025-01-01 added: 9",)
    assert expected == policy_changes(old, new)
    one = PARAMETERS.replace("    values:\n" + POINTS_VALUES, "    value: 5\n")
    single = load_model(small_policy(tmp_path / "one", one))
    expected = ("parameter points: 5 → values 5 from 2022-01-01, 6 from 2022-03-06, 7 from 2024-01-01",)
    assert expected == policy_changes(single, old)


def test_the_shipped_policy_amended_from_a_date(tmp_path: Path) -> None:
    """The guide's example: review_deduction_points 5, and 7 from 2024; both years in one file."""
    folder = copy_policy(tmp_path / "policy")
    edit(
        folder,
        "linkages.yaml",
        "  review_deduction_points:\n    value: 5\n",
        "  review_deduction_points:\n    values:\n      2022-03-06: 5\n      2024-01-01: 7\n",
    )
    facts = {
        "units": [{"id": "a", "civilized_unit": True}],
        "evaluations": [
            {"unit": "a", "period": "2023", "grade": "poor"},
            {"unit": "a", "period": "2024", "grade": "poor"},
        ],
    }
    for engine in RUNNABLE:
        decision = civpolicy.load_policy(folder, engine=engine).evaluate(facts)
        points = {
            c.period: c.params["points"] for c in decision.consequences if c.kind == "civilized_unit.review_deduction"
        }
        assert {"2023": 5, "2024": 7} == points


# --- text parameters ----------------------------------------------------------------------------


def test_a_text_parameter_is_one_of_its_choices_and_overridable(folder: Path) -> None:
    policy = civpolicy.load_policy(folder, params={"rounding": "up"})
    assert {"up"} == {params["rounding"] for _, _, params in rows(policy.evaluate(FACTS), "deduction")}
    with pytest.raises(ParameterError, match=r"parameter rounding must be one of down, nearest, up \(got 'upp'\)"):
        civpolicy.load_policy(folder, params={"rounding": "upp"})
    with pytest.raises(ParameterError, match=r"parameter rounding must be one of down, nearest, up \(got 1\)"):
        civpolicy.load_policy(folder, params={"rounding": 1})
    with pytest.raises(ParameterError, match=r"parameter points must be a whole number \(got 'up'\)"):
        civpolicy.load_policy(folder, params={"points": "up"})


def test_param_on_the_command_line_sets_a_text_parameter(
    folder: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(FACTS), encoding="utf-8")
    assert 0 == main(["evaluate", str(facts), "--policy", str(folder), "--param", "rounding=up"])
    out, _ = capsys.readouterr()
    assert {"up"} == {c["params"]["rounding"] for c in json.loads(out)["consequences"] if c["kind"] == "deduction"}
    assert 2 == main(["evaluate", str(facts), "--policy", str(folder), "--param", "rounding=sideways"])
    out, err = capsys.readouterr()
    assert "" == out
    assert "civpolicy: parameter rounding must be one of down, nearest, up (got 'sideways')\n" == err


@pytest.mark.parametrize(
    ("old", "new", "at", "path", "message"),
    [
        (
            "    value: down\n",
            "    value: sideways\n",
            "    value: sideways",
            "parameters.rounding.value",
            "must be one of down, nearest, up (got 'sideways')",
        ),
        (
            "    value: down\n",
            "    value: 1\n",
            "    value: 1",
            "parameters.rounding.value",
            "must be one of down, nearest, up (got 1)",
        ),
        (
            "    choices: [down, nearest, up]\n",
            "    choices: [down, down]\n",
            "    choices: [down, down]",
            "parameters.rounding.choices",
            "must be a list of distinct texts, such as [down, nearest, up] (got ['down', 'down'])",
        ),
        (
            "    value: down\n",
            "    value: down\n    maximum: 9\n",
            "    maximum: 9",
            "parameters.rounding.maximum",
            "minimum and maximum are for numbers, not for a parameter with choices",
        ),
        (
            "    choices: [down, nearest, up]\n",
            "",
            "    value: down",
            "parameters.rounding.value",
            "must be a number (got 'down')",
        ),
    ],
)
def test_check_refuses_a_text_parameter_it_cannot_read_where_it_stands(
    tmp_path: Path, old: str, new: str, at: str, path: str, message: str
) -> None:
    head, rounding = PARAMETERS.split("  rounding:\n")
    text = head + "  rounding:\n" + rounding.replace(old, new, 1)
    folder = small_policy(tmp_path / "p", text)
    line = line_of(folder, at)
    found = problems(folder)
    assert [(line, path, message)] == [(ln, p, msg) for ln, _, p, msg in found]
    column = len(at) - len(at.lstrip()) + len(at.strip().split(":")[0]) + 3
    assert [column] == [col for _, col, _, _ in found]
