"""When the policy is in force (``in_force`` in evaluation.yaml): the opinion applies 从2022年3月份开始.

A fact of a period that ends before 2022-03-01 (2021-Q4, 1999-Q1, 2022-02, the year 2021)
is a facts error at its field, for every input field of type period or year; 2022-Q1 and
the year 2022 end after it. With ``--ignore-out-of-force`` (``ignore_out_of_force=True``)
such facts are left out of the evaluation and told as warnings, at the same place.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import civpolicy
from civpolicy.checks.validate import load_model
from civpolicy.cli import main
from civpolicy.errors import FactsError, PolicyError
from policy_copies import copy_policy, edit

ROOT = Path(__file__).resolve().parents[1]

OUT_OF_FORCE = """\
units:
  - {id: a, civilized_unit: true}
evaluations:
  - {unit: a, period: 2021-Q4, grade: poor}
  - {unit: a, period: 1999-Q1, grade: poor}
  - {unit: a, period: 2022-Q1, grade: poor}
  - {unit: a, period: 2022, grade: poor}
criticisms:
  - {unit: a, bulletin: 2022-02}
  - {unit: a, bulletin: 2022-03}
withholdings:
  - {unit: a, bonus: civilized_city, year: 2021}
rectifications:
  - {unit: a, year: 2021, passed: false}
scores:
  - {unit: a, period: 2021-H2, score: 80}
adjustments:
  - {unit: a, period: 2021, reason: media_supervision, points: -2}
