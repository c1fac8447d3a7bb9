"""`civpolicy test --coverage`: every clause of the document listed, with how the policy encodes it (issue 15)."""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import pytest

from civpolicy.authoring.coverage import coverage, document_clauses
from civpolicy.checks.validate import load_model
from civpolicy.cli import main
from civpolicy.errors import PolicyError
from civpolicy.source.citations import outline, squash
from policy_copies import copy_policy, edit

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "policy" / "scenarios"


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    return copy_policy(tmp_path / "policy")


def report_of(folder: Path) -> str:
    return coverage(load_model(folder), set()).report()


def entry(folder: Path, ref: str) -> str:
    """The lines of clauses.yaml that list ``ref``: from its ``- ref:`` to the next entry or comment."""
    text = (folder / "clauses.yaml").read_text(encoding="utf-8")
    found = re.search(rf"(?m)^  - ref: {re.escape(ref)}\n(?:    .*\n|      .*\n)*", text)
    assert found is not None, ref
    return found.group(0)


def replace_entry(folder: Path, ref: str, new: str) -> None:
    edit(folder, "clauses.yaml", entry(folder, ref), new)


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        load_model(folder)
    return [str(p) for p in caught.value.problems]


def test_the_shipped_list_names_every_clause_of_the_document(capsys: pytest.CaptureFixture[str]) -> None:
    main(["test", str(ROOT / "policy"), str(SCENARIOS), "--no-invariants", "--coverage"])
    out = capsys.readouterr().out
    assert "rules no test fires: 0 of " in out  # the parts of before stay
    assert "aggregates no test computes: 0 of " in out
    assert re.search(r"clauses of the document: \d+ in its outline, every one listed in clauses.yaml\n", out)
    assert (
        "headings are covered by their parts: 二, 二（二）, 二（三）1, 二（三）2, 二（三）2 三是, 四, 附件1, 附件1 二\n"
        in out
    )
    for title in ("clauses encoded by rules: ", "clauses encoded as policy data: ", "clauses not for software: "):
        assert title in out
    assert "  - 四（二）: 「建立文明城市创建经费逐年递增机制" in out
    assert "      why: 经费保障是财政预算的事" in out
    assert "not in clauses.yaml" not in out


def test_the_shipped_list_marks_the_clauses_as_the_issue_reads_them() -> None:
    model = load_model(ROOT / "policy")
    encoded = {squash(c.ref): c.encoded for c in model.clauses}
    expected = {
        "一": "no",
        "二（一）": "data",
        "二（二）1": "no",
        "二（二）3": "data",
        "二（三）": "rules",
        "二（三）1一是": "data",
        "二（三）2三是（2）": "rules",
        "二（三）2最后一段": "no",
        "二（四）最后一段": "rules",
        "三": "no",
        "三（三）": "data",
        "四（二）": "no",
        "四（四）": "rules",
        "四最后一段": "no",
        "附件1二（五）": "data",
        "附件3": "data",
    }
    assert expected == {ref: encoded[ref] for ref in expected}
    assert all(c.reason for c in model.clauses if c.encoded == "no")


def test_a_clause_the_list_leaves_out_is_named(policy_dir: Path) -> None:
    replace_entry(policy_dir, "二（二）1", "")
    report = report_of(policy_dir)
    assert (
        "clauses of the document: 39 in its outline, 38 listed in clauses.yaml, 1 not (see the problems below)"
        in report
    )
    assert "  - 二（二）1: not in clauses.yaml (「1.中心城区实行网格化管理。" in report
    assert "problems of the clause list: 1\n" in report


def test_a_clause_marked_data_that_nothing_of_data_cites_is_a_problem(policy_dir: Path) -> None:
    replace_entry(
        policy_dir,
        "四（二）",
        "  - ref: 四（二）\n    text: 建立文明城市创建经费逐年递增机制\n    encoded: data\n",
    )
    replace_entry(policy_dir, "二（四）3", "  - ref: 二（四）3\n    text: 3.与领导班子考核挂钩。\n    encoded: data\n")
    report = report_of(policy_dir)
    assert re.search(
        r"  - 四（二） \(clauses.yaml:\d+\): encoded: data, but no table, term, input, cadence or duty cites it: "
        r"not yet encoded\n",
        report,
    )
    assert re.search(
        r"  - 二（四）3 \(clauses.yaml:\d+\): encoded: data, .*; rules cite it, rule .*: encoded: rules\?", report
    )
    assert "problems of the clause list: 2\n" in report


