"""Strata: which facts must all be known before a rule that asks for an absence or a count runs.

A policy whose rules cannot be put in strata (a fact that depends on its own absence)
has no single answer; the check refuses it, and the compiler orders the rules by stratum.
"""

from __future__ import annotations

from civpolicy.source import model as m


class StratificationError(ValueError):
    """A fact that depends on its own absence, or on a count that includes itself."""

    def __init__(self, message: str, file: str, line: int, path: str) -> None:
        super().__init__(message)
        self.file, self.line, self.path = file, line, path


def strata(policy: m.PolicyModel) -> dict[str, int]:
    """The stratum of every fact type and of every rule id (raise if they do not stratify)."""
    level: dict[str, int] = dict.fromkeys(policy.fact_types(), 0)
    edges: list[tuple[str, str, int, m.Rule | m.DerivedFact]] = []
    for rule in policy.all_rules():
        head = rule.id if rule.then.consequence is not None else rule.head
        level.setdefault(head, 0)
        for pattern in rule.when:
            edges.append((head, pattern.fact_type, 1 if pattern.negated else 0, rule))
    for name, derived in policy.derived.items():
        if derived.aggregate is not None:
            for pattern in (derived.aggregate.each, derived.aggregate.over):
                edges.append((name, pattern.fact_type, 1, derived))
    limit = len(level) + 1
    changed = True
    while changed:
        changed = False
        for head, body, step, origin in edges:
            wanted = level.get(body, 0) + step
            if wanted > level[head]:
                if wanted > limit:
                    name = origin.id if isinstance(origin, m.Rule) else origin.name
                    raise StratificationError(
                        f"{name} depends on the absence or count of a fact it helps to derive; "
                        "such a rule has no single answer",
                        origin.file,
                        origin.line,
                        name,
                    )
                level[head] = wanted
                changed = True
    return level
