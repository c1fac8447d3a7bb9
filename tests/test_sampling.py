"""The monthly bulletin's sampling plan: about a third of the points each month, every point once a quarter."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import civpolicy
from civpolicy import cli
from civpolicy.errors import FactsError, ParameterError
from civpolicy.reports.sampling import FIELD_POINT, GRID, Point, SamplePlan, plan_for_facts, plan_month

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "county-2022.yaml"

FIELD_POINTS_INPUT = """
  field_point:
    from: field_points
    description:
      zh: 月通报抽查的实地考察点位，属于一个社区（行政村）
      en: A field inspection point sampled by the monthly bulletin, in a community (village)
    says: "{unit}: field inspection point {point}"
    key: [unit, point]
    fields:
      unit: {type: unit, required: true}
      id: {type: text, required: true, as: point}
      name: {type: text}
"""
"""The block to add under ``inputs:`` in policy/facts.yaml."""

FACTS = """\
units:
  - {id: dongyu, name: 东裕社区, category: community}
  - {id: paifang, name: 牌坊社区, category: community}
  - {id: fushou, name: 福寿社区, category: community}
  - {id: laojie, name: 老街社区, category: community}
  - {id: tanying, name: 谭营村, category: community}
  - {id: shedian, name: 赊店镇, category: township}
  - {id: police, name: 县公安局, category: key_task}
  - {id: nameless}
field_points:
  - {unit: dongyu, id: dongyu-market, name: 东裕农贸市场}
  - {unit: dongyu, id: dongyu-school}
  - {unit: paifang, id: paifang-square, name: 牌坊广场}
  - {unit: laojie, id: laojie-station}
  - {unit: tanying, id: tanying-clinic}
  - {unit: tanying, id: tanying-clinic}
  - {unit: fushou, id: fushou-park}
  - {unit: fushou, id: fushou-lane}
