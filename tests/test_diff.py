"""civpolicy diff: what a change of the policy folder changes, for whom."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

import civpolicy
from civpolicy import cli
from civpolicy.authoring.diff import Change, GradeChange, diff_decisions
from civpolicy.authoring.generated import generate_facts
from civpolicy.authoring.impact import diff_policies
from civpolicy.decision.values import Consequence, Decision, ReportRow
from civpolicy.errors import ParameterError, PolicyError
from policy_copies import set_parameter

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "county-2022.yaml"
SUSPEND = "civilized_unit_bonus.suspend"
WITHHOLD = "civilized_unit_bonus.withhold_year"
ADMONISHMENT = "accountability.admonishment"
STREAK = "length: $params.year_withhold_streak"
"""The condition of streak_withholding (evaluation.yaml): the streak's length that withholds a year."""


def quarters(unit: str, grades: dict[str, str]) -> list[dict[str, str]]:
    return [{"unit": unit, "period": period, "grade": grade} for period, grade in grades.items()]


FACTS: dict[str, Any] = {
    "units": [
        {"id": "a", "category": "key_task", "civilized_unit": True},
        {"id": "b", "category": "key_task", "civilized_unit": True},
        {"id": "c", "category": "community", "civilized_unit": True},
        {"id": "d", "category": "linked"},
        {"id": "e", "category": "other_task", "civilized_unit": True, "vertically_managed": True},
    ],
    "evaluations": [
        # two poor quarters: suspended twice under 3; under 2 the year is withheld, and its
        # quarters are not suspended as well (no quarter's bonus is taken twice)
        *quarters("a", {"2022-Q1": "poor", "2022-Q2": "poor", "2022-Q3": "good"}),
        # one poor quarter: the same under both
        *quarters("b", {"2022-Q1": "poor", "2022-Q2": "medium"}),
        # a streak across the year withholds one year, that of the quarter it reaches the number
        # in: under 3, 2023 (2022-Q3 and Q4 suspended); under 2, 2022 (2023-Q1 suspended)
        *quarters("c", {"2022-Q3": "poor", "2022-Q4": "poor", "2023-Q1": "poor", "2023-Q2": "good"}),
        # not a civilized unit, and a vertically managed one: no bonus rows under either
        *quarters("d", {"2022-Q1": "poor", "2022-Q2": "poor"}),
        *quarters("e", {"2022-Q1": "poor", "2022-Q2": "poor"}),
        {"unit": "d", "period": "2022", "grade": "poor"},
    ],
}


def copy_policy(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    shutil.copytree(ROOT / "policy", folder)
    return folder


def edit(folder: Path, old: str, new: str, file: str = "linkages.yaml") -> None:
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} should occur once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def delete_rule(folder: Path, rule_id: str) -> None:
    path = folder / "linkages.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index(f"  - id: {rule_id}\n")
    end = text.find("\n  - id: ", start + 1)
    path.write_text(text[:start] + (text[end + 1 :] if end != -1 else ""), encoding="utf-8")


@pytest.fixture
def old(tmp_path: Path) -> Path:
    return copy_policy(tmp_path, "policy")


@pytest.fixture
def new(tmp_path: Path) -> Path:
    return copy_policy(tmp_path, "policy-new")


@pytest.fixture
def streak2(new: Path) -> Path:
    """The new copy with year_withhold_streak 3 → 2."""
    set_parameter(new, "year_withhold_streak", 2)
    return new


def summary(change: Change) -> tuple[str, str, str, str]:
    return (change.unit, change.kind, change.period, change.rule)


# -- diff_policies ---------------------------------------------------------------------------


