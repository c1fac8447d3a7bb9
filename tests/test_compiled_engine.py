"""The compiled engine against the native one, its reference: the same decision, or the same error.

The compiled engine (``civpolicy.engine.compiled``) runs the native engine's join plans as
Python source that ``civpolicy.engine.codegen`` writes, joining patterns in connected order
and firing each match as it is found. These tests run small policies written for the
purpose (a few inputs, a derived fact that rules may derive from itself, an aggregate, a
consequence) through both engines: rule shapes where the two could part (true against 1,
null keys, one fact per pattern, absent facts of a rule's own type, semi-naive windows of a
recursive rule, failing calculations and periods, ``$this``, parameters with values by
date), random rule sets, hostile names, and rules at the limits of what Python compiles.
"""

from __future__ import annotations

import ast
import gc
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import civpolicy
from civpolicy.authoring import strategies
from civpolicy.engine.compiled import CompiledEngine
from test_codegen import assert_made_here

INPUTS = """\
inputs:
  unit:
    from: units
    required: true
    description: {zh: 单位, en: a unit}
    says: "unit {unit} {n}"
    key: [unit]
    unique: true
    fields:
      id: {type: text, required: true, as: unit}
      n: {type: number}
  thing:
    from: things
    description: {zh: 事, en: a thing}
    says: "{unit} thing {tag} {n} {flag} {period}"
    key: null
    fields:
      unit: {type: unit, required: true}
      tag: {type: text}
      n: {type: number}
      flag: {type: boolean}
      period: {type: period}
  link:
    from: links
    description: {zh: 联, en: a link}
    says: "{unit} link {to} {n} {flag}"
    key: null
    fields:
      unit: {type: unit, required: true}
      to: {type: text}
      n: {type: number}
      flag: {type: boolean}
"""

DERIVED = """\
derived:
  tally:
    description: {zh: 计, en: a tally}
    source: 二（四）1
    text: 年度综合考评被评定为“差”的单位
    says: "{unit} has {n} things"
    for_each:
      unit as u: {}
    count:
      thing as t: {unit: $u.unit}
    then: {unit: $u.unit, n: $count}
  step:
    description: {zh: 步, en: a step}
    source: 二（四）1
    text: 年度综合考评被评定为“差”的单位
    says: "{unit} step {v} {w}"
    rules:
"""

CONSEQUENCES = """\
consequences:
  hit:
    description: {zh: 中, en: a hit}
    period: [year, half, quarter, month]
    params: [v]
"""

REPORTS = """\
reports:
  step: {fact: step, description: {zh: 步, en: steps}, fields: [unit, v, w]}
"""


def _rule(rule_id: str, when: list[str], then: str, indent: str) -> str:
    lines = [f"{indent}- id: {rule_id}"]
    if indent == "  ":  # a rule of its own cites its clause
        lines += [
            f"{indent}  source: 二（四）1",
            f"{indent}  text: 年度综合考评被评定为“差”的单位",
            f"{indent}  summary: {{zh: 中, en: a hit}}",
        ]
    lines.append(f"{indent}  when:")
    lines += [f"{indent}    - {pattern}" for pattern in when]
    lines.append(f"{indent}  then: {then}")
    return "\n".join(lines) + "\n"


Rule = tuple[list[str], str]
"""A rule's ``when`` (one pattern a line) and its ``then``, as YAML."""


def policy_text(steps: Sequence[Rule], hits: Sequence[Rule] = ()) -> str:
    """A small policy: the inputs, the tally, ``step`` derived by these rules, and these ``hit`` rules."""
    text = INPUTS + DERIVED
    text += "".join(_rule(f"step.{n}", when, then, "      ") for n, (when, then) in enumerate(steps))
    text += CONSEQUENCES + REPORTS
    if hits:
        text += "rules:\n" + "".join(_rule(f"hit.{n}", when, then, "  ") for n, (when, then) in enumerate(hits))
    return text


def write_policy(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "policy.yaml").write_text(text, encoding="utf-8")
    return folder


def outcome(folder: Path, engine: str, facts: dict[str, Any]) -> str:
    """The decision as JSON, or the error an evaluation raises, by type and message."""
    try:
        return civpolicy.load_policy(folder, engine=engine).evaluate(facts).to_json()
    except civpolicy.CivpolicyError as error:
        return f"{type(error).__name__}: {error}"
    except Exception as error:  # what no engine may raise: kept to be compared, and shown
        return f"unexpected {type(error).__name__}: {error}"


