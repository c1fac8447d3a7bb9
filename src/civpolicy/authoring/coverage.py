"""Which rules and clauses the scenario tests fire, and which clauses no rule encodes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import attrs

from civpolicy.decision.values import Decision, Evidence
from civpolicy.source import model as m
from civpolicy.source.citations import encloses, squash


def cites(source: str, clause: m.Clause) -> bool:
    """Whether a citation names the clause or a clause inside it."""
    cited, ref = squash(source), squash(clause.ref)
    return cited == ref or encloses(ref, cited)


def fired_rules(decision: Decision) -> set[str]:
    """Every rule that fired for a decision: behind its consequences and rows, or deriving a fact at all.

    A rule whose fact only blocks a ``no ...`` pattern, or is only reported, fired too.
    """

    def walk(evidence: Iterable[Evidence]) -> Iterator[str]:
        for item in evidence:
            if item.rule:
                yield item.rule
            yield from walk(item.premises)

    fired = {c.rule for c in decision.consequences}
    fired |= set(walk(e for c in decision.consequences for e in c.evidence))
    fired |= set(walk(e for rows in decision.reports.values() for row in rows for e in row.evidence))
    return fired | decision.rules_run


@attrs.frozen
class Coverage:
    """Rules and clauses, with what the tests fired and what the rules encode."""

    rules: tuple[tuple[str, str, str], ...]
    """Every rule, of a consequence or of a derived fact, as ``civpolicy check`` counts them: (id, where, clause)."""
    fired: frozenset[str]
    clauses: tuple[m.Clause, ...]
    encoded_by: dict[str, tuple[str, ...]] = attrs.field(hash=False)
    """For each clause: the rules and derived facts that cite it."""
    mentioned_by: dict[str, tuple[str, ...]] = attrs.field(hash=False)
    """For each clause: parameters, terms and cadences that cite it without a rule."""
    aggregates: tuple[tuple[str, str, str], ...] = ()
    """Every derived fact computed by an aggregate (counted, summed over other facts): (name, where, clause)."""

    def unfired_rules(self) -> list[tuple[str, str, str]]:
        """Rules no test fires."""
        return [rule for rule in self.rules if rule[0] not in self.fired]

    def unfired_aggregates(self) -> list[tuple[str, str, str]]:
        """Aggregates no test computes."""
        return [aggregate for aggregate in self.aggregates if aggregate[0] not in self.fired]

    def unfired_clauses(self) -> list[m.Clause]:
        """Clauses encoded by rules none of which any test fires."""
        return [c for c in self.clauses if self.encoded_by[c.ref] and not set(self.encoded_by[c.ref]) & self.fired]

    def unencoded_clauses(self) -> list[m.Clause]:
        """Clauses no rule encodes."""
        return [c for c in self.clauses if not self.encoded_by[c.ref]]

    def report(self) -> str:
        """The coverage in words."""
        lines = []
        unfired = self.unfired_rules()
        lines.append(f"rules no test fires: {len(unfired)} of {len(self.rules)}")
        lines += [f"  - {rule_id} ({where}, {clause})" for rule_id, where, clause in unfired]
        uncomputed = self.unfired_aggregates()
        lines.append(f"aggregates no test computes: {len(uncomputed)} of {len(self.aggregates)}")
        lines += [f"  - {name} ({where}, {clause})" for name, where, clause in uncomputed]
        lines.append(f"clauses no test fires: {len(self.unfired_clauses())} of {len(self.clauses)}")
        lines += [f"  - {c.ref}: 「{c.text[:40]}…」" for c in self.unfired_clauses()]
        lines.append(f"clauses no rule encodes: {len(self.unencoded_clauses())} of {len(self.clauses)}")
        for clause in self.unencoded_clauses():
            others = ", ".join(self.mentioned_by[clause.ref]) or "nothing"
            note = f" ({clause.note})" if clause.note else ""
            lines.append(f"  - {clause.ref}: 「{clause.text[:40]}…」 cited only by: {others}{note}")
        return "\n".join(lines) + "\n"


def coverage(model: m.PolicyModel, fired: set[str]) -> Coverage:
    """The coverage of a policy by tests that fired these rules."""
    rules = [(r.id, f"{r.file.rsplit('/', 1)[-1]}:{r.line}", r.citation.source) for r in model.all_rules()]
    aggregates = [
        (name, f"{d.file.rsplit('/', 1)[-1]}:{d.line}", d.citation.source if d.citation else "")
        for name, d in model.derived.items()
        if d.aggregate is not None
    ]
    encoded: dict[str, tuple[str, ...]] = {}
    mentioned: dict[str, tuple[str, ...]] = {}
    for clause in model.clauses:
        encoded[clause.ref] = tuple(rule_id for rule_id, _, source in rules + aggregates if cites(source, clause))
        others = [
            f"parameter {n}" for n, p in model.parameters.items() if p.citation and cites(p.citation.source, clause)
        ]
        others += [
            f"term {t.id}"
            for terms in model.vocabularies.values()
            for t in terms
            if t.citation and cites(t.citation.source, clause)
        ]
        others += [f"cadence {c.id}" for c in model.cadences if cites(c.citation.source, clause)]
        mentioned[clause.ref] = tuple(others)
    return Coverage(tuple(rules), frozenset(fired), model.clauses, encoded, mentioned, tuple(aggregates))
