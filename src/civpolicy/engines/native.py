"""A pure-Python forward chainer: stratum by stratum, each rule joined until nothing is new."""

from __future__ import annotations

from collections.abc import Iterator

from civpolicy import model as m
from civpolicy.compile import CompiledPolicy, CompiledRule
from civpolicy.facts import Fact
from civpolicy.workspace import Workspace, matches


class NativeEngine:
    """Evaluates a compiled policy without any dependency."""

    name = "native"

    def __init__(self, policy: CompiledPolicy) -> None:
        self.policy = policy

    def run(self, facts: tuple[Fact, ...]) -> Workspace:
        """Derive every fact and fire every rule for one unit's facts."""
        space = Workspace(self.policy)
        space.add_inputs(facts)
        for stratum in range(self.policy.strata):
            for aggregate in self.policy.aggregates_in(stratum):
                space.run_aggregate(aggregate)
            rules = self.policy.rules_in(stratum)
            changed = True
            while changed:
                changed = False
                for rule in rules:
                    for bindings in list(_joins(rule, space)):
                        if space.fire(rule, bindings) is not None:
                            changed = True
        return space

    def close(self) -> None:
        """Nothing to release."""


def _joins(rule: CompiledRule, space: Workspace) -> Iterator[dict[str, Fact | None]]:
    yield from _extend(rule.patterns, 0, {}, space)


def _extend(
    patterns: tuple[m.Pattern, ...], index: int, bindings: dict[str, Fact | None], space: Workspace
) -> Iterator[dict[str, Fact | None]]:
    if index == len(patterns):
        yield dict(bindings)
        return
    pattern = patterns[index]
    candidates = [fact for fact in space.of_type(pattern.fact_type) if matches(pattern, fact, bindings)]
    if pattern.negated:
        if not candidates:
            yield from _extend(patterns, index + 1, bindings, space)
        return
    for fact in candidates:
        bindings[pattern.alias or ""] = fact
        yield from _extend(patterns, index + 1, bindings, space)
    bindings.pop(pattern.alias or "", None)
