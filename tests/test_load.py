"""civpolicy.checks.validate.load_model: the shipped policy, and copies of it broken one way at a time.

Each broken copy must be refused with a PolicyError whose problem names the file, the
line of what is wrong, the field (path) and what is wrong with it. A last group shows that
the rules live in the YAML: editing a copy changes what evaluation gives.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest

import civpolicy
from civpolicy.checks.validate import load_model
from civpolicy.errors import PolicyError, Problem
from policy_copies import copy_policy, edit, set_parameter

SHIPPED = Path(__file__).resolve().parents[1] / "policy"
LINKAGES, EVALUATION, FACTS = "linkages.yaml", "evaluation.yaml", "facts.yaml"
INVARIANTS = "invariants.yaml"


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    return copy_policy(tmp_path / "policy")


def line_of(folder: Path, name: str, start: str) -> int:
    """The number of the one line of a file that starts with ``start``."""
    lines = (folder / name).read_text(encoding="utf-8").splitlines()
    found = [number for number, line in enumerate(lines, 1) if line.startswith(start)]
    assert 1 == len(found), f"{start!r} must start one line of {name}"
    return found[0]


def problems_of(folder: Path) -> tuple[Problem, ...]:
    with pytest.raises(PolicyError) as caught:
        load_model(folder)
    return caught.value.problems


# -- the shipped policy --------------------------------------------------------------


def test_shipped_policy_counts() -> None:
    model = load_model(SHIPPED)
    expected = {"rules": 69, "consequence rules": 21, "derived": 37, "parameters": 22, "kinds": 18, "files": 9}
    actual = {
        "rules": len(model.all_rules()),
        "consequence rules": len(model.rules),
        "derived": len(model.derived),
        "parameters": len(model.parameters),
        "kinds": len(model.kinds),
        "files": len(model.files),
    }
    assert expected == actual


def test_shipped_parameters_are_the_contract_defaults() -> None:
    expected = {
        "year_withhold_streak": 3,
        "review_deduction_points": 5,
        "quota_delta_good": 5,
        "quota_delta_poor": -10,
        "interview_consecutive_criticisms": 2,
        "self_examination_criticisms": 3,
        "annual_base_quarters": 4,
        "campaign_last_day": 5,  # 三（二）、三（四）: 每月1-5日
        "civic_school_weekly_hours": 1.0,  # 四（三）: 每周至少开展1小时
    }
    parameters = load_model(SHIPPED).parameters.items()
    assert expected == {name: p.value for name, p in parameters if p.set_by == "document"}


def test_shipped_derived_facts_and_inputs() -> None:
    model = load_model(SHIPPED)
    expected = (
        {"poor_quarter_streak", "criticism_run", "criticisms_in_year", "failed_rectifications", "next_good_standing"},
        {"unit", "evaluation", "criticism", "withholding", "rectification"},
    )
    assert expected[0] <= set(model.derived)
    assert expected[1] <= set(model.inputs)


def test_every_consequence_rule_gives_a_declared_kind() -> None:
    model = load_model(SHIPPED)
    assert set(model.kinds) == {rule.then.consequence for rule in model.rules}


def test_a_copy_loads_with_the_same_digest(policy_dir: Path) -> None:
    assert load_model(SHIPPED).source_digest == load_model(policy_dir).source_digest


# -- broken copies: one problem each ------------------------------------------------


class Break(NamedTuple):
    file: str
    old: str
    new: str
    at: str
    """The start of the line the problem must be reported at (in the edited file)."""
    path: str
    message: str


PRIORITY_WHEN = (
    "      - grade as e: {period_kind: year, grade: good}\n    then:\n      consequence: civilized_unit.priority"
)
DEDUCTION_WHEN = (
    "      - grade as e: {unit: $u.unit, period_kind: year, grade: poor}\n"
    "    then:\n      consequence: civilized_unit.review_deduction"
)
EQUALITY_ONLY = (
    "a rule compares two facts only by equality; order between facts belongs in a derived fact "
    "with for_each and count/first"
)

BREAKS = {
    "unknown-rule-field": Break(
        LINKAGES,
        "    when:\n" + PRIORITY_WHEN,
        "    interpretaton: x\n    when:\n" + PRIORITY_WHEN,
        "    interpretaton: x",
        "rules[0].interpretaton",
        "unknown field 'interpretaton' (did you mean 'interpretation'?)",
    ),
    # A file with an unknown top-level field is refused whole, and so is all it defines: broken
    # in a file others read from (linkages.yaml's parameters), it is told with what they miss.
    # invariants.yaml defines nothing another file uses.
    "unknown-section": Break(
        INVARIANTS,
        "\ninvariants:\n",
        "\ninvariant:\n",
        "invariant:",
        "$.invariant",
        "unknown field 'invariant' (did you mean 'invariants'?)",
    ),
    "unknown-fact-type": Break(
        LINKAGES,
        "      - no city_bonus_already_withheld: {",
        "      - no city_bonus_already_withhold: {",
        "      - no city_bonus_already_withhold: {",
        "civilized_city_bonus.suspend.when[2]",
        "no fact type 'city_bonus_already_withhold' (did you mean 'city_bonus_already_withheld'?)",
    ),
    "unknown-field-of-fact": Break(
        LINKAGES,
        PRIORITY_WHEN,
        PRIORITY_WHEN.replace("grade: good", "grades: good"),
        "      - grade as e: {period_kind: year, grades: good}",
        "civilized_unit.priority.when[0].grades",
        "grade has no field 'grades' (did you mean 'grade'?)",
    ),
    "unknown-param-in-condition": Break(
        LINKAGES,
        "length: $params.interview_consecutive_criticisms",
        "length: $params.x",
        "      - criticism_run as r: {length: $params.x}",
        "accountability.interview.when[0].length",
        "no parameter 'x'",
    ),
    "misspelt-param-in-condition": Break(
        EVALUATION,
        "length: $params.year_withhold_streak",
        "length: $params.year_withold_streak",
        "          - poor_quarter_streak as s: {length: $params.year_withold_streak}",
        "streak_withholding.reached.when[0].length",
        "no parameter 'year_withold_streak' (did you mean 'year_withhold_streak'?)",
    ),
    "unknown-alias-in-condition": Break(
        LINKAGES,
        DEDUCTION_WHEN,
        DEDUCTION_WHEN.replace("$u.unit", "$v.unit"),
        "      - grade as e: {unit: $v.unit, period_kind: year, grade: poor}",
        "civilized_unit.review_deduction.when[1].unit",
        "$v names no fact found before it",
    ),
    "above-between-two-facts": Break(
        LINKAGES,
        DEDUCTION_WHEN,
        DEDUCTION_WHEN.replace("grade: poor}", "grade: poor, year: {above: $u.headcount}}"),
        "      - grade as e: {unit: $u.unit, period_kind: year, grade: poor, year: {above: $u.headcount}}",
        "civilized_unit.review_deduction.when[1].year",
        EQUALITY_ONLY,
    ),
    "unknown-condition-word": Break(
        LINKAGES,
        "period_kind: {one_of: [quarter, year]}}\n      - next_good_standing",
        "period_kind: {one_off: [quarter, year]}}\n      - next_good_standing",
        "      - grade as e: {unit: $u.unit, grade: poor, period_kind: {one_off:",
        "rules[12].when[1].period_kind",
        "unknown condition 'one_off' (did you mean 'one_of'?); "
        "one of not, below, at_most, above, at_least, one_of, none_of",
    ),
    "unknown-operation": Break(
        LINKAGES,
        "quota: {percentage: {add: [$u.base_quota, $params.quota_delta_good]}}",
        "quota: {percentage: {ad: [$u.base_quota, $params.quota_delta_good]}}",
        "        quota: {percentage: {ad:",
        "rules[9].then.params.quota",
        "unknown operation 'ad' (did you mean 'add'?)",
    ),
    "operation-arity": Break(
        LINKAGES,
        "        slots: {floor: {percent_of: [$u.headcount, $this.quota]}}\n\n  - id: excellence_quota.adjust.poor",
        "        slots: {floor: {percent_of: [$u.headcount]}}\n\n  - id: excellence_quota.adjust.poor",
        "        slots: {floor: {percent_of: [$u.headcount]}}",
        "rules[9].then.params.slots",
        "percent_of takes 2 value(s) (got 1)",
    ),
    "negation-cycle": Break(
        EVALUATION,
        "          - no grade: {unit: $q.unit, period_kind: quarter, grade: poor, ordinal: $q.previous}",
        "          - no poor_quarter_streak: {unit: $q.unit, ordinal: $q.previous}",
        "      - id: poor_quarter_streak.start",
        "poor_quarter_streak.start",
        "poor_quarter_streak.start depends on the absence or count of a fact it helps to derive; "
        "such a rule has no single answer",
    ),
    "missing-source": Break(
        LINKAGES,
        "  - id: leadership.excellent_barred\n    source: 二（四）3\n",
        "  - id: leadership.excellent_barred\n",
        "  - id: leadership.excellent_barred",
        "rules[8]",
        "missing required field 'source'",
    ),
    "parameter-not-a-number": Break(
        LINKAGES,
        "  year_withhold_streak:\n    value: 3\n",
        "  year_withhold_streak:\n    value: three\n",
        "    value: three",
        "parameters.year_withhold_streak.value",
        "must be a number (got 'three')",
    ),
    "unknown-input-field-type": Break(
        FACTS,
        "      year: {type: year, required: true}\n\n  rectification",
        "      year: {type: yearly, required: true}\n\n  rectification",
        "      year: {type: yearly",
        "inputs.withholding.fields.year.type",
        "unknown field type 'yearly'; one of text, boolean, integer, number, period, year, date, unit, choice",
    ),
    "document-file-missing": Break(
        EVALUATION,
        "  file: opinion.txt",
        "  file: opinion-2.txt",
        "  file: opinion-2.txt",
        "document.file",
        "no such file beside the policy: 'opinion-2.txt'",
    ),
}

# Problems found by the cross-check of a rule's `then` or `text`, or of an input's field,
# carry the line of the rule (or input) as a whole, not of the field they name.
AT_THE_FIELD_LINE = {
    "unknown-param-in-then": Break(
        LINKAGES,
        "points: $params.review_deduction_points",
        "points: $params.x",
        "        points: $params.x",
        "civilized_unit.review_deduction.then.params.points",
        "no parameter 'x'",
    ),
    "unknown-alias-in-then": Break(
        LINKAGES,
        "      consequence: civilized_unit.priority\n      unit: $e.unit",
        "      consequence: civilized_unit.priority\n      unit: $f.unit",
        "      unit: $f.unit",
        "civilized_unit.priority.then.unit",
        "$f names no fact found before it",
    ),
    "unknown-consequence-kind": Break(
        LINKAGES,
        "      consequence: civilized_unit.priority\n",
        "      consequence: civilized_unit.priorty\n",
        "      consequence: civilized_unit.priorty",
        "civilized_unit.priority.then.consequence",
        "no consequence kind 'civilized_unit.priorty' (did you mean 'civilized_unit.priority'?)",
    ),
    "params-not-the-kinds": Break(
        LINKAGES,
        "        points: $params.review_deduction_points\n",
        "        pts: $params.review_deduction_points\n",
        "        pts: $params.review_deduction_points",
        "civilized_unit.review_deduction.then.params",
        "civilized_unit.review_deduction takes params ['points'] (got ['pts'])",
    ),
    "text-not-in-the-document": Break(
        LINKAGES,
        "    text: 连续两次被通报批评的，约谈单位主要负责人\n    summary:",
        "    text: 连续三次被通报批评的，约谈单位主要负责人\n    summary:",
        "    text: 连续三次被通报批评的",
        "accountability.interview.text",
        "this quote is not in the document, word for word: after '连续' the document has '两次被通报批评的，约谈单', "
        "the quote '三次被通报批评的，约谈单'",
    ),
    "unknown-vocabulary": Break(
        FACTS,
        "grade: {type: choice, vocabulary: grades, required: true}",
        "grade: {type: choice, vocabulary: grade, required: true}",
        "      grade: {type: choice, vocabulary: grade,",
        "inputs.evaluation.fields.grade",
        "no vocabulary 'grade' (did you mean 'grades'?)",
    ),
}


@pytest.mark.parametrize("case", [*BREAKS, *AT_THE_FIELD_LINE])
def test_broken_copy_names_file_field_and_problem(policy_dir: Path, case: str) -> None:
    broken = BREAKS.get(case) or AT_THE_FIELD_LINE[case]
    edit(policy_dir, broken.file, broken.old, broken.new)
    expected = [(broken.file, broken.path, broken.message)]
    assert expected == [(Path(p.file).name, p.path, p.message) for p in problems_of(policy_dir)]


@pytest.mark.parametrize("case", [*BREAKS, *AT_THE_FIELD_LINE])
def test_broken_copy_is_reported_at_the_line_of_the_problem(policy_dir: Path, case: str) -> None:
    broken = BREAKS.get(case) or AT_THE_FIELD_LINE[case]
    edit(policy_dir, broken.file, broken.old, broken.new)
    expected = [line_of(policy_dir, broken.file, broken.at)]
    assert expected == [p.line for p in problems_of(policy_dir)]


def test_the_error_text_is_file_line_column_path_message(policy_dir: Path) -> None:
    broken = BREAKS["unknown-rule-field"]
    edit(policy_dir, broken.file, broken.old, broken.new)
    line = line_of(policy_dir, LINKAGES, broken.at)
    with pytest.raises(PolicyError) as caught:
        load_model(policy_dir)
    expected = f"{policy_dir / LINKAGES}:{line}:5: rules[0].interpretaton: {broken.message}"
    assert expected == str(caught.value)


def test_duplicate_key_names_both_lines(policy_dir: Path) -> None:
    first = "      consequence: civilized_unit.priority\n"
    edit(policy_dir, LINKAGES, first, first + "      consequence: civilized_unit.priority  # again\n")
    line = line_of(policy_dir, LINKAGES, "      consequence: civilized_unit.priority  # again")
    expected = [(LINKAGES, line, 7, "rules[0].then.consequence", f"duplicate key (first at line {line - 1})")]
    assert expected == [(Path(p.file).name, p.line, p.column, p.path, p.message) for p in problems_of(policy_dir)]


def test_duplicate_rule_id_names_the_file_of_the_first(policy_dir: Path) -> None:
    edit(policy_dir, LINKAGES, "  - id: leadership.excellent_barred\n", "  - id: leadership.excellent_priority\n")
    lines = (policy_dir / LINKAGES).read_text(encoding="utf-8").splitlines()
    second = [n for n, line in enumerate(lines, 1) if line == "  - id: leadership.excellent_priority"][1]
    message = f"rule id 'leadership.excellent_priority' is already used in {policy_dir / LINKAGES}"
    expected = [(LINKAGES, second, 9, "rules[8].id", message)]
    assert expected == [(Path(p.file).name, p.line, p.column, p.path, p.message) for p in problems_of(policy_dir)]


def test_a_name_defined_in_two_files_is_refused_in_the_second(policy_dir: Path) -> None:
    extra = (
        "tables:\n  sanction_ladder:\n    description: {zh: 重复, en: again}\n"
        "    source: 二（四）1\n    text: 按程序给予通报批评、限期整改、警告直至撤销荣誉称号。\n"
        "    says: again\n    rows: []\n"
    )
    (policy_dir / "zz-extra.yaml").write_text(extra, encoding="utf-8")
    message = f"'sanction_ladder' is already defined in {policy_dir / LINKAGES}"
    expected = [("zz-extra.yaml", 2, "tables.sanction_ladder", message)]
    assert expected == [(Path(p.file).name, p.line, p.path, p.message) for p in problems_of(policy_dir)]


def test_two_problems_in_one_file_are_reported_together(policy_dir: Path) -> None:
    grades = BREAKS["unknown-field-of-fact"]
    param = BREAKS["unknown-param-in-condition"]
    for broken in (grades, param):
        edit(policy_dir, broken.file, broken.old, broken.new)
    with pytest.raises(PolicyError) as caught:
        load_model(policy_dir)
    expected = [
        (LINKAGES, line_of(policy_dir, LINKAGES, grades.at), grades.path, grades.message),
        (LINKAGES, line_of(policy_dir, LINKAGES, param.at), param.path, param.message),
    ]
    assert expected == [(Path(p.file).name, p.line, p.path, p.message) for p in caught.value.problems]
    assert 2 == len(str(caught.value).splitlines())


def test_problems_in_two_files_are_reported_together(policy_dir: Path) -> None:
    for name in ("negation-cycle", "unknown-section"):
        broken = BREAKS[name]
        edit(policy_dir, broken.file, broken.old, broken.new)
    expected = [(EVALUATION, "poor_quarter_streak.start"), (INVARIANTS, "$.invariant")]
    assert expected == [(Path(p.file).name, p.path) for p in problems_of(policy_dir)]


def test_a_yaml_syntax_error_is_located(policy_dir: Path) -> None:
    # in invariants.yaml, which defines nothing another file uses (see "unknown-section")
    edit(policy_dir, INVARIANTS, "    check: worse_grade\n", "    check: [worse_grade\n")
    line = line_of(policy_dir, INVARIANTS, "    check: [worse_grade") + 1
    expected = [
        (
            INVARIANTS,
            line,
            11,
            "not valid YAML: expected ',' or ']', but got ':' "
            "(likely: a [ … ] list not closed on its line, or an item holding ':' or ',' that needs quotes)",
        )
    ]
    assert expected == [(Path(p.file).name, p.line, p.column, p.message) for p in problems_of(policy_dir)]


def test_a_file_that_is_not_utf8_is_refused(policy_dir: Path) -> None:
    (policy_dir / "latin1.yaml").write_bytes("title: caf\xe9\n".encode("latin-1"))
    expected = [("latin1.yaml", 1, "not UTF-8 text: invalid continuation byte")]
    assert expected == [(Path(p.file).name, p.line, p.message) for p in problems_of(policy_dir)]


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    expected = [Problem(str(tmp_path / "nowhere"), 1, 1, "no such policy folder")]
    assert expected == list(problems_of(tmp_path / "nowhere"))


def test_a_folder_without_yaml_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("no policy here", encoding="utf-8")
    expected = [Problem(str(tmp_path), 1, 1, "the policy folder holds no .yaml file")]
    assert expected == list(problems_of(tmp_path))


def test_an_empty_consequence_period_is_refused(policy_dir: Path) -> None:
    then = "      consequence: civilized_unit.priority\n      unit: $e.unit\n      period: $e.period\n"
    edit(policy_dir, LINKAGES, then, then.replace("period: $e.period", "period:"))
    expected = [(LINKAGES, "rules[0].then.period")]
    assert expected == [(Path(p.file).name, p.path) for p in problems_of(policy_dir)]


# -- the rules live in the YAML -------------------------------------------------------

TWO_POOR_QUARTERS = {
    "units": [{"id": "a", "civilized_unit": True}],
    "evaluations": [
        {"unit": "a", "period": "2022-Q1", "grade": "poor"},
        {"unit": "a", "period": "2022-Q2", "grade": "poor"},
    ],
}


def bonus_rows(policy: civpolicy.Policy) -> list[tuple[str, str]]:
    decision = policy.evaluate(TWO_POOR_QUARTERS)
    return [(c.kind, c.period) for c in decision.consequences if c.kind.startswith("civilized_unit_bonus.")]


def test_changing_a_parameter_value_in_a_copy_changes_the_outcome(policy_dir: Path) -> None:
    before = bonus_rows(civpolicy.load_policy(policy_dir))
    set_parameter(policy_dir, "year_withhold_streak", 2)
    after = bonus_rows(civpolicy.load_policy(policy_dir))
    expected_before = [("civilized_unit_bonus.suspend", "2022-Q1"), ("civilized_unit_bonus.suspend", "2022-Q2")]
    # the streak reaches two in 2022-Q2: 2022 is withheld, and its quarters are not also suspended
    expected_after = [("civilized_unit_bonus.withhold_year", "2022")]
    assert (expected_before, expected_after) == (before, after)


def test_a_changed_copy_has_another_digest(policy_dir: Path) -> None:
    shipped = civpolicy.load_policy(policy_dir).digest
    set_parameter(policy_dir, "year_withhold_streak", 2)
    assert shipped != civpolicy.load_policy(policy_dir).digest


def test_deleting_a_rule_in_a_copy_removes_its_consequences(policy_dir: Path) -> None:
    example = SHIPPED.parent / "examples" / "county-2022.yaml"
    before = civpolicy.load_policy(policy_dir).evaluate(example).consequences
    path = policy_dir / LINKAGES
    text = path.read_text(encoding="utf-8")
    start = text.index("  - id: accountability.admonishment\n")
    path.write_text(text[:start], encoding="utf-8")
    after = civpolicy.load_policy(policy_dir).evaluate(example).consequences
    kept = [c for c in before if c.kind != "accountability.admonishment"]
    assert (True, kept) == (len(kept) < len(before), list(after))


def test_a_document_that_cannot_be_read_is_told_where_it_is_named(tmp_path: Path) -> None:
    folder = copy_policy(tmp_path / "policy")
    (folder / "opinion.txt").write_bytes("社旗县".encode("gbk"))
    with pytest.raises(PolicyError) as caught:
        load_model(folder)
    (problem,) = caught.value.problems
    assert ("evaluation.yaml", "document.file") == (Path(problem.file).name, problem.path)
    assert problem.message.startswith("cannot read the document 'opinion.txt': not UTF-8 text: invalid")
