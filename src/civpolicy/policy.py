"""The public entry point: load a policy, then evaluate facts with it."""

from __future__ import annotations

import hashlib
import json
import math
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from civpolicy import model as m
from civpolicy.compile import CompiledPolicy, compile_policy
from civpolicy.decision import Consequence, Decision, Evidence, ReportRow, canonical_json, merge
from civpolicy.engines import ENGINES, Engine, EngineUnavailableError, make_engine
from civpolicy.errors import ParameterError
from civpolicy.expressions import did_you_mean
from civpolicy.facts import Fact, Facts, load_facts
from civpolicy.load import load_model
from civpolicy.periods import period_sort_key
from civpolicy.plans import make_plans
from civpolicy.workspace import Firing, Workspace

DEFAULT_ENGINE = "native"
"""The engine used when none is named: the faster one, which runs everywhere (docs/benchmarks.md)."""

_warned: set[str] = set()


def shipped_policy_dir() -> Path:
    """The policy folder that ships with civpolicy (inside the package once installed)."""
    packaged = Path(__file__).parent / "policy"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "policy"


def load_policy(
    directory: str | Path | None = None, params: Mapping[str, Any] | None = None, engine: str | None = None
) -> Policy:
    """Load and validate a policy folder (the shipped one by default), with parameter overrides."""
    folder = Path(directory) if directory is not None else shipped_policy_dir()
    model = load_model(folder)
    policy = Policy(model, resolve_params(model, params or {}), engine)
    policy.origin = (str(folder.resolve()), dict(params or {}), engine)
    return policy


def resolve_params(model: m.PolicyModel, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The policy's parameter values with the overrides applied and checked."""
    values = {name: p.value for name, p in model.parameters.items()}
    for name, value in overrides.items():
        parameter = model.parameters.get(name)
        if parameter is None:
            raise ParameterError(f"no parameter {name!r}{did_you_mean(name, model.parameters)}")
        wanted = int if parameter.integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, wanted) or not math.isfinite(value):
            kind = "a whole number" if parameter.integer else "a number"
            raise ParameterError(f"parameter {name} must be {kind} (got {value!r})")
        if parameter.minimum is not None and value < parameter.minimum:
            raise ParameterError(f"parameter {name} must be at least {parameter.minimum} (got {value})")
        if parameter.maximum is not None and value > parameter.maximum:
            raise ParameterError(f"parameter {name} must be at most {parameter.maximum} (got {value})")
        values[name] = value
    return values


