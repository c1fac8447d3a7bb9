"""``civpolicy rank``: the league tables the review meeting (讲评会) reads, from the decision's grades report."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

import civpolicy
from civpolicy.cli import main
from civpolicy.decision.values import Decision, Evidence, ReportRow
from civpolicy.engine.durable import durable_available
from civpolicy.facts.periods import parse_period
from civpolicy.reports.labels import Labels
from civpolicy.reports.league import leagues, score_chain, without_unit
from command_runs import run, write_facts
from policy_copies import copy_policy, edit

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = str(ROOT / "examples" / "county-2022-scores.yaml")

UNITS = [
    "  - {id: d-bureau, name: 丁局, category: key_task}",
    "  - {id: a-bureau, name: 甲局, category: key_task}",
    "  - {id: c-bureau, name: 丙局, category: key_task}",
    "  - {id: b-bureau, name: 乙局, category: key_task}",
    "  - {id: e-bureau, name: 戊局, category: key_task}",
    "  - {id: x-community, name: 东社区, category: community}",
    "  - {id: y-community, name: 西社区, category: community}",
]
SCORES = [
    "  - {unit: a-bureau, period: 2022-Q1, score: 90}",
    "  - {unit: b-bureau, period: 2022-Q1, score: 85}",
    "  - {unit: c-bureau, period: 2022-Q1, score: 85}",
    "  - {unit: d-bureau, period: 2022-Q1, score: 70}",
    "  - {unit: a-bureau, period: 2022-Q2, score: 80}",
    "  - {unit: b-bureau, period: 2022-Q2, score: 81}",
    "  - {unit: c-bureau, period: 2022-Q2, score: 82}",
    "  - {unit: d-bureau, period: 2022-Q2, score: 83}",
    "  - {unit: x-community, period: 2022-Q1, score: 88}",
    "  - {unit: y-community, period: 2022-Q1, score: 77}",
]
GIVEN = ["  - {unit: e-bureau, period: 2022-Q1, grade: poor}"]
"""e-bureau has no score for 2022-Q1: its grade is given, and it stands unranked after the ranked units."""


def facts_text(reverse: bool = False) -> str:
    order = (lambda lines: list(reversed(lines))) if reverse else list
    return "\n".join(["units:", *order(UNITS), "scores:", *order(SCORES), "evaluations:", *order(GIVEN), ""])


@pytest.fixture
def small(tmp_path: Path) -> str:
    return write_facts(tmp_path, facts_text())


def tables(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, Any]]:
    code, out, _ = run(capsys, "rank", *args, "--format", "json")
    assert 0 == code
    found: list[dict[str, Any]] = json.loads(out)["tables"]
    return found


def table_of(found: list[dict[str, Any]], category: str, period: str) -> dict[str, Any]:
    (table,) = [t for t in found if (t["category"], t["period"]) == (category, period)]
    return table


# -- what the tables hold ----------------------------------------------------------------


def test_a_tie_shares_a_rank_and_the_next_rank_is_skipped(capsys: pytest.CaptureFixture[str], small: str) -> None:
    table = table_of(tables(capsys, small), "key_task", "2022-Q1")
    lines = [(r["rank"], r["unit"], r["name"], r["score"]) for r in table["rows"]]
    expected = [
        (1, "a-bureau", "甲局", 90),
        (2, "b-bureau", "乙局", 85),
        (2, "c-bureau", "丙局", 85),
        (4, "d-bureau", "丁局", 70),
        (None, "e-bureau", "戊局", None),
    ]
    assert expected == lines
    assert 4 == table["size"]


def test_a_given_grade_without_a_score_stands_after_the_ranked(capsys: pytest.CaptureFixture[str], small: str) -> None:
    (given,) = [r for r in table_of(tables(capsys, small), "key_task", "2022-Q1")["rows"] if r["rank"] is None]
    assert ("e-bureau", None, "poor", "given") == (given["unit"], given["score"], given["grade"], given["basis"])
    assert given["how"] == given["because"]  # no score: told by the row's own reasons


def test_every_rank_is_one_plus_the_number_scoring_higher(capsys: pytest.CaptureFixture[str]) -> None:
    found = tables(capsys, EXAMPLE)
    assert len(found) > 10
    for table in found:
        ranked = [r for r in table["rows"] if r["rank"] is not None]
        for row in ranked:
            assert 1 + sum(1 for other in ranked if other["score"] > row["score"]) == row["rank"], row["unit"]
        assert [r["rank"] for r in ranked] == sorted(r["rank"] for r in ranked)


def test_the_example_s_ties_at_the_good_boundary(capsys: pytest.CaptureFixture[str]) -> None:
    rows = table_of(tables(capsys, EXAMPLE), "other_task", "2022")["rows"]
    tied = {r["unit"]: (r["rank"], r["score"], r["grade"]) for r in rows if r["rank"] == 3}
    assert {"xinhua-bookstore": (3, 87.5, "good"), "bank-of-china": (3, 87.5, "good")} == tied


def test_how_the_score_was_made(capsys: pytest.CaptureFixture[str], small: str) -> None:
    row = table_of(tables(capsys, small), "community", "2022-Q1")["rows"][0]
    assert "x-community" == row["unit"]
    assert all("88" in step for step in row["how"])
    assert not any(step.startswith("x-community") for step in row["how"])  # the line names the unit already
    assert any("assessment" in step for step in row["how"])


def test_the_score_chain_follows_the_number_down_the_reasons() -> None:
    tree = (
        Evidence("u: graded good", "g", premises=(Evidence("u: score 89.95, rank 2 of 5", "s"),)),
        Evidence(
            "u: score 89.9, rank 1 of 4",
            "standing",
            premises=(
                Evidence(
                    "u: final 89.9 = 89.9 + 0",
                    "final",
                    premises=(
                        Evidence("u: 0 point(s) from 0 adjustment(s)", "adj"),
                        Evidence("u: 89.9 = grid 92 × 0.7 + work 85 × 0.3", "compose"),
                    ),
                ),
                Evidence("u: 3 unit(s) scored lower than 189.9"),
            ),
        ),
    )
    expected = ("u: score 89.9, rank 1 of 4", "u: final 89.9 = 89.9 + 0", "u: 89.9 = grid 92 × 0.7 + work 85 × 0.3")
    assert expected == score_chain(tree, 89.9)
    assert () == score_chain(tree, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("u-1: final score 88", "final score 88"),
        ("u-1 (community): final score 88", "final score 88"),
        ("u-1（中心城区社区（行政村））：2022-Q1 最终成绩 88", "2022-Q1 最终成绩 88"),
        ("u-1 graded good for 2022-Q1", "u-1 graded good for 2022-Q1"),
        ("u-10: score 3", "u-10: score 3"),
    ],
)
def test_a_reason_loses_only_its_unit_prefix(text: str, expected: str) -> None:
    assert expected == without_unit(text, "u-1")


# -- filters and order -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("2022-Q1", {"2022-Q1"}),
        ("2022-H1", {"2022-Q1", "2022-Q2", "2022-H1"}),
        ("2022-H2", {"2022-Q3", "2022-Q4", "2022-H2"}),
        ("2022", {"2022-Q1", "2022-Q2", "2022-Q3", "2022-Q4", "2022-H1", "2022-H2", "2022"}),
    ],
)
def test_period_keeps_the_tables_of_the_periods_within_it(
    capsys: pytest.CaptureFixture[str], period: str, expected: set[str]
) -> None:
    found = tables(capsys, EXAMPLE, "--period", period)
    assert expected == {t["period"] for t in found}


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ("2023", "civpolicy: no ranking for 2023 (did you mean '2022'?); the periods ranked: 2022-Q1, 2022, 2022-Q2\n"),
        ("2022-Q5", "civpolicy: not a period: '2022-Q5' (expected 2022, 2022-H1, 2022-Q3 or 2022-05)\n"),
        ("Q1", "civpolicy: not a period: 'Q1' (expected 2022, 2022-H1, 2022-Q3 or 2022-05)\n"),
    ],
)
def test_an_unknown_period_is_bad_input(
    capsys: pytest.CaptureFixture[str], small: str, period: str, message: str
) -> None:
    assert (2, "", message) == run(capsys, "rank", small, "--period", period)


def test_tables_are_in_the_category_vocabulary_s_order_then_by_period(capsys: pytest.CaptureFixture[str]) -> None:
    found = tables(capsys, EXAMPLE)
    order = [term.id for term in civpolicy.load_policy().model.vocabularies["unit_categories"]]
    # Periods as the meetings come: by end, the shorter first (2022-Q4 before 2022-H2 before 2022).
    periods = [parse_period(t["period"]) for t in found]
    keys = [(order.index(t["category"]), p.end, p.months) for t, p in zip(found, periods, strict=True)]
    assert sorted(keys) == keys
    key_task = [t["period"] for t in found if t["category"] == "key_task"]
    assert ["2022-Q1", "2022-Q2", "2022-Q3", "2022-Q4", "2022"] == key_task
    assert order == list(dict.fromkeys(t["category"] for t in found))  # the example ranks every category


def test_the_output_does_not_depend_on_the_order_of_the_facts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    forward, backward = tmp_path / "forward.yaml", tmp_path / "backward.yaml"
    forward.write_text(facts_text(), encoding="utf-8")
    backward.write_text(facts_text(reverse=True), encoding="utf-8")
    for form in ("table", "json", "csv", "markdown"):
        first = run(capsys, "rank", str(forward), "--format", form)
        assert (0, first[1]) == run(capsys, "rank", str(backward), "--format", form)[:2]


def test_league_tables_are_made_from_the_report_rows_alone() -> None:
    """The tables are the report's rows grouped and sorted: nothing is ranked again, any row order gives the same."""
    policy = civpolicy.load_policy()
    facts = policy.read_facts({"units": [{"id": i, "category": "linked"} for i in ("p", "q", "r")]})
    rows = [
        ReportRow({"unit": "r", "period": "2022-Q1", "category": "linked", "score": 70, "rank": 3, "size": 3}),
        ReportRow({"unit": "q", "period": "2022-Q1", "score": 80, "rank": 1, "size": 3}),  # the register's category
        ReportRow({"unit": "p", "period": "2022-Q1", "category": "linked", "score": 80, "rank": 1, "size": 3}),
        ReportRow({"unit": "p", "period": "2022-Q2", "category": "linked", "score": None, "rank": None}),
    ]
    made = [
        leagues(policy.model, Decision("sha256:x", (), {"grades": tuple(order)}), facts)
        for order in (rows, list(reversed(rows)))
    ]
    assert made[0] == made[1]
    (table,) = made[0].tables  # 2022-Q2 ranks nobody: no table
    assert ("linked", "2022-Q1", 3) == (table.group, table.period, table.size)
    assert [(1, "p"), (1, "q"), (3, "r")] == [(e.rank, e.unit) for e in table.entries]


