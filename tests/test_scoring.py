"""Grades computed from scores (二（三）; policy/scoring.yaml): scores and grades by hand, bad facts, properties.

The scenario files (policy/scenarios/scoring*.yaml) check what computed grades bring; these
tests read the grades themselves, ``decision.reports["grades"]``: one row per unit and
period with ``unit``, ``period``, ``grade``, ``basis`` (``given`` or ``computed``), ``category``,
``score``, ``rank``, ``size`` (null without a score) and ``provisional``. The score behind a
computed grade is also read from the row's evidence, the ``standing`` fact ("{unit}: score
{score}, rank {rank} of {size} ...").
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import civpolicy
from civpolicy.decision.values import Decision, Evidence, ReportRow
from civpolicy.engine.durable import durable_available
from civpolicy.errors import FactsError, Problem
from policy_copies import copy_policy, edit

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "county-2022-scores.yaml"
ORDER = {"poor": 0, "medium": 1, "good": 2}
"""Grades from worse to better."""


@functools.cache
def _policy(params: tuple[tuple[str, Any], ...] = (), engine: str = "native") -> civpolicy.Policy:
    return civpolicy.load_policy(params=dict(params), engine=engine)


def policy(engine: str = "native", **params: Any) -> civpolicy.Policy:
    """The shipped policy with these parameters, loaded once."""
    return _policy(tuple(sorted(params.items())), engine)


def evaluate(facts: Any, **params: Any) -> Decision:
    return policy(**params).evaluate(facts)


def rows(decision: Decision) -> dict[tuple[str, str], ReportRow]:
    """The grade rows by (unit, period); one row per unit and period."""
    found: dict[tuple[str, str], ReportRow] = {}
    for row in decision.reports["grades"]:
        key = (row.values["unit"], row.values["period"])
        assert key not in found, f"two grade rows for {key}"
        found[key] = row
    return found


def grades(decision: Decision) -> dict[tuple[str, str], str]:
    """The grade of each (unit, period)."""
    return {key: row.values["grade"] for key, row in rows(decision).items()}


def _walk(evidence: tuple[Evidence, ...]) -> Iterator[Evidence]:
    for item in evidence:
        yield item
        yield from _walk(item.premises)


_STANDING = re.compile(r": score (?P<score>[-0-9.e]+), rank (?P<rank>\d+) of (?P<size>\d+) ")


def standing(decision: Decision, unit: str, period: str) -> tuple[float, int, int]:
    """Score, rank and group size behind a computed grade (from the row's evidence)."""
    row = rows(decision)[(unit, period)]
    for item in _walk(row.evidence):
        if item.rule == "standing.place":
            match = _STANDING.search(item.text)
            assert match is not None, item.text
            return float(match["score"]), int(match["rank"]), int(match["size"])
    raise AssertionError(f"no standing behind the grade of {unit} for {period}: {row.because}")


def score(decision: Decision, unit: str, period: str) -> float:
    return standing(decision, unit, period)[0]


def units(*ids: str, category: str = "key_task", **fields: Any) -> list[dict[str, Any]]:
    return [{"id": unit, "category": category, **fields} for unit in ids]


def assessed(period: str, **scores: float) -> list[dict[str, Any]]:
    """Headquarters' assessments of one period: ``assessed("2022-Q1", a=80, b=70)``."""
    return [{"unit": unit, "period": period, "score": value} for unit, value in scores.items()]


# ---- the path of a score -------------------------------------------------------------------


def test_quarter_combines_assessment_with_the_mean_bulletin_of_its_months() -> None:
    # 90 × 0.7 + mean(70, 80) × 0.3 = 63 + 22.5 = 85.5; the July bulletin is not in Q2.
    facts = {
        "units": units("c1", "c2", category="community"),
        "scores": [
            *assessed("2022-Q2", c1=90, c2=80),
            {"unit": "c1", "period": "2022-04", "kind": "bulletin", "score": 70},
            {"unit": "c1", "period": "2022-05", "kind": "bulletin", "score": 80},
            {"unit": "c1", "period": "2022-07", "kind": "bulletin", "score": 0},
        ],
    }
    decision = evaluate(facts)
    assert score(decision, "c1", "2022-Q2") == 85.5
    assert score(decision, "c2", "2022-Q2") == 80  # no bulletin: the assessment alone
    assert rows(decision)[("c1", "2022-Q2")].values["basis"] == "computed"


def test_a_half_year_combines_the_bulletins_of_its_six_months() -> None:
    # 80 × 0.7 + mean(60, 90) × 0.3 = 56 + 22.5 = 78.5; the July bulletin belongs to H2.
    facts = {
        "units": units("o1", category="other_task"),
        "scores": [
            *assessed("2022-H1", o1=80),
            {"unit": "o1", "period": "2022-03", "kind": "bulletin", "score": 60},
            {"unit": "o1", "period": "2022-06", "kind": "bulletin", "score": 90},
            {"unit": "o1", "period": "2022-07", "kind": "bulletin", "score": 0},
        ],
    }
    assert score(evaluate(facts), "o1", "2022-H1") == 78.5


def test_weights_are_parameters() -> None:
    # 90 × 0.5 + 70 × 0.5 = 80
    facts = {
        "units": units("c1", category="community"),
        "scores": [*assessed("2022-Q1", c1=90), {"unit": "c1", "period": "2022-03", "kind": "bulletin", "score": 70}],
    }
    assert score(evaluate(facts, assessment_weight=0.5, bulletin_weight=0.5), "c1", "2022-Q1") == 80


TOWNSHIP = {
    "units": [
        *units("c1", "c2", "c3", category="community"),
        *units("t1", "t2", category="township"),
    ],
    "township_members": [
        {"unit": "t1", "community": "c1", "weight": 0.5},
        {"unit": "t1", "community": "c2", "weight": 0.25},
        {"unit": "t1", "community": "c3", "weight": 0.25},
        {"unit": "t2", "community": "c3", "weight": 1},
    ],
    "scores": [
        *assessed("2022-Q1", c1=90, c2=80, c3=50),
        {"unit": "c1", "period": "2022-03", "kind": "bulletin", "score": 75},
        *assessed("2022-Q2", c1=70, c3=60),
    ],
}


def test_township_is_the_weighted_mean_of_its_communities() -> None:
    decision = evaluate(TOWNSHIP)
    # c1 = 90 × 0.7 + 75 × 0.3 = 85.5; t1 = 85.5 × 0.5 + 80 × 0.25 + 50 × 0.25 = 75.25; t2 = c3 = 50
    assert score(decision, "t1", "2022-Q1") == 75.25
    assert score(decision, "t2", "2022-Q1") == 50
    # two townships: 1/2 is above both shares, both medium
    assert grades(decision)[("t1", "2022-Q1")] == "medium"


def test_township_is_scored_only_when_every_member_has_a_score() -> None:
    decision = evaluate(TOWNSHIP)
    # c2 has no Q2 score: t1 has no Q2 score nor grade; its year is Q1 alone
    assert ("t1", "2022-Q2") not in grades(decision)
    assert score(decision, "t1", "2022") == 75.25
    assert score(decision, "t2", "2022-Q2") == 60
    assert score(decision, "t2", "2022") == 55  # (50 + 60) / 2


def test_township_is_graded_with_a_changed_share() -> None:
    # good_share 0.5: t1 (75.25), first of two, is good
    decision = evaluate(TOWNSHIP, good_share=0.5)
    assert grades(decision)[("t1", "2022-Q1")] == "good"
    assert grades(decision)[("t2", "2022-Q1")] == "medium"


def test_township_without_communities_is_scored_on_its_own_assessment_and_bulletins() -> None:
    facts = {
        **TOWNSHIP,
        "units": [*TOWNSHIP["units"], *units("t3", category="township")],
        "scores": [
            *TOWNSHIP["scores"],
            *assessed("2022-Q1", t3=78),
            {"unit": "t3", "period": "2022-03", "kind": "bulletin", "score": 90},
        ],
    }
    decision = evaluate(facts)
    # t3 = 78 × 0.7 + 90 × 0.3 = 81.6, above t1 (75.25) and t2 (50): first of the three townships
    assert score(decision, "t3", "2022-Q1") == 81.6
    assert standing(decision, "t3", "2022-Q1")[1:] == (1, 3)
    assert standing(decision, "t1", "2022-Q1")[1:] == (2, 3)


def test_a_township_with_members_is_scored_on_their_mean_not_on_its_own_assessment() -> None:
    facts = {**TOWNSHIP, "scores": [*TOWNSHIP["scores"], *assessed("2022-Q1", t1=99, t2=10)]}
    decision = evaluate(facts)
    assert score(decision, "t1", "2022-Q1") == 75.25  # the weighted mean, as without its own 99
    assert score(decision, "t2", "2022-Q1") == 50
    # one score per township and period: its own assessment is no second score
    assert standing(decision, "t1", "2022-Q1")[1:] == (1, 2)
    # Q2: c2 has no score, so t1 has none; its own assessment does not stand in
    decision = evaluate({**facts, "scores": [*facts["scores"], *assessed("2022-Q2", t1=99)]})
    assert ("t1", "2022-Q2") not in grades(decision)


LINKED = {
    "units": [
        *units("c1", "c2", category="community"),
        *units("l1", "l2", "r1", "l3", category="linked"),
    ],
    "links": [
        {"unit": "l1", "community": "c1"},
        {"unit": "l2", "community": "c2"},
        {"unit": "l3", "community": "c1"},
    ],
    "scores": [
        *assessed("2022-Q1", c1=80, c2=90, r1=77, l1=99),
        {"unit": "l1", "period": "2022-Q1", "kind": "linkage_work", "score": 60},
        {"unit": "r1", "period": "2022-Q1", "kind": "linkage_work", "score": 10},
        {"unit": "l3", "period": "2022-Q2", "kind": "linkage_work", "score": 90},
    ],
}


def test_linked_unit_is_its_grid_and_its_linkage_work() -> None:
    decision = evaluate(LINKED)
    # l1 = 80 × 0.7 + 60 × 0.3 = 56 + 18 = 74; its own assessment (99) is no part of it
    assert score(decision, "l1", "2022-Q1") == 74
    # the road-chief unit r1 (no link) is its assessment; its linkage work counts for nothing
    assert score(decision, "r1", "2022-Q1") == 77


def test_linked_unit_needs_both_grid_and_linkage_work() -> None:
    found = grades(evaluate(LINKED))
    # l2: grid scored, no linkage work; l3: linkage work in Q2, but its grid has no Q2 score
    assert not [key for key in found if key[0] in {"l2", "l3"}]


def test_annual_is_the_mean_of_quarter_finals_plus_the_years_adjustments() -> None:
    # k1: 80, 90 + 4 = 94, 70, 88 -> mean 83; + 2 annual feedback = 85
    facts = {
        "units": units("k1", "k2"),
        "scores": [
            *assessed("2022-Q1", k1=80, k2=60),
            *assessed("2022-Q2", k1=90, k2=60),
            *assessed("2022-Q3", k1=70),
            *assessed("2022-Q4", k1=88),
        ],
        "adjustments": [
            {"unit": "k1", "period": "2022-Q2", "reason": "leader_instruction", "points": 3},
            {"unit": "k1", "period": "2022-Q2", "reason": "material_reporting", "points": 1},
            {"unit": "k1", "period": "2022", "reason": "annual_feedback", "points": 2},
        ],
    }
    decision = evaluate(facts)
    assert score(decision, "k1", "2022-Q2") == 94
    assert score(decision, "k1", "2022") == 85
    assert score(decision, "k2", "2022") == 60  # missing quarters are left out


def test_annual_of_a_half_year_unit_is_the_mean_of_its_halves() -> None:
    facts = {
        "units": units("o1", "o2", category="other_task"),
        "scores": [*assessed("2022-H1", o1=95, o2=78), *assessed("2022-H2", o1=65, o2=84)],
        "adjustments": [{"unit": "o2", "period": "2022", "reason": "annual_feedback", "points": -1.5}],
    }
    decision = evaluate(facts)
    assert score(decision, "o1", "2022") == 80
    assert score(decision, "o2", "2022") == 79.5


def test_adjusted_scores_are_kept_within_0_and_100() -> None:
    facts = {
        "units": units("k1", "k2"),
        "scores": assessed("2022-Q1", k1=98, k2=3),
        "adjustments": [
            {"unit": "k1", "period": "2022-Q1", "reason": "leader_instruction", "points": 5},
            {"unit": "k2", "period": "2022-Q1", "reason": "citizen_complaint", "points": -10},
            {"unit": "k2", "period": "2022", "reason": "annual_feedback", "points": -1},
        ],
    }
    decision = evaluate(facts)
    assert score(decision, "k1", "2022-Q1") == 100
    assert score(decision, "k2", "2022-Q1") == 0
    assert score(decision, "k2", "2022") == 0


def test_units_without_a_scored_category_get_no_score() -> None:
    facts = {
        "units": [{"id": "x"}, *units("t", category="township"), *units("k")],
        "scores": assessed("2022-Q1", x=80, t=80, k=80),
        "township_members": [{"unit": "t", "community": "k", "weight": 1}],
    }
    found = grades(evaluate(facts))
    assert not [key for key in found if key[0] == "x"]
    # the township's own assessment is not its score: it is the weighted mean of its members (k)
    assert score(evaluate(facts), "t", "2022-Q1") == 80
    assert ("k", "2022-Q1") in found


def test_units_are_ranked_within_their_category_and_period() -> None:
    facts = {
        "units": [*units("k1", "k2", "k3", "k4"), *units("c1", "c2", "c3", "c4", category="community")],
        "scores": [
            *assessed("2022-Q1", k1=50, k2=40, k3=30, k4=20, c1=90, c2=80, c3=70, c4=60),
            *assessed("2022-Q2", k1=10, k2=40, k3=30, k4=20),
        ],
    }
    decision = evaluate(facts)
    # k1 (50) is first of the key-task units in Q1 although every community scored more
    assert standing(decision, "k1", "2022-Q1")[1:] == (1, 4)
    assert grades(decision)[("k1", "2022-Q1")] == "good"
    assert grades(decision)[("c1", "2022-Q1")] == "good"
    assert standing(decision, "k1", "2022-Q2")[1:] == (4, 4)
    assert standing(decision, "k2", "2022-Q2")[1:] == (1, 4)


# ---- tiers ---------------------------------------------------------------------------------


def ten(*scores: float, period: str = "2022-Q1") -> dict[str, Any]:
    ids = [f"u{i}" for i in range(1, len(scores) + 1)]
    return {"units": units(*ids), "scores": assessed(period, **dict(zip(ids, scores, strict=True)))}


def tiers(decision: Decision, period: str = "2022-Q1") -> list[str]:
    found = grades(decision)
    return [found[(f"u{i}", period)] for i in range(1, 1 + sum(1 for key in found if key[1] == period))]


def test_ten_units_three_good_one_poor() -> None:
    decision = evaluate(ten(95, 90, 85, 80, 75, 70, 65, 60, 55, 50))
    assert tiers(decision) == ["good"] * 3 + ["medium"] * 6 + ["poor"]
    assert tiers(decision, "2022") == tiers(decision)


def test_tie_at_the_good_boundary_gives_both_the_better_grade() -> None:
    decision = evaluate(ten(95, 93, 90, 90, 85, 80, 75, 70, 65, 40))
    assert tiers(decision) == ["good"] * 4 + ["medium"] * 5 + ["poor"]
    assert standing(decision, "u4", "2022-Q1")[1:] == (3, 10)


def test_tie_at_the_poor_boundary_gives_both_the_better_grade() -> None:
    decision = evaluate(ten(95, 93, 91, 88, 85, 80, 75, 70, 50, 50))
    assert tiers(decision) == ["good"] * 3 + ["medium"] * 7


def test_poor_below_score_makes_a_low_scorer_poor_in_a_small_group() -> None:
    # a group under tier_minimum_group (3) has no good and no poor place by its shares (reading 18)
    facts = ten(85, 55)
    assert tiers(evaluate(facts)) == ["medium"] * 2
    assert tiers(evaluate(facts, poor_below_score=60)) == ["medium", "poor"]
    assert tiers(evaluate(ten(85, 60), poor_below_score=60)) == ["medium"] * 2
    # of 3 units, 1 good and 1 poor place; the cut-off makes poor beyond the places
    assert tiers(evaluate(ten(85, 75, 55))) == ["good", "medium", "poor"]
    assert tiers(evaluate(ten(85, 75, 55), poor_below_score=80)) == ["good", "poor", "poor"]


def test_good_min_score_withholds_good_from_a_low_first() -> None:
    facts = ten(88, 80, 70, 60)  # of 4: 1 good and 1 poor place (reading 18)
    assert tiers(evaluate(facts)) == ["good", "medium", "medium", "poor"]
    assert tiers(evaluate(facts, good_min_score=90)) == ["medium"] * 3 + ["poor"]
    assert tiers(evaluate(facts, good_min_score=88)) == ["good", "medium", "medium", "poor"]


def test_poor_wins_over_good() -> None:
    assert tiers(evaluate(ten(58, 50, 45, 40), poor_below_score=60)) == ["poor"] * 4


def test_a_given_grade_wins_over_the_computed_one() -> None:
    facts = {
        **ten(95, 80, 70, 60),
        "evaluations": [
            {"unit": "u1", "period": "2022", "grade": "medium"},
            {"unit": "u4", "period": "2022-Q1", "grade": "good"},
            {"unit": "u4", "period": "2023", "grade": "good"},
        ],
    }
    found = rows(evaluate(facts))
    ranked = {"category": "key_task", "score": 95, "rank": 1, "size": 4}
    assert found[("u1", "2022-Q1")].values == {
        "unit": "u1",
        "period": "2022-Q1",
        "grade": "good",
        "basis": "computed",
        **ranked,
        "provisional": False,
    }
    # the row's score and rank are the annual base so far (one quarter of four: provisional, reading 19)
    annual = {k: v for k, v in found[("u1", "2022")].values.items() if k != "provisional"}
    assert annual == {"unit": "u1", "period": "2022", "grade": "medium", "basis": "given", **ranked}
    assert found[("u4", "2022-Q1")].values["grade"] == "good"  # computed, it is last of four: poor
    assert found[("u4", "2022-Q1")].values["basis"] == "given"
    assert found[("u4", "2023")].values["basis"] == "given"  # a given grade needs no score
    assert (None, None, None) == tuple(found[("u4", "2023")].values[k] for k in ("score", "rank", "size"))
    (computed,) = [e for e in _walk(found[("u1", "2022-Q1")].evidence) if e.rule == "grade.computed"]
    assert "no grade was given directly to u1 for 2022-Q1" in computed.absent


# ---- bad facts -----------------------------------------------------------------------------


def problems(facts: Any) -> tuple[Problem, ...]:
    with pytest.raises(FactsError) as caught:
        policy().evaluate(facts)
    return caught.value.problems


def test_township_weights_must_add_up_to_1() -> None:
    facts = {
        "units": [*units("c1", "c2", category="community"), *units("t1", category="township")],
        "township_members": [
            {"unit": "t1", "community": "c1", "weight": 0.5},
            {"unit": "t1", "community": "c2", "weight": 0.4},
        ],
        "scores": assessed("2022-Q1", c1=80, c2=70),
    }
    (problem,) = problems(facts)
    assert problem.path.startswith("township_members[")
    assert "add up to" in problem.message
    assert "t1" in problem.message


def test_a_bad_member_is_told_once_not_again_by_the_sum_or_the_townships_it_leaves_out() -> None:
    facts = {
        "units": [*units("c1", "c2", category="community"), *units("t1", category="township")],
        "township_members": [
            {"unit": "t1", "community": "c1", "weight": 0.5},
            {"unit": "t1", "community": "c2", "weight": 1.5},
        ],
        "scores": assessed("2022-Q1", c1=80, c2=70),
    }
    assert [("township_members[1].weight", "must be between 0 and 1 (got 1.5)")] == [
        (p.path, p.message) for p in problems(facts)
    ]


def test_a_township_without_members_is_no_error_when_others_have_members() -> None:
    """二（三）2 二是: 13 of the 16 townships have no central-city communities (附件3); such a
    township is scored on its own assessment (period_score.township_own), not refused."""
    facts = {
        "units": [
            *units("c1", category="community"),
            *units("t0", category="township"),
            *units("t1", "t2", category="township"),
        ]
    }
    evaluate({**facts, "scores": assessed("2022-Q1", c1=80)})  # no township_members: none needed
    members = [{"unit": "t0", "community": "c1", "weight": 1}]
    decision = evaluate({**facts, "scores": assessed("2022-Q1", c1=80, t1=85), "township_members": members})
    assert score(decision, "t0", "2022-Q1") == 80  # the weighted mean of c1
    assert score(decision, "t1", "2022-Q1") == 85  # its own assessment
    assert standing(decision, "t1", "2022-Q1")[1:] == (1, 2)  # ranked with t0
    # t2 has neither members nor an assessment of its own: no score, no grade, and no error
    assert not [key for key in grades(decision) if key[0] == "t2"]


def test_a_policy_may_still_require_members_of_every_township(tmp_path: Path) -> None:
    """The shipped policy dropped township_members' `needed_by`; a county that wants every township
    to have members declares it again, and a township without them is then refused, located."""
    folder = copy_policy(tmp_path / "policy")
    total = "    total: {of: weight, per: [unit], is: 1}\n"
    needed = "    needed_by: {units: {category: township}, when: township_members}\n"
    edit(folder, "facts.yaml", total, total + needed)
    facts = {
        "units": [*units("c1", category="community"), *units("t0", "t1", category="township")],
        "scores": assessed("2022-Q1", c1=80, t1=85),
        "township_members": [{"unit": "t0", "community": "c1", "weight": 1}],
    }
    with pytest.raises(FactsError) as caught:
        civpolicy.load_policy(folder).evaluate(facts)
    (problem,) = caught.value.problems
    assert problem.path == "units[2]"
    assert "t1" in problem.message
    assert "township_members" in problem.message


@pytest.mark.parametrize("value", [101, -1, 100.5])
def test_a_score_outside_0_to_100_is_located(tmp_path: Path, value: float) -> None:
    path = tmp_path / "facts.yaml"
    path.write_text(
        "units:\n"
        "  - {id: a, category: key_task}\n"
        "scores:\n"
        "  - {unit: a, period: 2022-Q1, score: 80}\n"
        "  - unit: a\n"
        "    period: 2022-Q2\n"
        f"    score: {value}\n",
        encoding="utf-8",
    )
    (problem,) = problems(path)
    assert (problem.file, problem.line, problem.path) == (str(path), 7, "scores[1].score")
    assert "between 0 and 100" in problem.message
    assert f"{path}:7:" in str(problem)


def test_the_cli_exits_2_on_a_bad_score(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from civpolicy.cli import main

    path = tmp_path / "facts.yaml"
    path.write_text("units:\n  - {id: a, category: key_task}\nscores:\n  - {unit: a, period: 2022-Q1, score: 101}\n")
    assert main(["evaluate", str(path)]) == 2
    assert f"{path}:4:" in capsys.readouterr().err


# ---- the example ---------------------------------------------------------------------------


def test_the_example_has_every_tier_and_fires_the_linkages() -> None:
    decision = policy().evaluate(EXAMPLE)
    found = rows(decision)
    assert {row.values["grade"] for row in found.values()} == {"good", "medium", "poor"}
    assert {row.values["basis"] for row in found.values()} == {"given", "computed"}
    kinds = {c.kind for c in decision.consequences}
    assert {
        "civilized_unit.review_deduction",
        "civilized_city_bonus.suspend",
        "civilized_unit_bonus.suspend",
        "vertical.letter_to_superior",
        "civilized_unit.priority",
        "promotion.freeze",
    } <= kinds
    # the walk-through of docs/scoring.md
    assert score(decision, "shedian-town", "2022-Q1") == 85.41
    assert score(decision, "housing-construction-bureau", "2022") == 74.75
    assert found[("housing-construction-bureau", "2022")].values["grade"] == "poor"
    assert found[("paifang-community", "2022-Q3")].values["basis"] == "given"


def test_the_example_grades_all_16_townships_in_one_ranking() -> None:
    """二（三）2 二是: 对16个乡镇（街道）分别进行排序; 13 of them have no central-city communities."""
    facts = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    townships = {u["id"] for u in facts["units"] if u.get("category") == "township"}
    with_members = {m["unit"] for m in facts["township_members"]}
    assert len(townships) == 16
    assert with_members == {"shedian-town", "panhe-street", "zhaohe-street"}
    decision = policy().evaluate(EXAMPLE)
    for period in ("2022-Q1", "2022-Q2", "2022-Q3", "2022-Q4", "2022"):
        assert {unit for unit in townships if standing(decision, unit, period)[2] == 16} == townships, period
    # 2022-Q1: two townships on their own assessment rank above 赊店镇's weighted mean
    assert standing(decision, "haozhai-town", "2022-Q1")[:2] == (88, 1)
    assert standing(decision, "shedian-town", "2022-Q1")[:2] == (85.41, 3)


@pytest.mark.skipif(not durable_available(), reason="durable-rules does not run on this Python")
def test_durable_gives_the_same_grades_on_the_example() -> None:
    native = policy().evaluate(EXAMPLE)
    durable = policy("durable").evaluate(EXAMPLE)
    assert [row.to_dict() for row in durable.reports["grades"]] == [row.to_dict() for row in native.reports["grades"]]
    assert durable.consequences == native.consequences


# ---- properties ----------------------------------------------------------------------------

GOOD_SHARE, POOR_SHARE = Fraction(3, 10), Fraction(1, 10)
MINIMUM_GROUP, MINIMUM_PLACES = 3, 1


def places(n: int) -> tuple[int, int]:
    """Good and poor places of a group of ``n`` by hand (reading 18, tier_round_up_from 1: always down)."""
    good, poor = math.floor(n * GOOD_SHARE), math.floor(n * POOR_SHARE)
    if n >= MINIMUM_GROUP:
        good, poor = max(good, MINIMUM_PLACES), max(poor, MINIMUM_PLACES)
    return good, min(poor, n - good)


@st.composite
def groups(draw: st.DrawFn) -> list[int]:
    """Integer scores of 2 to 12 units of one category in one quarter."""
    return draw(st.lists(st.integers(0, 100), min_size=2, max_size=12))


def quarter_grades(scores: list[int]) -> list[str]:
    decision = evaluate(ten(*scores))
    found = grades(decision)
    return [found[(f"u{i}", "2022-Q1")] for i in range(1, len(scores) + 1)]


def expected(scores: list[int]) -> list[str]:
    """The grades by hand: rank = 1 + higher within the good places, same or lower within the poor ones."""
    good, poor = places(len(scores))
    result = []
    for s in scores:
        rank = 1 + sum(1 for o in scores if o > s)
        from_bottom = sum(1 for o in scores if o <= s)
        result.append("poor" if from_bottom <= poor else "good" if rank <= good else "medium")
    return result


@given(groups())
def test_grades_follow_the_ranking_rule(scores: list[int]) -> None:
    assert quarter_grades(scores) == expected(scores)


@given(groups(), st.data())
def test_raising_a_score_never_lowers_the_grade(scores: list[int], data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(scores) - 1), label="unit")
    raised = list(scores)
    raised[index] = min(100, scores[index] + data.draw(st.integers(1, 30), label="raise"))
    before, after = quarter_grades(scores)[index], quarter_grades(raised)[index]
    assert ORDER[after] >= ORDER[before], (before, after)


@given(groups())
def test_good_and_poor_stay_within_their_shares(scores: list[int]) -> None:
    """Within the shares, but for the one good and one poor place every group of 3 or more has (reading 18)."""
    n = len(scores)
    good_places, poor_places = places(n)
    assert good_places <= max(GOOD_SHARE * n, Fraction(MINIMUM_PLACES))
    assert poor_places <= max(POOR_SHARE * n, Fraction(MINIMUM_PLACES))
    found = quarter_grades(scores)
    good = [s for s, g in zip(scores, found, strict=True) if g == "good"]
    for s, g in zip(scores, found, strict=True):
        rank = 1 + sum(1 for o in scores if o > s)
        if g == "good":
            assert rank <= good_places
        if g == "poor":
            assert sum(1 for o in scores if o <= s) <= poor_places
    if len(good) > good_places:
        # more than the places only through units tied with the last good unit's score
        assert scores.count(min(good)) >= 2
        assert sum(1 for s in good if s > min(good)) < good_places
    if n >= MINIMUM_GROUP:
        # 好、中、差 in every group: a good unit always, a poor one unless the last place is shared by more
        assert "good" in found
        assert ("poor" in found) == (scores.count(min(scores)) <= poor_places)


@given(groups())
def test_a_higher_score_never_gets_a_worse_grade(scores: list[int]) -> None:
    found = quarter_grades(scores)
    for a, grade_a in zip(scores, found, strict=True):
        for b, grade_b in zip(scores, found, strict=True):
            if a > b:
                assert ORDER[grade_a] >= ORDER[grade_b]
            if a == b:
                assert grade_a == grade_b


# ---- exact ties ----------------------------------------------------------------------------


def test_equal_scores_by_hand_are_tied() -> None:
    # Scores equal by hand but computed along different paths must tie (in plain floats b
    # came out 65.10000000000001 and alone first; numbers are now rounded between facts).
    # a: 60 × 0.7 + mean(89, 70, 72) × 0.3 = 42 + 23.1 = 65.1
    # b: 61 × 0.7 + mean(84, 70, 70) × 0.3 = 42.7 + 22.4 = 65.1
    # tied first of four: both good
    bulletins = {"a": (89, 70, 72), "b": (84, 70, 70)}
    facts = {
        "units": units("a", "b", "c", "d", category="community"),
        "scores": [
            *assessed("2022-Q2", a=60, b=61, c=50, d=40),
            *(
                {"unit": unit, "period": f"2022-0{month}", "kind": "bulletin", "score": value}
                for unit, values in bulletins.items()
                for month, value in enumerate(values, start=4)
            ),
        ],
    }
    found = grades(evaluate(facts))
    assert (found[("a", "2022-Q2")], found[("b", "2022-Q2")]) == ("good", "good")
