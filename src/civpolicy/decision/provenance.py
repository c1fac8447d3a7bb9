"""Engine sessions to a decision: each consequence once, with its reasons, and the reports.

A rule may fire more than once for the same consequence (the same unit, kind, period
and params, from different facts). The decision keeps one: the firing with the earliest
evidence (by the periods of its facts, then the rule's place in the policy, then the
facts in words, then their input order and content, then what was absent), whatever
order the engine fired in. Reasons are kept as references to the session and derivation,
and told when first read (``decision/reasons.py``): as text and as a tree of
:class:`Evidence`, each fact's once, from each derived fact's canonical derivation
(:meth:`Workspace.finish`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from operator import itemgetter
from typing import Any

from civpolicy.decision.reasons import Reasons, Teller
from civpolicy.decision.responsible import Answerable
from civpolicy.decision.unused import unused_facts
from civpolicy.decision.values import (
    Consequence,
    Decision,
    Evidence,
    Finding,
    ReportRow,
    canonical_json,
    told_later,
)
from civpolicy.engine.workspace import Firing, Workspace
from civpolicy.errors import Problem
from civpolicy.facts.periods import parse_period
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
        self._sources = {rule.id: rule.citation.source for rule in model.all_rules()}
        """Each rule's clause, by the rule's id."""
        self._firings: dict[Identity, list[tuple[Workspace, Firing]]] = {}
        self._rows: dict[str, list[ReportRow]] = {name: [] for name in model.reports}
        self._answerable: list[dict[str, Any]] = []
        """The facts that name who answers for a consequence (the policy's ``responsible``), as values."""
        self._people: Answerable | None = None
        self._teller = Teller(model)
        self._any_provisional: dict[int, tuple[Workspace, bool]] = {}
        """Whether any fact of a session says it is provisional (when none does, nothing rests on one), by id."""

    def add(self, space: Workspace) -> None:
        """Take in one session's firings and reported facts (raising the session's least failure, if any)."""
        space.finish()
        self._warnings.extend(unused_facts(self.model, space, self.facts))
        self._ran |= space.rules_run()
        firings = self._firings
        for firing in space.firings:
            params = firing.params
            identity = (firing.unit, firing.kind, firing.period, canonical_json(params) if params else "{}")
            known = firings.get(identity)
            if known is None:
                firings[identity] = [(space, firing)]
            else:
                known.append((space, firing))
        answer = self.model.responsible
        if answer is not None:
            for fact in space.of_type(answer.fact):
                self._answerable.append({key: value for key, value in fact.items() if key not in ("id", "type")})
            self._people = None
        for name, report in self.model.reports.items():
            self._rows[name].extend(self._report_rows(space, report))

    def decision(self) -> Decision:
        """The decision: consequences in contract order, report rows sorted, duplicates once."""
        chosen: list[tuple[tuple[Any, ...], Consequence]] = []
        found: list[tuple[tuple[Any, ...], Finding]] = []
        kinds = self.model.kinds
        for (unit, kind_name, period, params), firings in self._firings.items():
            space, firing = firings[0] if len(firings) == 1 else min(firings, key=_rank)
            kind = kinds.get(kind_name)
            if kind is not None and kind.finding:
                # Findings as consequences are sorted: by who, then period (as written), kind and params.
                found.append(((unit, period, kind_name, params), self._finding(space, firing)))
            else:
                # Contract order: unit, period start, kind, period end, params.
                start, end = _span(period)
                consequence = self._consequence(space, firing, kind)
                chosen.append(((unit, start, kind_name, end, params), consequence))
        chosen.sort(key=_first)
        found.sort(key=_first)
        reports = {name: _sorted_rows(rows) for name, rows in self._rows.items()}
        warnings = sorted(set(self._warnings), key=lambda p: (p.file, p.line, p.column, p.path, p.message))
        has_findings = any(kind.finding for kind in kinds.values())
        return Decision(
            self.digest,
            tuple(consequence for _, consequence in chosen),
            reports,
            tuple(warnings),
            frozenset(self._ran),
            findings=tuple(finding for _, finding in found) if has_findings else None,
        )

    def _finding(self, space: Workspace, firing: Firing) -> Finding:
        rule = firing.rule.rule.id
        finding = Finding(
            who=firing.unit,
            kind=firing.kind,
            period=firing.period,
            params=firing.params,
            rule=rule,
            source=self._sources[rule],
            responsible=self._responsible(firing.unit, firing.kind),
        )
        return told_later(finding, Reasons(self._teller, space, firing.derivation, unfold_all=True))

    def _consequence(self, space: Workspace, firing: Firing, kind: m.ConsequenceKind | None) -> Consequence:
        rule = firing.rule.rule.id
        consequence = Consequence(
            unit=firing.unit,
            kind=firing.kind,
            period=firing.period,
            params=firing.params,
            rule=rule,
            source=self._sources[rule],
            discretionary=kind.discretionary if kind is not None else False,
            provisional=self._rests_on_provisional(space, firing.derivation.premises),
            responsible=self._responsible(firing.unit, firing.kind),
        )
        return told_later(consequence, Reasons(self._teller, space, firing.derivation, unfold_all=True))

    def _responsible(self, unit: str, kind: str) -> tuple[dict[str, Any], ...] | None:
        """Who answers for a consequence or finding: the matching facts, in the policy's order, each once."""
        answer = self.model.responsible
        if answer is None:
            return None
        if self._people is None:
            self._people = Answerable(answer, self._answerable)
        return self._people.people(unit, kind)

    def provisional(self, space: Workspace, fact_id: str) -> bool:
        """Whether a fact says it is provisional, or rests on one that does (told once per fact and session)."""
        known = space.provisional.get(fact_id)
        if known is None:
            if not self._provisional_in(space):
                return False
            derivation = space.derivations.get(fact_id)
            known = space.facts[fact_id].get(PROVISIONAL) is True or (
                derivation is not None and self._rests_on_provisional(space, derivation.premises)
            )
            space.provisional[fact_id] = known
        return known

    def _rests_on_provisional(self, space: Workspace, premises: tuple[str, ...]) -> bool:
        """Whether any of these facts is provisional (those already told looked up, not asked again)."""
        if not self._provisional_in(space):
            return False
        told = space.provisional
        for premise in premises:
            known = told.get(premise)
            if known is None:
                known = self.provisional(space, premise)
            if known:
                return True
        return False

    def _provisional_in(self, space: Workspace) -> bool:
        """Whether any fact of a session says it is provisional (asked once per session)."""
        known = self._any_provisional.get(id(space))
        if known is None:  # the session is kept with the answer, so its id is not another's
            any_provisional = any(fact.get(PROVISIONAL) is True for fact in space.facts.values())
            known = self._any_provisional[id(space)] = (space, any_provisional)
        return known[1]

    def _report_rows(self, space: Workspace, report: m.Report) -> Iterator[ReportRow]:
        """A report's rows of one session: each fact's fields, whether it is provisional, its reasons."""
        fields, derivations = report.fields, space.derivations
        marked = self._provisional_in(space)
        for fact in space.of_type(report.fact_type):
            fact_id = fact["id"]
            values = {field: fact.get(field) for field in fields}
            values[PROVISIONAL] = marked and self.provisional(space, fact_id)
            row = ReportRow(values)
            derivation = derivations.get(fact_id)
            yield told_later(row, Reasons(self._teller, space, derivation, unfold_all=False)) if derivation else row

    def evidence(self, space: Workspace, fact_id: str) -> Evidence:
        """A fact's reasons as a tree (told once per fact and session)."""
        return self._teller.evidence(space, fact_id)


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


_first = itemgetter(0)


@functools.lru_cache(maxsize=4096)
def _span(label: str) -> tuple[int, int]:
    """A period's first and last month."""
    period = parse_period(label)
    return (period.start, period.end)


def _sorted_rows(rows: list[ReportRow]) -> tuple[ReportRow, ...]:
    """Rows by unit, period start and end, then content; identical rows once (the last by reasons).

    Only rows of the same unit and period can be identical or need their content to be ordered,
    so only theirs is written as canonical JSON.
    """
    places: dict[tuple[Any, ...], list[ReportRow]] = {}
    for row in rows:
        period = row.values.get("period")
        start_end = _span(period) if isinstance(period, str) else (0, 0)
        places.setdefault((str(row.values.get("unit", "")), start_end), []).append(row)
    ordered = []
    for place in sorted(places):
        same = places[place]
        if len(same) == 1:
            ordered.append(same[0])
            continue
        texts: dict[str, list[ReportRow]] = {}
        for row in same:
            texts.setdefault(canonical_json(row.values), []).append(row)
        for text in sorted(texts):
            # Which of identical rows stays must not depend on the order facts came in: the last by reasons.
            twins = texts[text]
            ordered.append(twins[0] if len(twins) == 1 else sorted(twins, key=lambda row: row.because)[-1])
    return tuple(ordered)