def test_a_shorter_streak_withholds_years_instead_of_quarters(old: Path, streak2: Path) -> None:
    result = diff_policies(old, streak2, FACTS)
    assert result.changed
    assert [u.unit for u in result.units] == ["a", "c"]
    lost = [summary(c)[:3] for u in result.units for c in u.lost]
    gained = [summary(c)[:3] for u in result.units for c in u.gained]
    assert [
        ("a", SUSPEND, "2022-Q1"),
        ("a", SUSPEND, "2022-Q2"),
        ("c", SUSPEND, "2022-Q3"),
        ("c", SUSPEND, "2022-Q4"),
        ("c", WITHHOLD, "2023"),
    ] == lost
    assert [("a", WITHHOLD, "2022"), ("c", WITHHOLD, "2022"), ("c", SUSPEND, "2023-Q1")] == gained
    assert all(c.rule == c.kind for u in result.units for c in (*u.lost, *u.gained))
    a = result.units[0]
    assert a.lost[0].source == a.gained[0].source == "二（四）2"
    assert a.lost[0].because[-1] == "the bonus of 2022 is not withheld from a for a poor streak"
    assert (
        a.gained[0].because[-1] == "a: the poor streak reaches 2 quarters in 2022-Q2, so the bonus of 2022 is withheld"
    )
    assert not any(c.changed for u in result.units for c in (*u.lost, *u.gained))
    assert all(u.grades == () for u in result.units)
    kinds = {k.kind: (k.units_gaining, k.units_losing, k.gained, k.lost, k.changed) for k in result.kinds}
    assert {SUSPEND: (1, 2, 1, 4, 0), WITHHOLD: (2, 1, 2, 1, 0)} == kinds
    assert (result.old_policy, result.new_policy) == (str(old), str(streak2))
    assert (result.facts, result.evaluated) == ("<facts>", 5)
    assert result.old_digest == civpolicy.load_policy(old).digest
    assert result.new_digest == civpolicy.load_policy(streak2).digest != result.old_digest


def test_a_shorter_streak_on_the_example_county(old: Path, streak2: Path) -> None:
    result = diff_policies(old, streak2, EXAMPLE)
    assert result.facts == str(EXAMPLE)
    assert result.evaluated == 40
    assert {k.kind for k in result.kinds} == {SUSPEND, WITHHOLD}
    changes = {
        u.unit: ([(c.kind, c.period) for c in u.lost], [(c.kind, c.period) for c in u.gained]) for u in result.units
    }
    # urban-management-bureau (2022-Q1..Q3 poor) and market-regulation-bureau (2022-Q2..2023-Q1)
    # have 2022 withheld under both, reached in another quarter: nothing changes for them.
    assert {
        # 2022-Q3..2023-Q1 poor: 2023 withheld under 3, 2022 under 2
        "fushou-community": (
            [(SUSPEND, "2022-Q3"), (SUSPEND, "2022-Q4"), (WITHHOLD, "2023")],
            [(WITHHOLD, "2022"), (SUSPEND, "2023-Q1")],
        ),
        # 2022-Q1, Q2 and Q4 poor: no streak of 3; under 2, 2022 is withheld and covers Q4 too
        "panhe-street": ([(SUSPEND, "2022-Q1"), (SUSPEND, "2022-Q2"), (SUSPEND, "2022-Q4")], [(WITHHOLD, "2022")]),
    } == changes


def test_deleting_a_rule_loses_every_consequence_it_gave_and_nothing_else(old: Path, new: Path) -> None:
    delete_rule(new, ADMONISHMENT)
    assert f"id: {ADMONISHMENT}" not in (new / "linkages.yaml").read_text(encoding="utf-8")
    for facts in (FACTS, EXAMPLE, None):
        result = diff_policies(old, new, facts, units=60)
        before = civpolicy.load_policy(old).evaluate(facts if facts is not None else generate_facts(0, 60))
        expected = [(c.unit, c.kind, c.period, c.rule) for c in before.consequences if c.kind == ADMONISHMENT]
        assert expected, "the facts should give admonishments"
        assert expected == [summary(c) for u in result.units for c in u.lost]
        assert [] == [c for u in result.units for c in u.gained]
        assert all(u.grades == () for u in result.units)
        assert [(k.kind, k.units_gaining, k.gained, k.changed) for k in result.kinds] == [(ADMONISHMENT, 0, 0, 0)]
        assert result.kinds[0].lost == len(expected)
        assert result.kinds[0].units_losing == len({u for u, *_ in expected})