"""

SINCE = "ends before the policy is in force (from 2022-03-01, 二（三）)"
REFUSED = "; --ignore-out-of-force leaves such facts out with a warning"
EXPECTED = [
    (4, 23, "evaluations[0].period", f"period 2021-Q4 {SINCE}"),
    (5, 23, "evaluations[1].period", f"period 1999-Q1 {SINCE}"),
    (9, 25, "criticisms[0].bulletin", f"bulletin 2022-02 {SINCE}"),
    (12, 44, "withholdings[0].year", f"year 2021 {SINCE}"),
    (14, 21, "rectifications[0].year", f"year 2021 {SINCE}"),
    (16, 23, "scores[0].period", f"period 2021-H2 {SINCE}"),
    (18, 23, "adjustments[0].period", f"period 2021 {SINCE}"),
]


@pytest.fixture
def facts_file(tmp_path: Path) -> Path:
    path = tmp_path / "facts.yaml"
    path.write_text(OUT_OF_FORCE, encoding="utf-8")
    return path


def located(problems: Any) -> list[tuple[int, int, str, str]]:
    return [(p.line, p.column, p.path, p.message) for p in problems]


def test_the_shipped_policy_is_in_force_from_march_2022() -> None:
    in_force = civpolicy.load_policy().model.in_force
    assert in_force is not None
    assert "2022-03-01" == in_force.since
    assert in_force.citation is not None and "二（三）" == in_force.citation.source
    assert in_force.citation.text.startswith("从2022年3月份开始")


def test_a_fact_of_a_period_that_ends_before_is_a_facts_error_at_its_field(facts_file: Path) -> None:
    with pytest.raises(FactsError) as refused:
        civpolicy.load_policy().read_facts(facts_file)
    assert [(*where, message + REFUSED) for *where, message in EXPECTED] == located(refused.value.problems)
    assert {str(facts_file)} == {p.file for p in refused.value.problems}


@pytest.mark.parametrize("period", ["2022-Q1", "2022", "2022-H1", "2023-Q1"])
def test_a_period_that_ends_on_or_after_the_date_is_judged(period: str) -> None:
    facts = {
        "units": [{"id": "a"}],
        "evaluations": [{"unit": "a", "period": period, "grade": "good"}],
        "criticisms": [{"unit": "a", "bulletin": "2022-03"}],
    }
    assert 3 == civpolicy.load_policy().read_facts(facts).count()


@pytest.mark.parametrize("period", ["2021-Q4", "2022-02", "2021", "2021-H2", "1999-Q1"])
def test_a_mapping_is_judged_too(period: str) -> None:
    facts = {"units": [{"id": "a"}], "evaluations": [{"unit": "a", "period": period, "grade": "good"}]}
    with pytest.raises(FactsError) as refused:
        civpolicy.load_policy().read_facts(facts)
    assert ["evaluations[0].period"] == [p.path for p in refused.value.problems]


def test_ignored_facts_are_left_out_and_told_as_warnings(facts_file: Path) -> None:
    policy = civpolicy.load_policy(ignore_out_of_force=True)
    facts = policy.read_facts(facts_file)
    assert [(*where, message + ": left out") for *where, message in EXPECTED] == located(facts.warnings)
    decision = policy.evaluate(facts)
    out_of_force = [w for w in decision.warnings if "in force" in w.message]
    assert len(EXPECTED) == len(out_of_force)
    periods = {c.period for c in decision.consequences}
    assert not periods & {"2021-Q4", "1999-Q1", "2021", "2022-02"}
    assert {"2022-Q1", "2022"} <= periods


def test_ignored_facts_change_nothing_else(facts_file: Path) -> None:
    """The decision is the one of the facts without them (only the warnings differ)."""
    kept = {
        "units": [{"id": "a", "civilized_unit": True}],
        "evaluations": [
            {"unit": "a", "period": "2022-Q1", "grade": "poor"},
            {"unit": "a", "period": "2022", "grade": "poor"},
        ],
        "criticisms": [{"unit": "a", "bulletin": "2022-03"}],
    }
    policy = civpolicy.load_policy(ignore_out_of_force=True)
    assert policy.evaluate(kept).consequences == policy.evaluate(facts_file).consequences


def test_a_json_file_is_located_too(tmp_path: Path) -> None:
    path = tmp_path / "facts.json"
    path.write_text(
        '{"units": [{"id": "a"}],\n "evaluations": [\n  {"unit": "a", "period": "2021-Q4", "grade": "poor"}]}\n',
        encoding="utf-8",
    )
    with pytest.raises(FactsError) as refused:
        civpolicy.load_policy().read_facts(path)
    assert [(3, 27, "evaluations[0].period")] == [(p.line, p.column, p.path) for p in refused.value.problems]
    facts = civpolicy.load_policy(ignore_out_of_force=True).read_facts(path)
    assert [(3, 27, "evaluations[0].period")] == [(p.line, p.column, p.path) for p in facts.warnings]


def test_evaluate_refuses_them_with_exit_2(facts_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert 2 == main(["evaluate", str(facts_file)])
    out, err = capsys.readouterr()
    assert "" == out
    expected = [f"{facts_file}:{line}:{column}: {path}: {message}{REFUSED}" for line, column, path, message in EXPECTED]
    assert expected == err.splitlines()


@pytest.mark.parametrize("command", ["evaluate", "explain"])
def test_ignore_out_of_force_warns_on_stderr(
    facts_file: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    extra = ["--unit", "a"] if command == "explain" else []
    assert 0 == main([command, str(facts_file), "--ignore-out-of-force", *extra])
    out, err = capsys.readouterr()
    assert out
    warned = [line for line in err.splitlines() if "in force" in line]
    expected = [
        f"civpolicy: warning: {facts_file}:{line}:{column}: {path}: {message}: left out"
        for line, column, path, message in EXPECTED
    ]
    assert expected == warned
    if command == "evaluate":
        document = json.loads(out)
        assert len(EXPECTED) == len([w for w in document["warnings"] if "in force" in w["message"]])


def test_batch_ignores_them_in_worker_processes_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    county = {"units": [{"id": "a"}], "evaluations": [{"unit": "a", "period": "2021-Q4", "grade": "poor"}]}
    lines = tmp_path / "counties.jsonl"
    lines.write_text(json.dumps({"units": [{"id": "b"}]}) + "\n" + json.dumps(county) + "\n", encoding="utf-8")
    assert 2 == main(["batch", str(lines), "--jobs", "1"])
    refused = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    (error,) = refused[1]["errors"]
    assert error.startswith(f"{lines}:2:66: evaluations[0].period: period 2021-Q4 ends before the policy is in force")
    assert 0 == main(["batch", str(lines), "--jobs", "2", "--ignore-out-of-force"])
    taken = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [0, 1] == [len(result["warnings"]) for result in taken]
    warning = taken[1]["warnings"][0]
    assert (str(lines), 2, "evaluations[0].period") == (warning["file"], warning["line"], warning["field"])


def test_the_command_tells_no_traceback(facts_file: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "civpolicy", "evaluate", str(facts_file)], capture_output=True, text=True, check=False
    )
    assert 2 == done.returncode
    assert "Traceback" not in done.stderr and "" == done.stdout
    assert f"{facts_file}:4:23: evaluations[0].period: period 2021-Q4" in done.stderr


# --- the policy's in_force, checked ------------------------------------------------------------

IN_FORCE = """\
in_force:
  from: 2022-03-01
  source: 二（三）
  text: 从2022年3月份开始，对各级各单位文明城市创建工作实行周自评、月通报、季考评、年总评。
