"""Engine sessions to a decision: each consequence once, with its reasons, and the reports.

A rule may fire more than once for the same consequence (the same unit, kind, period
and params, from different facts). The decision keeps one: the firing with the earliest
evidence (by the periods of its facts, then the rule's place in the policy, then the
facts in words, then their input order and content, then what was absent), whatever
order the engine fired in. Reasons are told as a tree of :class:`Evidence`, each fact's
once, from each derived fact's canonical derivation (:meth:`Workspace.finish`).
"""

from __future__ import annotations

import functools
from typing import Any

from civpolicy.decision.unused import unused_facts
from civpolicy.decision.values import Consequence, Decision, Evidence, Finding, ReportRow, canonical_json
from civpolicy.engine.workspace import Derivation, Firing, Workspace
from civpolicy.errors import Problem
from civpolicy.facts.items import Fact
from civpolicy.facts.periods import Period, parse_period
from civpolicy.facts.read import Facts
from civpolicy.source import model as m

Identity = tuple[str, str, str, str]

PROVISIONAL = "provisional"
"""A derived fact with ``provisional: true`` is not final yet: nor is anything that rests on it."""


class DecisionBuilder:
    """Collects what engine sessions fired and derived, then gives one decision."""

    def __init__(self, model: m.PolicyModel, digest: str, facts: Facts | None = None) -> None:
        self.model = model
        self.digest = digest
        self.facts = facts
        self._warnings: list[Problem] = list(facts.warnings) if facts is not None else []
        self._ran: set[str] = set()
        self._rules = {rule.id: rule for rule in model.all_rules()}
        self._firings: dict[Identity, list[tuple[Workspace, Firing]]] = {}
        self._rows: dict[str, list[tuple[str, ReportRow]]] = {name: [] for name in model.reports}
        self._answerable: list[dict[str, Any]] = []
        """The facts that name who answers for a consequence (the policy's ``responsible``), as values."""

    def add(self, space: Workspace) -> None:
        """Take in one session's firings and reported facts (raising the session's least failure, if any)."""
        space.finish()
        self._warnings.extend(unused_facts(self.model, space, self.facts))
        self._ran |= space.rules_run()
        for firing in space.firings:
            identity = (firing.unit, firing.kind, firing.period, _params_key(firing.params))
            self._firings.setdefault(identity, []).append((space, firing))
        answer = self.model.responsible
        if answer is not None:
            for fact in space.of_type(answer.fact):
                self._answerable.append({key: value for key, value in fact.items() if key not in ("id", "type")})
        for name, report in self.model.reports.items():
            rows = self._rows[name]
            for fact in space.of_type(report.fact_type):
                row = self._report_row(space, report, fact)
                rows.append((canonical_json(row.values), row))

    def decision(self) -> Decision:
        """The decision: consequences in contract order, report rows sorted, duplicates once."""
        chosen = []
        found = []
        for firings in self._firings.values():
            space, firing = firings[0] if len(firings) == 1 else min(firings, key=_rank)
            kind = self.model.kinds.get(firing.kind)
            if kind is not None and kind.finding:
                found.append(self._finding(space, firing))
            else:
                chosen.append(self._consequence(space, firing))
        chosen.sort(key=_sort_key)
        found.sort(key=_finding_key)
        reports = {name: _sorted_rows(rows) for name, rows in self._rows.items()}
        warnings = sorted(set(self._warnings), key=lambda p: (p.file, p.line, p.column, p.path, p.message))
        has_findings = any(kind.finding for kind in self.model.kinds.values())
        return Decision(
            self.digest,
            tuple(chosen),
            reports,
            tuple(warnings),
            frozenset(self._ran),
            findings=tuple(found) if has_findings else None,
        )

    def _finding(self, space: Workspace, firing: Firing) -> Finding:
        return Finding(who=firing.unit, **self._told(space, firing))

    def _told(self, space: Workspace, firing: Firing) -> dict[str, Any]:
        """What a consequence and a finding both tell of a firing: what, by which rule, why, who answers."""
        rule = self._rules[firing.rule.rule.id]
        evidence = tuple(self.evidence(space, i) for i in firing.derivation.premises)
        return {
            "kind": firing.kind,
            "period": firing.period,
            "params": firing.params,
            "rule": rule.id,
            "source": rule.citation.source,
            "because": tuple(e.text for e in evidence) + firing.derivation.absent,
            "evidence": evidence + tuple(Evidence(text) for text in firing.derivation.absent),
            "responsible": self._responsible(firing.unit, firing.kind),
        }

    def _responsible(self, unit: str, kind: str) -> tuple[dict[str, Any], ...] | None:
        """Who answers for a consequence or finding: the matching facts, in the policy's order, each once."""
        answer = self.model.responsible
        if answer is None:
            return None
        given = {"unit": unit, "kind": kind}
        people: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {}
        for fact in self._answerable:
            if all(fact.get(field) is None or fact.get(field) == given[target] for field, target in answer.match):
                entry = {field: fact.get(field) for field in answer.fields}
                key = canonical_json(entry)
                order = (*tuple(_orderable(fact.get(field)) for field in answer.order_by), key)
                if key not in people or order < people[key][0]:
                    people[key] = (order, entry)
        return tuple(entry for _, entry in sorted(people.values(), key=lambda item: item[0]))

    def _consequence(self, space: Workspace, firing: Firing) -> Consequence:
        kind = self.model.kinds.get(firing.kind)
        return Consequence(
            unit=firing.unit,
            **self._told(space, firing),
            discretionary=kind.discretionary if kind is not None else False,
            provisional=any(self.provisional(space, p) for p in firing.derivation.premises),
        )

    def provisional(self, space: Workspace, fact_id: str) -> bool:
        """Whether a fact says it is provisional, or rests on one that does (told once per fact and session)."""
        known = space.provisional.get(fact_id)
        if known is None:
            fact = space.facts[fact_id]
            derivation = space.derivations.get(fact_id)
            known = fact.get(PROVISIONAL) is True or (
                derivation is not None and any(self.provisional(space, p) for p in derivation.premises)
            )
            space.provisional[fact_id] = known
        return known

    def _report_row(self, space: Workspace, report: m.Report, fact: Fact) -> ReportRow:
        derivation = space.derivations.get(fact["id"])
        premises, absent = (self._premises(space, derivation), derivation.absent) if derivation else ((), ())
        values = {field: fact.get(field) for field in report.fields}
        values[PROVISIONAL] = self.provisional(space, fact["id"])
        return ReportRow(
            values=values,
            because=tuple(e.text for e in premises) + absent,
            evidence=premises + tuple(Evidence(text) for text in absent),
        )

    def evidence(self, space: Workspace, fact_id: str) -> Evidence:
        """A fact's reasons as a tree (told once per fact and session)."""
        known = space.evidence.get(fact_id)
        if known is None:
            known = space.evidence[fact_id] = self._new_evidence(space, fact_id)
        return known

    def _new_evidence(self, space: Workspace, fact_id: str) -> Evidence:
        derivation = space.derivations.get(fact_id)
        if derivation is None:
            return Evidence(space.describe(fact_id))
        fact_type = space.facts[fact_id]["type"]
        derived = self.model.derived.get(fact_type)
        source = derived.citation.source if derived and derived.citation else None
        return Evidence(
            text=space.describe(fact_id),
            rule=derivation.rule,
            source=source,
            premises=self._premises(space, derivation),
            absent=derivation.absent,
        )

    def _premises(self, space: Workspace, derivation: Derivation) -> tuple[Evidence, ...]:
        """The reasons of a derived fact's premises (those past ``expand`` in words only)."""
        unfold = len(derivation.premises) if derivation.expand is None else derivation.expand
        premises = [self.evidence(space, p) for p in derivation.premises[:unfold]]
        premises += [Evidence(space.describe(p)) for p in derivation.premises[unfold:]]
        return tuple(premises)


