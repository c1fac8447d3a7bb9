"""The durable-rules engine: the compiled rules as one durable ruleset, one session per unit.

This is the only module that imports ``durable``. It works around what
``docs/durable-rules-notes.md`` measured:

- one private ``Host`` per compiled policy, with the timer threads switched off, so
  policies do not share a namespace and no thread is left running;
- the rule definitions are deep-copied before durable consumes them;
- aliases are renamed (``f0``, ``f1``...) so no policy name clashes with ``s`` or ``m``;
- facts are compared across patterns by equality only (the policy checker refuses the
  rest), which is where durable's C code is memory-safe;
- durable's own comparisons differ from the policy's (null equals null, 80 is not 80.0,
  true is 1, text orders against numbers, integers past 2**63 round, a join written after
  a ``one_of`` in the same pattern is dropped), so durable sees every field a pattern
  reads as a typed text key (``n:80``, ``b:true``, ``s:…``; a null or missing value a key
  of its own fact, equal to nothing), is asked only for the equalities, and each match is
  checked again by the patterns' own predicates; the facts a rule asks to be absent are
  looked for in Python, as in the native engine;
- a rule that asks for an absent fact waits for a gate fact asserted only once every
  fact of the lower strata is in, so negation does not depend on arrival order;
- actions only record what matched; the workspace gives outputs outside durable, so an
  exception cannot be swallowed, and derived facts are asserted once each;
- every fact carries a unique ``id``; durable still tells facts apart by a 32-bit hash,
  so in a large session two distinct facts can collide: a refusal as "already observed"
  (every fact asserted is new) starts the run again with salted ids, a few times at most;
- a session holds a whole facts document (a county), because ranking and weighted means
  relate units; sessions of hundreds of thousands of facts grow memory fast (measured in
  docs/benchmarks.md), so evaluate county by county (``civpolicy batch``);
- only the facts some pattern accepts are asserted (durable refuses the others), each
  with only the fields patterns read, in one call per step: JSON encoding is most of
  durable's cost;
- each session is deleted after use (a first gate fact makes sure an action ran, as
  deleting a session where none ran crashes), and one lock keeps
  a ruleset to one thread at a time.
"""

from __future__ import annotations

import copy
import itertools
import threading
import warnings
from typing import Any

from civpolicy.canonical import canonical_json
from civpolicy.engine.plans import Plans, RulePlan
from civpolicy.engine.workspace import Workspace
from civpolicy.errors import EngineError
from civpolicy.facts.items import Fact, plain
from civpolicy.source import model as m
from civpolicy.source.expressions import Const, Ref

# durable-rules calls datetime.utcfromtimestamp on every action, deprecated since 3.12.
warnings.filterwarnings("ignore", category=DeprecationWarning, module="durable")
try:
    from durable import engine as _durable
except ImportError:  # pragma: no cover - depends on the installation
    _durable = None

RULESET = "civpolicy"
COLLISION_RETRIES = 5
GATE = "$gate"


class _Collision(Exception):
    """durable-rules refused a new fact as one it had seen: a hash collision."""


def durable_available() -> bool:
    """Whether durable-rules can be imported here."""
    return _durable is not None


