"""``civpolicy bulletin``: the month's bulletin (月通报): points sampled, the month's facts, its consequences."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import civpolicy
from civpolicy.cli import main
from civpolicy.reports.bulletin import bulletin
from civpolicy.reports.sampling import plan_for_facts
from command_runs import run, write_facts

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = str(ROOT / "examples" / "county-2022-scores.yaml")

UNITS = [
    "  - {id: d-bureau, name: 丁局, category: key_task}",
    "  - {id: a-bureau, name: 甲局, category: key_task}",
    "  - {id: x-community, name: 东社区, category: community}",
    "  - {id: y-community, name: 西社区, category: community}",
    "  - {id: z-community, name: 南社区, category: community}",
]
SCORES = [
    "  - {unit: x-community, period: 2022-Q2, score: 88}",
    "  - {unit: y-community, period: 2022-Q2, score: 80}",
    "  - {unit: z-community, period: 2022-Q2, score: 84}",
    "  - {unit: x-community, period: 2022-05, kind: bulletin, score: 91}",
    "  - {unit: y-community, period: 2022-05, kind: bulletin, score: 79}",
    "  - {unit: z-community, period: 2022-06, kind: bulletin, score: 83}",
]
CRITICISMS = [
    "  - {unit: d-bureau, bulletin: 2022-04}",
    "  - {unit: d-bureau, bulletin: 2022-05}",
    "  - {unit: a-bureau, bulletin: 2022-05}",
]
POINTS = [
    "  - {unit: x-community, id: x-market, name: 东市场}",
    "  - {unit: y-community, id: y-square, name: 西广场}",
]


def facts_text(reverse: bool = False) -> str:
    order = (lambda lines: list(reversed(lines))) if reverse else list
    parts = ["units:", *order(UNITS), "scores:", *order(SCORES), "criticisms:", *order(CRITICISMS)]
    return "\n".join([*parts, "field_points:", *order(POINTS), ""])


@pytest.fixture
def small(tmp_path: Path) -> str:
    return write_facts(tmp_path, facts_text())


def as_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    code, out, _ = run(capsys, "bulletin", *args, "--format", "json")
    assert 0 == code
    data: dict[str, Any] = json.loads(out)
    return data


def test_the_points_are_those_sample_plans(capsys: pytest.CaptureFixture[str], small: str) -> None:
    for seed in ("0", "7"):
        data = as_json(capsys, small, "--month", "2022-05", "--seed", seed)
        plan = plan_for_facts(civpolicy.load_policy(), small, "2022-05", int(seed)).to_dict()
        assert [{k: p[k] for k in ("id", "unit", "kind")} for p in data["points"]] == plan["points"]
        assert (plan["month"], plan["seed"], plan["cycle"], plan["of"]) == (
            data["month"],
            data["seed"],
            data["cycle"],
            data["of"],
        )


def test_every_point_is_sampled_once_a_quarter(capsys: pytest.CaptureFixture[str], small: str) -> None:
    months = [as_json(capsys, small, "--month", month)["points"] for month in ("2022-04", "2022-05", "2022-06")]
    ids = sorted(p["id"] for points in months for p in points)
    assert ["x-community", "x-market", "y-community", "y-square", "z-community"] == ids
    names = {p["id"]: p["name"] for points in months for p in points}
    assert ("东社区", "东社区") == (names["x-community"], names["x-market"])  # a point is told by its unit's name


def test_the_month_s_scores_and_the_units_named(capsys: pytest.CaptureFixture[str], small: str) -> None:
    facts = as_json(capsys, small, "--month", "2022-05")["facts"]
    assert ["criticisms", "scores"] == sorted(facts)
    scored = [(r["unit"], r["name"], r["kind"], r["score"]) for r in facts["scores"]]
    assert [("x-community", "东社区", "bulletin", 91), ("y-community", "西社区", "bulletin", 79)] == scored
    assert [("a-bureau", "甲局"), ("d-bureau", "丁局")] == [(r["unit"], r["name"]) for r in facts["criticisms"]]
    june = as_json(capsys, small, "--month", "2022-06")["facts"]
    assert {"scores": [("z-community", 83)]} == {k: [(r["unit"], r["score"]) for r in v] for k, v in june.items()}


def test_the_consequences_given_in_the_month(capsys: pytest.CaptureFixture[str], small: str) -> None:
    may = as_json(capsys, small, "--month", "2022-05")["consequences"]
    assert [("d-bureau", "丁局", "accountability.interview", "2022-05")] == [
        (c["unit"], c["name"], c["kind"], c["period"]) for c in may
    ]
    assert "四（四）" == may[0]["source"] and may[0]["because"]
    assert [] == as_json(capsys, small, "--month", "2022-04")["consequences"]  # one criticism: no interview yet


def test_the_example_s_months(capsys: pytest.CaptureFixture[str]) -> None:
    september = as_json(capsys, EXAMPLE, "--month", "2022-09")
    november = as_json(capsys, EXAMPLE, "--month", "2022-11")
    assert [("housing-construction-bureau", "accountability.interview")] == [
        (c["unit"], c["kind"]) for c in september["consequences"]
    ]
    assert [("housing-construction-bureau", "accountability.written_self_examination")] == [
        (c["unit"], c["kind"]) for c in november["consequences"]
    ]
    assert all(r["kind"] == "bulletin" for r in september["facts"]["scores"])
    assert {p["unit"] for p in september["points"]} <= set(civpolicy.load_policy().read_facts(EXAMPLE).units)


def test_the_bulletin_is_a_function_of_the_decision() -> None:
    policy = civpolicy.load_policy()
    facts = policy.read_facts(
        {
            "units": [{"id": "u", "name": "某局", "category": "key_task"}],
            "criticisms": [{"unit": "u", "bulletin": "2022-05"}],
        }
    )
    found = bulletin(policy.model, facts, policy.evaluate(facts), "2022-05")
    assert ("2022-05", {"u": "某局"}, ()) == (found.month, found.names, found.consequences)
    assert [("criticism", ({"unit": "u", "name": "某局"},))] == [(f.input.name, f.rows) for f in found.facts]


def test_json_shape(capsys: pytest.CaptureFixture[str], small: str) -> None:
    data = as_json(capsys, small, "--month", "2022-05", "--language", "zh")
    assert ["policy", "month", "seed", "cycle", "points", "of", "facts", "consequences"] == list(data)
    assert all(["id", "unit", "kind", "name"] == list(p) for p in data["points"])
    assert all({"月通报量化打分"} == set(r["labels"].values()) for r in data["facts"]["scores"])
    assert ["unit", "kind", "period", "params", "rule", "source", "because"] == list(data["consequences"][0])[:7]
    assert "截至 2022-05" in data["consequences"][0]["because"][0]  # reasons in the language asked


def test_the_table_for_a_terminal(capsys: pytest.CaptureFixture[str], small: str) -> None:
    code, out, _ = run(capsys, "bulletin", small, "--month", "2022-05")
    assert 0 == code
    titles = [line for line in out.splitlines() if line and not line[0].isspace() and "  " not in line]
    assert titles[0].startswith("points sampled in 2022-05: ")
    assert "Named for criticism in a monthly bulletin (criticisms: 2)" in titles
    assert "consequences in 2022-05: 1" in titles
    assert out.splitlines()[-1].startswith("policy sha256:")


def test_chinese(capsys: pytest.CaptureFixture[str], small: str) -> None:
    code, out, _ = run(capsys, "bulletin", small, "--month", "2022-05", "--language", "zh")
    assert 0 == code
    assert "月通报中被通报批评（criticisms，2 条）" in out
    assert "2022-05 的后果：1 项" in out
    assert "约谈单位主要负责人" in out
    lines = out.splitlines()
    assert ["编号", "类型", "单位", "名称"] == lines[1].split()
    assert {"社区网格", "实地考察点位"} & set(out.split())


def test_markdown_has_a_heading_and_a_table_per_part(capsys: pytest.CaptureFixture[str], small: str) -> None:
    code, out, _ = run(capsys, "bulletin", small, "--month", "2022-05", "--format", "markdown")
    headings = [line for line in out.splitlines() if line.startswith("### ")]
    assert (0, 4) == (code, len(headings))  # the points, criticisms, scores, the consequences
    assert "| unit | name | kind | score |" in out
    assert "| x-community | 东社区 | monthly bulletin score | 91 |" in out


def test_a_month_without_anything(capsys: pytest.CaptureFixture[str], small: str) -> None:
    data = as_json(capsys, small, "--month", "2023-02")
    assert ({}, []) == (data["facts"], data["consequences"])
    code, out, _ = run(capsys, "bulletin", small, "--month", "2023-02", "--format", "markdown")
    assert 0 == code and out.endswith("### consequences in 2023-02: 0\n\n—\n")


def test_the_output_does_not_depend_on_the_order_of_the_facts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    forward, backward = tmp_path / "forward.yaml", tmp_path / "backward.yaml"
    forward.write_text(facts_text(), encoding="utf-8")
    backward.write_text(facts_text(reverse=True), encoding="utf-8")
    for form in ("table", "json", "markdown"):
        first = run(capsys, "bulletin", str(forward), "--month", "2022-05", "--format", form)
        assert (0, first[1]) == run(capsys, "bulletin", str(backward), "--month", "2022-05", "--format", form)[:2]


@pytest.mark.parametrize("month", ["2022-13", "2022-5", "2022-Q2", "2022", "May"])
def test_a_bad_month_is_bad_input(capsys: pytest.CaptureFixture[str], small: str, month: str) -> None:
    expected = f"civpolicy: not a month: {month!r} (expected YYYY-MM, like 2022-05)\n"
    assert (2, "", expected) == run(capsys, "bulletin", small, "--month", month)


def test_bad_facts_are_told_with_file_line_and_field(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("units:\n  - {id: a, category: community}\ncriticisms:\n  - {unit: a, bulletin: 2022-Q2}\n")
    code, out, err = run(capsys, "bulletin", str(path), "--month", "2022-05")
    assert (2, "") == (code, out)
    assert err.startswith(f"{path}:4:") and "criticisms[0].bulletin" in err


def test_the_month_is_required(capsys: pytest.CaptureFixture[str], small: str) -> None:
    with pytest.raises(SystemExit) as done:
        main(["bulletin", small])
    assert 2 == done.value.code
    assert "the following arguments are required: --month" in capsys.readouterr().err