def test_identical_policies_change_nothing(old: Path, new: Path) -> None:
    for facts in (FACTS, EXAMPLE, None):
        result = diff_policies(old, new, facts, units=50)
        assert not result.changed
        assert (result.units, result.kinds, result.grade_changes) == ((), (), ())
        assert result.to_table().startswith("no change: ")
        assert "no change: " in result.to_markdown()
        assert result.to_dict()["changed"] is False


def test_changed_params_are_lost_and_gained_and_marked(old: Path, new: Path) -> None:
    set_parameter(new, "quota_delta_poor", -5)
    result = diff_policies(old, new, EXAMPLE)
    assert [k.kind for k in result.kinds] == ["excellence_quota.adjust"]
    for unit in result.units:
        assert len(unit.lost) == len(unit.gained) == 1
        lost, gained = unit.lost[0], unit.gained[0]
        assert lost.changed and gained.changed
        assert (lost.kind, lost.period) == (gained.kind, gained.period)
        assert (lost.params["delta"], gained.params["delta"]) == (-10, -5)
        assert lost.rule == gained.rule == "excellence_quota.adjust.poor"
    kind = result.kinds[0]
    # Every unit still gets the kind for that year: none gains or loses it, each has it changed.
    counts = (kind.changed, kind.gained, kind.lost, kind.units_gaining, kind.units_losing)
    assert (len(result.units), 0, 0, 0, 0) == counts
    expected = ["parameter quota_delta_poor: -10 → -5, set by document → headquarters"]
    assert expected == list(result.policy_changes)
    assert "lost (changed)" in result.to_table()
    assert "params changed" in result.to_markdown()


def test_params_apply_to_both_policies(old: Path, streak2: Path) -> None:
    result = diff_policies(old, streak2, FACTS, params={"year_withhold_streak": 2})
    assert not result.changed


def test_an_invalid_policy_folder_names_its_problems(old: Path, new: Path, tmp_path: Path) -> None:
    edit(new, STREAK, "length: {less_than: $params.year_withhold_streak}", file="evaluation.yaml")
    with pytest.raises(PolicyError) as caught:
        diff_policies(old, new, FACTS)
    assert str(new / "evaluation.yaml") in str(caught.value)
    assert "unknown condition 'less_than'" in str(caught.value)
    missing = tmp_path / "missing"
    with pytest.raises(PolicyError) as both:
        diff_policies(missing, new, FACTS)
    assert {p.file for p in both.value.problems} == {str(missing), str(new / "evaluation.yaml")}


# -- diff_decisions ----------------------------------------------------------------------------


def consequence(
    unit: str, kind: str, period: str, params: dict[str, Any] | None = None, rule: str = "r"
) -> Consequence:
    return Consequence(unit, kind, period, params or {}, rule, "一（一）", (f"{unit} because",))


def grades(*rows: tuple[str, str, str]) -> dict[str, tuple[ReportRow, ...]]:
    return {"grades": tuple(ReportRow({"unit": u, "period": p, "grade": g, "basis": "given"}) for u, p, g in rows)}


