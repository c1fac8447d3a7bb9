"""Static checks, `civpolicy test` (scenarios, invariants, coverage) against copied policies."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

import civpolicy
from civpolicy.authoring.invariants import check_invariants
from civpolicy.checks.validate import load_model
from civpolicy.cli import main
from civpolicy.errors import PolicyError
from civpolicy.policy import shipped_policy_dir
from policy_copies import copy_policy, edit, set_parameter

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "policy" / "scenarios"
"""The shipped policy's own scenario tests, in its folder: they travel with it (wheel, copies)."""


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    return copy_policy(tmp_path / "policy")


def messages(folder: Path) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        load_model(folder)
    return [p.message for p in caught.value.problems]


def test_a_parameter_no_rule_uses_is_refused(policy_dir: Path) -> None:
    edit(
        policy_dir,
        "linkages.yaml",
        "parameters:\n",
        "parameters:\n  spare:\n    value: 1\n    set_by: headquarters\n    description: {zh: 备用, en: spare}\n",
    )
    expected = "parameter spare is used by no rule (write $params.spare where a rule needs it, or delete the parameter)"
    assert [expected] == messages(policy_dir)


def test_a_rule_asking_for_a_value_that_never_comes_is_refused(policy_dir: Path) -> None:
    edit(
        policy_dir,
        "linkages.yaml",
        "      - grade as e: {period_kind: year, grade: good}\n    then:\n      consequence: civilized_unit.prio",
        "      - grade as e: {period_kind: year, grade: excellent}\n    then:\n      consequence: civilized_unit.prio",
    )
    expected = [
        "rule civilized_unit.priority can never fire: grade.grade is never 'excellent' "
        "(it is one of good, medium, poor)"
    ]
    assert expected == messages(policy_dir)


def test_a_misspelt_value_is_told_with_the_other_problems_and_a_guess(policy_dir: Path) -> None:
    """A rule that can never fire is told beside problems of other kinds, not only once they are mended."""
    edit(
        policy_dir,
        "linkages.yaml",
        "      - grade as e: {period_kind: year, grade: good}\n    then:\n      consequence: civilized_unit.prio",
        "      - grade as e: {period_kind: year, grade: goood}\n    then:\n      consequence: civilized_unit.prio",
    )
    edit(policy_dir, "linkages.yaml", "    unit: points\n", "    unit: points\n    colour: red\n")
    expected = [
        "unknown field 'colour'",
        "rule civilized_unit.priority can never fire: grade.grade is never 'goood' "
        "(it is one of good, medium, poor) (did you mean 'good'?)",
    ]
    assert expected == messages(policy_dir)


def test_a_parameter_with_a_misspelt_field_is_still_a_parameter(policy_dir: Path) -> None:
    """The rules that use it are not told "no parameter" as well: the author mends one line."""
    edit(policy_dir, "linkages.yaml", "    value: -10\n", "    vaule: -10\n")
    expected = ["missing required field 'value'", "unknown field 'vaule' (did you mean 'value'?)"]
    assert expected == messages(policy_dir)


def test_a_problem_found_twice_is_told_once(policy_dir: Path) -> None:
    text = (policy_dir / "linkages.yaml").read_text(encoding="utf-8")
    start = text.index("  quota_delta_poor:")
    description = text.index("    description:", start)
    source = text.index("    source:", description)
    (policy_dir / "linkages.yaml").write_text(text[:description] + text[source:], encoding="utf-8")
    assert ["missing required field 'description'"] == messages(policy_dir)


def test_two_rules_giving_the_same_consequence_for_the_same_facts_are_refused(policy_dir: Path) -> None:
    text = (policy_dir / "linkages.yaml").read_text(encoding="utf-8")
    block = text[text.index("  - id: accountability.admonishment") :]
    again = (
        block.replace("id: accountability.admonishment", "id: accountability.admonishment_again")
        .replace("as e", "as x")
        .replace("$e.", "$x.")
    )
    (policy_dir / "linkages.yaml").write_text(text + "\n" + again, encoding="utf-8")
    expected = [
        "rules accountability.admonishment and accountability.admonishment_again give the same consequence "
        "for the same facts (double counting)"
    ]
    assert expected == messages(policy_dir)