class Policy:
    """A loaded policy with its parameter values, ready to evaluate facts."""

    def __init__(self, model: m.PolicyModel, params: dict[str, Any], engine: str | None = None) -> None:
        self.model = model
        self.params = params
        self.compiled: CompiledPolicy = compile_policy(model, params)
        self.plans = make_plans(self.compiled)
        payload = json.dumps({"files": model.source_digest, "params": params}, sort_keys=True)
        self.digest = "sha256:" + hashlib.sha256(payload.encode()).hexdigest()
        self.engine_name = _available_engine(engine)
        self._engine: Engine | None = None
        self._rules = {rule.id: rule for rule in model.all_rules()}
        self.origin: tuple[str | None, dict[str, Any], str | None] | None = None
        """How to load this policy again (folder, overrides, engine): for worker processes."""

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as the way to load it again (a policy holds closures and an engine)."""
        if self.origin is None:
            raise TypeError("only a policy made by load_policy() can be sent to another process")
        folder, params, engine = self.origin
        return (load_policy, (folder, params, engine))

    @property
    def engine(self) -> Engine:
        """The engine, made on first use."""
        if self._engine is None:
            self._engine = make_engine(self.engine_name, self.plans)
        return self._engine

    def read_facts(self, facts: Mapping[str, Any] | str | Path) -> Facts:
        """Validate facts (a mapping or a YAML/JSON path) against this policy's inputs."""
        return load_facts(facts, self.model.inputs, self.model.vocabularies)

    def evaluate(self, facts: Mapping[str, Any] | str | Path | Facts) -> Decision:
        """Every consequence that follows from the facts under this policy."""
        checked = facts if isinstance(facts, Facts) else self.read_facts(facts)
        ranked: list[tuple[tuple[Any, ...], Consequence]] = []
        if self.engine.session == "document":
            sessions = [tuple(fact for unit in checked.units for fact in checked.by_unit[unit])]
        else:
            sessions = [checked.by_unit[unit] for unit in checked.units]
        reports: dict[str, list[ReportRow]] = {name: [] for name in self.model.reports}
        for facts_of_session in sessions:
            space = self.engine.run(facts_of_session)
            ranked.extend((self._rank(space, f), self._consequence(space, f)) for f in space.firings)
            for name, report in self.model.reports.items():
                reports[name].extend(self._report_row(space, report, fact) for fact in space.of_type(report.fact_type))
        return Decision(self.digest, merge(ranked), {name: _sorted_rows(rows) for name, rows in reports.items()})

    def _report_row(self, space: Workspace, report: m.Report, fact: Fact) -> ReportRow:
        evidence = self._evidence(space, fact["id"])
        return ReportRow(
            values={field: fact.get(field) for field in report.fields},
            because=tuple(e.text for e in evidence.premises) + evidence.absent,
            evidence=evidence.premises + tuple(Evidence(text) for text in evidence.absent),
        )

    def evaluate_many(
        self, facts: Iterable[Mapping[str, Any] | str | Path | Facts], jobs: int = 1
    ) -> Iterator[Decision]:
        """Each facts document's decision, in order (one county at a time; see civpolicy.batch).

        With ``jobs`` > 1, documents are evaluated in that many worker processes.
        """
        from civpolicy.batch import evaluate_many

        yield from evaluate_many(self, facts, jobs)

    def _rank(self, space: Workspace, firing: Firing) -> tuple[Any, ...]:
        facts = [space.facts[i] for i in firing.derivation.premises]
        times = tuple((f.get("start", -1), f.get("end", -1), f["type"]) for f in facts)
        return (times, firing.rule.rule.order, tuple(space.describe(i) for i in firing.derivation.premises))

    def _consequence(self, space: Workspace, firing: Firing) -> Consequence:
        rule = self._rules[firing.rule.rule.id]
        evidence = tuple(self._evidence(space, i) for i in firing.derivation.premises)
        because = tuple(e.text for e in evidence) + firing.derivation.absent
        return Consequence(
            unit=firing.unit,
            kind=firing.kind,
            period=firing.period,
            params=firing.params,
            rule=rule.id,
            source=rule.citation.source,
            because=because,
            evidence=evidence + tuple(Evidence(text) for text in firing.derivation.absent),
        )

    def _evidence(self, space: Workspace, fact_id: str) -> Evidence:
        derivation = space.derivations.get(fact_id)
        if derivation is None:
            return Evidence(space.describe(fact_id))
        fact_type = space.facts[fact_id]["type"]
        derived = self.model.derived.get(fact_type)
        source = derived.citation.source if derived and derived.citation else None
        unfold = len(derivation.premises) if derivation.expand is None else derivation.expand
        premises = [self._evidence(space, p) for p in derivation.premises[:unfold]]
        premises += [Evidence(space.describe(p)) for p in derivation.premises[unfold:]]
        return Evidence(
            text=space.describe(fact_id),
            rule=derivation.rule,
            source=source,
            premises=tuple(premises),
            absent=derivation.absent,
        )

    def rule(self, rule_id: str) -> m.Rule:
        """A rule of the policy by id."""
        return self._rules[rule_id]


def _sorted_rows(rows: list[ReportRow]) -> tuple[ReportRow, ...]:
    """Rows by unit, period start and end, then content; identical rows once."""
    unique = {canonical_json(row.values): row for row in sorted(rows, key=lambda row: row.because)}

    def key(row: ReportRow) -> tuple[Any, ...]:
        period = row.values.get("period")
        start_end = period_sort_key(period) if isinstance(period, str) else (0, 0)
        return (str(row.values.get("unit", "")), start_end, canonical_json(row.values))

    return tuple(sorted(unique.values(), key=key))


def _available_engine(name: str | None) -> str:
    """The engine to use: the one named (which must run here), or the default."""
    from civpolicy.engines.durable import durable_available

    if name is not None:
        if name not in ENGINES:
            raise ParameterError(f"no engine {name!r}; choose one of {', '.join(ENGINES)}")
        if name == "durable" and not durable_available():
            raise EngineUnavailableError("the durable engine needs durable-rules, which is not installed here")
        return name
    if DEFAULT_ENGINE == "durable" and not durable_available():
        if "durable" not in _warned:
            _warned.add("durable")
            print("civpolicy: durable-rules is not installed here; using the native engine", file=sys.stderr)
        return "native"
    return DEFAULT_ENGINE


__all__ = ["DEFAULT_ENGINE", "EngineUnavailableError", "Policy", "load_policy", "shipped_policy_dir"]
