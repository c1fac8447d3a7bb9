"""The compiled engine: the native engine's join plans as generated Python, compiled once per policy.

Same evaluation as :mod:`civpolicy.engine.native` (stratified, semi-naive, hash joins on
shared memories; aggregates, outputs and provenance in the workspace), with two
differences that change how fast, never what:

- every rule's join from each starting pattern, and every fact type's filing in the
  indexes, is a function written out by :mod:`civpolicy.engine.codegen` and compiled
  with ``compile()`` when the engine is made: locals instead of dictionaries of bound
  facts, no closure per step, the output's values computed inline;
- patterns are joined in connected order (each next pattern tied by an equality to those
  bound before, where one is), so no rule enumerates a cross product it then filters;
- an aggregate that reads plain fields (its group's key and conditions, its order or value)
  is a generated loop too, calling the workspace's own functions for groups, totals, the
  first fact and premises, and its interpreted path for any fact whose output fails.

``CIVPOLICY_SHOW_SOURCE=1`` prints the generated source to standard error when an engine
is made (for reading, never for running).
"""

from __future__ import annotations

import os
import sys
from bisect import bisect_left
from collections.abc import Callable
from typing import Any

from civpolicy.engine import codegen
from civpolicy.engine.native import JoinPlan, NativeEngine, Search, Step
from civpolicy.engine.plans import Plans, RulePlan, apply_call, filtered
from civpolicy.engine.workspace import PERIOD_FIELDS, Derivation, Workspace, group_totals
from civpolicy.errors import EngineError
from civpolicy.facts.items import Fact
from civpolicy.source.expressions import Const, ExpressionError
from civpolicy.source.model import Test

Inserter = Callable[[Fact, int], None]
JoinFunction = Callable[[int, int], None]
MODULE = "<civpolicy compiled rules>"


class CompiledEngine(NativeEngine):
    """Evaluates a compiled policy with generated, compiled Python: the default engine."""

    name = "compiled"
    session = "document"

    def __init__(self, plans: Plans) -> None:
        super().__init__(plans, connected=True)
        self.fact_types = sorted(self.routes)
        """The fact types some pattern reads, in the order of the generated filing functions."""
        self.calls: list[list[tuple[int, int]]] = [[] for _ in range(plans.policy.strata)]
        """Per stratum: (memory of the starting pattern, join function number), in the native engine's order."""
        self.interpreted: dict[int, tuple[RulePlan, JoinPlan, list[Step]]] = {}
        """The joins of rules too deep for Python's nesting limits, by number: the native engine's own."""
        self.aggregates = [
            [n for n, plan in enumerate(plans.aggregates) if plan.aggregate.stratum == stratum]
            for stratum in range(plans.policy.strata)
        ]
        """Per stratum: the numbers of its aggregates, in the policy's order."""
        namespace: codegen.Namespace = {}
        self.source = self._write(namespace)
        """The generated Python source (for reading: ``CIVPOLICY_SHOW_SOURCE=1`` prints it)."""
        if os.environ.get("CIVPOLICY_SHOW_SOURCE"):
            print(self.source, file=sys.stderr)
        namespace.update(
            # The builtins the source may name, and no others (tests/test_codegen.py lists what it names).
            __builtins__={"bool": bool, "str": str, "isinstance": isinstance, "len": len},
            bisect=bisect_left,
            apply_call=apply_call,
            ExpressionError=ExpressionError,
            Derivation=Derivation,
            PERIOD_FIELDS=PERIOD_FIELDS,
            EngineError=EngineError,
            filtered=filtered,
            totals=group_totals,
        )
        # The source holds only identifiers codegen made and literal constants (tests/test_codegen.py).
        try:
            code = compile(self.source, MODULE, "exec")
        except (SyntaxError, RecursionError, MemoryError) as error:  # a limit of Python's compiler not foreseen
            raise EngineError(f"the rules could not be compiled ({error}); --engine native runs them") from None
        exec(code, namespace)
        self.bind_run: Callable[..., Any] = namespace["bind_run"]

    def _write(self, namespace: codegen.Namespace) -> str:
        """The source of ``bind_run``: given one run's indexes, its filing and join functions."""
        out = codegen.Writer()
        out.line(0, "def bind_run(IDX, newest, state, space, inserters):")
        for (_, keys), index_id in sorted(self.index_ids.items(), key=lambda item: item[1]):
            out.line(1, f"I{index_id} = IDX[{index_id}]")
            if not keys:  # the one bucket of an index with no key, made now and appended to
                out.line(1, f"L{index_id} = I{index_id}.setdefault((), [])")
        out.line(1, "give, fire, derive, absent_notes = space.give, space.fire, space.derive, space.absent_notes")
        out.line(1, "of_type, groups, one, first = space.of_type, space.groups_of, space.aggregate_one, space.first_of")
        out.line(1, "premises = space.premises_of")
        out.line(1, "def insert(fact):")
        out.line(2, "serial = state[0]")
        out.line(2, "state[0] = serial + 1")
        out.line(2, "put = inserters.get(fact['type'])")
        out.line(2, "if put is not None:")
        out.line(3, "put(fact, serial)")
        fields = {index_id: fields for (_, fields), index_id in self.index_ids.items()}
        for number, fact_type in enumerate(self.fact_types):
            memories = [
                (accepts, _constant_tests(self, memory), memory, [(i, fields[i]) for i, _ in keyed])
                for accepts, memory, keyed in self.routes[fact_type]
            ]
            codegen.write_inserter(out, 1, f"put_{number}", memories, namespace)
        names: list[str] = []
        for r, plan in enumerate(self.plans.rules):
            join_plans, absent = self.joins[r]
            for start, join_plan in join_plans.items():
                self.calls[plan.rule.stratum].append((self.memory_of[(r, start)], len(names)))
                if not codegen.writable(plan):
                    self.interpreted[len(names)] = (plan, join_plan, absent)
                    names.append("None")
                    continue
                join = codegen.JoinSource(
                    f"rule_{r}_from_{start}",
                    tuple(_step(plan, step, start) for step in join_plan.steps),
                    tuple(_absent(plan, step) for step in absent),
                )
                codegen.write_join(out, 1, join, plan, namespace)
                names.append(join.name)
        aggregates = []
        for n, aggregate in enumerate(self.plans.aggregates):
            if codegen.aggregate_writable(aggregate):
                codegen.write_aggregate(out, 1, f"aggregate_{n}", aggregate, namespace)
                aggregates.append(f"aggregate_{n}")
            else:
                aggregates.append("None")
        puts = "".join(f"put_{n}, " for n in range(len(self.fact_types)))
        out.line(1, f"return ({puts}), insert, [{', '.join(names)}], [{', '.join(aggregates)}]")
        return out.text()

    def run(self, facts: tuple[Fact, ...]) -> Workspace:
        """Derive every fact and fire every rule for these facts."""
        space = Workspace(self.plans, offers_once=True)  # each combination is enumerated once
        indexes: list[dict[tuple[Any, ...], list[tuple[int, Fact]]]] = [{} for _ in self.index_ids]
        newest = [-1] * (max(self.memory_of.values(), default=-1) + 1)
        state = [0]
        inserters: dict[str, Inserter] = {}
        puts, insert, joins, aggregates = self.bind_run(indexes, newest, state, space, inserters)
        inserters.update(zip(self.fact_types, puts, strict=True))
        if self.interpreted:
            interpreted = _Interpreted(Search(self, indexes), space, insert)
            for number, (plan, join_plan, absent) in self.interpreted.items():
                joins[number] = interpreted.join(plan, join_plan, absent)
        for fact in space.add_inputs(facts):
            insert(fact)
        for stratum, calls in enumerate(self.calls):
            for number in self.aggregates[stratum]:
                written = aggregates[number]
                for fact in space.run_aggregate(self.plans.aggregates[number]) if written is None else written():
                    insert(fact)
            low, high = 0, state[0]
            while True:
                for memory, number in calls:
                    if newest[memory] >= low:
                        joins[number](low, high)
                if state[0] == high:
                    break
                low, high = high, state[0]
        return space


