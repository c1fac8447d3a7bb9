"""The compiled engine's generated source: only identifiers it made, constants as literals, no policy text otherwise.

The generator (``civpolicy.engine.codegen``) writes Python from the policy's rules. These
tests read the source it wrote as Python's own parser does and show that a policy's names
and strings, however hostile, reach it only as constants, and that a policy written to
break out of them evaluates exactly as the interpreting engine evaluates it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import attrs
import pytest

import civpolicy
from civpolicy.engine.compiled import CompiledEngine
from civpolicy.source.expressions import Call, Const, Ref
from policy_copies import copy_policy

MADE_HERE = re.compile(
    r"(bind_run|IDX|newest|state|space|inserters|give|fire|absent_notes|insert|serial|put|fact|entry"
    r"|b|d|g|k|pf|low|high|new|env|derive|_|[fsgvxy]\d+|[ka]\d+_\d+|blocked\d+|[IPKCAL]\d+|put_\d+|rule_\d+_from_\d+"
    r"|of_type|groups|one|first|premises|G|t|aggregate_\d+)"
)
"""The identifiers the generator makes."""
GIVEN = {"bisect", "apply_call", "ExpressionError", "Derivation", "PERIOD_FIELDS", "EngineError", "filtered", "totals"}
GIVEN |= {"bool", "str", "isinstance", "len"}
"""The names the engine hands the generated code (and four builtins)."""
ATTRIBUTES = {"get", "append", "update", "setdefault", "__class__", "give", "fire", "derive", "absent_notes"}
ATTRIBUTES |= {"of_type", "groups_of", "aggregate_one", "first_of", "premises_of"}

HOSTILE = [
    "'); import os; os._exit(3) #",
    '"""\nimport os\nos._exit(4)\n"""',
    "\\'; raise SystemExit(5); '",
    "{__import__('os')._exit(6)}",
    "f0, fire = None, None",
    "\u2028\u0085\r\n\t\\N{BELL}",
]

HOSTILE_POLICY = """\
inputs:
  thing:
    from: things
    description: {{zh: 测试, en: a test input}}
    says: "{{unit}} thing {{tag}}"
    key: null
    fields:
      unit: {{type: unit, required: true}}
      tag: {{type: text}}
derived:
  probe:
    description: {{zh: 测试, en: a probe}}
    source: 二（四）2
    text: 季度考评被评定为“差”的文明单位，停发该单位一个季度文明单位奖金。
    says: "{{unit}} probed {{said}}"
    rules:
{rules}
  tally:
    description: {{zh: 测试, en: an aggregate probe}}
    source: 二（四）2
    text: 季度考评被评定为“差”的文明单位，停发该单位一个季度文明单位奖金。
    says: "{{unit}} tallied {{said}}"
    for_each:
      thing as t: {{tag: {text}}}
    count:
      thing as o: {{unit: $t.unit, tag: {{not: {other}}}}}
    then: {{unit: $t.unit, said: {text}, n: $count}}
reports:
  probe: {{fact: probe, description: {{zh: t, en: t}}, fields: [unit, said, other]}}
  tally: {{fact: tally, description: {{zh: t, en: t}}, fields: [unit, said, n]}}
"""
RULE = """\
      - id: {rule_id}
        when:
          - thing as t: {{tag: {text}}}
          - unit as u: {{unit: $t.unit}}
          - no thing: {{unit: $t.unit, tag: {other}}}
        then: {{unit: $u.unit, said: {text}, other: {other}}}
"""


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar of any text."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    escaped = escaped.replace("\t", "\\t").replace("\u2028", "\\L").replace("\u0085", "\\N")
    return f'"{escaped}"'


def _strings(value: Any, found: set[str]) -> set[str]:
    """Every text held anywhere in a compiled policy's rules."""
    if isinstance(value, str):
        found.add(value)
    elif isinstance(value, (Const, Ref, Call)) or attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            _strings(getattr(value, field.name), found)
    elif isinstance(value, (tuple, list, frozenset, set)):
        for item in value:
            _strings(item, found)
    elif isinstance(value, dict):
        for key, item in value.items():
            _strings(key, found)
            _strings(item, found)
    return found


def assert_made_here(engine: CompiledEngine) -> None:
    """The source holds only names the generator made or was given, and text only as constants the policy has."""
    tree = ast.parse(engine.source)
    texts = _strings((engine.plans.policy.rules, engine.plans.policy.aggregates), set())
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal, ast.Lambda, ast.ClassDef)):
            raise AssertionError(f"the source has a {type(node).__name__}")
        if isinstance(node, ast.Name):
            assert MADE_HERE.fullmatch(node.id) or node.id in GIVEN, node.id
        elif isinstance(node, ast.FunctionDef):
            assert MADE_HERE.fullmatch(node.name), node.name
        elif isinstance(node, ast.arg):
            assert MADE_HERE.fullmatch(node.arg), node.arg
        elif isinstance(node, ast.Attribute):
            assert node.attr in ATTRIBUTES, node.attr
        elif isinstance(node, ast.Constant):
            value = node.value
            assert value is None or type(value) in (bool, int, float, str), repr(value)
            if isinstance(value, str):
                assert value in texts or value == "type" or value == "id", repr(value)