def test_diff_decisions_is_generic_over_kinds_and_compares_grades() -> None:
    old = Decision(
        "sha256:old",
        (
            consequence("x", "k.one", "2022", {"n": 1}),
            consequence("x", "k.two", "2022-Q1"),
            consequence("y", "k", "2022"),
        ),
        grades(("x", "2022", "poor"), ("y", "2022-Q1", "good"), ("z", "2022", "medium")),
    )
    new = Decision(
        "sha256:new",
        (consequence("x", "k.one", "2022", {"n": 2}, rule="r2"), consequence("y", "k", "2022")),
        grades(("x", "2022", "poor"), ("y", "2022-Q1", "poor"), ("w", "2023", "good")),
    )
    result = diff_decisions(old, new)
    assert (result.old_digest, result.new_digest, result.facts, result.evaluated) == (
        "sha256:old",
        "sha256:new",
        "",
        None,
    )
    assert [u.unit for u in result.units] == ["w", "x", "y", "z"]
    x = result.units[1]
    assert [(c.kind, c.params, c.changed, c.rule) for c in x.lost] == [
        ("k.one", {"n": 1}, True, "r"),
        ("k.two", {}, False, "r"),
    ]
    assert [(c.kind, c.params, c.changed, c.rule) for c in x.gained] == [("k.one", {"n": 2}, True, "r2")]
    assert [
        GradeChange("w", "2023", None, "good"),
        GradeChange("y", "2022-Q1", "good", "poor"),
        GradeChange("z", "2022", "medium", None),
    ] == list(result.grade_changes)
    assert [(k.kind, k.units_gaining, k.units_losing, k.gained, k.lost, k.changed) for k in result.kinds] == [
        ("k.one", 0, 0, 0, 0, 1),
        ("k.two", 0, 1, 0, 1, 0),
    ]
    table = result.to_table()
    assert "old grade" in table
    assert "y     2022-Q1  good       poor" in table
    assert "- **grade** 2022-Q1: good → poor" in result.to_markdown()
    assert result.to_dict()["summary"]["units_with_grade_changes"] == 3


def test_decisions_without_grades_compare_consequences_only() -> None:
    old = Decision("sha256:a", (consequence("x", "k", "2022"),))
    assert not diff_decisions(old, old).changed
    assert diff_decisions(old, Decision("sha256:b", ())).units[0].lost[0].kind == "k"


# -- the generated population ----------------------------------------------------------------------


def test_the_generated_population_is_deterministic_and_valid() -> None:
    first = generate_facts(seed=7, units=120)
    assert first == generate_facts(seed=7, units=120)
    assert first != generate_facts(seed=8, units=120)
    assert json.dumps(first, sort_keys=True) == json.dumps(generate_facts(7, 120), sort_keys=True)
    facts = civpolicy.load_policy().read_facts(first)
    assert len(facts.units) == 120
    units = first["units"]
    assert [u["id"] for u in units] == [f"u{i:03d}" for i in range(120)]
    assert {u["category"] for u in units} == {"community", "township", "linked", "key_task", "other_task"}
    assert any(u["civilized_unit"] for u in units) and not all(u["civilized_unit"] for u in units)
    assert any(u.get("vertically_managed") for u in units)
    assert any("headcount" in u for u in units) and any("base_quota" not in u for u in units)
    evaluations = first["evaluations"]
    poor = sum(e["grade"] == "poor" for e in evaluations) / len(evaluations)
    assert 0.25 < poor < 0.45
    periods = {str(e["period"]) for e in evaluations}
    assert {"2022-Q1", "2023-Q4", "2022-H1", "2022", "2023"} <= periods
    assert first["criticisms"] and first["withholdings"] and first["rectifications"]
    decision = civpolicy.load_policy().evaluate(first)
    assert {SUSPEND, WITHHOLD, ADMONISHMENT, "accountability.interview"} <= {c.kind for c in decision.consequences}


def test_a_generated_diff_is_the_same_for_the_same_seed(old: Path, streak2: Path) -> None:
    first = diff_policies(old, streak2, seed=3, units=80)
    second = diff_policies(old, streak2, seed=3, units=80)
    assert first.to_dict() == second.to_dict()
    assert first.to_markdown() == second.to_markdown()
    assert first.facts == "generated: 80 units, seed 3"
    assert first.evaluated == 80
    assert first.changed
    assert diff_policies(old, streak2, seed=4, units=80).to_dict() != first.to_dict()


