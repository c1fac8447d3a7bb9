"""The public entry point: load a policy, then evaluate facts with it."""

from __future__ import annotations

import datetime
import hashlib
import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from civpolicy.batch import evaluate_many
from civpolicy.checks.validate import load_model
from civpolicy.collector import collector_paused
from civpolicy.decision.provenance import DecisionBuilder
from civpolicy.decision.values import Decision
from civpolicy.engine.compile import CompiledPolicy, compile_policy
from civpolicy.engine.plans import make_plans
from civpolicy.engine.registry import ENGINES, Engine, EngineUnavailableError, make_engine
from civpolicy.errors import EngineError, ParameterError, UnknownRuleError
from civpolicy.facts.items import Fact
from civpolicy.facts.occurrences import checked_span, occurrence_facts
from civpolicy.facts.read import Facts, load_facts, load_facts_text
from civpolicy.facts.schema import decision_schema, facts_schema
from civpolicy.source import model as m
from civpolicy.source.expressions import LANGUAGES, did_you_mean
from civpolicy.source.reader import got, is_number

DEFAULT_ENGINE = "compiled"
"""The engine used when none is named: the faster one, which runs everywhere (docs/benchmarks.md)."""

_warned: set[str] = set()


def shipped_policy_dir() -> Path:
    """The policy folder that ships with civpolicy (inside the package once installed)."""
    packaged = Path(__file__).parent / "policy"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "policy"


def load_policy(
    directory: str | Path | None = None,
    params: Mapping[str, Any] | None = None,
    engine: str | None = None,
    language: str = "en",
    ignore_out_of_force: bool = False,
) -> Policy:
    """Load and validate a policy folder (the shipped one by default), with parameter overrides.

    ``language`` is the language of the reasons (``because``): ``en``, or ``zh`` for the
    Chinese the policy's sentences have (English where one has none). An override
    (``params``) sets a parameter with values by date to one value at every date. With
    ``ignore_out_of_force``, facts of periods that end before the policy is in force
    (its ``in_force``) are left out with a warning, instead of being a facts error.
    """
    overrides = _overrides(params)
    if language not in LANGUAGES:
        raise ParameterError(f"no language {language!r}; choose one of {', '.join(LANGUAGES)}")
    folder = Path(directory) if directory is not None else shipped_policy_dir()
    model = load_model(folder)
    policy = Policy(
        model,
        resolve_params(model, overrides),
        engine,
        language,
        dated=dated_params(model, overrides),
        ignore_out_of_force=ignore_out_of_force,
    )
    policy.origin = (str(folder.resolve()), overrides, engine, language, ignore_out_of_force)
    return policy


def _overrides(params: object) -> dict[str, Any]:
    """The parameter overrides given to load_policy, checked to be a mapping of names to values."""
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise ParameterError(f"params must be a mapping of parameter names to values (got {got(params)})")
    for name in params:
        if not isinstance(name, str):
            raise ParameterError(f"params: a parameter name must be text (got {got(name)})")
    return dict(params)


def dated_params(model: m.PolicyModel, overrides: Mapping[str, Any]) -> dict[str, tuple[tuple[str, Any], ...]]:
    """The parameters that keep their values by date ((ISO date, value)s): those with ``values`` no override sets."""
    return {name: p.dated for name, p in model.parameters.items() if p.dated and name not in overrides}


