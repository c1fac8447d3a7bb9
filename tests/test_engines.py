"""The engines: durable and native agree; policies are independent; nothing leaks; the engine is generic."""

from __future__ import annotations

import ast
import gc
import os
import re
import threading
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

import civpolicy
from civpolicy.checks.validate import load_model
from engines import ENGINES, NEEDS_DURABLE

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "civpolicy"
EXAMPLE = ROOT / "examples" / "county-2022.yaml"

TWO_POOR_QUARTERS = {
    "units": [{"id": "a", "civilized_unit": True, "headcount": 10, "base_quota": 15}],
    "evaluations": [
        {"unit": "a", "period": "2022-Q1", "grade": "poor"},
        {"unit": "a", "period": "2022-Q2", "grade": "poor"},
        {"unit": "a", "period": "2022", "grade": "poor"},
    ],
    "criticisms": [{"unit": "a", "bulletin": "2022-03"}, {"unit": "a", "bulletin": "2022-04"}],
}


def bonus_rows(decision: civpolicy.Decision) -> list[tuple[str, str]]:
    return [(c.kind, c.period) for c in decision.consequences if c.kind.startswith("civilized_unit_bonus.")]


@pytest.mark.parametrize("engine", ENGINES)
def test_every_engine_gives_the_native_document_on_the_example(engine: str) -> None:
    policy = civpolicy.load_policy(engine=engine)
    native = civpolicy.load_policy(engine="native")
    assert (engine, "native") == (policy.engine.name, native.engine.name)
    assert native.evaluate(EXAMPLE).to_json() == policy.evaluate(EXAMPLE).to_json()


def test_the_default_engine_is_the_compiled_one() -> None:
    assert "compiled" == civpolicy.load_policy().engine.name


@pytest.mark.parametrize("engine", ENGINES)
def test_two_policies_side_by_side_interleaved(engine: str) -> None:
    default = civpolicy.load_policy(engine=engine)
    shorter = civpolicy.load_policy(params={"year_withhold_streak": 2}, engine=engine)
    results = [bonus_rows(policy.evaluate(TWO_POOR_QUARTERS)) for policy in (default, shorter, default, shorter)]
    expected_default = [("civilized_unit_bonus.suspend", "2022-Q1"), ("civilized_unit_bonus.suspend", "2022-Q2")]
    # the streak reaches 2 in 2022-Q2: 2022 is withheld, and its Q1 is not also suspended (reading 15)
    expected_shorter = [("civilized_unit_bonus.withhold_year", "2022")]
    assert [expected_default, expected_shorter, expected_default, expected_shorter] == results
    assert default.digest != shorter.digest


@NEEDS_DURABLE
def test_interleaved_durable_policies_on_the_example_match_fresh_native_ones() -> None:
    default = civpolicy.load_policy(engine="durable")
    shorter = civpolicy.load_policy(params={"year_withhold_streak": 2}, engine="durable")
    interleaved = [default.evaluate(EXAMPLE).to_json(), shorter.evaluate(EXAMPLE).to_json()]
    interleaved.append(default.evaluate(EXAMPLE).to_json())
    fresh = [
        civpolicy.load_policy(engine="native").evaluate(EXAMPLE).to_json(),
        civpolicy.load_policy(params={"year_withhold_streak": 2}, engine="native").evaluate(EXAMPLE).to_json(),
    ]
    assert [fresh[0], fresh[1], fresh[0]] == interleaved
    assert fresh[0] != fresh[1]


@pytest.mark.parametrize("engine", ENGINES)
def test_evaluating_twice_gives_identical_bytes(engine: str) -> None:
    policy = civpolicy.load_policy(engine=engine)
    first = policy.evaluate(EXAMPLE).to_json().encode()
    assert first == policy.evaluate(EXAMPLE).to_json().encode()