@pytest.mark.parametrize(("seed", "units"), [(0, 0), (0, -1), (1.5, 10), (0, True)])
def test_a_bad_population_size_or_seed_is_refused(seed: Any, units: Any) -> None:
    with pytest.raises(ParameterError):
        generate_facts(seed, units)


# -- outputs -------------------------------------------------------------------------------------


def test_outputs_are_stable_and_name_the_units(old: Path, streak2: Path) -> None:
    result = diff_policies(old, streak2, FACTS)
    again = diff_policies(old, streak2, FACTS)
    data = result.to_dict()
    assert json.dumps(data, ensure_ascii=False) == json.dumps(again.to_dict(), ensure_ascii=False)
    assert list(data) == ["old", "new", "facts", "units_evaluated", "changed", "policy_changes", "summary", "units"]
    changes = ["parameter year_withhold_streak: 3 → 2, set by document → headquarters"]
    assert changes == data["policy_changes"]
    assert data["old"] == {"policy": str(old), "digest": result.old_digest}
    assert data["changed"] is True
    assert [u["unit"] for u in data["units"]] == ["a", "c"]
    assert data["units"][0]["lost"] == [
        {
            "kind": SUSPEND,
            "period": period,
            "params": {},
            "changed": False,
            "rule": SUSPEND,
            "source": "二（四）2",
            "because": [
                "unit a: category key_task, civilized unit yes, vertically managed no",
                f"a graded poor for {period} (given)",
                "the bonus of 2022 is not withheld from a for a poor streak",
            ],
        }
        for period in ("2022-Q1", "2022-Q2")
    ]
    assert data["summary"]["kinds"][1] == {
        "kind": WITHHOLD,
        "units_gaining": 2,
        "units_losing": 1,
        "gained": 2,
        "lost": 1,
        "changed": 0,
        "recited": 0,
    }

    table = result.to_table()
    assert table == again.to_table()
    lines = table.splitlines()
    assert lines[:3] == ["policy changes:", *(f"- {change}" for change in changes), ""]
    lines = lines[3:]
    assert lines[0].split() == ["unit", "change", "period", "consequence", "params", "rule", "clause"]
    assert lines[2].split() == ["a", "lost", "2022-Q1", SUSPEND, SUSPEND, "二（四）2"]
    assert lines[3].split() == ["a", "gained", "2022", WITHHOLD, WITHHOLD, "二（四）2"]
    assert lines[4].split() == ["a", "lost", "2022-Q2", SUSPEND, SUSPEND, "二（四）2"]
    assert [line.split()[:3] for line in lines[5:10]] == [
        ["c", "gained", "2022"],
        ["c", "lost", "2022-Q3"],
        ["c", "lost", "2022-Q4"],
        ["c", "gained", "2023-Q1"],
        ["c", "lost", "2023"],
    ]
    assert "2 unit(s) changed" in table
    assert result.new_digest in table

    markdown = result.to_markdown()
    assert markdown == again.to_markdown()
    assert "| `civilized_unit_bonus.suspend` | 1 | 2 | 1 | 4 | 0 |" in markdown
    assert "## a\n" in markdown
    assert "## c\n" in markdown
    assert f"- **lost** `{SUSPEND}` 2022-Q4: rule `{SUSPEND}`, clause 二（四）2" in markdown
    assert f"- **gained** `{WITHHOLD}` 2022: rule `{WITHHOLD}`, clause 二（四）2" in markdown
    assert f"- **gained** `{SUSPEND}` 2023-Q1: rule `{SUSPEND}`, clause 二（四）2" in markdown
    assert f"- **lost** `{WITHHOLD}` 2023: rule `{WITHHOLD}`, clause 二（四）2" in markdown
    assert markdown.index("| consequence |") < markdown.index("## a")


# -- the command -------------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def facts_file(tmp_path: Path) -> Path:
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(FACTS), encoding="utf-8")
    return path


