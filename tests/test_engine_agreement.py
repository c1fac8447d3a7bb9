"""Rule shapes a policy author could write, read by both engines as the policy guide says.

Each case adds one derived fact, with one rule and a report, to a copy of the shipped
policy, and gives the rows that report must hold. The cases come from a differential
fuzz of the two engines: each is a place where durable-rules' own comparisons (null
equals null, 80 is not 80.0, true is 1, text orders against numbers, integers past
2**63 rounded, a join after a ``one_of`` dropped) or the reading of "one fact, one
pattern" once made the engines disagree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import civpolicy
from civpolicy.authoring import strategies
from engines import ENGINES, RUNNABLE
from policy_copies import copy_policy

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
        [{"unit": "a", "at": "2022-04", "provisional": False}],
    ),
    "a fact fills one pattern of a rule": Case(
        ["unit as u: {}", "unit as v: {category: $u.category}"],
        "{unit: $u.unit, other: $v.unit}",
        "unit, other",
        {"units": [{"id": "a", "category": "community"}, {"id": "b", "category": "community"}]},
        [{"unit": "a", "other": "b", "provisional": False}, {"unit": "b", "other": "a", "provisional": False}],
    ),
    "a fact does not block its own rule's absence": Case(
        ["unit as u: {}", "no unit: {category: $u.category}"],
        "{unit: $u.unit}",
        "unit",
        {"units": [{"id": "a", "category": "community"}, {"id": "b", "category": "township"}]},
        [{"unit": "a", "provisional": False}, {"unit": "b", "provisional": False}],
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
        [{"unit": "a", "p": "2022-Q1", "q": "2022-03", "provisional": False}],
    ),
    "a null and a number are simply unequal": Case(
        ["criticism as c: {}", "no unit: {headcount: $c.seq}"],
        "{unit: $c.unit, at: $c.period}",
        "unit, at",
        {"units": [{"id": "a"}], "criticisms": [{"unit": "a", "bulletin": "2022-04"}]},
        [{"unit": "a", "at": "2022-04", "provisional": False}],
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
        [{"unit": "a", "provisional": False}],
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


# ---- random rule shapes: both engines, the same JSON or the same error ------------------------

FIELDS = {
    "unit": ("unit", "category", "civilized_unit", "vertically_managed", "headcount", "base_quota"),
    "evaluation": ("unit", "period", "grade", "period_kind", "year", "ordinal", "previous", "end"),
    "criticism": ("unit", "period", "year", "ordinal", "previous", "end"),
}
JOINABLE = [
    ("unit", "unit"),
    ("year", "year"),
    ("ordinal", "previous"),
    ("previous", "ordinal"),
    ("end", "end"),
    ("category", "category"),
    ("headcount", "base_quota"),
    ("civilized_unit", "vertically_managed"),
]
CONDITIONS = {
    "category": ["community", "township", "{not: township}", "{one_of: [community, key_task]}"],
    "civilized_unit": ["true", "false", "{not: true}"],
    "vertically_managed": ["false"],
    "headcount": ["{below: 30}", "{at_least: 20}", "40", "{none_of: [10, 40]}"],
    "base_quota": ["{at_most: 15.0}", "15", "{not: 20}"],
    "grade": ["poor", "{one_of: [good, medium]}", "{not: poor}"],
    "period_kind": ["quarter", "{one_of: [quarter, year]}", "{none_of: [half]}"],
    "year": ["2022", "{at_least: 2023}"],
    "end": ["{above: 24270}"],
}


@st.composite
def rule_shapes(draw: st.DrawFn) -> tuple[list[str], str]:
    """A rule's ``when`` (1 to 3 facts found, maybe one absent) and its ``then``."""
    found: list[tuple[str, str]] = []
    patterns = []
    for index in range(draw(st.integers(1, 3))):
        fact_type = draw(st.sampled_from(sorted(FIELDS)))
        alias = f"f{index}"
        tests = _conditions(draw, fact_type)
        if found:
            tests.insert(draw(st.integers(0, len(tests))), _join(draw, fact_type, found))
        patterns.append(f"{fact_type} as {alias}: {{{', '.join(tests)}}}")
        found.append((alias, fact_type))
    if draw(st.booleans()):
        fact_type = draw(st.sampled_from(sorted(FIELDS)))
        tests = [_join(draw, fact_type, found), *_conditions(draw, fact_type)]
        patterns.append(f"no {fact_type}: {{{', '.join(tests)}}}")
    alias, fact_type = draw(st.sampled_from(found))
    shown = draw(st.sampled_from(FIELDS[fact_type]))
    return patterns, f"{{unit: $f0.unit, x: ${alias}.{shown}}}"


def _conditions(draw: st.DrawFn, fact_type: str) -> list[str]:
    fields = [field for field in FIELDS[fact_type] if field in CONDITIONS]
    chosen = draw(st.lists(st.sampled_from(fields), max_size=2, unique=True))
    return [f"{field}: {draw(st.sampled_from(CONDITIONS[field]))}" for field in chosen]


def _join(draw: st.DrawFn, fact_type: str, found: list[tuple[str, str]]) -> str:
    pairs = [
        (mine, alias, theirs)
        for mine, theirs in JOINABLE
        for alias, other in found
        if mine in FIELDS[fact_type] and theirs in FIELDS[other]
    ]
    mine, alias, theirs = draw(st.sampled_from(pairs))
    return f"{mine}: ${alias}.{theirs}"


def _outcome(folder: Path, engine: str, facts: dict[str, Any]) -> str | tuple[str, list[str]]:
    """The decision's JSON and its warnings' messages, or the error.

    A warning's field and line name its fact's place in the facts (``rectifications[2]``), which moves
    when the facts are shuffled; which facts are warned of, and why, does not (docs/readings.md, 20).
    """
    try:
        document = civpolicy.load_policy(folder, engine=engine).evaluate(facts).to_dict()
    except civpolicy.CivpolicyError as error:
        return f"{type(error).__name__}: {error}"
    warnings = document.pop("warnings")
    return json.dumps(document, ensure_ascii=False, indent=2), sorted(w["message"] for w in warnings)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shape=rule_shapes(), facts=strategies.facts(max_units=4), data=st.data())
def test_random_rule_shapes_read_alike_by_every_engine(
    tmp_path_factory: pytest.TempPathFactory, shape: tuple[list[str], str], facts: dict[str, Any], data: st.DataObject
) -> None:
    """Whatever rule an author writes from these parts, every engine gives the native engine's JSON, or its error.

    (The same but for where each warning points, as the other engines read the facts shuffled.)
    """
    when, then = shape
    folder = copy_policy(tmp_path_factory.mktemp("shape") / "policy")
    (folder / "probe.yaml").write_text(extra_policy(Case(when, then, "unit, x", {}, [])), encoding="utf-8")
    try:
        civpolicy.load_policy(folder, engine="native")
    except civpolicy.PolicyError:
        assume(False)  # a rule the checker refuses (one that can never fire) says nothing here
    shuffled = {key: data.draw(st.permutations(v)) if isinstance(v, list) else v for key, v in facts.items()}
    expected = _outcome(folder, "native", facts)
    for engine in RUNNABLE:
        if engine != "native":
            assert expected == _outcome(folder, engine, shuffled), engine