"""
GRIDS = {"dongyu", "paifang", "fushou", "laojie", "tanying"}
FIELD = {
    "dongyu-market",
    "dongyu-school",
    "paifang-square",
    "laojie-station",
    "tanying-clinic",
    "fushou-park",
    "fushou-lane",
}


def points_of(n: int, units: int = 4) -> list[Point]:
    return [Point(f"p{i:03d}", f"u{i % units}") for i in range(n)]


def quarter_months(year: int, quarter: int) -> list[str]:
    return [f"{year:04d}-{3 * (quarter - 1) + k + 1:02d}" for k in range(3)]


# -- hypothesis properties ------------------------------------------------------------------

names = st.text(alphabet="abcxyz01社区村-", min_size=1, max_size=6)
point_lists = st.lists(st.builds(Point, names, names, st.sampled_from(["", GRID, FIELD_POINT])), max_size=40)
seeds = st.integers(min_value=-(2**40), max_value=2**40)
months = st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(1000, 9999), st.integers(1, 12))
cycles = st.integers(1, 12)


@given(point_lists, months, seeds, cycles, st.randoms(use_true_random=False))
def test_same_inputs_give_the_same_plan_whatever_the_order(
    points: list[Point], month: str, seed: int, cycle: int, rnd: random.Random
) -> None:
    shuffled = list(points) + points[:3]  # duplicates count once
    rnd.shuffle(shuffled)
    assert plan_month(points, month, seed, cycle) == plan_month(shuffled, month, seed, cycle)


@given(point_lists, st.integers(1001, 9998), seeds, cycles, st.integers(0, 11))
def test_the_months_of_a_cycle_partition_the_points(
    points: list[Point], year: int, seed: int, cycle: int, offset: int
) -> None:
    start = year * 12 + offset - (year * 12 + offset) % cycle
    labels = [f"{(start + k) // 12:04d}-{(start + k) % 12 + 1:02d}" for k in range(cycle)]
    plans = [plan_month(points, label, seed, cycle) for label in labels]
    drawn = [p for plan in plans for p in plan.points]
    assert len(drawn) == len(set(drawn))  # disjoint
    assert set(drawn) == set(points)  # every point once
    assert {plan.cycle for plan in plans} == {plans[0].cycle}
    assert {plan.total for plan in plans} == {len(set(points))}


@given(point_lists, months, seeds, cycles)
def test_each_month_gets_floor_or_ceil_of_its_share(points: list[Point], month: str, seed: int, cycle: int) -> None:
    plan = plan_month(points, month, seed, cycle)
    total = len(set(points))
    assert plan.total == total
    assert len(plan.points) in {total // cycle, -(-total // cycle)}
    assert list(plan.points) == sorted(plan.points)
    assert [p.id for p in plan.points] == sorted(p.id for p in plan.points)


@given(months, seeds, seeds)
def test_different_seeds_give_different_plans(month: str, seed: int, other: int) -> None:
    if seed == other:
        other += 1
    points = points_of(60)  # 60!/(20!)^3 ways to deal a quarter: equal plans would be a broken seed
    assert plan_month(points, month, seed).points != plan_month(points, month, other).points


# -- unit tests -----------------------------------------------------------------------------


def test_a_quarter_visits_every_point_once() -> None:
    points = points_of(10)
    plans = [plan_month(points, month, seed=7) for month in quarter_months(2022, 2)]
    assert [len(plan.points) for plan in plans] == [4, 3, 3]
    assert sorted(p for plan in plans for p in plan.points) == sorted(points)
    assert {plan.cycle for plan in plans} == {"2022-Q2"}
    assert plans[1].to_dict()["of"] == 10
    assert plans[1].to_dict()["month"] == "2022-05"
    assert plans[1].to_dict()["seed"] == 7


def test_each_quarter_deals_the_points_anew() -> None:
    points = points_of(30)
    april, july = plan_month(points, "2022-04", 1), plan_month(points, "2023-04", 1)
    assert april.cycle == "2022-Q2"
    assert july.cycle == "2023-Q2"
    assert april.points != july.points


def test_cycle_labels() -> None:
    points = points_of(5)
    assert plan_month(points, "2022-05", 0, 1).cycle == "2022-05"
    assert plan_month(points, "2022-05", 0, 6).cycle == "2022-H1"
    assert plan_month(points, "2022-05", 0, 12).cycle == "2022"
    assert plan_month(points, "2022-05", 0, 1).points == tuple(points)  # a one-month cycle visits every point


def test_no_points_is_an_empty_plan() -> None:
    assert SamplePlan("2022-05", 0, "2022-Q2", (), 0) == plan_month([], "2022-05")


def test_the_plan_is_the_same_in_another_process() -> None:
    points = points_of(25)
    code = (
        "import json; from civpolicy.reports.sampling import Point, plan_month;"
        "points = [Point(f'p{i:03d}', f'u{i % 4}') for i in range(25)];"
        "print(json.dumps([plan_month(points, m, 42).to_dict() for m in ('2022-04', '2022-05', '2022-06')]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT / "src")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    here = [plan_month(points, m, 42).to_dict() for m in ("2022-04", "2022-05", "2022-06")]
    assert here == json.loads(result.stdout)


def test_the_plan_is_pinned() -> None:
    """Plans already published stay valid: a change of the algorithm (or of random.shuffle) shows here."""
    plans = [[p.id for p in plan_month(points_of(9), month, 0).points] for month in quarter_months(2022, 2)]
    assert [["p000", "p005", "p008"], ["p001", "p003", "p007"], ["p002", "p004", "p006"]] == plans


@pytest.mark.parametrize(
    "month", ["2022-13", "2022-00", "2022-5", "22-05", "2022", "2022-Q2", "2022-H1", "", " 2022-05"]
)
def test_a_bad_month_is_refused(month: str) -> None:
    with pytest.raises(ParameterError, match="not a month"):
        plan_month(points_of(3), month)


@pytest.mark.parametrize("month", [202205, None, 2022.5])
def test_a_month_that_is_not_text_is_refused(month: object) -> None:
    with pytest.raises(ParameterError, match="not a month"):
        plan_month(points_of(3), month)  # type: ignore[arg-type]


@pytest.mark.parametrize(("seed", "cycle"), [(1.5, 3), (True, 3), ("1", 3), (0, 0), (0, -3), (0, 2.0)])
def test_a_bad_seed_or_cycle_is_refused(seed: object, cycle: object) -> None:
    with pytest.raises(ParameterError):
        plan_month(points_of(3), "2022-05", seed, cycle)  # type: ignore[arg-type]


# -- facts files ----------------------------------------------------------------------------


def policy_with_field_points(tmp_path: Path) -> Path:
    """A copy of the shipped policy with the field_point input (once it ships, the copy as is)."""
    folder = tmp_path / "policy"
    shutil.copytree(ROOT / "policy", folder)
    facts_yaml = folder / "facts.yaml"
    text = facts_yaml.read_text(encoding="utf-8")
    if "field_point:" not in text:
        facts_yaml.write_text(text.rstrip("\n") + "\n" + FIELD_POINTS_INPUT, encoding="utf-8")
    return folder


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return policy_with_field_points(tmp_path)


@pytest.fixture
def facts_file(tmp_path: Path) -> Path:
    path = tmp_path / "facts.yaml"
    path.write_text(FACTS, encoding="utf-8")
    return path


def test_the_plan_of_a_facts_file(folder: Path, facts_file: Path) -> None:
    policy = civpolicy.load_policy(folder)
    plans = [plan_for_facts(policy, facts_file, month, seed=3) for month in quarter_months(2022, 2)]
    drawn = [p for plan in plans for p in plan.points]
    assert len(drawn) == len(set(drawn)) == 12
    assert {p.id for p in drawn if p.kind == GRID} == GRIDS
    assert {p.id for p in drawn if p.kind == FIELD_POINT} == FIELD
    assert all(p.id == p.unit for p in drawn if p.kind == GRID)
    assert next(p for p in drawn if p.id == "fushou-park").unit == "fushou"
    assert [len(plan.points) for plan in plans] == [4, 4, 4]
    assert {plan.total for plan in plans} == {12}
    same = plan_for_facts(policy, policy.read_facts(facts_file), "2022-05", seed=3)
    assert same == plans[1]


def test_a_facts_file_without_field_points_plans_the_community_grids() -> None:
    policy = civpolicy.load_policy()
    plans = [plan_for_facts(policy, EXAMPLE, month) for month in quarter_months(2022, 3)]
    drawn = [p for plan in plans for p in plan.points]
    assert len(drawn) == len(set(drawn)) == 6
    assert {p.kind for p in drawn} == {GRID}
    assert all(p.id.endswith(("-community", "-village")) for p in drawn)


def test_a_field_point_of_an_unknown_unit_is_a_facts_error(folder: Path) -> None:
    policy = civpolicy.load_policy(folder)
    facts = {"units": [{"id": "a", "category": "community"}], "field_points": [{"unit": "b", "id": "x"}]}
    with pytest.raises(FactsError, match="no unit 'b'"):
        plan_for_facts(policy, facts, "2022-05")


# -- the command ----------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_sample_json(capsys: pytest.CaptureFixture[str], folder: Path, facts_file: Path) -> None:
    code, out, err = run(
        capsys, "sample", str(facts_file), "--month", "2022-05", "--seed", "3", "--policy", str(folder)
    )
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert list(data) == ["month", "seed", "cycle", "points", "of"]
    assert (data["month"], data["seed"], data["cycle"], data["of"]) == ("2022-05", 3, "2022-Q2", 12)
    assert all(list(p) == ["id", "unit", "kind"] and p["kind"] in {GRID, FIELD_POINT} for p in data["points"])
    expected = plan_for_facts(civpolicy.load_policy(folder), facts_file, "2022-05", 3)
    assert data == expected.to_dict()


def test_sample_table(capsys: pytest.CaptureFixture[str], folder: Path, facts_file: Path) -> None:
    args = ("sample", str(facts_file), "--month", "2022-06", "--policy", str(folder), "--format", "table")
    code, out, err = run(capsys, *args)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["id", "unit", "kind"]
    assert lines[-1] == "4 of 12 point(s) in 2022-06 (cycle 2022-Q2, seed 0)"
    assert len(lines) == 2 + 4 + 2


@pytest.mark.parametrize("month", ["2022-13", "2022-5", "2022-Q2"])
def test_sample_a_bad_month(capsys: pytest.CaptureFixture[str], folder: Path, facts_file: Path, month: str) -> None:
    code, out, err = run(capsys, "sample", str(facts_file), "--month", month, "--policy", str(folder))
    assert (code, out) == (2, "")
    assert err == f"civpolicy: not a month: {month!r} (expected YYYY-MM, like 2022-05)\n"


def test_sample_bad_facts(capsys: pytest.CaptureFixture[str], folder: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("units:\n  - {id: a, category: community}\nfield_points:\n  - {unit: a}\n", encoding="utf-8")
    code, out, err = run(capsys, "sample", str(path), "--month", "2022-05", "--policy", str(folder))
    assert (code, out) == (2, "")
    assert f"{path}:4:5: field_points[0]:" in err
    assert "id" in err


def test_sample_a_missing_facts_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.yaml")
    code, out, err = run(capsys, "sample", missing, "--month", "2022-05")
    assert (code, out, err) == (2, "", f"{missing}:1:1: no such facts file\n")