def test_diff_command_formats(capsys: pytest.CaptureFixture[str], old: Path, streak2: Path, facts_file: Path) -> None:
    expected = diff_policies(old, streak2, str(facts_file))
    code, out, err = run(capsys, "diff", old, streak2, facts_file)
    assert (code, err, out) == (0, "", expected.to_table())
    code, out, err = run(capsys, "diff", old, streak2, facts_file, "--format", "json")
    assert (code, err) == (0, "")
    assert json.loads(out) == expected.to_dict()
    assert json.loads(out)["facts"] == str(facts_file)
    code, out, err = run(capsys, "diff", old, streak2, facts_file, "--format", "markdown")
    assert (code, err, out) == (0, "", expected.to_markdown())


def test_diff_command_without_facts_generates_a_population(
    capsys: pytest.CaptureFixture[str], old: Path, streak2: Path
) -> None:
    code, out, err = run(capsys, "diff", old, streak2, "--seed", "5", "--units", "40", "--format", "json")
    assert (code, err) == (0, "")
    assert json.loads(out)["facts"] == "generated: 40 units, seed 5"
    assert json.loads(out) == diff_policies(old, streak2, seed=5, units=40).to_dict()


def test_diff_command_no_change(capsys: pytest.CaptureFixture[str], old: Path, new: Path, facts_file: Path) -> None:
    code, out, err = run(capsys, "diff", old, new, facts_file)
    assert (code, err) == (0, "")
    assert out == f"no change: {old} → {new}, facts {facts_file} (5 units) (same consequences and grades)\n"
    code, out, err = run(capsys, "diff", old, new, facts_file, "--format", "json")
    assert (code, err) == (0, "")
    assert json.loads(out)["changed"] is False
    assert json.loads(out)["units"] == []


def test_diff_command_a_broken_policy_copy(
    capsys: pytest.CaptureFixture[str], old: Path, new: Path, facts_file: Path
) -> None:
    edit(new, STREAK, "length: {less_than: $params.year_withhold_streak}", file="evaluation.yaml")
    code, out, err = run(capsys, "diff", old, new, facts_file)
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{new / 'evaluation.yaml'}:")
    assert "unknown condition 'less_than'" in lines[0]


