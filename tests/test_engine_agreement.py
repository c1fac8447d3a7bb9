"""Rule shapes a policy author could write, read by both engines as the policy guide says.

Each case adds one derived fact, with one rule and a report, to a copy of the shipped
policy, and gives the rows that report must hold. The cases come from a differential
fuzz of the two engines: each is a place where durable-rules' own comparisons (null
equals null, 80 is not 80.0, true is 1, text orders against numbers, integers past
2**63 rounded, a join after a ``one_of`` dropped) or the reading of "one fact, one
pattern" once made the engines disagree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import pytest

import civpolicy
from civpolicy.engines.durable import durable_available
from policy_copies import copy_policy

NEEDS_DURABLE = pytest.mark.skipif(not durable_available(), reason="durable-rules does not run on this Python")
ENGINES = (pytest.param("durable", marks=NEEDS_DURABLE), "native")

THINGS = """\
inputs:
  thing:
    from: things
    description: {zh: 测试, en: a test input}
    says: "{unit} thing {tag}"
    key: null
    fields:
      unit: {type: unit, required: true}
      tag: {type: text}
      period: {type: period}
"""


class Case(NamedTuple):
    when: list[str]
    then: str
    fields: str
    facts: dict[str, Any]
    rows: list[dict[str, Any]]
    extra: str = ""


CASES = {
    "a null joins no other null": Case(
        ["unit as u: {}", "unit as v: {base_quota: $u.base_quota}"],
        "{unit: $u.unit, other: $v.unit}",
        "unit, other",
        {"units": [{"id": "a"}, {"id": "b"}]},
        [],
    ),
    "a null is not blocked by another null": Case(
        ["criticism as c: {}", "no unit: {base_quota: $c.seq}"],
        "{unit: $c.unit, at: $c.period}",
        "unit, at",
        {"units": [{"id": "a"}], "criticisms": [{"unit": "a", "bulletin": "2022-04"}]},
        [{"unit": "a", "at": "2022-04"}],
    ),
    "a fact fills one pattern of a rule": Case(
        ["unit as u: {}", "unit as v: {category: $u.category}"],
        "{unit: $u.unit, other: $v.unit}",
        "unit, other",
        {"units": [{"id": "a", "category": "community"}, {"id": "b", "category": "community"}]},
        [{"unit": "a", "other": "b"}, {"unit": "b", "other": "a"}],
    ),
    "a fact does not block its own rule's absence": Case(
        ["unit as u: {}", "no unit: {category: $u.category}"],
        "{unit: $u.unit}",
        "unit",
        {"units": [{"id": "a", "category": "community"}, {"id": "b", "category": "township"}]},
        [{"unit": "a"}, {"unit": "b"}],
    ),
    "80 joins 80.0": Case(
        ["score as a: {kind: assessment}", "score as b: {kind: bulletin, score: $a.score}"],
        "{unit: $a.unit, p: $a.period, q: $b.period}",
        "unit, p, q",
        {
            "units": [{"id": "a"}],
            "scores": [
                {"unit": "a", "period": "2022-Q1", "score": 80},
                {"unit": "a", "period": "2022-03", "kind": "bulletin", "score": 80.0},
            ],
        },
        [{"unit": "a", "p": "2022-Q1", "q": "2022-03"}],
    ),
    "a null and a number are simply unequal": Case(
        ["criticism as c: {}", "no unit: {headcount: $c.seq}"],
        "{unit: $c.unit, at: $c.period}",
        "unit, at",
        {"units": [{"id": "a"}], "criticisms": [{"unit": "a", "bulletin": "2022-04"}]},
        [{"unit": "a", "at": "2022-04"}],
    ),
    "a missing field joins nothing": Case(
        ["criticism as c: {}", "thing as t: {unit: $c.unit, ordinal: $c.previous}"],
        "{unit: $c.unit}",
        "unit",
        {
            "units": [{"id": "a"}],
            "criticisms": [{"unit": "a", "bulletin": "2022-04"}],
            "things": [{"unit": "a", "tag": "no period"}],
        },
        [],
        THINGS,
    ),
    "a join after one_of holds": Case(
        ["evaluation as e: {grade: poor}", "evaluation as f: {grade: {one_of: [good, medium]}, unit: $e.unit}"],
        "{unit: $e.unit, later: $f.period}",
        "unit, later",
        {
            "units": [{"id": "a"}, {"id": "b"}],
            "evaluations": [
                {"unit": "a", "period": "2022-Q1", "grade": "poor"},
                {"unit": "b", "period": "2022-Q2", "grade": "good"},
            ],
        },
        [],
    ),
    "true is not 1": Case(
        ["unit as u: {civilized_unit: 1}"],
        "{unit: $u.unit}",
        "unit",
        {"units": [{"id": "a", "civilized_unit": True}]},
        [],
    ),
    "text does not order against numbers": Case(
        ["unit as u: {headcount: {at_most: x}}"],
        "{unit: $u.unit}",
        "unit",
        {"units": [{"id": "a", "headcount": 3}]},
        [],
    ),
    "integers past 2**63 stay exact": Case(
        ["unit as u: {headcount: 18446744073709551616}"],
        "{unit: $u.unit}",
        "unit",
        {"units": [{"id": "a", "headcount": 2**64}, {"id": "b", "headcount": 2**64 + 1}]},
        [{"unit": "a"}],
    ),
}


def extra_policy(case: Case) -> str:
    when = "".join(f"          - {pattern}\n" for pattern in case.when)
    return (
        case.extra
        + "derived:\n  probe:\n    description: {zh: 测试, en: a probe}\n    source: 二（四）2\n"
        + "    text: 季度考评被评定为“差”的文明单位，停发该单位一个季度文明单位奖金。\n"
        + '    says: "{unit} probed"\n    rules:\n      - id: probe.rule\n        when:\n'
        + when
        + f"        then: {case.then}\n"
        + "reports:\n"
        + f"  probe: {{fact: probe, description: {{zh: t, en: t}}, fields: [{case.fields}]}}\n"
    )


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", list(CASES))
def test_each_engine_reads_the_rule_as_the_guide_says(tmp_path: Path, engine: str, name: str) -> None:
    case = CASES[name]
    folder = copy_policy(tmp_path / "policy")
    (folder / "probe.yaml").write_text(extra_policy(case), encoding="utf-8")
    rows = civpolicy.load_policy(folder, engine=engine).evaluate(case.facts).to_dict()["probe"]
    assert case.rows == [{k: v for k, v in row.items() if k != "because"} for row in rows]