def test_the_shipped_policy_s_source_is_made_of_its_own_names() -> None:
    policy = civpolicy.load_policy(engine="compiled")
    engine = policy.engine
    assert isinstance(engine, CompiledEngine)
    assert_made_here(engine)


@pytest.fixture(scope="module")
def hostile_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = copy_policy(tmp_path_factory.mktemp("hostile") / "policy")
    rules = "".join(
        RULE.format(rule_id=_quoted(f"probe.{n} {text}"), text=_quoted(text), other=_quoted(text[::-1]))
        for n, text in enumerate(HOSTILE)
    )
    tally = {"text": _quoted(HOSTILE[0]), "other": _quoted(HOSTILE[1])}
    (folder / "probe.yaml").write_text(HOSTILE_POLICY.format(rules=rules, **tally), encoding="utf-8")
    return folder


def test_hostile_strings_stay_constants(hostile_folder: Path) -> None:
    """Every hostile text reaches the source as a constant the parser reads back as that very text."""
    engine = civpolicy.load_policy(hostile_folder, engine="compiled").engine
    assert isinstance(engine, CompiledEngine)
    assert_made_here(engine)
    constants = {node.value for node in ast.walk(ast.parse(engine.source)) if isinstance(node, ast.Constant)}
    assert set(HOSTILE) <= constants


def test_hostile_strings_evaluate_as_the_interpreter_reads_them(hostile_folder: Path) -> None:
    """The process goes on, and every probe fires as the native engine fires it (and no blocked one does)."""
    things = [{"unit": "a", "tag": text} for text in HOSTILE] + [{"unit": "b", "tag": text} for text in HOSTILE]
    things.append({"unit": "b", "tag": HOSTILE[0][::-1]})  # blocks the first probe for b
    facts = {"units": [{"id": "a"}, {"id": "b"}], "things": things}
    compiled = civpolicy.load_policy(hostile_folder, engine="compiled").evaluate(facts).to_json()
    native = civpolicy.load_policy(hostile_folder, engine="native").evaluate(facts).to_json()
    assert native == compiled
    rows = civpolicy.load_policy(hostile_folder, engine="compiled").evaluate(facts).to_dict()["probe"]
    said = sorted((row["unit"], row["said"]) for row in rows)
    expected = sorted([("a", text) for text in HOSTILE] + [("b", text) for text in HOSTILE[1:]])
    assert expected == said
    tallied = civpolicy.load_policy(hostile_folder, engine="compiled").evaluate(facts).to_dict()["tally"]
    assert [(row["unit"], row["said"], row["n"]) for row in tallied] == [("a", HOSTILE[0], 5), ("b", HOSTILE[0], 6)]


def test_a_source_python_cannot_compile_is_an_engine_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A compiler limit the generator did not foresee is told as an engine error naming the way around it."""
    from civpolicy.engine import compiled

    def refuse(source: str, filename: str, mode: str) -> Any:
        raise SyntaxError("too many statically nested blocks")

    monkeypatch.setattr(compiled, "compile", refuse, raising=False)
    with pytest.raises(civpolicy.EngineError, match="--engine native"):
        civpolicy.load_policy(engine="compiled").evaluate({"units": [{"id": "a"}]})


CONSTANTS = ["poor", "", True, False, None, 0, 1, 3, 1.0, 2.5, -1, ("a", "poor"), ("x",)]
VALUES = [None, "poor", "a", "x", "", True, False, 0, 1, 3, 3.0, 1.0, 2.5, -1, 0.0]


@pytest.mark.parametrize("op", ["eq", "in", "out", "lt", "le", "gt", "ge"])
@pytest.mark.parametrize("constant", CONSTANTS, ids=repr)
def test_a_condition_written_inline_reads_as_the_plan_does(op: str, constant: Any) -> None:
    """A condition on a constant written inline holds for exactly the values the planned predicate takes."""
    from civpolicy.engine import codegen
    from civpolicy.engine.plans import plan_pattern
    from civpolicy.source import model as m

    if (op in ("in", "out")) != isinstance(constant, tuple):
        return
    test = m.Test("field", op, Const(constant))
    namespace: dict[str, Any] = {}
    written = codegen.condition(test, namespace)
    if written is None:
        return  # the engine calls the planned predicate itself
    inline = eval(compile(f"lambda fact: {written}", "<test>", "eval"), namespace)  # the test reads the source back
    planned = plan_pattern(m.Pattern("thing", "t", (test,))).accepts
    for value in VALUES:
        fact = {"field": value}
        assert planned(fact) == bool(inline(fact)), (written, value)
    assert planned({}) == bool(inline({}))