def test_diff_command_bad_input(capsys: pytest.CaptureFixture[str], old: Path, new: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    assert (2, "", f"{missing}:1:1: no such policy folder\n") == run(capsys, "diff", old, missing)
    no_facts = tmp_path / "missing.yaml"
    assert (2, "", f"{no_facts}:1:1: no such facts file\n") == run(capsys, "diff", old, new, no_facts)
    bad = tmp_path / "bad.yaml"
    bad.write_text("units:\n  - {id: a}\nevaluations:\n  - {unit: b, period: 2022, grade: poor}\n", encoding="utf-8")
    code, out, err = run(capsys, "diff", old, new, bad)
    assert (code, out) == (2, "")
    assert err.startswith(f"{bad}:4:")
    assert "no unit 'b'" in err
    code, out, err = run(capsys, "diff", old, new, "--units", "0")
    assert (code, out) == (2, "")
    assert err.startswith("civpolicy: the number of units")


def test_a_consequence_given_by_another_rule_is_recited_not_unchanged(old: Path, new: Path) -> None:
    """The rule and clause are part of the decision (contract section 2): "no change" would hide that."""
    edit(new, "  - id: accountability.admonishment\n", "  - id: accountability.admonishment_again\n")
    result = diff_policies(old, new, EXAMPLE)
    assert result.changed
    recited = [c for unit in result.units for c in unit.recited]
    assert recited and all(c.kind == "accountability.admonishment" for c in recited)
    assert {("accountability.admonishment_again", "accountability.admonishment")} == {
        (c.rule, c.was[0] if c.was else "") for c in recited
    }
    assert all(not unit.lost and not unit.gained for unit in result.units)
    (kind,) = result.kinds
    assert (0, 0, len(recited)) == (kind.gained, kind.lost, kind.recited)
    assert "accountability.admonishment_again (was accountability.admonishment)" in result.to_table()
    assert ["rule accountability.admonishment removed", "rule accountability.admonishment_again added"] == list(
        result.policy_changes
    )


def test_a_policy_change_that_changes_nothing_for_these_facts_says_what_changed(old: Path, new: Path) -> None:
    edit(new, "period_kind: {one_of: [quarter, year]}", "period_kind: {one_of: [quarter, half, year]}")
    result = diff_policies(old, new, EXAMPLE)
    assert not result.changed
    assert ("rule promotion.freeze changed",) == result.policy_changes
    assert result.to_table().startswith("policy changes:\n- rule promotion.freeze changed\n\nno change: ")
    assert "## What changed in the policy\n\n- rule promotion.freeze changed\n" in result.to_markdown()


def test_identical_policies_have_no_policy_changes(old: Path, new: Path) -> None:
    result = diff_policies(old, new, EXAMPLE)
    assert ((), False) == (result.policy_changes, result.changed)
    assert result.to_table().startswith("no change: ")


def test_a_table_change_is_a_policy_change(old: Path, new: Path) -> None:
    edit(
        new,
        "      - {failed_rectifications: 1, step: warning}\n      - {failed_rectifications: 2, step: revoke}\n",
        "      - {failed_rectifications: 1, step: revoke}\n      - {failed_rectifications: 2, step: warning}\n",
    )
    assert ("table sanction_ladder changed",) == diff_policies(old, new, EXAMPLE).policy_changes


def test_a_definition_holding_keys_of_any_kind_is_compared_without_raising(old: Path, new: Path) -> None:
    """A mapping with a number key among text keys could not be put in canonical order."""
    edit(
        new,
        "change: {facts: evaluations, field: grade, to: poor}",
        "change: {facts: evaluations, field: grade, to: poor, 1: x}",
        file="invariants.yaml",
    )
    assert ("invariant worse_grade_never_lighter changed",) == diff_policies(old, new, EXAMPLE).policy_changes


# -- diff --exit-code: a policy repository's CI gates on it ---------------------------------------


def test_exit_code_is_1_when_consequences_change(
    capsys: pytest.CaptureFixture[str], old: Path, streak2: Path, facts_file: Path
) -> None:
    printed = run(capsys, "diff", old, streak2, facts_file)
    assert (1, printed[1], "") == run(capsys, "diff", old, streak2, facts_file, "--exit-code")
    assert 0 == printed[0]  # without --exit-code, the same differences exit 0
    code, out, err = run(capsys, "diff", old, streak2, facts_file, "--exit-code", "--format", "json")
    assert (1, "", True) == (code, err, json.loads(out)["changed"])


def test_exit_code_is_0_when_nothing_changes(
    capsys: pytest.CaptureFixture[str], old: Path, new: Path, facts_file: Path
) -> None:
    (new / "linkages.yaml").write_text(
        "# a comment changes no definition\n" + (new / "linkages.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    code, out, err = run(capsys, "diff", old, new, facts_file, "--exit-code")
    assert (0, "") == (code, err)
    assert out.startswith("no change: ")


def test_exit_code_is_1_when_only_the_policy_changes(capsys: pytest.CaptureFixture[str], old: Path, new: Path) -> None:
    """A definition changed that changes nothing for these facts is still a change to gate on."""
    edit(new, "period_kind: {one_of: [quarter, year]}", "period_kind: {one_of: [quarter, half, year]}")
    code, out, err = run(capsys, "diff", old, new, EXAMPLE, "--exit-code")
    assert (1, "") == (code, err)
    assert out.startswith("policy changes:\n- rule promotion.freeze changed\n\nno change: ")


def test_exit_code_keeps_2_for_bad_input(capsys: pytest.CaptureFixture[str], old: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    assert (2, "", f"{missing}:1:1: no such policy folder\n") == run(capsys, "diff", old, missing, "--exit-code")