def both(folder: Path, facts: dict[str, Any]) -> str:
    """The compiled engine's outcome, after checking that it is the native engine's."""
    native = outcome(folder, "native", facts)
    compiled = outcome(folder, "compiled", facts)
    assert native == compiled
    return native


def steps_of(decision_json: str) -> list[tuple[Any, ...]]:
    return [(row["unit"], row["v"], row["w"]) for row in json.loads(decision_json)["step"]]


def hits_of(decision_json: str) -> list[tuple[Any, ...]]:
    return [(c["unit"], c["period"], c["params"]["v"]) for c in json.loads(decision_json)["consequences"]]


# ---- rule shapes, each with what both engines must give -----------------------------------


class Case(NamedTuple):
    steps: Sequence[Rule]
    facts: dict[str, Any]
    expected: list[tuple[Any, ...]] | str
    """The step rows (unit, v, w), or what the EngineError says."""
    hits: Sequence[Rule] = ()


UNITS = [{"id": "a"}, {"id": "b"}, {"id": "c"}, {"id": "d"}]

CASES = {
    "true joins no 1 and 1 no true": Case(
        [(["thing as t: {}", "link as l: {n: $t.flag}"], "{unit: $t.unit, v: $l.to, w: $t.tag}")],
        {
            "units": UNITS,
            "things": [{"unit": "a", "flag": True, "tag": "t"}, {"unit": "a", "flag": False, "tag": "f"}],
            "links": [{"unit": "a", "n": 1, "to": "one"}, {"unit": "a", "n": 0, "to": "zero"}],
        },
        [],
    ),
    "true joins true across types, 1.5 joins 1.5": Case(
        [
            (["thing as t: {}", "link as l: {flag: $t.flag, n: $t.n}"], "{unit: $t.unit, v: $l.to, w: $t.n}"),
        ],
        {
            "units": UNITS,
            "things": [{"unit": "a", "flag": True, "n": 1.5}, {"unit": "b", "flag": True, "n": 1}],
            "links": [{"unit": "c", "flag": True, "n": 1.5, "to": "x"}, {"unit": "c", "flag": False, "n": 1}],
        },
        [("a", "x", 1.5)],
    ),
    "a null key joins nothing, and blocks nothing": Case(
        [
            (["thing as t: {}", "link as l: {n: $t.n}"], "{unit: $t.unit, v: joined, w: $l.to}"),
            (["thing as t: {}", "no link: {n: $t.n}"], "{unit: $t.unit, v: alone, w: $t.tag}"),
        ],
        {
            "units": UNITS,
            "things": [{"unit": "a", "tag": "no n"}],
            "links": [{"unit": "a", "to": "no n either"}],
        },
        [("a", "alone", "no n")],
    ),
    "three patterns of one type: each fact fills one, every order once": Case(
        [
            (
                ["thing as x: {}", "thing as y: {unit: $x.unit}", "thing as z: {unit: $y.unit}"],
                "{unit: $x.unit, v: {add: [{multiply: [$x.n, 100]}, {multiply: [$y.n, 10]}, $z.n]}, w: 0}",
            )
        ],
        {"units": UNITS, "things": [{"unit": "a", "n": 1}, {"unit": "a", "n": 2}, {"unit": "a", "n": 3}]},
        [("a", v, 0) for v in (123, 132, 213, 231, 312, 321)],
    ),
    "an untied pattern joined after a tied one (connected order)": Case(
        [
            (
                ["unit as u: {}", "link as l: {to: x}", "thing as t: {unit: $u.unit}"],
                "{unit: $u.unit, v: {first_known: [$l.n, $t.n]}, w: {first_known: [$t.n, $l.n]}}",
            )
        ],
        {
            "units": UNITS,
            "links": [{"unit": "d", "to": "x"}, {"unit": "d", "to": "x", "n": 5}, {"unit": "d", "to": "y", "n": 6}],
            "things": [{"unit": "a", "n": 1}, {"unit": "a", "n": 2}, {"unit": "b"}],
        },
        [("a", 1, 1), ("a", 2, 2), ("a", 5, 1), ("a", 5, 2), ("b", 5, 5), ("b", None, None)],
    ),
    "a chain tied at its far end": Case(
        [
            (
                [
                    "link as p: {}",
                    "thing as q: {}",
                    "link as r: {unit: $q.unit, to: $p.unit}",
                    "unit as s: {unit: $r.to}",
                ],
                "{unit: $s.unit, v: $q.tag, w: $p.to}",
            )
        ],
        {
            "units": UNITS,
            "links": [{"unit": "a", "to": "b"}, {"unit": "b", "to": "a"}, {"unit": "c", "to": "c"}],
            "things": [{"unit": "b", "tag": "tb"}, {"unit": "c", "tag": "tc"}],
        },
        [("a", "tb", "b")],  # c's link to itself is not two links: one fact fills one pattern
    ),
    "an absent fact of the rule's own type does not count the rule's fact": Case(
        [
            (["link as l: {}", "no link: {unit: $l.unit}"], "{unit: $l.unit, v: only, w: $l.to}"),
            (["link as l: {}", "no link: {unit: $l.unit, to: {not: x}}"], "{unit: $l.unit, v: no_other, w: $l.to}"),
        ],
        {"units": UNITS, "links": [{"unit": "a", "to": "x"}, {"unit": "b", "to": "y"}, {"unit": "b", "to": "x"}]},
        [("a", "no_other", "x"), ("a", "only", "x"), ("b", "no_other", "y")],
    ),
    "a recursive rule reaches every unit of a chain (facts filed while the join runs)": Case(
        [
            (["link as l: {}"], "{unit: $l.unit, v: $l.to, w: 1}"),
            (["step as s: {}", "link as l: {unit: $s.v}"], "{unit: $s.unit, v: $l.to, w: 2}"),
        ],
        {
            "units": UNITS,
            "links": [{"unit": "a", "to": "b"}, {"unit": "b", "to": "c"}, {"unit": "c", "to": "d"}],
        },
        [
            ("a", "b", 1),
            ("a", "c", 2),
            ("a", "d", 2),
            ("b", "c", 1),
            ("b", "d", 2),
            ("c", "d", 1),
        ],
    ),
    "a recursive pattern after the input it joins (the window of a later start)": Case(
        [
            (["link as l: {}"], "{unit: $l.unit, v: $l.to, w: 0}"),
            (
                ["link as l: {}", "step as s: {unit: $l.to}", "step as t: {unit: $s.v}"],
                "{unit: $l.unit, v: $t.v, w: 1}",
            ),
        ],
        {
            "units": UNITS,
            "links": [
                {"unit": "a", "to": "b"},
                {"unit": "b", "to": "c"},
                {"unit": "c", "to": "d"},
                {"unit": "d", "to": "a"},
            ],
        },
        # a step of one link (0), then of one more link and one or more steps: an odd number of links (1)
        [(u, v, w) for u, v in zip("abcd", "bcda", strict=True) for w in (0, 1)]
        + [(u, v, 1) for u, v in zip("abcd", "dabc", strict=True)],
    ),
    "$this reads the values given before it": Case(
        [(["thing as t: {}"], "{unit: $t.unit, v: {add: [$t.n, 1]}, w: {multiply: [$this.v, 2]}}")],
        {"units": UNITS, "things": [{"unit": "a", "n": 2}, {"unit": "b", "n": 0.5}, {"unit": "c"}]},
        [("a", 3, 6), ("b", 1.5, 3), ("c", None, None)],
    ),
    "a calculation that fails: the least-ranked failure, whatever found first": Case(
        [
            (
                ["thing as t: {}", "link as l: {unit: $t.unit}"],
                "{unit: $t.unit, v: {divide: [$t.n, $l.n]}, w: $l.to}",
            )
        ],
        {
            "units": UNITS,
            "things": [{"unit": "b", "n": 1, "period": "2022-Q2"}, {"unit": "a", "n": 2, "period": "2022-Q1"}],
            "links": [{"unit": "a", "n": 0, "to": "x"}, {"unit": "b", "n": 0, "to": "y"}, {"unit": "b", "n": 2}],
        },
        "rule step.0: v: division by zero",
    ),
    "text in a calculation: of two failures, the one of the earliest facts": Case(
        [(["link as l: {}", "thing as t: {unit: $l.unit}"], "{unit: $t.unit, v: {add: [$t.n, $l.to]}, w: 0}")],
        {
            "units": UNITS,
            "things": [{"unit": "b", "n": 1, "period": "2022-Q2"}, {"unit": "a", "n": 2, "period": "2022-Q1"}],
            "links": [{"unit": "b", "to": "y"}, {"unit": "a", "to": "x"}, {"unit": "c", "to": "z"}],
        },
        "rule step.0: v: add needs numbers (got [2, 'x'])",
    ),
    "a consequence with a period from a fact, params from a derived fact": Case(
        [(["thing as t: {}"], "{unit: $t.unit, v: $t.period, w: $t.n}")],
        {
            "units": UNITS,
            "things": [{"unit": "a", "period": "2022-Q1", "n": 1}, {"unit": "b", "period": "2022-05", "n": 2}],
        },
        [("a", "2022-Q1", 1), ("b", "2022-05", 2)],
        [
            (
                ["step as s: {}", "thing as t: {unit: $s.unit}", "no link: {unit: $s.unit}"],
                "{consequence: hit, unit: $s.unit, period: $s.v, params: {v: {add: [$s.w, $t.n]}}}",
            )
        ],
    ),
    "a consequence whose period is not one fails as native fails": Case(
        [(["thing as t: {}"], "{unit: $t.unit, v: $t.tag, w: $t.n}")],
        {"units": UNITS, "things": [{"unit": "a", "tag": "2022-Q5"}, {"unit": "b", "tag": "soon"}]},
        "rule hit.0 gives a period that is not one: not a period: '2022-Q5'",
        [(["step as s: {}"], "{consequence: hit, unit: $s.unit, period: $s.v, params: {v: $s.w}}")],
    ),
    "the aggregate's facts join as input facts do": Case(
        [
            (
                ["tally as c: {n: {at_least: 1}}", "thing as t: {unit: $c.unit, n: $c.n}"],
                "{unit: $c.unit, v: $c.n, w: $t.tag}",
            )
        ],
        {
            "units": UNITS,
            "things": [{"unit": "a", "n": 2, "tag": "x"}, {"unit": "a", "n": 1}, {"unit": "b", "n": 1, "tag": "y"}],
        },
        [("a", 2, "x"), ("b", 1, "y")],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_shape_gives_the_native_decision(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    folder = write_policy(tmp_path / "policy", policy_text(case.steps, case.hits))
    result = both(folder, case.facts)
    if isinstance(case.expected, str):
        assert result.startswith("EngineError: ") and case.expected in result, result
    else:
        assert sorted(case.expected, key=repr) == sorted(steps_of(result), key=repr)
        if case.hits:
            assert hits_of(result)


def test_a_consequence_fires_with_its_derived_params(tmp_path: Path) -> None:
    case = CASES["a consequence with a period from a fact, params from a derived fact"]
    folder = write_policy(tmp_path / "policy", policy_text(case.steps, case.hits))
    assert [("a", "2022-Q1", 2), ("b", "2022-05", 4)] == hits_of(both(folder, case.facts))


def test_many_facts_to_find_join_alike(tmp_path: Path) -> None:
    """A rule of eight patterns, three of one type and one untied, with an absent one."""
    steps = [
        (
            [
                "unit as u: {}",
                "thing as a: {unit: $u.unit, tag: x}",
                "link as b: {}",
                "thing as c: {unit: $u.unit}",
                "link as d: {to: $b.to}",
                "thing as e: {n: $c.n}",
                "tally as f: {unit: $e.unit}",
                "unit as g: {unit: $b.unit}",
                "no link: {unit: $u.unit, to: $a.tag}",
            ],
            "{unit: $u.unit, v: {add: [$a.n, $c.n, $e.n, $f.n]}, w: {first_known: [$b.n, $d.n, $g.n]}}",
        )
    ]
    facts = {
        "units": [{"id": "a", "n": 7}, {"id": "b"}],
        "things": [
            {"unit": "a", "tag": "x", "n": 1},
            {"unit": "a", "tag": "x", "n": 2},
            {"unit": "a", "n": 2},
            {"unit": "b", "n": 1, "tag": "x"},
            {"unit": "b", "n": 2},
        ],
        "links": [{"unit": "a", "to": "p", "n": 3}, {"unit": "b", "to": "p"}, {"unit": "b", "to": "x"}],
    }
    result = both(write_policy(tmp_path / "policy", policy_text(steps)), facts)
    assert steps_of(result)


# ---- dated parameters: one variant per epoch --------------------------------------------------

DATED = """\
parameters:
  bar:
    values:
      2022-01-01: 1
      2022-07-01: 2
      2023-01-01: 3
    set_by: headquarters
    description: {zh: 门槛, en: a bar}
"""


def test_variants_of_a_rule_by_date_join_alike(tmp_path: Path) -> None:
    hits = [
        (
            ["thing as t: {n: {at_least: $params.bar}}", "link as l: {unit: $t.unit}", "no link: {unit: $l.to}"],
            "{consequence: hit, unit: $t.unit, period: $t.period, params: {v: {add: [$params.bar, $l.n]}}}",
        )
    ]
    steps = [(["thing as t: {n: {at_least: $params.bar}}"], "{unit: $t.unit, v: $t.period, w: $t.n}")]
    folder = write_policy(tmp_path / "policy", DATED + policy_text(steps, hits))
    facts = {
        "units": UNITS,
        "things": [
            {"unit": "a", "period": period, "n": n}
            for period in ("2022-Q1", "2022-Q3", "2023-05", "2022")
            for n in (1, 2, 3)
        ],
        "links": [{"unit": "a", "to": "c", "n": 10}, {"unit": "b", "to": "a"}],
    }
    result = both(folder, facts)
    assert {("a", "2022-Q1", 11), ("a", "2022", 11), ("a", "2022-Q3", 12), ("a", "2023-05", 13)} == set(hits_of(result))
    assert ("a", "2022-Q3", 1) not in steps_of(result)
    assert ("a", "2022-Q3", 2) in steps_of(result)


# ---- random rule sets ------------------------------------------------------------------------

FIELDS = {
    "unit": ("unit", "n"),
    "thing": ("unit", "tag", "n", "flag", "period"),
    "link": ("unit", "to", "n", "flag"),
    "tally": ("unit", "n"),
    "step": ("unit", "v", "w"),
}
TIED = {
    ("to", "unit"),
    ("unit", "to"),
    ("v", "unit"),
    ("unit", "v"),
    ("w", "n"),
    ("n", "w"),
    ("flag", "n"),
    ("v", "tag"),
}
"""Fields of other names that a join may tie (true against 1 among them), beside fields of one name."""
CONDITIONS = {
    "unit": ["a", "{not: b}"],
    "tag": ["x", "'1'", "{one_of: [x, y]}"],
    "to": ["a", "{none_of: [b]}"],
    "n": ["0", "1", "1.5", "{below: 2}", "{one_of: [0, 2]}", "{not: 1}", "{at_least: 1}"],
    "flag": ["true", "false", "{not: true}"],
    "period": ["2022-Q1", "{one_of: [2022-Q1, 2022-05]}"],
    "v": ["1", "a", "true", "{one_of: [a, 1]}"],
    "w": ["1", "{not: 0}"],
}


def _conditions(draw: st.DrawFn, fact_type: str) -> list[str]:
    chosen = draw(
        st.lists(st.sampled_from(FIELDS[fact_type]), max_size=draw(st.sampled_from([0, 0, 1, 2])), unique=True)
    )
    return [f"{field}: {draw(st.sampled_from(CONDITIONS[field]))}" for field in chosen]


def _pattern(draw: st.DrawFn, fact_type: str, found: list[tuple[str, str]], joins: int) -> list[str]:
    tests = _conditions(draw, fact_type)
    fields = [f for f in FIELDS[fact_type] if not any(t.startswith(f + ":") for t in tests)]
    for _ in range(joins if found else 0):
        if not fields:
            break
        mine = draw(st.sampled_from(fields))
        fields.remove(mine)
        alias, other = draw(st.sampled_from(found))
        alike = [f for f in FIELDS[other] if f == mine or (f, mine) in TIED]
        mostly_alike: bool = bool(alike) and draw(st.integers(0, 4)) > 0
        theirs: str = draw(st.sampled_from(alike if mostly_alike else FIELDS[other]))
        tests.insert(draw(st.integers(0, len(tests))), f"{mine}: ${alias}.{theirs}")
    return tests


def _value(draw: st.DrawFn, found: list[tuple[str, str]], arithmetic: bool) -> str:
    def ref(numbers: bool = False) -> str:
        alias, fact_type = draw(st.sampled_from(found))
        fields = FIELDS[fact_type]
        if numbers and draw(st.integers(0, 9)):  # now and then text or true, which fails
            fields = tuple(f for f in fields if f in ("n", "w")) or fields
        return f"${alias}.{draw(st.sampled_from(fields))}"

    kinds = ["ref", "ref", "const", "first_known"] + (["add", "divide"] if arithmetic else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "ref":
        return ref()
    if kind == "const":
        return draw(st.sampled_from(["1", "x", "2022-Q1", "true", "0.5"]))
    if kind == "first_known":
        return f"{{first_known: [{ref()}, {ref()}]}}"
    if kind == "add":
        return f"{{add: [{ref(True)}, {draw(st.sampled_from(['1', '0.25', ref(True)]))}]}}"
    return f"{{divide: [1, {ref(True)}]}}"


@st.composite
def rule_of(draw: st.DrawFn, types: list[str], absent_types: list[str], consequence: bool) -> tuple[list[str], str]:
    """One rule: one to four facts to find (joined or not), up to two absent ones among them, an output."""
    found: list[tuple[str, str]] = []
    positives = []
    for index in range(draw(st.sampled_from([1, 2, 2, 3, 3, 4]))):
        fact_type = draw(st.sampled_from(types))
        tests = _pattern(draw, fact_type, found, draw(st.sampled_from([0, 1, 1, 1, 2])))
        positives.append(f"{fact_type} as f{index}: {{{', '.join(tests)}}}")
        found.append((f"f{index}", fact_type))
    absent: dict[int, list[str]] = {}
    for _ in range(draw(st.integers(0, 2))):
        fact_type = draw(st.sampled_from(absent_types))
        after = draw(st.integers(1, len(found)))  # written after the facts it reads
        tests = _pattern(draw, fact_type, found[:after], draw(st.sampled_from([0, 1, 1, 2])))
        absent.setdefault(after, []).append(f"no {fact_type}: {{{', '.join(tests)}}}")
    when = [line for n, pattern in enumerate(positives, 1) for line in [pattern, *absent.get(n, [])]]
    # A rule that reads its own derived fact copies values only, so that the derivation ends.
    arithmetic = not any(fact_type == "step" for _, fact_type in found)
    v = _value(draw, found, arithmetic)
    if consequence:
        period = draw(st.sampled_from(["2022", "2022-Q2", _value(draw, found, False)]))
        return when, f"{{consequence: hit, unit: $f0.unit, period: {period}, params: {{v: {v}}}}}"
    w = draw(st.sampled_from(["$this.v", "0", _value(draw, found, arithmetic)]))
    return when, f"{{unit: $f0.unit, v: {v}, w: {w}}}"


@st.composite
def rule_sets(draw: st.DrawFn) -> str:
    """Up to three rules deriving ``step`` (from itself too), and up to two giving ``hit``."""
    inputs = ["unit", "thing", "link", "tally"]
    every = [*inputs, "step"]
    steps = draw(st.lists(rule_of(every, inputs, False), min_size=1, max_size=3))
    hits = draw(st.lists(rule_of(every, every, True), max_size=2))
    return policy_text(steps, hits)


def _optional(draw: st.DrawFn, item: dict[str, Any], field: str, values: list[Any]) -> None:
    value = draw(st.sampled_from([None, *values]))
    if value is not None:
        item[field] = value


@st.composite
def small_facts(draw: st.DrawFn) -> dict[str, Any]:
    """Units a and b, and a few things and links whose values are the ones that join or part."""
    numbers = [0, 1, 2, 1.5]
    units = []
    for uid in ("a", "b"):
        unit: dict[str, Any] = {"id": uid}
        _optional(draw, unit, "n", [0, 1, 2])
        units.append(unit)
    things = []
    for _ in range(draw(st.integers(1, 6))):
        thing: dict[str, Any] = {"unit": draw(st.sampled_from(["a", "b"]))}
        _optional(draw, thing, "tag", ["x", "1", "a", "2022-Q1"])
        _optional(draw, thing, "n", numbers)
        _optional(draw, thing, "flag", [True, False])
        _optional(draw, thing, "period", ["2022-Q1", "2022-05", "2022"])
        things.append(thing)
    links = []
    for _ in range(draw(st.integers(0, 4))):
        link: dict[str, Any] = {"unit": draw(st.sampled_from(["a", "b"]))}
        _optional(draw, link, "to", ["a", "b", "x"])
        _optional(draw, link, "n", numbers)
        _optional(draw, link, "flag", [True, False])
        links.append(link)
    return {"units": units, "things": things, "links": links}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=rule_sets(), facts=small_facts())
def test_random_rule_sets_give_the_native_decision(
    tmp_path_factory: pytest.TempPathFactory, text: str, facts: dict[str, Any]
) -> None:
    """Whatever rules an author writes from these parts, the compiled engine gives native's JSON, or its error."""
    folder = write_policy(tmp_path_factory.mktemp("rules") / "policy", text)
    try:
        civpolicy.load_policy(folder, engine="native")
    except civpolicy.PolicyError:
        assume(False)  # a rule set the checker refuses says nothing here
    engine = civpolicy.load_policy(folder, engine="compiled").engine
    assert isinstance(engine, CompiledEngine)
    assert_made_here(engine)
    native = outcome(folder, "native", facts)
    assert not native.startswith("unexpected"), native
    assert native == outcome(folder, "compiled", facts)


# ---- the shipped policy on generated populations ----------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> dict[str, civpolicy.Policy]:
    return {engine: civpolicy.load_policy(engine=engine) for engine in ("native", "compiled")}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(facts=strategies.facts(max_units=4))
def test_the_shipped_policy_decides_alike(shipped: dict[str, civpolicy.Policy], facts: dict[str, Any]) -> None:
    def run(engine: str) -> str:
        try:
            return shipped[engine].evaluate(facts).to_json()
        except civpolicy.CivpolicyError as error:
            return f"{type(error).__name__}: {error}"

    assert run("native") == run("compiled")


def test_an_engine_evaluates_again_as_new(tmp_path: Path) -> None:
    """Nothing of one run stays in the engine: the second evaluation is the first's, and native's."""
    case = CASES["a recursive rule reaches every unit of a chain (facts filed while the join runs)"]
    policy = civpolicy.load_policy(write_policy(tmp_path / "policy", policy_text(case.steps)), engine="compiled")
    first = policy.evaluate(case.facts).to_json()
    policy.evaluate({"units": UNITS, "links": [{"unit": "d", "to": "a"}]})
    assert first == policy.evaluate(case.facts).to_json()


def test_the_compiled_engine_makes_no_reference_cycles(tmp_path: Path) -> None:
    """With absent facts (their notes keep the matched facts), recursion and an aggregate, no cyclic garbage."""
    steps = [
        (["link as l: {}", "no thing: {unit: $l.to}"], "{unit: $l.unit, v: $l.to, w: 1}"),
        (
            ["step as s: {}", "link as l: {unit: $s.v}", "tally as t: {unit: $s.unit}"],
            "{unit: $s.unit, v: $l.to, w: $t.n}",
        ),
    ]
    policy = civpolicy.load_policy(write_policy(tmp_path / "policy", policy_text(steps)), engine="compiled")
    facts = {
        "units": UNITS,
        "links": [{"unit": "a", "to": "b"}, {"unit": "b", "to": "c"}, {"unit": "c", "to": "a"}],
        "things": [{"unit": "c"}],
    }
    policy.evaluate(facts).to_json()
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        decision = policy.evaluate(facts)
        decision.to_json()
        del decision
        assert gc.collect() == 0
    finally:
        if was:
            gc.enable()


# ---- hostile names: only constants in the source, and the native decision ---------------------

HOSTILE_FIELD = "x'); import os; os._exit(3) #"
HOSTILE_VALUE = '"""\nraise SystemExit(4)\n"""'


def test_hostile_names_and_values_stay_constants(tmp_path: Path) -> None:
    """An input field, a derived fact's field, a consequence's param and a value, each written to break
    out of a literal, reach the source as constants of that very text, and decide as native decides."""
    quoted, value = json.dumps(HOSTILE_FIELD), json.dumps(HOSTILE_VALUE)
    text = policy_text(
        [
            (
                [f"thing as t: {{{quoted}: {value}}}", f"thing as u: {{{quoted}: $t.tag}}"],
                f"{{unit: $t.unit, v: $u.tag, w: {value}, {quoted}: $t.tag}}",
            )
        ],
        [(["step as s: {}"], f"{{consequence: hit, unit: $s.unit, period: 2022, params: {{{quoted}: $s.w}}}}")],
    )
    text = text.replace(
        "      period: {type: period}\n", f"      period: {{type: period}}\n      {quoted}: {{type: text}}\n", 1
    )
    text = text.replace("    params: [v]\n", f"    params: [{quoted}]\n", 1)
    folder = write_policy(tmp_path / "policy", text)
    facts = {
        "units": UNITS,
        "things": [
            {"unit": "a", "tag": "y", HOSTILE_FIELD: HOSTILE_VALUE},
            {"unit": "b", "tag": "z", HOSTILE_FIELD: "y"},
        ],
    }
    engine = civpolicy.load_policy(folder, engine="compiled").engine
    assert isinstance(engine, CompiledEngine)
    assert_made_here(engine)
    constants = {node.value for node in ast.walk(ast.parse(engine.source)) if isinstance(node, ast.Constant)}
    assert {HOSTILE_FIELD, HOSTILE_VALUE, f"params.{HOSTILE_FIELD}"} <= constants
    result = both(folder, facts)
    assert [("a", "z", HOSTILE_VALUE)] == steps_of(result)
    assert [{HOSTILE_FIELD: HOSTILE_VALUE}] == [c["params"] for c in json.loads(result)["consequences"]]


# ---- at the limits of what Python compiles --------------------------------------------------
#
# The policies below pass ``civpolicy check`` and the native engine evaluates them; the
# compiled engine's source for them does not compile (the engine is made on first use, so
# ``evaluate`` raises a SyntaxError, no CivpolicyError).


def _nineteen_facts() -> tuple[str, dict[str, Any], list[tuple[Any, ...]]]:
    when = ["unit as u: {}"] + [f"thing as t{n}: {{unit: $u.unit, n: {n}}}" for n in range(18)]
    facts = {"units": UNITS, "things": [{"unit": "a", "n": n} for n in range(18)]}
    return policy_text([(when, "{unit: $u.unit, v: $t17.n, w: $t0.n}")]), facts, [("a", 17, 0)]


def _nested_calculation() -> tuple[str, dict[str, Any], list[tuple[Any, ...]]]:
    value = "$t.n"
    for _ in range(100):
        value = f"{{floor: {value}}}"
    text = policy_text([(["thing as t: {}"], f"{{unit: $t.unit, v: {value}, w: 0}}")])
    return text, {"units": UNITS, "things": [{"unit": "a", "n": 2.5}]}, [("a", 2, 0)]


NO_FIELDS = """\
  mark:
    description: {zh: 标, en: a mark}
    source: 二（四）1
    text: 年度综合考评被评定为“差”的单位
    says: "marked"
    rules:
      - id: mark.rule
        when:
          - thing as t: {}
        then: {}
"""


def _no_fields() -> tuple[str, dict[str, Any], list[tuple[Any, ...]]]:
    text = policy_text([(["thing as t: {n: 1}"], "{unit: $t.unit, v: 1, w: 1}")])
    text = text.replace("consequences:", NO_FIELDS + "consequences:", 1)
    text += "  mark: {fact: mark, description: {zh: 标, en: marks}, fields: []}\n"
    return text, {"units": UNITS, "things": [{"unit": "a", "n": 1}]}, [("a", 1, 1)]


AT_THE_LIMITS = {
    # codegen nests one for loop per fact found, and the try of the output inside them all:
    # Python allows 20 nested blocks, so a rule of more than codegen.MOST_PATTERNS patterns is
    # interpreted (once "SyntaxError: too many statically nested blocks")
    "a rule with nineteen facts to find": _nineteen_facts,
    # each calculation is written apply_call(op, [...]), two brackets a level, and Python reads
    # at most 200 nested brackets: a deeper one than codegen.DEEPEST_VALUE is interpreted
    # (once "SyntaxError: too many nested parentheses")
    "a calculation nested 100 deep": _nested_calculation,
    # no output value: the try holds a pass (once "IndentationError: expected an indented block")
    "a derived fact with no fields (then: {})": _no_fields,
}


@pytest.mark.parametrize("name", list(AT_THE_LIMITS))
def test_the_native_engine_evaluates_policies_at_the_limits(tmp_path: Path, name: str) -> None:
    text, facts, rows = AT_THE_LIMITS[name]()
    assert rows == steps_of(outcome(write_policy(tmp_path / "policy", text), "native", facts))


@pytest.mark.parametrize("name", list(AT_THE_LIMITS))
def test_the_compiled_engine_evaluates_policies_at_the_limits(tmp_path: Path, name: str) -> None:
    text, facts, _ = AT_THE_LIMITS[name]()
    folder = write_policy(tmp_path / "policy", text)
    assert outcome(folder, "native", facts) == outcome(folder, "compiled", facts)