# -- formats and languages ---------------------------------------------------------------


def test_json_shape(capsys: pytest.CaptureFixture[str], small: str) -> None:
    code, out, _ = run(capsys, "rank", small, "--format", "json")
    data = json.loads(out)
    assert (0, ["policy", "report", "tables"]) == (code, list(data))
    assert "grades" == data["report"]
    table = data["tables"][0]
    assert ["category", "period", "size", "rows", "label"] == list(table)
    row = table["rows"][0]
    assert ["rank", "unit", "name", "score"] == list(row)[:4]
    assert {"grade", "basis", "how", "because", "labels"} <= set(row)
    good = [r for t in data["tables"] for r in t["rows"] if r["grade"] == "good"]
    assert good and all("good" == r["labels"]["grade"] for r in good)
    assert all(
        t["label"] in ("unit with key tasks (graded each quarter)", "community (village) of the central urban area")
        for t in data["tables"]
    )


def test_csv_has_one_line_per_unit_and_period(capsys: pytest.CaptureFixture[str], small: str) -> None:
    found = tables(capsys, small)
    code, out, _ = run(capsys, "rank", small, "--format", "csv")
    lines = list(csv.reader(io.StringIO(out, newline="")))
    assert 0 == code
    # the shipped policy's field_labels head its columns: size is its "group size"
    assert ["category", "period", "group size", "rank", "unit", "name", "score"] == lines[0][:7]
    assert "how the score was made" == lines[0][-1]
    assert sum(len(t["rows"]) for t in found) == len(lines) - 1
    assert all(len(line) == len(lines[0]) for line in lines)
    tie = [line for line in lines if line[1] == "2022-Q1" and line[4] in ("b-bureau", "c-bureau")]
    assert [["2", "乙局", "85"], ["2", "丙局", "85"]] == [[line[3], line[5], line[6]] for line in tie]