@pytest.mark.parametrize("engine", ENGINES)
def test_no_thread_remains_after_evaluations(engine: str) -> None:
    before = threading.active_count()
    policy = civpolicy.load_policy(engine=engine)
    for _ in range(3):
        policy.evaluate(EXAMPLE)
    policy.evaluate(TWO_POOR_QUARTERS)
    assert before == threading.active_count()


def _resident_bytes() -> int:
    with Path("/proc/self/statm").open() as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.parametrize("engine", ENGINES)
def test_memory_does_not_grow_over_many_evaluations(engine: str) -> None:
    policy = civpolicy.load_policy(engine=engine)
    has_proc = Path("/proc/self/statm").exists()
    sizes: dict[int, tuple[int, int]] = {}
    tracemalloc.start()
    try:
        for iteration in range(1, 301):
            policy.evaluate(TWO_POOR_QUARTERS)
            if iteration in (100, 300):
                gc.collect()
                sizes[iteration] = (tracemalloc.get_traced_memory()[0], _resident_bytes() if has_proc else 0)
    finally:
        tracemalloc.stop()
    python_growth = sizes[300][0] - sizes[100][0]
    resident_growth = sizes[300][1] - sizes[100][1]
    assert (True, True) == (python_growth < 64 * 1024, resident_growth < 2 * 1024 * 1024), (
        python_growth,
        resident_growth,
    )


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_durable_engine_imports_durable() -> None:
    importers = sorted(str(p.relative_to(SOURCE)) for p in SOURCE.rglob("*.py") if "durable" in _imports(p))
    assert ["engine/durable.py"] == importers


def _policy_words() -> set[str]:
    """Names and clauses that belong to the policy YAML, never to the engine's code."""
    model = load_model(ROOT / "policy")
    rules = model.all_rules()
    # A finding kind (duty.missed) is named for what the engine reads generically (the duties
    # section): its prefix is no policy word, its full name is.
    words = set(model.kinds) | {kind.split(".")[0] for kind, spec in model.kinds.items() if not spec.finding}
    words |= {rule.id for rule in rules} | {rule.citation.source for rule in rules if rule.citation.source}
    words |= set(model.parameters) | set(model.derived) | set(model.tables)
    words |= {term.id for term in model.vocabularies["grades"]} | {"二（四）", "四（四）", "二（三）"}
    return words


def _mentions(text: str) -> list[str]:
    """Policy words in a text: names as whole names, clause references anywhere."""

    def found(word: str) -> bool:
        if not word.isascii():
            return word in text
        return re.search(rf"(?<![\w]){re.escape(word)}(?![\w])", text) is not None

    return sorted(word for word in _policy_words() if found(word))


def test_the_search_finds_policy_words_and_only_whole_names() -> None:
    text = "if kind == 'civilized_unit.priority' and grade == \"poor\": cite('二（四）2')  # poorly, uncivilized_units"
    assert ["civilized_unit", "civilized_unit.priority", "grade", "poor", "二（四）", "二（四）2"] == _mentions(text)


# Generators of example facts (authoring/strategies.py, authoring/generated.py) write the contract's facts format, whose
# grades and categories are the contract's words, and the impact report (authoring/diff.py) compares the decision's
# `grades` report by its `grade` (contract section 2); the engine and the loaders may not.
FACT_GENERATORS = {"authoring/strategies.py", "authoring/generated.py", "authoring/diff.py"}