def test_an_invariant_naming_no_kind_is_refused(policy_dir: Path) -> None:
    edit(
        policy_dir,
        "invariants.yaml",
        "consequence: civilized_unit_bonus.withhold_year",
        "consequence: civilized_unit_bonus.withold_year",
    )
    assert [
        "no consequence kind 'civilized_unit_bonus.withold_year' (did you mean 'civilized_unit_bonus.withhold_year'?)"
    ] == messages(policy_dir)


def test_the_shipped_invariants_hold() -> None:
    results = check_invariants(civpolicy.load_policy(), examples=25)
    assert [(r.invariant.id, ()) for r in results] == [(r.invariant.id, r.problems) for r in results]


def test_a_broken_invariant_gives_its_smallest_counterexample_as_facts(policy_dir: Path) -> None:
    edit(policy_dir, "invariants.yaml", "      quota: [0, 100]", "      quota: [0, 12]")
    policy = civpolicy.load_policy(policy_dir)
    (result,) = [r for r in check_invariants(policy, examples=200) if r.invariant.id == "quota_shift_within_parameters"]
    assert not result.holds
    assert result.counterexample is not None
    again = policy.evaluate(yaml.safe_load(yaml.safe_dump(result.counterexample)))
    quotas = [c.params["quota"] for c in again.consequences if c.kind == "excellence_quota.adjust"]
    assert any(q is not None and q > 12 for q in quotas)


def test_civpolicy_test_passes_on_the_shipped_policy(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["test", str(ROOT / "policy"), str(SCENARIOS / "bonus_streaks.yaml"), "--no-invariants"])
    out = capsys.readouterr().out
    assert 0 == code
    assert out.splitlines()[-1].endswith(" passed, 0 failed")