def resolve_params(model: m.PolicyModel, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The policy's parameter values with the overrides applied and checked.

    A parameter with values by date has its latest value here (and its values by date in
    :func:`dated_params`), unless an override sets it: then it has that one value at every date.
    """
    values = {name: p.latest for name, p in model.parameters.items()}
    for name, given in overrides.items():
        parameter = model.parameters.get(name)
        if parameter is None:
            raise ParameterError(f"no parameter {name!r}{did_you_mean(name, model.parameters)}")
        if parameter.choices:
            if not isinstance(given, str) or given not in parameter.choices:
                hint = did_you_mean(given, parameter.choices) if isinstance(given, str) else ""
                choices = ", ".join(parameter.choices)
                raise ParameterError(f"parameter {name} must be one of {choices} (got {given!r}){hint}")
            values[name] = given
            continue
        value = int(given) if given.__class__ is float and given.is_integer() else given  # 3.0 is 3, as in facts
        if not is_number(value, whole=parameter.integer):
            kind = "a whole number" if parameter.integer else "a number"
            raise ParameterError(f"parameter {name} must be {kind} (got {value!r})")
        if parameter.minimum is not None and value < parameter.minimum:
            raise ParameterError(f"parameter {name} must be at least {parameter.minimum} (got {value})")
        if parameter.maximum is not None and value > parameter.maximum:
            raise ParameterError(f"parameter {name} must be at most {parameter.maximum} (got {value})")
        values[name] = value
    dated = dated_params(model, overrides)
    for constraint in model.constraints:
        broken = constraint.broken_at_some_date(values, dated)  # at every date a value changes
        if broken:
            source = f", {constraint.citation.source}" if constraint.citation else ""
            raise ParameterError(f"parameters: {broken} ({constraint.says.en}: constraint {constraint.id}{source})")
    return values


class Policy:
    """A loaded policy with its parameter values, ready to evaluate facts."""

    def __init__(
        self,
        model: m.PolicyModel,
        params: dict[str, Any],
        engine: str | None = None,
        language: str = "en",
        *,
        dated: Mapping[str, tuple[tuple[str, Any], ...]] | None = None,
        ignore_out_of_force: bool = False,
    ) -> None:
        self.model = model
        self.params = params
        """Each parameter's value (one with values by date: its latest; see ``dated``)."""
        self.dated: dict[str, tuple[tuple[str, Any], ...]] = dict(dated_params(model, {}) if dated is None else dated)
        """The parameters that keep their values by date, each as (ISO date, value)s."""
        self.ignore_out_of_force = ignore_out_of_force
        """Whether facts of periods that end before the policy is in force are left out (else refused)."""
        self.language = language
        self.compiled: CompiledPolicy = compile_policy(model, params, self.dated)
        labels = {
            name: {term.id: term.zh if language == "zh" else term.en for term in terms}
            for name, terms in model.vocabularies.items()
        }
        self.plans = make_plans(self.compiled, language, labels)
        given: dict[str, Any] = {"files": model.source_digest, "params": params}
        if self.dated:
            given["dated"] = self.dated
        payload = json.dumps(given, sort_keys=True)
        self.digest = "sha256:" + hashlib.sha256(payload.encode()).hexdigest()
        self.engine_name = _available_engine(engine)
        self._engine: Engine | None = None
        self._rules = {rule.id: rule for rule in model.all_rules()}
        self.origin: tuple[str | None, dict[str, Any], str | None, str, bool] | None = None
        """How to load this policy again (folder, overrides, engine, language, ignore_out_of_force): for workers."""

    @staticmethod
    def reopen(origin: tuple[str | None, dict[str, Any], str | None, str, bool]) -> Policy:
        """The policy an ``origin`` names, loaded again: how a worker process gets its policy."""
        return load_policy(*origin)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as the way to load it again (a policy holds closures and an engine)."""
        if self.origin is None:
            raise TypeError("only a policy made by load_policy() can be sent to another process")
        return (load_policy, self.origin)

    @property
    def engine(self) -> Engine:
        """The engine, made on first use."""
        if self._engine is None:
            self._engine = make_engine(self.engine_name, self.plans)
        return self._engine

    def read_facts(self, facts: Mapping[str, Any] | str | Path) -> Facts:
        """Validate facts (a mapping or a YAML/JSON path) against this policy's inputs and in-force date."""
        model = self.model
        return load_facts(
            facts,
            model.inputs,
            model.vocabularies,
            in_force=model.in_force,
            ignore_out_of_force=self.ignore_out_of_force,
        )

    def read_facts_text(self, text: str, name: str, *, as_json: bool | None = None) -> Facts:
        """Validate the text of a facts file (``name`` tells where problems stand), as :meth:`read_facts` does."""
        model = self.model
        return load_facts_text(
            text,
            name,
            model.inputs,
            model.vocabularies,
            as_json=as_json,
            in_force=model.in_force,
            ignore_out_of_force=self.ignore_out_of_force,
        )

    def evaluate(self, facts: Mapping[str, Any] | str | Path | Facts) -> Decision:
        """Every consequence that follows from the facts under this policy."""
        with collector_paused():
            # The workspaces make no reference cycles: what the decision does not keep for its reasons
            # (told when read) is freed by reference counting; the collector, back on, has nothing to scan.
            return self._decide(facts)

    def _decide(self, facts: Mapping[str, Any] | str | Path | Facts) -> Decision:
        checked = facts if isinstance(facts, Facts) else self.read_facts(facts)
        due = self.occurrences(checked)
        if self.engine.session == "document":
            sessions = [checked.all() + tuple(due)]
        else:
            sessions = [checked.by_unit[unit] for unit in checked.units]
        builder = DecisionBuilder(self.model, self.digest, checked)
        try:
            for facts_of_session in sessions:
                builder.add(self.engine.run(facts_of_session))
        except EngineError as error:
            place = self.model.place_of(error.rule) if error.rule else None
            if place is None:
                raise
            # A rule whose output cannot be given for these facts: told where the rule stands.
            raise EngineError(f"{place[0]}:{place[1]}:1: {error}", error.rule) from None
        return builder.decision()

    def occurrences(self, facts: Facts, span: tuple[datetime.date, datetime.date] | None = None) -> list[Fact]:
        """The duties' occurrences an evaluation checks, as facts: for ``span``, else the facts' own span."""
        span = span or checked_span(self.model, facts.all())
        if span is None:
            return []
        return occurrence_facts(self.model, span[0], span[1], facts.all(), self.params)

    def evaluate_many(
        self, facts: Iterable[Mapping[str, Any] | str | Path | Facts], jobs: int = 1
    ) -> Iterator[Decision]:
        """Each facts document's decision, in order (one county at a time; see civpolicy.batch).

        With ``jobs`` > 1, documents are evaluated in that many worker processes.
        """
        yield from evaluate_many(self, facts, jobs)

    def facts_schema(self) -> dict[str, Any]:
        """The JSON Schema of a facts document under this policy (see civpolicy.facts.schema)."""
        return facts_schema(self.model)

    def decision_schema(self) -> dict[str, Any]:
        """The JSON Schema of a decision document under this policy (see civpolicy.facts.schema)."""
        return decision_schema(self.model)

    def rule(self, rule_id: str) -> m.Rule:
        """A rule of the policy by id (UnknownRuleError, a KeyError too, if it has none)."""
        try:
            return self._rules[rule_id]
        except KeyError:
            raise UnknownRuleError(f"no rule {rule_id!r} in the policy{did_you_mean(rule_id, self._rules)}") from None


def _available_engine(name: str | None) -> str:
    """The engine to use: the one named (which must run here), or the default."""
    from civpolicy.engine.durable import durable_available

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