class DurableEngine:
    """Evaluates a compiled policy in durable-rules' Rete network."""

    name = "durable"
    session = "document"
    """One session per facts document (a county): rankings and weighted means need them all."""

    def __init__(self, plans: Plans) -> None:
        if _durable is None:
            raise EngineError("durable-rules is not installed")
        self.plans = plans
        self.policy = plans.policy
        self._lock = threading.Lock()
        self._sessions = itertools.count()
        self._matches: list[tuple[RulePlan, dict[str, str]]] = []
        self._errors: list[BaseException] = []
        self._salt = ""
        self._sessions_acted: set[str] = set()
        self._fields: dict[str, set[str]] = {}
        """Per fact type, the fields durable's conditions read (each sent as a typed key)."""
        self._accepts: dict[str, list[Any]] = {}
        self._absent: dict[tuple[str, int, int], dict[tuple[Any, ...], list[Fact]]] = {}
        """Per run, the facts of each absent pattern by join key (their strata are complete)."""
        for plan in plans.rules:
            found = [p for p in plan.patterns if not p.pattern.negated]
            aliases = {p.pattern.alias: p.pattern.fact_type for p in found if p.pattern.alias}
            for pattern in found:
                fact_type = pattern.pattern.fact_type
                self._fields.setdefault(fact_type, set()).update(t.field for t in _asked(pattern.pattern))
                self._accepts.setdefault(fact_type, []).append(pattern.accepts)
                for test in pattern.pattern.tests:
                    if isinstance(test.value, Ref) and test.value.scope in aliases:
                        self._fields.setdefault(aliases[test.value.scope], set()).add(test.value.name)
        definitions, actions = self._definitions()
        self._host = _QuietHost(copy.deepcopy({RULESET: definitions}), actions)

    def _definitions(self) -> tuple[dict[str, Any], dict[str, Any]]:
        definitions: dict[str, Any] = {}
        actions: dict[str, Any] = {}
        for index, plan in enumerate(self.plans.rules):
            rule = plan.rule
            aliases = {p.alias: f"f{i}" for i, p in enumerate(rule.patterns) if p.alias}
            conditions: list[dict[str, Any]] = []
            gated = False
            for pattern in rule.patterns:
                if pattern.negated:  # looked for in Python once the gate of the rule's stratum is in
                    if not gated:
                        conditions.append({"gate": {"$and": [{"type": GATE}, {"stratum": rule.stratum}]}})
                        gated = True
                    continue
                conditions.append({aliases[pattern.alias or ""]: _condition(pattern, aliases)})
            action = f"a{index}"
            definitions[f"r{index}"] = {"all": conditions, "run": action}
            actions[action] = self._recorder(plan, {v: k for k, v in aliases.items() if k})
        definitions["gate"] = {"all": [{"g": {"type": GATE}}], "run": "gate"}
        actions["gate"] = self._acted
        return definitions, actions

    def _acted(self, c: Any) -> None:
        """The gate's action: an action ran in this session, so it may be deleted."""
        self._sessions_acted.add(str(c.s.sid))

    def _recorder(self, plan: RulePlan, names: dict[str, str]) -> Any:
        def record(c: Any) -> None:
            try:
                matched = c._m or {}
                ids = {names[k]: v["id"].partition("~")[2] or v["id"] for k, v in matched.items() if k in names}
                self._matches.append((plan, ids))
            except BaseException as error:
                self._errors.append(error)

        return record

    def run(self, facts: tuple[Fact, ...]) -> Workspace:
        """Derive every fact and fire every rule for these facts.

        durable-rules tells facts apart by a 32-bit hash: in a large session two distinct
        facts can collide, and the second is refused as "already seen". Every fact asserted
        here is new (the workspace keeps each fact once), so a refusal is a collision: the
        run starts again in a new session with every id salted differently.
        """
        with self._lock:
            for salt in range(COLLISION_RETRIES):
                try:
                    return self._run_once(facts, salt)
                except _Collision:
                    continue
            raise EngineError(f"durable-rules refused distinct facts as the same {COLLISION_RETRIES} times over")

    def _run_once(self, facts: tuple[Fact, ...], salt: int) -> Workspace:
        self._salt = f"{salt}~" if salt else ""
        sid = str(next(self._sessions))
        space = Workspace(self.plans)
        try:
            self._assert(sid, [{"type": GATE, "stratum": -1, "id": f"{GATE}start"}])
            self._assert(sid, space.add_inputs(facts))
            self._drain(sid, space)
            for stratum in range(self.policy.strata):
                for aggregate in self.plans.aggregates_in(stratum):
                    self._assert(sid, space.run_aggregate(aggregate))
                self._drain(sid, space)
                self._assert(sid, [{"type": GATE, "stratum": stratum, "id": f"{GATE}{stratum}"}])
                self._drain(sid, space)
        finally:
            self._matches.clear()
            self._absent.clear()
            if sid in self._sessions_acted:  # deleting a session where no action ran crashes
                self._sessions_acted.discard(sid)
                self._host.delete_state(RULESET, sid)
        return space

    def _assert(self, sid: str, facts: list[Fact]) -> None:
        """Assert, in one call, the facts some pattern can use, with only the fields patterns read."""
        batch = [self._slim(fact, sid) for fact in facts if fact["type"] == GATE or self._usable(fact)]
        if not batch:
            return
        try:
            with warnings.catch_warnings():  # whatever filters the caller set (pytest resets them)
                warnings.simplefilter("ignore", DeprecationWarning)
                self._host.assert_facts(RULESET, batch)
        except _durable.MessageNotHandledException as error:
            types = ", ".join(sorted({fact["type"] for fact in facts}))
            raise EngineError(f"durable-rules refused facts no pattern can use (of {types})") from error
        except _durable.MessageObservedException as error:
            raise _Collision(error.message[:200]) from error
        if self._errors:
            failure = self._errors[0]
            self._errors.clear()
            raise EngineError(f"a rule action failed: {failure}") from failure

    def _usable(self, fact: Fact) -> bool:
        return any(accepts(fact) for accepts in self._accepts.get(fact["type"], ()))

    def _slim(self, fact: Fact, sid: str) -> Fact:
        """The fact as durable sees it: its type, id and session, and a typed key per field read."""
        if fact["type"] == GATE:
            return {**fact, "sid": sid, "id": self._salt + fact["id"]}
        fact_id = fact["id"]
        slim = {name: _typed_key(fact.get(name), fact_id, name) for name in self._fields.get(fact["type"], ())}
        slim.update(type=fact["type"], id=self._salt + fact_id, sid=sid)
        return slim

    def _drain(self, sid: str, space: Workspace) -> None:
        while self._matches:
            plan, ids = self._matches.pop(0)
            bindings: dict[str, Fact | None] = {alias: space.facts[fact_id] for alias, fact_id in ids.items()}
            if not self._holds(plan, bindings, space):
                continue
            new = space.fire(plan, bindings)
            if new is not None:
                self._assert(sid, [new])

    def _holds(self, plan: RulePlan, env: dict[str, Fact | None], space: Workspace) -> bool:
        """The policy's own reading of a match: every condition, and no fact a rule asks to be absent."""
        bound = list(env.values())
        for position, pattern in enumerate(plan.patterns):
            if not pattern.pattern.negated:
                fact = env.get(pattern.pattern.alias or "")
                if fact is None or not pattern.accepts(fact):
                    return False
                continue
            key = pattern.key_to_join(env)
            if key is None:
                continue  # a null value to join on: no fact can match it
            facts = self._absent_index(plan, position, space).get(key, ())
            if any(
                all(check(fact, env) for check in pattern.checks) and all(fact is not b for b in bound)
                for fact in facts
            ):
                return False
        return True

    def _absent_index(self, plan: RulePlan, position: int, space: Workspace) -> dict[tuple[Any, ...], list[Fact]]:
        slot = (plan.rule.id, plan.rule.variant, position)
        index = self._absent.get(slot)
        if index is None:
            pattern = plan.patterns[position]
            index = self._absent[slot] = {}
            for fact in space.of_type(pattern.pattern.fact_type):
                if pattern.accepts(fact):
                    index.setdefault(pattern.key_of(fact), []).append(fact)
        return index

    def close(self) -> None:
        """Nothing runs in the background; the host goes with the engine."""


