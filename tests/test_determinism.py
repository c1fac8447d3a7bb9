"""Results that must not depend on the order an engine finds matches in.

Each case runs through every engine the installation has and asserts the exact result:
which derivation a derived fact keeps, which firing of a consequence is kept, which
error is raised when several firings fail, and that true is not 1 in derived facts.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import civpolicy
from engines import ENGINES

CLAUSE = """\
    source: 二（四）2
    text: 季度考评被评定为“差”的文明单位，停发该单位一个季度文明单位奖金。
"""

NAMED = f"""\
derived:
  named:
    description: {{zh: 测试, en: a unit named in a bulletin}}
{CLAUSE}    says: "{{unit}} named"
    rules:
      - id: named.criticised
        when:
          - criticism as c: {{}}
        then: {{unit: $c.unit}}
reports:
  named: {{fact: named, description: {{zh: t, en: t}}, fields: [unit]}}
"""

THINGS = f"""\
inputs:
  thing:
    from: things
    description: {{zh: 测试, en: a thing}}
    says: "thing of {{unit}} tagged {{tag}}"
    key: null
    fields:
      unit: {{type: unit, required: true}}
      tag: {{type: text}}
consequences:
  thing.noted:
    description: {{zh: 测试, en: a thing noted}}
    period: year
rules:
  - id: thing.noted
{CLAUSE}    summary: {{zh: 测试, en: a thing is noted}}
    when:
      - thing as t: {{}}
      - no withholding: {{unit: $t.unit}}
        says: "no withholding beside thing number {{t.seq}}"
    then:
      consequence: thing.noted
      unit: $t.unit
      period: "2022"
"""

FAILING = f"""\
derived:
  failing:
    description: {{zh: 测试, en: a value that cannot be computed}}
{CLAUSE}    says: "{{unit}} fails"
    rules:
      - id: failing.add
        when:
          - unit as u: {{}}
        then: {{unit: $u.unit, v: {{add: [$u.unit, 1]}}}}
"""

FLAGS = f"""\
derived:
  flag:
    description: {{zh: 测试, en: a flag that is true or 1}}
{CLAUSE}    says: "{{unit}} flagged {{v}}"
    rules:
      - id: flag.true
        when:
          - unit as u: {{}}
        then: {{unit: $u.unit, v: true}}
      - id: flag.one
        when:
          - unit as u: {{}}
        then: {{unit: $u.unit, v: 1}}
  flag_true:
    description: {{zh: 测试, en: a flag that is true}}
{CLAUSE}    says: "{{unit}} flag true"
    rules:
      - id: flag_true.seen
        when:
          - flag as f: {{v: true}}
        then: {{unit: $f.unit}}
reports:
  flags: {{fact: flag, description: {{zh: t, en: t}}, fields: [unit, v]}}
  flags_true: {{fact: flag_true, description: {{zh: t, en: t}}, fields: [unit]}}
"""

# Each of two links derives `linked` directly and through the other one (a recursive rule):
# a rank on the premises alone would have each fact explained by the other, a cycle.
LINKED = f"""\
derived:
  linked:
    description: {{zh: 测试, en: two units linked either way}}
{CLAUSE}    says: "{{unit}} linked with {{other}}"
    rules:
      - id: linked.mirror
        when:
          - linked as x: {{}}
        then: {{unit: $x.other, other: $x.unit}}
      - id: linked.direct
        when:
          - link as l: {{}}
        then: {{unit: $l.unit, other: $l.community}}
reports:
  linked: {{fact: linked, description: {{zh: t, en: t}}, fields: [unit, other]}}
"""


def policy_with(tmp_path: Path, text: str, engine: str) -> civpolicy.Policy:
    """The shipped policy with one more file."""
    from policy_copies import copy_policy

    folder = copy_policy(tmp_path / "policy")
    (folder / "determinism.yaml").write_text(text, encoding="utf-8")
    return civpolicy.load_policy(folder, engine=engine)


def line_of(tmp_path: Path, text: str) -> int:
    """The line of the added policy file where ``text`` stands (the rule, or the derived fact, that fails)."""
    lines = (tmp_path / "policy" / "determinism.yaml").read_text(encoding="utf-8").splitlines()
    (number,) = [n for n, line in enumerate(lines, 1) if line.strip() == text]
    return number


def rows(decision: civpolicy.Decision, report: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = decision.to_dict()[report]
    return found


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("reverse", [False, True])
def test_a_derived_fact_keeps_its_earliest_derivation(engine: str, reverse: bool, tmp_path: Path) -> None:
    """Derived twice from different facts, a fact is explained by the earliest evidence."""
    policy = policy_with(tmp_path, NAMED, engine)
    criticisms = [{"unit": "a", "bulletin": "2022-03"}, {"unit": "a", "bulletin": "2022-04"}]
    facts = {"units": [{"id": "a"}], "criticisms": criticisms[::-1] if reverse else criticisms}
    decision = policy.evaluate(facts)
    expected = [{"unit": "a", "provisional": False, "because": ["a criticised in the bulletin of 2022-03"]}]
    assert rows(decision, "named") == expected


@pytest.mark.parametrize("engine", ENGINES)
def test_a_recursive_derivation_is_explained_without_a_cycle(engine: str, tmp_path: Path) -> None:
    """A fact derived directly and through a recursive rule is explained by the shortest way."""
    policy = policy_with(tmp_path, LINKED, engine)
    facts = {
        "units": [{"id": "a"}, {"id": "b"}],
        "links": [{"unit": "a", "community": "b"}, {"unit": "b", "community": "a"}],
    }
    decision = policy.evaluate(facts)
    assert [(row["unit"], row["other"], row["because"]) for row in rows(decision, "linked")] == [
        ("a", "b", ["a is linked to the grid of b"]),
        ("b", "a", ["b is linked to the grid of a"]),
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_of_firings_alike_but_for_seq_the_first_is_kept(engine: str, tmp_path: Path) -> None:
    """Two identical input facts (key: null) fire one consequence twice: the first input's firing is kept."""
    policy = policy_with(tmp_path, THINGS, engine)
    decision = policy.evaluate(
        {"units": [{"id": "a"}], "things": [{"unit": "a", "tag": "x"}, {"unit": "a", "tag": "x"}]}
    )
    noted = [c for c in decision.to_dict()["consequences"] if c["kind"] == "thing.noted"]
    assert [(c["unit"], c["period"], c["because"]) for c in noted] == [
        ("a", "2022", ["thing of a tagged x", "no withholding beside thing number 0"])
    ]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("units", [["a", "b"], ["b", "a"], ["c", "b", "a"]])