"""


def problems_of(folder: Path) -> list[tuple[str, int, int, str, str]]:
    with pytest.raises(PolicyError) as caught:
        load_model(folder)
    return [(Path(p.file).name, p.line, p.column, p.path, p.message) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("2022-02-30", "2022-02-30 is no day of the calendar"),
        ("2022-3-1", "must be a date written YYYY-MM-DD, such as 2022-03-06 (got '2022-3-1')"),
        ("2022", "must be a date written YYYY-MM-DD, such as 2022-03-06 (got 2022)"),
    ],
)
def test_check_refuses_a_date_that_is_none(tmp_path: Path, written: str, message: str) -> None:
    folder = copy_policy(tmp_path / "policy")
    line = edit_in_force(folder, "  from: 2022-03-01\n", f"  from: {written}\n")
    assert [("evaluation.yaml", line, 9, "in_force.from", message)] == problems_of(folder)


def edit_in_force(folder: Path, old: str, new: str) -> int:
    """Change the shipped in_force in the copy; the line of its ``from``."""
    edit(folder, "evaluation.yaml", old, new)
    lines = (folder / "evaluation.yaml").read_text(encoding="utf-8").splitlines()
    (number,) = [n for n, text in enumerate(lines, 1) if text.startswith("  from: ")]
    return number


def test_check_refuses_an_in_force_without_its_clause(tmp_path: Path) -> None:
    folder = copy_policy(tmp_path / "policy")
    edit(folder, "evaluation.yaml", "  source: 二（三）\n  text: 从2022年3月份开始", "  text: 从2022年3月份开始")
    (found,) = problems_of(folder)
    assert ("evaluation.yaml", "in_force", "missing required field 'source'") == (found[0], found[3], found[4])


def test_check_refuses_a_quote_the_document_has_not(tmp_path: Path) -> None:
    folder = copy_policy(tmp_path / "policy")
    edit(folder, "evaluation.yaml", "  text: 从2022年3月份开始，", "  text: 从2021年3月份开始，")
    (found,) = problems_of(folder)
    assert "this quote is not in the document" in found[4]


def test_check_refuses_a_second_in_force(tmp_path: Path) -> None:
    folder = copy_policy(tmp_path / "policy")
    (folder / "more.yaml").write_text(IN_FORCE, encoding="utf-8")
    found = problems_of(folder)
    assert [("more.yaml", 1, 1, "in_force")] == [f[:4] for f in found]
    assert found[0][4].startswith("in_force is already given in ")


def test_a_policy_without_in_force_judges_every_period(tmp_path: Path) -> None:
    folder = copy_policy(tmp_path / "policy")
    text = (folder / "evaluation.yaml").read_text(encoding="utf-8")
    (folder / "evaluation.yaml").write_text(text.replace(IN_FORCE, ""), encoding="utf-8")
    policy = civpolicy.load_policy(folder)
    assert policy.model.in_force is None
    facts = {"units": [{"id": "a"}], "evaluations": [{"unit": "a", "period": "1999-Q1", "grade": "poor"}]}
    assert ("1999-Q1",) == tuple({c.period for c in policy.evaluate(facts).consequences})


def test_the_facts_schema_says_from_when() -> None:
    schema = civpolicy.load_policy().facts_schema()
    period = schema["properties"]["evaluations"]["items"]["properties"]["period"]
    assert period["description"].startswith("In force from 2022-03-01 (二（三）)")
    assert "In force from 2022-03-01" in schema["description"]