class _Interpreted:
    """A rule's join from one starting pattern as the native engine runs it, on a compiled run's indexes."""

    def __init__(self, search: Search, space: Workspace, insert: Callable[[Fact], None]) -> None:
        self.search, self.space, self.insert = search, space, insert

    def join(self, plan: RulePlan, join_plan: JoinPlan, absent: list[Step]) -> JoinFunction:
        """The join as a function of the round [low, high), giving every match new in it."""

        def run(low: int, high: int) -> None:
            for env in self.search.matches(plan, join_plan, absent, low, high):
                new = self.space.fire(plan, env)
                if new is not None:
                    self.insert(new)

        return run


def _constant_tests(engine: NativeEngine, memory: int) -> tuple[Test, ...]:
    """The conditions on constants of a memory's patterns (none: every fact of the type goes in)."""
    slot = next(slot for slot, m in engine.memory_of.items() if m == memory)
    pattern = engine.plans.rules[slot[0]].patterns[slot[1]].pattern
    return tuple(test for test in pattern.tests if isinstance(test.value, Const))


def _placed(plan: RulePlan, step: Step) -> tuple[tuple[tuple[int, str], ...], tuple[int, ...]]:
    """A step's key sources as (position, field) and its same-type facts' positions, from the aliases it names."""
    position_of = {p.pattern.alias: i for i, p in enumerate(plan.patterns) if p.pattern.alias}
    sources = tuple((position_of[alias], field) for alias, field in step.sources)
    return sources, tuple(position_of[alias] for alias in step.others)


def _step(plan: RulePlan, step: Step, start: int) -> codegen.StepSource:
    sources, others = _placed(plan, step)
    stop = "low" if step.position < start else "high"
    return codegen.StepSource(step.position, step.index_id, sources, others, stop)


def _absent(plan: RulePlan, step: Step) -> codegen.AbsentSource:
    sources, others = _placed(plan, step)
    return codegen.AbsentSource(step.position, step.index_id, sources, others, len(plan.patterns[step.position].checks))