def test_civpolicy_test_names_file_test_expected_got_and_the_clause(
    policy_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    set_parameter(policy_dir, "year_withhold_streak", 2)
    code = main(["test", str(policy_dir), str(SCENARIOS / "bonus_streaks.yaml"), "--no-invariants"])
    out = capsys.readouterr().out
    assert 1 == code
    assert f"{SCENARIOS / 'bonus_streaks.yaml'}:" in out
    assert "expected, not given:" in out and "given, not expected:" in out
    assert "二（四）2: 「连续三个季度考评被评定为“差”的文明单位，扣发一年度文明单位奖金。」" in out


def test_a_consequence_given_with_other_params_is_told_as_the_difference_with_its_own_rule(
    policy_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not "expected, not given" beside "given, not expected" with the clauses of every rule of the kind."""
    set_parameter(policy_dir, "quota_delta_poor", -8)
    code = main(["test", str(policy_dir), str(SCENARIOS / "city_bonus.yaml"), "--no-invariants"])
    out = capsys.readouterr().out
    assert 1 == code
    expected = (
        '  expected a excellence_quota.adjust 2022 {"delta":-10,"quota":5,"slots":1}, '
        'given {"delta":-8,"quota":7,"slots":1} instead (rule excellence_quota.adjust.poor, 二（四）3)\n'
        "      二（四）3: 「年度综合考评被评定为“差”的单位，领导班子不得确定为优秀班子，单位年度优秀指标下浮10%。」\n"
    )
    assert expected in out
    assert [] == [text for text in ("expected, not given", "given, not expected", "上浮5%") if text in out]


def test_coverage_tells_how_each_clause_is_encoded(capsys: pytest.CaptureFixture[str]) -> None:
    """The groups of clauses.yaml and their problems: tests/test_coverage.py."""
    main(["test", str(ROOT / "policy"), str(SCENARIOS), "--no-invariants", "--coverage"])
    out = capsys.readouterr().out
    assert "rules no test fires: 0 of " in out
    assert "clauses no test fires: 0 of " in out
    assert "clauses encoded as policy data: " in out
    assert "  - 二（三）1 一是: 「一是周自评。" in out


def test_coverage_finds_a_rule_no_test_fires(capsys: pytest.CaptureFixture[str]) -> None:
    main(["test", str(ROOT / "policy"), str(SCENARIOS / "bonus_streaks.yaml"), "--no-invariants", "--coverage"])
    out = capsys.readouterr().out
    assert "  - accountability.interview (linkages.yaml:" in out


def test_a_missing_scenario_folder_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert 2 == main(["test", str(ROOT / "policy"), str(tmp_path / "nowhere")])
    assert "no such scenario file or folder" in capsys.readouterr().err


def count_scenarios(folder: Path) -> int:
    return sum(len(yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]) for path in folder.glob("*.yaml"))


def test_civpolicy_test_alone_runs_the_shipped_policy_s_scenarios_and_invariants_wherever_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not `tests/scenarios` of the current folder, which an installed civpolicy has not got (issue 13)."""
    monkeypatch.chdir(tmp_path)
    assert 0 == main(["test", "--examples", "3"])
    lines = capsys.readouterr().out.splitlines()
    shipped = shipped_policy_dir()
    assert f"scenarios of {shipped}: {count_scenarios(SCENARIOS)} passed, 0 failed" in lines
    invariants = [invariant.id for invariant in civpolicy.load_policy().model.invariants]
    assert [f"invariant {name}: holds on 3 generated populations" for name in invariants] == lines[-len(invariants) :]


def test_a_copy_of_the_policy_carries_its_scenario_tests(policy_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`cp -r policy my-policy` and `civpolicy test my-policy`: the copy's own scenarios, against the copy."""
    set_parameter(policy_dir, "year_withhold_streak", 2)
    assert 1 == main(["test", str(policy_dir), "--no-invariants"])
    out = capsys.readouterr().out
    assert f"{policy_dir / 'scenarios' / 'bonus_streaks.yaml'}:" in out
    summary = re.search(rf"(?m)^scenarios of {re.escape(str(policy_dir))}: (\d+) passed, (\d+) failed$", out)
    assert summary is not None
    passed, failed = int(summary[1]), int(summary[2])
    assert (count_scenarios(policy_dir / "scenarios"), True) == (passed + failed, failed > 0)


def test_a_policy_folder_without_scenarios_is_told_so(policy_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.rmtree(policy_dir / "scenarios")
    assert 2 == main(["test", str(policy_dir), "--no-invariants"])
    out, err = capsys.readouterr()
    assert "" == out
    assert err.startswith(f"civpolicy: no such scenario folder: {policy_dir / 'scenarios'} (")
    assert 1 == err.count("\n")


def test_the_scenarios_folder_is_not_read_as_policy(policy_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Only the top-level ``*.yaml`` are the policy: its tests change neither `check` nor its digest."""
    before = civpolicy.load_policy(policy_dir).digest
    (policy_dir / "scenarios" / "broken.yaml").write_text("rules: [not: a policy\n", encoding="utf-8")
    assert 0 == main(["check", str(policy_dir)])
    assert capsys.readouterr().out.startswith("ok: ")
    assert before == civpolicy.load_policy(policy_dir).digest == civpolicy.load_policy().digest


def extra_input(fields: str) -> str:
    """An ``inputs:`` file with one list, ``deadlines``, of these fields (YAML flow mappings)."""
    return (
        "inputs:\n  deadline:\n    from: deadlines\n    description: {zh: 整改期限, en: A deadline}\n"
        '    says: "{unit} has a deadline"\n    fields:\n      unit: {type: unit, required: true}\n' + fields
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ("      who: {type: text, as: unit}\n", "fills the fact field 'unit', as unit does"),
        ("      type: {type: text}\n", "cannot fill 'type': civpolicy gives every fact that field"),
        (
            "      period: {type: period}\n      year: {type: year}\n",
            "cannot fill 'year': the fact's period gives that field",
        ),
        (
            "      due: {type: period, kinds: [monthly]}\n",
            "no period kind 'monthly'; one of year, half, quarter, month (did you mean 'month'?)",
        ),
        ("      due: {type: text, kinds: [month]}\n", "'kinds' is for period fields"),
        ("      pick: {type: choice, values: [1, 2]}\n", "the values of a choice are text (quote a number: '1')"),
        (
            "      pick: {type: choice, values: [a], vocabulary: grades}\n",
            "a choice takes 'values' or 'vocabulary', not both",
        ),
        ("      note: {type: text, minimum: 1}\n", "'minimum' and 'maximum' are for integer and number fields"),
        ("      days: {type: integer, minimum: 0, default: -5}\n", "default must be at least 0 (got -5)"),
        (
            "      grade: {type: choice, vocabulary: grades, default: excellent}\n",
            "default must be one of good, medium, poor (got 'excellent')",
        ),
        (
            "      period: {type: period, default: 2022-Q5}\n",
            "default not a period: '2022-Q5' (expected 2022, 2022-H1, 2022-Q3 or 2022-05)",
        ),
    ],
    ids=[
        "two-fields-one-target",
        "reserved-field",
        "field-the-period-gives",
        "unknown-period-kind",
        "kinds-on-text",
        "number-choices",
        "values-and-vocabulary",
        "minimum-on-text",
        "default-below-minimum",
        "default-not-a-choice",
        "default-not-a-period",
    ],
)
def test_an_input_field_that_cannot_be_read_as_declared_is_refused(policy_dir: Path, fields: str, message: str) -> None:
    (policy_dir / "deadlines.yaml").write_text(extra_input(fields), encoding="utf-8")
    assert [message] == messages(policy_dir)


def test_a_default_period_gives_the_fact_its_period_fields(policy_dir: Path) -> None:
    (policy_dir / "deadlines.yaml").write_text(
        extra_input("      period: {type: period, default: 2022-Q3}\n      until: {type: period, default: 2023}\n"),
        encoding="utf-8",
    )
    policy = civpolicy.load_policy(policy_dir, engine="native")
    facts = policy.read_facts({"units": [{"id": "a"}], "deadlines": [{"unit": "a"}]})
    (deadline,) = (fact for fact in facts.by_unit["a"] if fact["type"] == "deadline")
    assert ("2022-Q3", "quarter", 2022, "2023") == (
        deadline["period"],
        deadline["period_kind"],
        deadline["year"],
        deadline["until"],
    )


def test_an_upper_bound_alone_is_said_as_one(policy_dir: Path) -> None:
    (policy_dir / "deadlines.yaml").write_text(
        extra_input("      days: {type: integer, maximum: 5}\n"), encoding="utf-8"
    )
    policy = civpolicy.load_policy(policy_dir, engine="native")
    with pytest.raises(civpolicy.FactsError) as caught:
        policy.read_facts({"units": [{"id": "a"}], "deadlines": [{"unit": "a", "days": 9}]})
    assert ["must be at most 5 (got 9)"] == [p.message for p in caught.value.problems]


NULL_CONDITION = "a condition cannot compare with null: an unknown value equals nothing, so it never holds"


def probe_rule(condition: str) -> str:
    """A derived fact ``probe`` whose one rule finds a unit with this condition."""
    return (
        "derived:\n  probe:\n    description: {zh: 测试, en: a probe}\n    source: 二（四）2\n"
        "    text: 季度考评被评定为“差”的文明单位，停发该单位一个季度文明单位奖金。\n"
        '    says: "{unit} probed"\n    rules:\n      - id: probe.rule\n        when:\n'
        f"          - unit as u: {{headcount: {condition}}}\n"
        "        then: {unit: $u.unit}\n"
    )


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("null", NULL_CONDITION),
        ("{one_of: [1, null]}", NULL_CONDITION),
        (
            "{below: {add: [1, 2]}}",
            "a rule's condition compares with a value, a parameter or a field of another fact, "
            "not a calculation: compute it in a derived fact first",
        ),
        ("$count", "$count is not known in a rule's conditions"),
    ],
    ids=["null", "null-among-values", "calculation", "count"],
)
def test_a_condition_the_engines_cannot_read_alike_is_refused(policy_dir: Path, condition: str, message: str) -> None:
    (policy_dir / "probe.yaml").write_text(probe_rule(condition), encoding="utf-8")
    assert [message] == messages(policy_dir)


def test_unique_needs_a_key(policy_dir: Path) -> None:
    edit(policy_dir, "facts.yaml", "    key: [unit]\n    unique: true", "    key: null\n    unique: true")
    assert ["needs a key: it says that no two items have the same key"] == messages(policy_dir)
