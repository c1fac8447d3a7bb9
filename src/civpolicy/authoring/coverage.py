"""Which rules and clauses the scenario tests fire, and how the policy encodes each clause of the document.

``clauses.yaml`` lists the clauses of the document, each with how it is encoded: by
``rules`` (a rule, derived fact or parameter cites it, or a clause inside it), as policy
``data`` (a table, vocabulary term, input, cadence or duty does) or ``no``, not for
software, with the reason. Coverage checks the list against the document's outline: every
clause of it must be listed, down to its items; a heading with no words of its own (its title
line, then its parts) is covered by its parts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs

from civpolicy.decision.values import Decision, Evidence
from civpolicy.source import model as m
from civpolicy.source.citations import LAST_PARAGRAPH, encloses, outline, squash
from civpolicy.source.citations import Clause as OutlineClause

RULES, DATA, NOT_FOR_SOFTWARE = m.Clause.ENCODINGS
_NAMED = 4
"""How many of a clause's citers a line names before "and N more"."""
_QUOTED = 40
"""Characters of a clause's words a line shows."""


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


def document_clauses(document: str) -> tuple[tuple[OutlineClause, ...], tuple[OutlineClause, ...]]:
    """The clauses of the document's outline a list must name, and the headings their parts cover.

    A clause must be named when nothing is numbered inside it, or when it has words of its
    own before its first part (a sentence after its title line); a heading that is only its
    title line is covered by its parts. A last paragraph (``… 最后一段``) is a way to cite,
    not a clause of its own: it may be listed, it need not be.
    """
    clauses = {key: c for key, c in outline(document).items() if not c.ref.endswith(LAST_PARAGRAPH)}
    lines = {squash(line) for line in document.splitlines()} - {""}
    named: list[OutlineClause] = []
    headings: list[OutlineClause] = []
    for key, clause in clauses.items():
        starts = [clause.text.find(c.text) for k, c in clauses.items() if encloses(key, k)]
        starts = [start for start in starts if start > 0]
        if starts and clause.text[: min(starts)] in lines:
            headings.append(clause)
        else:
            named.append(clause)
    return tuple(named), tuple(headings)