def test_markdown_has_a_heading_and_a_table_per_group_and_period(
    capsys: pytest.CaptureFixture[str], small: str
) -> None:
    found = tables(capsys, small)
    code, out, _ = run(capsys, "rank", small, "--format", "markdown")
    headings = [line for line in out.splitlines() if line.startswith("### ")]
    assert (0, len(found)) == (code, len(headings))
    assert "### unit with key tasks (graded each quarter), 2022-Q1 (4 units ranked)" in headings
    assert "| rank | unit | name | score |" in out
    assert "| 2 | b-bureau | 乙局 | 85 |" in out
    assert all(line.startswith("|") and line.endswith("|") for line in out.splitlines() if "|" in line)


def test_the_table_for_a_terminal(capsys: pytest.CaptureFixture[str], small: str) -> None:
    code, out, err = run(capsys, "rank", small, "--period", "2022-Q1")
    lines = out.splitlines()
    assert (0, "") == (code, err)
    assert "community (village) of the central urban area, 2022-Q1 (2 units ranked)" == lines[0]
    assert ["rank", "unit", "name", "score"] == lines[1].split()[:4]
    assert lines[-1].startswith("2 table(s); policy sha256:")


def test_chinese_headings_and_labels(capsys: pytest.CaptureFixture[str], small: str) -> None:
    code, out, _ = run(capsys, "rank", small, "--period", "2022-Q1", "--language", "zh")
    lines = out.splitlines()
    assert 0 == code
    assert "承担重点任务的单位 · 2022-Q1（4 个单位参加排名）" in lines
    assert ["名次", "单位", "名称", "成绩"] == lines[1].split()[:4]
    assert "由成绩评出" in out and "直接给出" in out
    zh = {term.id: term.zh for term in civpolicy.load_policy().model.vocabularies["grades"]}
    rows = table_of(tables(capsys, small, "--period", "2022-Q1"), "key_task", "2022-Q1")["rows"]
    expected = {row["unit"]: zh[row["grade"]] for row in rows if row["rank"] is not None}
    assert {
        line.split()[1]: line.split()[4] for line in lines if line.split()[1:2] in ([u] for u in expected)
    } == expected
    assert set(expected.values()) <= {"好", "中", "差"}
    assert "最终成绩" in out  # the reasons in Chinese
    assert lines[-1].startswith("2 张排名表；政策 sha256:")