def test_of_several_failing_firings_the_first_is_told(engine: str, units: list[str], tmp_path: Path) -> None:
    """When a rule's output fails for several facts, the error is the one of the earliest facts."""
    policy = policy_with(tmp_path, FAILING, engine)
    message = "rule failing.add: v: add needs numbers (got ['a', 1])"
    where = f"{tmp_path / 'policy' / 'determinism.yaml'}:{line_of(tmp_path, '- id: failing.add')}:1: "
    with pytest.raises(civpolicy.EngineError, match=f"^{re.escape(where + message)}$"):
        policy.evaluate({"units": [{"id": unit} for unit in units]})


@pytest.mark.parametrize("engine", ENGINES)
def test_true_is_not_1_in_derived_facts(engine: str, tmp_path: Path) -> None:
    """Derived facts that differ only by true against 1 are two facts; a rule asking for true finds one."""
    policy = policy_with(tmp_path, FLAGS, engine)
    decision = policy.evaluate({"units": [{"id": "a"}, {"id": "b"}]})
    assert [(row["unit"], row["v"], row["because"]) for row in rows(decision, "flags")] == [
        ("a", 1, ["unit a: category none, civilized unit no, vertically managed no"]),
        ("a", True, ["unit a: category none, civilized unit no, vertically managed no"]),
        ("b", 1, ["unit b: category none, civilized unit no, vertically managed no"]),
        ("b", True, ["unit b: category none, civilized unit no, vertically managed no"]),
    ]
    assert [row["unit"] for row in rows(decision, "flags_true")] == ["a", "b"]


def test_derived_facts_are_ordered_by_content_not_by_when_they_were_derived() -> None:
    """A derived fact's order key leaves out its id (which counts the facts derived before it)."""
    from civpolicy.engine.workspace import Derivation, Workspace

    policy = civpolicy.load_policy(engine="native")
    orders = []
    for values in ([1, 2], [2, 1]):
        space = Workspace(policy.plans)
        derived = [space.derive({"type": "x", "unit": "a", "n": n}, Derivation("r", ())) for n in values]
        facts = [fact for fact in derived if fact is not None]
        assert len(facts) == len(values)
        orders.append([fact["n"] for fact in sorted(facts, key=space.order_key)])
    assert orders == [[1, 2], [1, 2]]


ITEMS = """\
inputs:
  item:
    from: items
    description: {zh: 测试, en: an item}
    says: "item of {unit}"
    key: null
    fields:
      unit: {type: unit, required: true}
      tag: {type: text}
      n: {type: number}
derived:
  probe:
    description: {zh: 测试, en: an aggregate over items}
"""

TAG_TOTAL = """\
    for_each:
      unit as u: {}
    sum:
      item as i: {unit: $u.unit}
    value: $i.tag
    then: {unit: $u.unit, total: $sum}
"""

FIRST_BY_TAG_OR_NUMBER = """\
    for_each:
      unit as u: {}
    first:
      item as i: {unit: $u.unit}
    order_by: [{first_known: [$i.tag, $i.n]}]
    then: {unit: $u.unit, total: $i.tag}
"""


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("aggregate", "message"),
    [
        (TAG_TOTAL, "rule probe: value: a sum needs numbers (got 'x')"),
        (FIRST_BY_TAG_OR_NUMBER, "rule probe: order_by: cannot order text and numbers together"),
    ],
    ids=["sum-of-text", "order-text-with-numbers"],
)
def test_an_aggregate_that_cannot_add_or_order_its_group_is_an_engine_error(
    engine: str, aggregate: str, message: str, tmp_path: Path
) -> None:
    """A sum over text, or an order_by mixing text and numbers, is an EngineError naming the rule."""
    text = ITEMS + CLAUSE + '    says: "{unit}: {total}"\n' + aggregate
    policy = policy_with(tmp_path, text, engine)
    facts = {"units": [{"id": "a"}], "items": [{"unit": "a", "n": 1}, {"unit": "a", "n": 2, "tag": "x"}]}
    # A derived fact stands at the first line of its entry, below its name (as `civpolicy check` tells it).
    where = f"{tmp_path / 'policy' / 'determinism.yaml'}:{line_of(tmp_path, 'probe:') + 1}:1: "
    with pytest.raises(civpolicy.EngineError, match=f"^{re.escape(where + message)}$"):
        policy.evaluate(facts)
