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
                    blamed = _in_the_cycle(edges) or origin
                    name = blamed.id if isinstance(blamed, m.Rule) else blamed.name
                    raise StratificationError(
                        f"{name} depends on the absence or count of a fact it helps to derive; "
                        "such a rule has no single answer",
                        blamed.file,
                        blamed.line,
                        name,
                    )
                level[head] = wanted
                changed = True
    return level


def _in_the_cycle(edges: list[tuple[str, str, int, m.Rule | m.DerivedFact]]) -> m.Rule | m.DerivedFact | None:
    """The first rule or aggregate whose absence or count reaches back to what it derives (the cycle itself).

    A rule downstream of the cycle rises with it and may cross the limit first: it is not the one to blame.
    """
    needs: dict[str, set[str]] = {}
    for head, body, _, _ in edges:
        needs.setdefault(head, set()).add(body)

    def reaches(start: str, goal: str) -> bool:
        seen: set[str] = set()
        stack = [start]
        while stack:
            name = stack.pop()
            if name == goal:
                return True
            if name not in seen:
                seen.add(name)
                stack.extend(needs.get(name, ()))
        return False

    for head, body, step, origin in edges:
        if step and reaches(body, head):
            return origin
    return None