def test_a_policy_s_field_labels_head_its_columns(
    capsys: pytest.CaptureFixture[str], small: str, tmp_path: Path
) -> None:
    shipped = run(capsys, "rank", small, "--period", "2022-Q1", "--format", "csv")[1]
    assert "grade" in shipped.splitlines()[0].split(",")  # the shipped policy's field_labels: grade, 等次
    folder = copy_policy(tmp_path / "policy")
    edit(folder, "scoring.yaml", "    - {id: grade, zh: 等次, en: grade}\n", "    - {id: grade, zh: 档次, en: tier}\n")
    zh = run(capsys, "rank", small, "--policy", str(folder), "--period", "2022-Q1", "--language", "zh")[1]
    en = run(capsys, "rank", small, "--policy", str(folder), "--period", "2022-Q1", "--format", "csv")[1]
    assert ("档次" in zh.splitlines()[1].split(), "等次" in zh.splitlines()[1].split()) == (True, False)
    assert ("tier" in en.splitlines()[0].split(","), "grade" in en.splitlines()[0].split(",")) == (True, False)
    assert {"好", "中", "差"} & set(zh.split())


@pytest.mark.skipif(not durable_available(), reason="durable-rules is not installed here")
@pytest.mark.parametrize("command", [("rank",), ("bulletin", "--month", "2022-09")], ids=["rank", "bulletin"])
def test_both_engines_publish_the_same(capsys: pytest.CaptureFixture[str], command: tuple[str, ...]) -> None:
    native = run(capsys, command[0], EXAMPLE, *command[1:], "--format", "json", "--engine", "native")
    assert (0, native[1]) == run(capsys, command[0], EXAMPLE, *command[1:], "--format", "json", "--engine", "durable")[
        :2
    ]


# -- bad input ---------------------------------------------------------------------------


def test_bad_facts_are_told_with_file_line_and_field(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("units:\n  - {id: a, category: key_task}\nscores:\n  - {unit: a, period: 2022-Q1, score: 900}\n")
    code, out, err = run(capsys, "rank", str(path))
    assert (2, "") == (code, out)
    assert err.startswith(f"{path}:4:") and "scores[0].score" in err


def test_a_policy_that_ranks_nothing_is_bad_input(
    capsys: pytest.CaptureFixture[str], small: str, tmp_path: Path
) -> None:
    folder = copy_policy(tmp_path / "policy")
    edit(
        folder,
        "scoring.yaml",
        "fields: [unit, period, grade, basis, category, score, rank, size]",
        "fields: [unit, period, grade, basis]",
    )
    code, out, err = run(capsys, "rank", small, "--policy", str(folder))
    assert (2, "") == (code, out)
    assert (
        "civpolicy: the policy reports no ranking: none of its reports (grades) has the fields rank and score\n" == err
    )


@pytest.mark.parametrize("command", ["rank", "bulletin"])
def test_help_ends_with_the_exit_codes(capsys: pytest.CaptureFixture[str], command: str) -> None:
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    out = capsys.readouterr().out
    status = out[out.index("\nexit status:\n") :]
    assert 0 == done.value.code
    assert [0, 1, 2] == [int(line.split()[0]) for line in status.splitlines()[2:] if line[2:3] != " "]


def test_a_misspelt_format_names_the_one_meant(capsys: pytest.CaptureFixture[str], small: str) -> None:
    with pytest.raises(SystemExit) as done:
        main(["rank", small, "--format", "markdwn"])
    assert 2 == done.value.code
    assert capsys.readouterr().err.rstrip().endswith("(did you mean 'markdown'?)")


def test_labels_of_the_shipped_policy() -> None:
    labels = Labels(civpolicy.load_policy().model, "zh")
    assert ("名次", "中心城区社区（行政村）", "好", "否") == (
        labels.heading("rank"),
        labels.term("unit_categories", "community"),
        labels.term("grades", "good"),
        labels.term(None, False),
    )
