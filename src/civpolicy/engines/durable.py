"""The durable-rules engine: the compiled rules as one durable ruleset, one session per unit.

This is the only module that imports ``durable``. It works around what
``docs/durable-rules-notes.md`` measured:

- one private ``Host`` per compiled policy, with the timer threads switched off, so
  policies do not share a namespace and no thread is left running;
- the rule definitions are deep-copied before durable consumes them;
- aliases are renamed (``f0``, ``f1``...) so no policy name clashes with ``s`` or ``m``;
- facts are compared across patterns by equality only (the policy checker refuses the
  rest), which is where durable's C code is memory-safe;
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

from civpolicy import model as m
from civpolicy.errors import EngineError
from civpolicy.expressions import Const, Ref
from civpolicy.facts import Fact
from civpolicy.plans import Plans, RulePlan
from civpolicy.workspace import Workspace

# durable-rules calls datetime.utcfromtimestamp on every action, deprecated since 3.12.
warnings.filterwarnings("ignore", category=DeprecationWarning, module="durable")
try:
    from durable import engine as _durable
except ImportError:  # pragma: no cover - depends on the installation
    _durable = None

RULESET = "civpolicy"
COLLISION_RETRIES = 5
GATE = "$gate"
_COMPARE = {"ne": "$neq", "lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}


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
        self._accepts: dict[str, list[Any]] = {}
        for plan in plans.rules:
            aliases = {p.pattern.alias: p.pattern.fact_type for p in plan.patterns if p.pattern.alias}
            for pattern in plan.patterns:
                fact_type = pattern.pattern.fact_type
                self._fields.setdefault(fact_type, {"type", "id"}).update(t.field for t in pattern.pattern.tests)
                self._accepts.setdefault(fact_type, []).append(pattern.accepts)
                for test in pattern.pattern.tests:
                    if isinstance(test.value, Ref) and test.value.scope in aliases:
                        self._fields.setdefault(aliases[test.value.scope], {"type", "id"}).add(test.value.name)
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
            for i, pattern in enumerate(rule.patterns):
                if pattern.negated and not gated:
                    conditions.append({"gate": {"$and": [{"type": GATE}, {"stratum": rule.stratum}]}})
                    gated = True
                name = f"n{i}$not" if pattern.negated else aliases[pattern.alias or ""]
                conditions.append({name: _condition(pattern, aliases)})
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
            raise EngineError(f"durable-rules refused facts no pattern can use: {error.message[:200]}") from error
        except _durable.MessageObservedException as error:
            raise _Collision(error.message[:200]) from error
        if self._errors:
            failure = self._errors[0]
            self._errors.clear()
            raise EngineError(f"a rule action failed: {failure}") from failure

    def _usable(self, fact: Fact) -> bool:
        return any(accepts(fact) for accepts in self._accepts.get(fact["type"], ()))

    def _slim(self, fact: Fact, sid: str) -> Fact:
        fields = self._fields.get(fact["type"])
        slim = {k: v for k, v in fact.items() if k in fields} if fields else dict(fact)
        slim["sid"] = sid
        slim["id"] = self._salt + slim["id"]
        return slim

    def _drain(self, sid: str, space: Workspace) -> None:
        while self._matches:
            plan, ids = self._matches.pop(0)
            bindings: dict[str, Fact | None] = {alias: space.facts[fact_id] for alias, fact_id in ids.items()}
            new = space.fire(plan, bindings)
            if new is not None:
                self._assert(sid, [new])

    def close(self) -> None:
        """Nothing runs in the background; the host goes with the engine."""


def _condition(pattern: m.Pattern, aliases: dict[str, str]) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"type": pattern.fact_type}]
    for test in pattern.tests:
        value = test.value
        if isinstance(value, Ref):
            parts.append({test.field: {aliases[value.scope]: value.name}})
            continue
        if not isinstance(value, Const) or value.value is None:
            raise EngineError(f"durable cannot test {pattern.fact_type}.{test.field} against {value!r}")
        if test.op == "eq":
            parts.append({test.field: value.value})
        elif test.op == "in":
            parts.append({"$or": [{test.field: item} for item in value.value]})
        elif test.op == "out":
            parts.extend({"$neq": {test.field: item}} for item in value.value)
        else:
            parts.append({_COMPARE[test.op]: {test.field: value.value}})
    return {"$and": parts}


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