@attrs.frozen
class Coverage:
    """Rules and clauses, with what the tests fired and what encodes each clause."""

    rules: tuple[tuple[str, str, str], ...]
    """Every rule, of a consequence or of a derived fact, as ``civpolicy check`` counts them: (id, where, clause)."""
    fired: frozenset[str]
    clauses: tuple[m.Clause, ...]
    encoded_by: dict[str, tuple[str, ...]] = attrs.field(hash=False)
    """For each clause listed: the rules and aggregates that cite it (what a test can fire)."""
    by_rules: dict[str, tuple[str, ...]] = attrs.field(hash=False)
    """For each clause listed: the rules, derived facts, parameters (and ``in_force``) that cite it, named."""
    by_data: dict[str, tuple[str, ...]] = attrs.field(hash=False)
    """For each clause listed: the tables, terms, inputs, cadences and duties that cite it, named."""
    aggregates: tuple[tuple[str, str, str], ...] = ()
    """Every derived fact computed by an aggregate (counted, summed over other facts): (name, where, clause)."""
    document: tuple[OutlineClause, ...] | None = None
    """The clauses of the document's outline a list must name (None: the policy has no document)."""
    headings: tuple[OutlineClause, ...] = ()
    """The document's headings that their parts cover."""

    def unfired_rules(self) -> list[tuple[str, str, str]]:
        """Rules no test fires."""
        return [rule for rule in self.rules if rule[0] not in self.fired]

    def unfired_aggregates(self) -> list[tuple[str, str, str]]:
        """Aggregates no test computes."""
        return [aggregate for aggregate in self.aggregates if aggregate[0] not in self.fired]

    def fireable_clauses(self) -> list[m.Clause]:
        """Clauses a rule or an aggregate encodes."""
        return [c for c in self.clauses if self.encoded_by[c.ref]]

    def unfired_clauses(self) -> list[m.Clause]:
        """Clauses encoded by rules none of which any test fires."""
        return [c for c in self.fireable_clauses() if not set(self.encoded_by[c.ref]) & self.fired]

    def unencoded_clauses(self) -> list[m.Clause]:
        """Clauses no rule encodes."""
        return [c for c in self.clauses if not self.encoded_by[c.ref]]

    def encoded(self, how: str) -> list[m.Clause]:
        """The clauses listed as encoded so: ``rules``, ``data`` or ``no``."""
        return [c for c in self.clauses if c.encoded == how]

    def unlisted(self) -> list[OutlineClause]:
        """The clauses of the document's outline that the list does not name."""
        listed = {squash(c.ref) for c in self.clauses}
        return [c for c in self.document or () if squash(c.ref) not in listed]

    def problems(self) -> list[str]:
        """What the list gets wrong: a clause marked encoded that nothing so cites, one it leaves out, one twice."""
        found = []
        seen: dict[str, m.Clause] = {}
        for clause in self.clauses:
            where = _where(clause)
            earlier = seen.setdefault(squash(clause.ref), clause)
            if earlier is not clause:
                found.append(f"{clause.ref} ({where}): listed twice (also {_where(earlier)})")
            rules, data = self.by_rules[clause.ref], self.by_data[clause.ref]
            if clause.encoded == RULES and not rules:
                hint = f"; it is cited as data, by {_names(data)}: encoded: data?" if data else ": not yet encoded"
                found.append(
                    f"{clause.ref} ({where}): encoded: rules, but no rule, derived fact or parameter cites it{hint}"
                )
            elif clause.encoded == DATA and not data:
                hint = f"; rules cite it, {_names(rules)}: encoded: rules?" if rules else ": not yet encoded"
                found.append(
                    f"{clause.ref} ({where}): encoded: data, but no table, term, input, cadence or duty cites it{hint}"
                )
        for missing in self.unlisted():
            listing = "list it with encoded: rules, data or no"
            found.append(f"{missing.ref}: not in clauses.yaml (「{_quoted(missing.text)}」): {listing}")
        return found

    def report(self) -> str:
        """The coverage in words."""
        lines = []
        unfired = self.unfired_rules()
        lines.append(f"rules no test fires: {len(unfired)} of {len(self.rules)}")
        lines += [f"  - {rule_id} ({where}, {clause})" for rule_id, where, clause in unfired]
        uncomputed = self.unfired_aggregates()
        lines.append(f"aggregates no test computes: {len(uncomputed)} of {len(self.aggregates)}")
        lines += [f"  - {name} ({where}, {clause})" for name, where, clause in uncomputed]
        lines.append(f"clauses no test fires: {len(self.unfired_clauses())} of {len(self.fireable_clauses())}")
        lines += [f"  - {c.ref}: 「{_quoted(c.text)}」" for c in self.unfired_clauses()]
        lines += self._completeness()
        groups = (
            (RULES, "clauses encoded by rules"),
            (DATA, "clauses encoded as policy data"),
            (NOT_FOR_SOFTWARE, "clauses not for software"),
        )
        for how, title in groups:
            listed = self.encoded(how)
            lines.append(f"{title}: {len(listed)} of {len(self.clauses)}")
            for clause in listed:
                lines.append(f"  - {clause.ref}: 「{_quoted(clause.text)}」")
                if how == NOT_FOR_SOFTWARE:
                    lines.append(f"      why: {clause.reason}")
                else:
                    citers = self.by_rules[clause.ref] if how == RULES else self.by_data[clause.ref]
                    lines.append(f"      by: {_names(citers) or 'nothing yet'}")
                if clause.note:
                    lines.append(f"      note: {clause.note}")
        problems = self.problems()
        lines.append(f"problems of the clause list: {len(problems)}")
        lines += [f"  - {problem}" for problem in problems]
        return "\n".join(lines) + "\n"

    def _completeness(self) -> list[str]:
        if self.document is None:
            return ["clauses of the document: the policy has no document (document.file), so none is checked"]
        unlisted = self.unlisted()
        listed = len(self.document) - len(unlisted)
        if unlisted:
            told = f"{listed} listed in clauses.yaml, {len(unlisted)} not (see the problems below)"
        else:
            told = "every one listed in clauses.yaml"
        lines = [f"clauses of the document: {len(self.document)} in its outline, {told}"]
        if self.headings:
            lines.append(
                f"  {len(self.headings)} headings are covered by their parts: {', '.join(h.ref for h in self.headings)}"
            )
        others = len(self.clauses) - listed
        if others > 0:
            lines.append(f"  clauses.yaml lists {others} more: headings or last paragraphs")
        return lines