def _asked(pattern: m.Pattern) -> list[m.Test]:
    """The tests durable is asked: equalities (a join, a value, one of values, none of them)."""
    return [t for t in pattern.tests if isinstance(t.value, Ref) or t.op in ("eq", "in", "out")]


def _condition(pattern: m.Pattern, aliases: dict[str, str]) -> dict[str, Any]:
    """The durable condition of a pattern, on typed keys: joins first (durable drops a join after a ``$or``)."""
    joins: list[dict[str, Any]] = []
    values: list[dict[str, Any]] = [{"type": pattern.fact_type}]
    for test in _asked(pattern):
        value = test.value
        if isinstance(value, Ref):
            joins.append({test.field: {aliases[value.scope]: value.name}})
            continue
        if not isinstance(value, Const):
            raise EngineError(f"durable cannot test {pattern.fact_type}.{test.field} against {value!r}")
        if test.op == "eq":
            values.append({test.field: _typed_key(value.value, "", "")})
        elif test.op == "in":
            values.append({"$or": [{test.field: _typed_key(item, "", "")} for item in value.value]})
        else:
            values.extend({"$neq": {test.field: _typed_key(item, "", "")}} for item in value.value)
    return {"$and": joins + values}


def _typed_key(value: Any, fact_id: str, field: str) -> str:
    """A value as a text that equals another's exactly when the policy says the values are equal.

    Numbers equal by value (80 is 80.0), booleans are not numbers, text is text; a null or
    missing value gets a key of its own fact and field, so it equals nothing.
    """
    if value is None:
        return f"z:{fact_id}.{field}"
    if value.__class__ is bool:
        return "b:true" if value else "b:false"
    if isinstance(value, str):
        return "s:" + value
    if isinstance(value, (int, float)):
        return f"n:{plain(value)!r}"  # 80.0 as 80, as facts read it
    return "j:" + canonical_json(value)


if _durable is not None:

    class _QuietHost(_durable.Host):  # type: ignore[misc]
        """A Host with its own actions and no timer threads."""

        def __init__(self, definitions: dict[str, Any], actions: dict[str, Any]) -> None:
            self._actions = actions
            super().__init__(definitions)

        def _run(self) -> None:
            """Start no dispatch threads: every action runs inside assert_fact."""

        def get_action(self, action_name: str) -> Any:
            return self._actions[action_name]
