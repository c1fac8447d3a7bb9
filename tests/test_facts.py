"""Facts files (contract section 1): bad facts are a FactsError naming file, line and field; good ones evaluate."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

import pytest

import civpolicy
from civpolicy.errors import FactsError, LocatedError, Problem
from policy_copies import copy_policy

UNIT = "units:\n  - {id: a, civilized_unit: true}\n"
"""A facts file's first two lines: one civilized unit ``a``."""


@pytest.fixture(scope="module")
def policy() -> civpolicy.Policy:
    return civpolicy.load_policy(engine="native")


def write(tmp_path: Path, text: str, name: str = "facts.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(policy: civpolicy.Policy, facts: Any) -> tuple[Problem, ...]:
    with pytest.raises(FactsError) as caught:
        policy.evaluate(facts)
    return caught.value.problems


class Bad(NamedTuple):
    text: str
    line: int
    column: int
    path: str
    message: str


BAD = {
    "unknown-top-level-key": Bad(
        UNIT + "evaluation:\n  - {unit: a, period: 2022, grade: poor}\n",
        3,
        1,
        "$.evaluation",
        "unknown field 'evaluation' (did you mean 'evaluations'?)",
    ),
    "unknown-field": Bad(
        UNIT + "evaluations:\n  - {unit: a, period: 2022, grade: poor, grad: x}\n",
        4,
        42,
        "evaluations[0].grad",
        "unknown field 'grad' (did you mean 'grade'?)",
    ),
    "boolean-as-text": Bad(
        "units:\n  - {id: a, civilized_unit: maybe}\n",
        2,
        29,
        "units[0].civilized_unit",
        "must be true or false (got 'maybe')",
    ),
    "integer-as-text": Bad(
        "units:\n  - {id: a, headcount: many}\n", 2, 24, "units[0].headcount", "must be a whole number (got 'many')"
    ),
    "integer-as-fraction": Bad(
        "units:\n  - {id: a, headcount: 3.5}\n", 2, 24, "units[0].headcount", "must be a whole number (got 3.5)"
    ),
    "below-minimum": Bad(
        "units:\n  - {id: a, headcount: -1}\n", 2, 24, "units[0].headcount", "must be at least 0 (got -1)"
    ),
    "above-maximum": Bad(
        "units:\n  - {id: a, base_quota: 150}\n", 2, 25, "units[0].base_quota", "must be between 0 and 100 (got 150)"
    ),
    "year-as-text": Bad(
        UNIT + "withholdings:\n  - {unit: a, bonus: civilized_city, year: '2022'}\n",
        4,
        44,
        "withholdings[0].year",
        "must be a whole number (got '2022')",
    ),
    "two-digit-year": Bad(
        UNIT + "rectifications:\n  - {unit: a, year: 22, passed: false}\n",
        4,
        21,
        "rectifications[0].year",
        "must be between 1000 and 9999 (got 22)",
    ),
    "empty-unit-id": Bad("units:\n  - {id: ''}\n", 2, 10, "units[0].id", "must be non-empty text (got '')"),
    "missing-unit-id": Bad("units:\n  - {name: x}\n", 2, 5, "units[0]", "missing required field 'id'"),
    "units-a-mapping": Bad("units: {a: 1}\n", 1, 8, "units", "must be a list (got a mapping)"),
    "item-not-a-mapping": Bad("units:\n  - a\n", 2, 5, "units[0]", "must be a mapping (got 'a')"),
    "bad-grade": Bad(
        UNIT + "evaluations:\n  - {unit: a, period: 2022, grade: pour}\n",
        4,
        36,
        "evaluations[0].grade",
        "must be one of good, medium, poor (got 'pour') (did you mean 'poor'?)",
    ),
    "grade-in-chinese": Bad(
        UNIT + "evaluations:\n  - {unit: a, period: 2022, grade: 差}\n",
        4,
        36,
        "evaluations[0].grade",
        "must be one of good, medium, poor (got '差')",
    ),
    "bad-category": Bad(
        "units:\n  - {id: a, category: key_tsk}\n",
        2,
        23,
        "units[0].category",
        "must be one of community, township, linked, key_task, other_task (got 'key_tsk') (did you mean 'key_task'?)",
    ),
    "bad-bonus": Bad(
        UNIT + "withholdings:\n  - {unit: a, bonus: civilized_cty, year: 2022}\n",
        4,
        22,
        "withholdings[0].bonus",
        "must be one of civilized_city, civilized_unit (got 'civilized_cty') (did you mean 'civilized_city'?)",
    ),
    "bad-period": Bad(
        UNIT + "evaluations:\n  - {unit: a, period: 2022-Q5, grade: poor}\n",
        4,
        23,
        "evaluations[0].period",
        "not a period: '2022-Q5' (expected 2022, 2022-H1, 2022-Q3 or 2022-05)",
    ),
    "date-as-period": Bad(
        UNIT + "evaluations:\n  - {unit: a, period: 2022-03-06, grade: poor}\n",
        4,
        23,
        "evaluations[0].period",
        "not a period: '2022-03-06' (expected 2022, 2022-H1, 2022-Q3 or 2022-05)",
    ),
    "boolean-as-period": Bad(
        UNIT + "evaluations:\n  - {unit: a, period: true, grade: poor}\n",
        4,
        23,
        "evaluations[0].period",
        "a period must be text like 2022, 2022-H1, 2022-Q3 or 2022-05 (got True)",
    ),
    "bulletin-a-quarter": Bad(
        UNIT + "criticisms:\n  - {unit: a, bulletin: 2022-Q1}\n",
        4,
        25,
        "criticisms[0].bulletin",
        "must be a month period (got '2022-Q1')",
    ),
    "bulletin-a-year": Bad(
        UNIT + "criticisms:\n  - {unit: a, bulletin: 2022}\n",
        4,
        25,
        "criticisms[0].bulletin",
        "must be a month period (got 2022)",
    ),
    "unit-not-in-units": Bad(
        UNIT + "evaluations:\n  - {unit: b, period: 2022, grade: poor}\n",
        4,
        12,
        "evaluations[0].unit",
        "no unit 'b' in units",
    ),
    "unit-misspelt": Bad(
        "units:\n  - {id: finance-bureau}\nevaluations:\n  - {unit: finance-bureu, period: 2022, grade: poor}\n",
        4,
        12,
        "evaluations[0].unit",
        "no unit 'finance-bureu' in units (did you mean 'finance-bureau'?)",
    ),
    "duplicate-unit-id": Bad(
        "units:\n  - {id: a, civilized_unit: true}\n  - {id: a, civilized_unit: false}\n",
        3,
        5,
        "units[1]",
        "unit a is given twice (first at line 2)",
    ),
    "same-unit-twice": Bad(
        "units:\n  - {id: a}\n  - {id: a}\n", 3, 5, "units[1]", "unit a is given twice (first at line 2)"
    ),
    "null-units": Bad("units:\nevaluations: []\n", 1, 7, "units", "must be a list (got null)"),
    "two-grades-one-period": Bad(
        UNIT + "evaluations:\n  - {unit: a, period: 2022, grade: poor}\n  - {unit: a, period: 2022, grade: good}\n",
        5,
        5,
        "evaluations[1]",
        "conflicts with the evaluation at line 4 for the same unit a, period 2022",
    ),
    "not-a-number": Bad(
        "units:\n  - {id: a, base_quota: .nan}\n", 2, 25, "units[0].base_quota", "must be a number (got nan)"
    ),
    "infinite": Bad(
        "units:\n  - {id: a, base_quota: .inf}\n", 2, 25, "units[0].base_quota", "must be a number (got inf)"
    ),
    "missing-units": Bad("evaluations: []\n", 1, 1, "$", "missing required field 'units'"),
    "top-level-list": Bad("- a\n", 1, 1, "$", "must be a mapping (got ['a'])"),
    "top-level-text": Bad("just text\n", 1, 1, "$", "must be a mapping (got 'just text')"),
    "duplicate-top-level-key": Bad(
        "units:\n  - {id: a}\nunits:\n  - {id: b}\n", 3, 1, "units", "duplicate key (first at line 1)"
    ),
    "duplicate-key-in-an-item": Bad(
        "units:\n  - {id: a}\nevaluations:\n  - {unit: a, period: 2022, grade: poor, grade: good}\n",
        4,
        42,
        "evaluations[0].grade",
        "duplicate key (first at column 29)",
    ),
    "syntax-error": Bad("units: [\n", 2, 1, "", "not valid YAML: expected the node content, but found '<stream end>'"),
    "control-character": Bad(
        'units:\n  - {id: a, name: "x\x01y"}\n',
        2,
        21,
        "",
        "not valid YAML: character 0x0001 is not allowed in a YAML file",
    ),
    "bad-tagged-float": Bad(
        "units:\n  - {id: a, name: !!float 15a}\n", 2, 19, "", "not valid YAML: cannot read '15a' as float"
    ),
    "bad-tagged-bool": Bad(
        "units:\n  - {id: a, name: !!bool maybe}\n", 2, 19, "", "not valid YAML: cannot read 'maybe' as bool"
    ),
    "nested-too-deeply": Bad(
        "units:\n  - {id: a, name: " + "[" * 3000 + "]" * 3000 + "}\n", 1, 1, "", "not valid YAML: nested too deeply"
    ),
    "too-many-digits": Bad(
        "units:\n  - {id: a, headcount: " + "9" * 5000 + "}\n",
        2,
        24,
        "",
        "not valid YAML: cannot read '" + "9" * 36 + "... as int",
    ),
    "huge-number-above-maximum": Bad(
        "units:\n  - {id: a, base_quota: 1" + "0" * 400 + "}\n",
        2,
        25,
        "units[0].base_quota",
        "must be between 0 and 100 (got 1" + "0" * 36 + "...)",
    ),
    "period-before-year-1000": Bad(
        UNIT + "evaluations:\n  - {unit: a, period: '0999', grade: poor}\n",
        4,
        23,
        "evaluations[0].period",
        "not a period: '0999' (expected 2022, 2022-H1, 2022-Q3 or 2022-05)",
    ),
    "python-tag": Bad(
        "units: !!python/object/apply:os.getcwd []\n",
        1,
        8,
        "",
        "not valid YAML: could not determine a constructor for the tag "
        "'tag:yaml.org,2002:python/object/apply:os.getcwd'",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_facts_file(policy: civpolicy.Policy, tmp_path: Path, case: str) -> None:
    bad = BAD[case]
    path = write(tmp_path, bad.text)
    expected = [Problem(str(path), bad.line, bad.column, bad.message, bad.path)]
    assert expected == list(problems_of(policy, path))


def test_read_facts_refuses_as_evaluate_does(policy: civpolicy.Policy, tmp_path: Path) -> None:
    bad = BAD["bad-grade"]
    path = write(tmp_path, bad.text)
    with pytest.raises(FactsError) as caught:
        policy.read_facts(path)
    expected = f"{path}:{bad.line}:{bad.column}: {bad.path}: {bad.message}"
    assert expected == str(caught.value)


def test_facts_error_is_a_located_value_error() -> None:
    assert (True, True) == (issubclass(FactsError, LocatedError), issubclass(FactsError, ValueError))


def test_every_problem_of_a_file_is_reported_together(policy: civpolicy.Policy, tmp_path: Path) -> None:
    text = "units:\n  - {id: a, civilized_unit: maybe}\nevaluations:\n  - {unit: a, period: 2022-Q9, grade: pour}\n"
    path = write(tmp_path, text)
    expected = [(2, "units[0].civilized_unit"), (4, "evaluations[0].period"), (4, "evaluations[0].grade")]
    assert expected == [(p.line, p.path) for p in problems_of(policy, path)]


def test_a_broken_unit_is_reported_once_not_for_each_of_its_facts(policy: civpolicy.Policy, tmp_path: Path) -> None:
    text = "units:\n  - {id: a, headcount: many}\nevaluations:\n  - {unit: a, period: 2022, grade: poor}\n"
    expected = [(2, "units[0].headcount")]
    assert expected == [(p.line, p.path) for p in problems_of(policy, write(tmp_path, text))]


def test_a_missing_file_is_named(policy: civpolicy.Policy, tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    assert [Problem(str(path), 1, 1, "no such facts file")] == list(problems_of(policy, path))


@pytest.mark.parametrize("text", ["", "# only a comment\n"], ids=["empty", "comment-only"])
def test_an_empty_file_is_named(policy: civpolicy.Policy, tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    expected = [Problem(str(path), 1, 1, "the facts file is empty (it needs at least `units`)")]
    assert expected == list(problems_of(policy, path))


def test_a_period_with_a_final_newline_is_refused(policy: civpolicy.Policy, tmp_path: Path) -> None:
    text = UNIT + "evaluations:\n  - unit: a\n    grade: poor\n    period: |\n      2022\n"
    expected = [(6, "evaluations[0].period")]
    assert expected == [(p.line, p.path) for p in problems_of(policy, write(tmp_path, text))]


# -- duplicates -------------------------------------------------------------------------

POOR_YEAR = [{"unit": "a", "period": "2022", "grade": "poor"}]


def kinds(policy: civpolicy.Policy, facts: Any) -> list[tuple[str, str, dict[str, Any]]]:
    return [(c.kind, c.period, c.params) for c in policy.evaluate(facts).consequences]


def test_identical_duplicates_collapse(policy: civpolicy.Policy) -> None:
    """An evaluation or criticism given twice alike is one; a unit is given once (its id is unique)."""
    once = {"units": [{"id": "a", "civilized_unit": True}], "evaluations": POOR_YEAR}
    twice = {
        "units": [{"id": "a", "civilized_unit": True}],
        "evaluations": POOR_YEAR * 2,
        "criticisms": [{"unit": "a", "bulletin": "2022-05"}] * 2,
    }
    with_criticism = {**once, "criticisms": [{"unit": "a", "bulletin": "2022-05"}]}
    expected = (policy.read_facts(with_criticism).count(), kinds(policy, with_criticism))
    assert expected == (policy.read_facts(twice).count(), kinds(policy, twice))


def test_a_unit_given_twice_in_a_mapping_names_the_first_by_its_place(policy: civpolicy.Policy) -> None:
    (problem,) = problems_of(policy, {"units": [{"id": "a"}, {"id": "a"}]})
    assert ("units[1]", "unit a is given twice (first at units[0])") == (problem.path, problem.message)


def test_a_python_caller_may_give_tuples_for_lists(policy: civpolicy.Policy) -> None:
    as_lists = {"units": [{"id": "a", "civilized_unit": True}], "evaluations": POOR_YEAR}
    as_tuples = {"units": ({"id": "a", "civilized_unit": True},), "evaluations": tuple(POOR_YEAR)}
    assert policy.evaluate(as_lists).to_json() == policy.evaluate(as_tuples).to_json()


@pytest.mark.parametrize("given", [40.0, 40], ids=["written-40.0", "written-40"])
def test_a_whole_number_written_with_a_point_fills_an_integer_field(policy: civpolicy.Policy, given: float) -> None:
    """JSON has one kind of number: exporters write 40.0 for 40."""
    facts = policy.read_facts({"units": [{"id": "a", "headcount": given}]})
    (unit,) = facts.by_unit["a"]
    assert (40, int) == (unit["headcount"], unit["headcount"].__class__)


def test_a_yaml_facts_file_reads_decimal_numbers_and_words_as_words(policy: civpolicy.Policy, tmp_path: Path) -> None:
    """YAML 1.1 read headcount 010 as 8, base_quota 1:30 as 90 and the unit id on as true, silently."""
    text = "units:\n  - {id: on, headcount: 010}\n  - {id: b, base_quota: 1:30, vertically_managed: yes}\n"
    expected = [
        (3, "units[1].base_quota", "must be a number (got '1:30')"),
        (3, "units[1].vertically_managed", "must be true or false (got 'yes')"),
    ]
    assert expected == [(p.line, p.path, p.message) for p in problems_of(policy, write(tmp_path, text))]
    unit = policy.read_facts(write(tmp_path, "units:\n  - {id: on, headcount: 010}\n")).by_unit["on"][0]
    assert (10, int) == (unit["headcount"], unit["headcount"].__class__)


@pytest.mark.parametrize(
    ("unit_id", "message"),
    [
        ("  ", "must be non-empty text"),
        ("\u00a0", "must be non-empty text"),
        ("\u200b", "must show a character, not only spaces and invisible ones"),
        (" \ufeff\u2060 ", "must show a character, not only spaces and invisible ones"),
        ("\x00", "must show a character, not only spaces and invisible ones"),
        ("a\ud800", "must be text without a lone UTF-16 surrogate"),
    ],
    ids=["spaces", "no-break-space", "zero-width-space", "invisible-mix", "nul", "lone-surrogate"],
)
def test_a_unit_id_must_show_something(policy: civpolicy.Policy, unit_id: str, message: str) -> None:
    """An id of invisible characters names a unit that looks like no unit in every report."""
    (problem,) = problems_of(policy, {"units": [{"id": unit_id}]})
    assert ("units[0].id", f"{message} (got {unit_id!r})") == (problem.path, problem.message)


@pytest.mark.parametrize("unit_id", ["社旗县财政局", "a b", "a\u200db", "\U0001f3db"])
def test_a_unit_id_that_shows_something_is_an_id(policy: civpolicy.Policy, unit_id: str) -> None:
    assert [unit_id] == list(policy.read_facts({"units": [{"id": unit_id}]}).by_unit)


def test_an_integer_field_still_refuses_a_fraction(policy: civpolicy.Policy) -> None:
    (problem,) = problems_of(policy, {"units": [{"id": "a", "headcount": 40.5}]})
    assert ("units[0].headcount", "must be a whole number (got 40.5)") == (problem.path, problem.message)


def test_a_json_file_may_begin_with_a_byte_order_mark(policy: civpolicy.Policy, tmp_path: Path) -> None:
    """Windows editors write one; it is not part of the document."""
    text = json.dumps(FACTS)
    plain_file = write(tmp_path, text, "plain.json")
    marked_file = write(tmp_path, "\ufeff" + text, "marked.json")
    assert policy.evaluate(plain_file).to_json() == policy.evaluate(marked_file).to_json()


def test_identical_failed_rectifications_are_counted(policy: civpolicy.Policy) -> None:
    failed = {"unit": "a", "year": 2022, "passed": False}
    facts = {"units": [{"id": "a", "civilized_unit": True}], "evaluations": POOR_YEAR, "rectifications": [failed] * 2}
    steps = [c.params["step"] for c in policy.evaluate(facts).consequences if c.kind == "civilized_unit.sanction"]
    assert ["notice_and_rectify", "warning", "revoke"] == steps


# -- JSON, mappings and defaults ----------------------------------------------------------

FACTS = {
    "units": [{"id": "a", "civilized_unit": True, "headcount": 40, "base_quota": 15}],
    "evaluations": [{"unit": "a", "period": "2022", "grade": "good"}],
}


def test_a_json_facts_file_works(policy: civpolicy.Policy, tmp_path: Path) -> None:
    path = write(tmp_path, json.dumps(FACTS), "facts.json")
    yaml_path = write(
        tmp_path,
        "units:\n  - {id: a, civilized_unit: true, headcount: 40, base_quota: 15}\n"
        "evaluations:\n  - {unit: a, period: '2022', grade: good}\n",
    )
    assert policy.evaluate(yaml_path).to_json() == policy.evaluate(path).to_json()
    quota = [c.params for c in policy.evaluate(path).consequences if c.kind == "excellence_quota.adjust"]
    assert [{"delta": 5, "quota": 20, "slots": 8}] == quota


def test_a_bad_json_facts_file_is_located(policy: civpolicy.Policy, tmp_path: Path) -> None:
    text = json.dumps({"units": [{"id": "a"}], "evaluations": [{"unit": "a", "period": "2022", "grade": "pooor"}]})
    path = write(tmp_path, text, "facts.json")
    expected = [(1, text.index('"pooor"') + 1, "evaluations[0].grade")]
    assert expected == [(p.line, p.column, p.path) for p in problems_of(policy, path)]


@pytest.mark.parametrize(
    "dump",
    [
        lambda facts: json.dumps(facts, indent="\t"),
        lambda facts: json.dumps(facts).replace(": 15", ": 1.5E+1"),
        lambda facts: json.dumps(facts, ensure_ascii=True),
    ],
    ids=["tab-indented", "exponents", "escaped"],
)
def test_json_as_json_writers_write_it(policy: civpolicy.Policy, tmp_path: Path, dump: Any) -> None:
    """Tabs, numbers with exponents and escaped non-BMP characters read as JSON says."""
    facts = json.loads(json.dumps(FACTS).replace('"a"', '"a\U0001f600"'))
    path = write(tmp_path, dump(facts), "facts.json")
    assert policy.evaluate(facts).to_json() == policy.evaluate(path).to_json()
    assert ("a\U0001f600",) == policy.read_facts(path).units


DEEP_JSON = "not valid JSON: nested too deeply"
NOT_JSON = "not valid JSON: {} is not a JSON value"
LONE_SURROGATE = "must be text without a lone UTF-16 surrogate (got 'a\\ud83d')"


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ('{"units": [{"id": a}]}', 1, 19, "not valid JSON: Expecting value"),
        ('{\n  "units": [{"id": "a\u0000"}]}', 2, 22, "not valid JSON: Invalid control character"),
        ('{"units": [{"id": "a\\ud83d"}]}', 1, 19, LONE_SURROGATE),
        ('{"units": [{"id": "a", "name": ' + "[" * 100000 + "]" * 100000 + "}]}", 1, 1, DEEP_JSON),
        ('{"units": [{"id": "a",\n  "name": NaN}]}', 2, 11, NOT_JSON.format("NaN")),
        ('{"units": [{"id": "-Infinity", "headcount": -Infinity}]}', 1, 45, NOT_JSON.format("-Infinity")),
        ('{"units": [{"id": "a",\n  "id": "b"}]}', 2, 3, "duplicate key (first at line 1)"),
    ],
    ids=[
        "unquoted-text",
        "control-character",
        "lone-surrogate",
        "nested-too-deeply",
        "nan",
        "infinity",
        "duplicate-key",
    ],
)
def test_bad_json_is_located(
    policy: civpolicy.Policy, tmp_path: Path, text: str, line: int, column: int, message: str
) -> None:
    path = write(tmp_path, text, "facts.json")
    assert [(line, column, message)] == [(p.line, p.column, p.message) for p in problems_of(policy, path)]


@pytest.mark.parametrize("separator", ["\x85", "\u2028", "\u2029"], ids=["next-line", "line-sep", "paragraph-sep"])
def test_a_json_file_reads_as_the_json_module_reads_it(
    policy: civpolicy.Policy, tmp_path: Path, separator: str
) -> None:
    """Characters YAML takes for line breaks (and would fold into a space) are text in a JSON string."""
    facts = {"units": [{"id": f"a{separator}b", "name": f"x{separator}y"}], "evaluations": [], "criticisms": []}
    facts["evaluations"] = [{"unit": f"a{separator}b", "period": "2022", "grade": "poor"}]
    path = write(tmp_path, json.dumps(facts, ensure_ascii=False, indent=1), "facts.json")
    assert policy.read_facts(facts) == policy.read_facts(path)
    assert (f"a{separator}b",) == policy.read_facts(path).units


def test_a_json_file_with_problems_is_read_again_to_locate_them(policy: civpolicy.Policy, tmp_path: Path) -> None:
    """Read fast by the json module; its problems told with lines, as a YAML file's are."""
    evaluations = [{"unit": "a", "period": "2022", "grade": g} for g in ("poor", "good")]
    text = json.dumps({"units": [{"id": "a"}], "evaluations": evaluations}, indent=2)
    (problem,) = problems_of(policy, write(tmp_path, text, "facts.json"))
    _, first, second = [number for number, line in enumerate(text.splitlines(), start=1) if line == "    {"]
    message = f"conflicts with the evaluation at line {first} for the same unit a, period 2022"
    expected = (second, "evaluations[1]", message)
    assert expected == (problem.line, problem.path, problem.message)


def test_a_whole_number_written_with_a_point_is_the_same_number(policy: civpolicy.Policy) -> None:
    """50.0 and 50 are one score: the same item twice is one item, and reads as 50."""
    scores = [{"unit": "a", "period": "2022", "score": 50}, {"unit": "a", "period": "2022", "score": 50.0}]
    for given in (scores, scores[::-1]):
        facts = policy.read_facts({"units": [{"id": "a"}], "scores": given})
        assert [50] == [f["score"] for f in facts.by_unit["a"] if f["type"] == "score"]
        assert int is next(f["score"] for f in facts.by_unit["a"] if f["type"] == "score").__class__


def test_an_item_with_an_unknown_field_has_its_other_problems_told_too(policy: civpolicy.Policy) -> None:
    facts = {"units": [{"id": "a"}], "evaluations": [{"unit": "a", "period": "2022-Q9", "grade": "pour", "x": 1}]}
    paths = sorted(p.path for p in problems_of(policy, facts))
    assert ["evaluations[0].grade", "evaluations[0].period", "evaluations[0].x"] == paths


def test_a_conflict_in_a_mapping_names_the_first_item_by_its_place(policy: civpolicy.Policy) -> None:
    evaluations = [{"unit": "a", "period": "2022", "grade": g} for g in ("poor", "good")]
    (problem,) = problems_of(policy, {"units": [{"id": "a"}], "evaluations": evaluations})
    expected = ("evaluations[1]", "conflicts with the evaluation at evaluations[0] for the same unit a, period 2022")
    assert expected == (problem.path, problem.message)


def test_any_mapping_will_do(policy: civpolicy.Policy) -> None:
    assert policy.evaluate(FACTS).to_json() == policy.evaluate(MappingProxyType(FACTS)).to_json()


def test_a_mapping_passed_directly_works(policy: civpolicy.Policy, tmp_path: Path) -> None:
    path = write(tmp_path, json.dumps(FACTS), "facts.json")
    assert policy.evaluate(path).to_json() == policy.evaluate(FACTS).to_json()


def test_a_mapping_passed_directly_is_not_changed(policy: civpolicy.Policy) -> None:
    given = json.loads(json.dumps(FACTS))
    policy.evaluate(given)
    assert FACTS == given


def test_a_bad_mapping_names_the_field(policy: civpolicy.Policy) -> None:
    facts = {"units": [{"id": "a"}], "evaluations": [{"unit": "a", "period": "2022", "grade": "god"}]}
    message = "must be one of good, medium, poor (got 'god') (did you mean 'good'?)"
    expected = [Problem("<facts>", 1, 1, message, "evaluations[0].grade")]
    assert expected == list(problems_of(policy, facts))


@pytest.mark.parametrize(
    ("facts", "path", "message"),
    [
        ({}, "$", "missing required field 'units'"),
        ({"units": [{"id": "a"}], 5: 1}, "$.5", "unknown field 5"),
        ({"units": [{"id": "a", "headcount": math.inf}]}, "units[0].headcount", "must be a whole number (got inf)"),
        ({"units": [{"id": "a", "base_quota": math.nan}]}, "units[0].base_quota", "must be a number (got nan)"),
    ],
    ids=["empty", "non-text-key", "infinite-headcount", "nan-quota"],
)
def test_bad_mapping(policy: civpolicy.Policy, facts: Any, path: str, message: str) -> None:
    assert [(path, message)] == [(p.path, p.message) for p in problems_of(policy, facts)]


def test_defaults_fill_absent_fields(policy: civpolicy.Policy) -> None:
    facts = policy.read_facts({"units": [{"id": "a"}]})
    (unit,) = facts.by_unit["a"]
    expected = {
        "type": "unit",
        "unit": "a",
        "name": None,
        "document_name": None,
        "category": None,
        "civilized_unit": False,
        "vertically_managed": False,
        "headcount": None,
        "base_quota": None,
        "seq": 0,
    }
    assert expected == unit


DEADLINES = """\
inputs:
  deadline:
    from: deadlines
    description: {zh: 整改期限, en: A deadline for rectification}
    says: "{unit} must rectify by {due}"
    key: [unit, due]
    fields:
      unit: {type: unit, required: true}
      due: {type: period, kinds: [quarter], required: true}
"""


def test_a_period_field_not_called_period_holds_its_label(tmp_path: Path) -> None:
    folder = copy_policy(tmp_path / "policy")
    (folder / "deadlines.yaml").write_text(DEADLINES, encoding="utf-8")
    policy = civpolicy.load_policy(folder, engine="native")
    facts = policy.read_facts({"units": [{"id": "a"}], "deadlines": [{"unit": "a", "due": "2022-Q3"}]})
    (deadline,) = (fact for fact in facts.by_unit["a"] if fact["type"] == "deadline")
    assert {"type": "deadline", "unit": "a", "due": "2022-Q3", "seq": 0} == deadline
    (problem,) = problems_of(policy, {"units": [{"id": "a"}], "deadlines": [{"unit": "a", "due": "2022-07"}]})
    assert "deadlines[0].due" == problem.path
    assert "quarter" in problem.message


def test_an_empty_list_of_units_is_no_units(policy: civpolicy.Policy, tmp_path: Path) -> None:
    assert () == policy.evaluate(write(tmp_path, "units: []\nevaluations:\n")).consequences


def test_a_conflict_on_one_line_names_the_first_item_by_its_column(policy: civpolicy.Policy, tmp_path: Path) -> None:
    """As a JSON Lines line is: "at line 1" would point at the file's first line."""
    (problem,) = problems_of(policy, write(tmp_path, "units: [{id: a}, {id: a}]\n"))
    assert (1, 18, "unit a is given twice (first at column 9)") == (problem.line, problem.column, problem.message)


@pytest.mark.parametrize(
    "text",
    [
        '{"units": [{"id": "a", "name": "x\x7f"}],\n"evaluations": [{"unit": "a", "period": "2022", "grade": "bad"}]}',
        '{"units": [{"id": "a", "name": "x\x85y"}],\n"evaluations": [\n'
        '{"unit": "a", "period": "2022", "grade": "bad"}]}',
        '{"units": [{"id": "a\x85b"}],\n"evaluations": [{"unit": "a\\u0085b", "period": "2022", "grade": "bad"}]}',
    ],
    ids=["delete-character", "next-line-in-a-name", "next-line-in-an-id"],
)
def test_a_json_file_is_told_its_own_problems_where_yaml_would_read_it_otherwise(
    policy: civpolicy.Policy, tmp_path: Path, text: str
) -> None:
    """The json module's problems, placed by field path: not YAML's reading's (NEL is a line break there)."""
    problems = problems_of(policy, write(tmp_path, text, "facts.json"))
    at = text.index('"bad"')
    line, column = text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)
    expected = [(line, column, "evaluations[0].grade", "must be one of good, medium, poor (got 'bad')")]
    assert expected == [(p.line, p.column, p.path, p.message) for p in problems]


def test_a_duplicate_key_beside_a_character_yaml_refuses_is_still_a_duplicate_key(
    policy: civpolicy.Policy, tmp_path: Path
) -> None:
    problems = problems_of(policy, write(tmp_path, '{"units": [{"id": "a", "id": "b", "name": "\x7f"}]}', "f.json"))
    assert ["units[0].id: duplicate key (first at column 13)"] == [f"{p.path}: {p.message}" for p in problems]


def test_tuples_give_the_same_problems_as_lists(policy: civpolicy.Policy) -> None:
    as_lists = {"units": [{"id": "a", "category": "bogus"}], "evaluations": [{"unit": "a", "period": "2022"}]}
    as_tuples = {"units": ({"id": "a", "category": "bogus"},), "evaluations": ({"unit": "a", "period": "2022"},)}
    assert problems_of(policy, as_lists) == problems_of(policy, as_tuples)