@pytest.mark.parametrize(
    "path",
    sorted(p for p in SOURCE.rglob("*.py") if p.relative_to(SOURCE).as_posix() not in FACT_GENERATORS),
    ids=lambda p: str(p.relative_to(SOURCE)),
)
def test_no_source_file_mentions_the_policy(path: Path) -> None:
    expected: list[Any] = []
    assert expected == _mentions(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("collector_on", [True, False])
def test_evaluate_leaves_the_cycle_collector_as_it_found_it(collector_on: bool) -> None:
    """evaluate pauses Python's cycle collector while it runs, and restores it, on or off."""
    policy = civpolicy.load_policy(engine="native")
    was = gc.isenabled()
    try:
        (gc.enable if collector_on else gc.disable)()
        policy.evaluate(TWO_POOR_QUARTERS)
        assert gc.isenabled() is collector_on
        with pytest.raises(civpolicy.FactsError):
            policy.evaluate({"units": [{"id": ""}]})
        assert gc.isenabled() is collector_on
    finally:
        (gc.enable if was else gc.disable)()


@pytest.mark.parametrize("engine", ["native", "compiled"])
def test_the_python_engines_make_no_reference_cycles(engine: str) -> None:
    """Pausing the collector is safe: an evaluation leaves no cyclic garbage behind."""
    policy = civpolicy.load_policy(engine=engine)
    policy.evaluate(EXAMPLE)
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        policy.evaluate(EXAMPLE)
        assert gc.collect() == 0
    finally:
        if was:
            gc.enable()


@pytest.mark.parametrize("engine", ["native", "compiled"])
@pytest.mark.parametrize("example", ["county-2022.yaml", "county-2022-scores.yaml"])
def test_the_python_engines_offer_each_combination_once(
    example: str, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Python engines skip the workspace's fired-set: each rule sees each combination of facts once."""
    from civpolicy.engine.workspace import Workspace

    offered: list[tuple[str, tuple[str, ...]]] = []
    give = Workspace.give

    def recording(self: Workspace, plan: Any, derivation: Any, values: Any) -> Any:
        offered.append((plan.rule.id, derivation.premises))
        return give(self, plan, derivation, values)

    monkeypatch.setattr(Workspace, "give", recording)
    decision = civpolicy.load_policy(engine=engine).evaluate(ROOT / "examples" / example)
    assert decision.consequences
    assert len(offered) == len(set(offered)) > 0


NULL_JOINS = """\
derived:
  tagged:
    description: {zh: 测试, en: a fact whose tag is null}
    source: 二（四）2
    text: 季度考评被评定为“差”的文明单位，停发该单位一个季度文明单位奖金。
    says: "{unit} tagged {tag}"
    rules:
      - id: tagged.null
        when:
          - unit as u: {}
        then: {unit: $u.unit, tag: null}
  paired:
    description: {zh: 测试, en: two facts joined on a null tag}
    source: 二（四）2
    text: 季度考评被评定为“差”的文明单位，停发该单位一个季度文明单位奖金。
    says: "{unit} paired"
    rules:
      - id: paired.on_tag
        when:
          - tagged as a: {}
          - tagged as b: {unit: $a.unit, tag: $a.tag}
        then: {unit: $a.unit}
  alone:
    description: {zh: 测试, en: no other fact with the same null tag}
    source: 二（四）2
    text: 季度考评被评定为“差”的文明单位，停发该单位一个季度文明单位奖金。
    says: "{unit} alone"
    rules:
      - id: alone.on_tag
        when:
          - unit as u: {}
          - tagged as a: {unit: $u.unit}
          - no tagged: {unit: $u.unit, tag: $a.tag}
        then: {unit: $u.unit}
reports:
  paired: {fact: paired, description: {zh: t, en: t}, fields: [unit]}
  alone: {fact: alone, description: {zh: t, en: t}, fields: [unit]}
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_a_null_value_joins_nothing(engine: str, tmp_path: Path) -> None:
    """Between facts, a null (or missing) field equals nothing: no pair, and the absent fact is absent."""
    from policy_copies import copy_policy

    folder = copy_policy(tmp_path / "policy")
    (folder / "null_joins.yaml").write_text(NULL_JOINS, encoding="utf-8")
    decision = civpolicy.load_policy(folder, engine=engine).evaluate({"units": [{"id": "a"}]})
    assert decision.to_dict()["paired"] == []
    assert [row["unit"] for row in decision.to_dict()["alone"]] == ["a"]