def test_a_clause_marked_rules_that_no_rule_cites_is_a_problem(policy_dir: Path) -> None:
    replace_entry(policy_dir, "一", "  - ref: 一\n    text: 坚持创建为民\n    encoded: rules\n")
    replace_entry(
        policy_dir, "四（三）", "  - ref: 四（三）\n    text: 每周至少开展1小时的文明知识教育\n    encoded: rules\n"
    )
    report = report_of(policy_dir)
    assert re.search(
        r"  - 一 \(clauses.yaml:\d+\): encoded: rules, but no rule, derived fact or parameter cites it: ", report
    )
    # a parameter counts as rules: civic_school_weekly_hours cites 四（三）
    assert "四（三） (clauses.yaml" not in report
    assert "      by: parameter civic_school_weekly_hours" in report


def test_clauses_whose_only_citers_are_duties_are_not_yet_encoded_before_the_duties_land() -> None:
    """The coverage reads the duties with getattr: a model with none (or none of the field) still reports."""
    model = load_model(ROOT / "policy")
    without = attrs.evolve(
        model,
        duties={},
        vocabularies={name: terms for name, terms in model.vocabularies.items() if name != "duties"},
    )
    report = coverage(without, set()).report()
    assert re.search(r"  - 四（一） \(clauses.yaml:\d+\): encoded: data, .*: not yet encoded\n", report)
    assert re.search(r"  - 二（三）1 一是: 「.*」\n      by: cadence weekly_self_evaluation\n", report)


def test_a_clause_listed_twice_is_a_problem(policy_dir: Path) -> None:
    edit(policy_dir, "clauses.yaml", "clauses:\n", "clauses:\n" + entry(policy_dir, "四（二）"))
    assert re.search(
        r"  - 四（二） \(clauses.yaml:\d+\): listed twice \(also clauses.yaml:\d+\)\n", report_of(policy_dir)
    )


def test_an_unknown_encoded_value_is_a_located_policy_error(policy_dir: Path) -> None:
    text = (policy_dir / "clauses.yaml").read_text(encoding="utf-8")
    line = text[: text.index("  - ref: 四（三）")].count("\n") + 3
    replace_entry(policy_dir, "四（三）", entry(policy_dir, "四（三）").replace("encoded: data", "encoded: date"))
    [problem] = problems_of(policy_dir)
    assert problem.startswith(f"{policy_dir / 'clauses.yaml'}:{line}:14: clauses[")
    assert ".encoded: unknown encoded 'date' (did you mean 'data'?); one of rules" in problem


def test_not_for_software_needs_a_reason_and_only_it_has_one(policy_dir: Path) -> None:
    replace_entry(policy_dir, "一", "  - ref: 一\n    text: 坚持创建为民\n    encoded: no\n")
    replace_entry(
        policy_dir,
        "四（四）",
        entry(policy_dir, "四（四）").replace("    encoded: rules\n", "    encoded: rules\n    reason: x\n"),
    )
    problems = problems_of(policy_dir)
    assert 2 == len(problems)
    assert "encoded: no needs a reason: why the clause is not for software" in problems[0]
    assert "a reason is for encoded: no (not for software)" in problems[1]


def test_a_reason_may_be_one_bilingual_text(policy_dir: Path) -> None:
    replace_entry(policy_dir, "一", "  - ref: 一\n    text: 坚持创建为民\n    encoded: no\n    reason: 目标 / aims\n")
    assert "      why: 目标 / aims\n" in report_of(policy_dir)


DOCUMENT = """意见
一、总体要求
坚持问题导向。
二、机制
（一）联系机制
1.第一项。
2.第二项。
（二）考评机制
从2022年3月份开始考评。
1.考评制度
一是周自评。
二是月通报。
"""


def test_the_clauses_to_list_are_the_leaves_and_the_headings_with_words_of_their_own() -> None:
    named, headings = document_clauses(DOCUMENT)
    assert ["一", "二（一）1", "二（一）2", "二（二）", "二（二）1 一是", "二（二）1 二是"] == [c.ref for c in named]
    assert ["二", "二（一）", "二（二）1"] == [c.ref for c in headings]
    assert set(outline(DOCUMENT)) >= {squash(c.ref) for c in named + headings}