def _params_key(params: dict[str, Any]) -> str:
    return canonical_json(params) if params else "{}"


def _rank(entry: tuple[Workspace, Firing]) -> tuple[Any, ...]:
    """Which of several firings of one consequence comes first: the earliest evidence.

    A total order that does not depend on the order the engine fired in: the premises'
    times and types, the rule's place in the policy, the premises in words, then their
    order keys (input order, content) and the notes of what was absent.
    """
    space, firing = entry
    derivation = firing.derivation
    facts = [space.facts[i] for i in derivation.premises]
    times = tuple((f.get("start", -1), f.get("end", -1), f["type"]) for f in facts)
    words = tuple(space.describe(i) for i in derivation.premises)
    return (times, firing.rule.rule.order, words, tuple(map(space.order_key, facts)), derivation.absent)


@functools.lru_cache(maxsize=4096)
def _period(label: str) -> Period:
    return parse_period(label)


def _sort_key(consequence: Consequence) -> tuple[Any, ...]:
    """Contract order: unit, period start, kind, period end, params."""
    period = _period(consequence.period)
    return (consequence.unit, period.start, consequence.kind, period.end, _params_key(consequence.params))


def _orderable(value: Any) -> tuple[int, Any]:
    """A value of any type in a total order: nothing first, then numbers, then text."""
    if value is None:
        return (0, 0)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (1, value)
    return (2, str(value))


def _finding_key(finding: Finding) -> tuple[Any, ...]:
    """Findings as consequences are sorted: by who, then period (as written), kind and params."""
    return (finding.who, finding.period, finding.kind, _params_key(finding.params))


def _sorted_rows(rows: list[tuple[str, ReportRow]]) -> tuple[ReportRow, ...]:
    """Rows by unit, period start and end, then content; identical rows once (the last by reasons)."""
    if len({text for text, _ in rows}) < len(rows):
        # Which of identical rows stays must not depend on the order facts came in.
        rows = sorted(rows, key=lambda entry: entry[1].because)
    unique = dict(rows)

    def key(entry: tuple[str, ReportRow]) -> tuple[Any, ...]:
        text, row = entry
        period = row.values.get("period")
        start_end = (_period(period).start, _period(period).end) if isinstance(period, str) else (0, 0)
        return (str(row.values.get("unit", "")), start_end, text)

    return tuple(row for _, row in sorted(unique.items(), key=key))