def _where(clause: m.Clause) -> str:
    return f"{clause.file.rsplit('/', 1)[-1]}:{clause.line}"


def _quoted(text: str) -> str:
    return text if len(text) <= _QUOTED else text[:_QUOTED] + "…"


def _names(citers: tuple[str, ...]) -> str:
    shown = ", ".join(citers[:_NAMED])
    return f"{shown} and {len(citers) - _NAMED} more" if len(citers) > _NAMED else shown


def _rule_citers(model: m.PolicyModel) -> list[tuple[str, str]]:
    """(name, clause) of what encodes a clause by rules: rules, derived facts, parameters, constraints, in_force."""
    found = [(f"rule {r.id}", r.citation.source) for r in model.all_rules()]
    found += [(f"derived fact {n}", d.citation.source) for n, d in model.derived.items() if d.citation]
    found += [(f"parameter {n}", p.citation.source) for n, p in model.parameters.items() if p.citation]
    found += [(f"constraint {c.id}", c.citation.source) for c in model.constraints if c.citation]
    if model.in_force is not None and model.in_force.citation is not None:
        found.append((f"in_force (from {model.in_force.since})", model.in_force.citation.source))
    return found


def _data_citers(model: m.PolicyModel) -> list[tuple[str, str]]:
    """(name, clause) of the policy data that cites a clause: tables and their rows, terms, inputs, cadences, duties."""
    found = []
    for name, table in model.tables.items():
        sources = {dict(row).get("source") for row in table.rows}
        sources.add(table.citation.source if table.citation else None)
        found += [(f"table {name}", source) for source in sorted(s for s in sources if isinstance(s, str))]
    found += [(f"term {t.id}", t.citation.source) for terms in model.vocabularies.values() for t in terms if t.citation]
    found += [(f"input {n}", c.source) for n, c in _citations(model.inputs) if c is not None]
    found += [(f"cadence {c.id}", c.citation.source) for c in model.cadences]
    duties: Mapping[str, Any] = getattr(model, "duties", {})  # the duties of the calendar, where the policy has them
    found += [(f"duty {n}", c.source) for n, c in _citations(duties) if c is not None]
    return found


def _citations(items: Mapping[str, Any]) -> list[tuple[str, Any]]:
    return [(name, getattr(item, "citation", None)) for name, item in items.items()]


def _citing(citers: list[tuple[str, str]], clause: m.Clause) -> tuple[str, ...]:
    """The names of what cites a clause, those that name it first, then those that name a clause inside it."""
    ref = squash(clause.ref)
    citing = sorted(
        ((squash(source) != ref, name) for name, source in citers if cites(source, clause)), key=lambda c: c[0]
    )
    return tuple(dict.fromkeys(name for _, name in citing))


def coverage(model: m.PolicyModel, fired: set[str]) -> Coverage:
    """The coverage of a policy by tests that fired these rules."""
    rules = [(r.id, f"{r.file.rsplit('/', 1)[-1]}:{r.line}", r.citation.source) for r in model.all_rules()]
    aggregates = [
        (name, f"{d.file.rsplit('/', 1)[-1]}:{d.line}", d.citation.source if d.citation else "")
        for name, d in model.derived.items()
        if d.aggregate is not None
    ]
    by_rules, by_data = _rule_citers(model), _data_citers(model)
    encoded: dict[str, tuple[str, ...]] = {}
    named_rules: dict[str, tuple[str, ...]] = {}
    named_data: dict[str, tuple[str, ...]] = {}
    for clause in model.clauses:
        encoded[clause.ref] = tuple(rule_id for rule_id, _, source in rules + aggregates if cites(source, clause))
        named_rules[clause.ref] = _citing(by_rules, clause)
        named_data[clause.ref] = _citing(by_data, clause)
    document, headings = document_clauses(model.document) if model.document else (None, ())
    return Coverage(
        tuple(rules),
        frozenset(fired),
        model.clauses,
        encoded,
        named_rules,
        named_data,
        tuple(aggregates),
        document,
        headings,
    )
