"""The policy as validated data: frozen attrs classes, one per thing the YAML declares.

The classes mirror the YAML sections (see docs/policy-guide.en.md): parameters,
vocabularies, cadences, the inputs (facts the policy reads), derived facts, tables,
consequence kinds and rules. Expressions stay as data (:mod:`civpolicy.source.expressions`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from civpolicy.source.expressions import Expr, Template


@attrs.frozen
class Text:
    """A short text in Chinese and English."""

    zh: str
    en: str


@attrs.frozen
class Citation:
    """Where a definition comes from: the clause reference and its original words."""

    source: str
    text: str


@attrs.frozen
class Parameter:
    """A named value of the policy (a number, or a text among ``choices``), overridable at run time."""

    name: str
    value: int | float | str
    """The value; with values by date, the first (in force before the first date too)."""
    description: Text
    citation: Citation | None
    set_by: str
    minimum: int | float | None = None
    maximum: int | float | None = None
    integer: bool = True
    file: str = ""
    line: int = 0
    dated: tuple[tuple[str, int | float | str], ...] = ()
    """Values by date (``values:``): (ISO date, value), ascending; empty for the one-value form."""
    choices: tuple[str, ...] = ()
    """The texts a text parameter may take; empty for a number."""

    def all_values(self) -> tuple[int | float | str, ...]:
        """Every value the parameter takes, at any date."""
        return tuple(value for _, value in self.dated) or (self.value,)

    def value_on(self, date: str) -> int | float | str:
        """The value in force from an ISO date on: the last dated on or before it (the first before them all)."""
        chosen = self.value
        for since, value in self.dated:
            if since <= date:
                chosen = value
        return chosen

    @property
    def latest(self) -> int | float | str:
        """The value of the last date (the only value of the one-value form)."""
        return self.dated[-1][1] if self.dated else self.value


@attrs.frozen
class InForce:
    """When the policy applies: facts of a period that ends before ``since`` are not judged by it."""

    since: str
    """An ISO date (``2022-03-01``)."""
    citation: Citation | None
    file: str = ""
    line: int = 0


@attrs.frozen
class Term:
    """One entry of a vocabulary (a unit category, a period kind...)."""

    id: str
    zh: str
    en: str
    citation: Citation | None = None
    members: tuple[str, ...] = ()
    note: str = ""


@attrs.frozen
class Cadence:
    """One of the document's evaluation rhythms (weekly, monthly, quarterly...)."""

    id: str
    name: Text
    citation: Citation
    period_kind: str
    months: tuple[int, ...] = ()
    note: str = ""
    file: str = ""
    line: int = 0


@attrs.frozen
class InputField:
    """One field of an input fact as the facts file gives it."""

    name: str
    type: str
    required: bool = False
    default: Any = None
    rename: str | None = None
    values: tuple[str, ...] = ()
    vocabulary: str | None = None
    kinds: tuple[str, ...] = ()
    minimum: int | float | None = None
    maximum: int | float | None = None
    line: int = 0

    @property
    def target(self) -> str:
        """The fact field this input field fills."""
        return self.rename or self.name

    def choices(self, vocabularies: Mapping[str, tuple[Term, ...]]) -> tuple[str, ...]:
        """A choice's allowed values: its own ``values``, or the ids of its vocabulary's terms."""
        return self.values or tuple(term.id for term in vocabularies.get(self.vocabulary or "", ()))

    @property
    def gives_period(self) -> bool:
        """Whether the field is the fact's period, whose fields (year, start, end...) join the fact."""
        return self.type == "period" and self.target == "period"


@attrs.frozen
class InputFact:
    """A kind of fact read from the facts file (a top-level list of it)."""

    name: str
    source_key: str
    description: Text
    says: Template
    fields: tuple[InputField, ...]
    key: tuple[str, ...] | None
    """Fact fields that identify an item; None: every item counts on its own."""
    unique: bool = False
    """No two items have the same key, even alike (else two alike items are one)."""
    required: bool = False
    file: str = ""
    line: int = 0
    total: tuple[str, tuple[str, ...], float] | None = None
    """(field, per fields, value): the field's values must add up to the value in each group."""
    needed_by: tuple[tuple[tuple[str, Any], ...], str] | None = None
    unused: Template | None = None
    """Why an item no rule used was left unused, said as a warning of the decision (None: never warned)."""
    """(conditions on units, facts key): every unit meeting the conditions needs one of these
    facts whenever the facts file has that key."""


@attrs.frozen
class Test:
    """One condition on a field: ``field op value``."""

    field: str
    op: str
    value: Expr


@attrs.frozen
class Pattern:
    """A fact to find (or, negated, to find absent), with its conditions."""

    fact_type: str
    alias: str | None
    tests: tuple[Test, ...]
    negated: bool = False
    says: Template | None = None
    line: int = 0


@attrs.frozen
class Output:
    """What a rule gives: a derived fact, or a consequence for a unit and period."""

    fields: tuple[tuple[str, Expr], ...]
    consequence: str | None = None
    """The consequence kind, or None for a derived fact."""


@attrs.frozen
class Rule:
    """One rule: when every pattern holds, give the output."""

    id: str
    head: str
    """The derived fact type or the consequence kind it gives."""
    when: tuple[Pattern, ...]
    then: Output
    citation: Citation
    summary: Text | None = None
    interpretation: str = ""
    file: str = ""
    line: int = 0
    lines: tuple[tuple[str, int], ...] = ()
    """Lines of the rule's parts: ``text``, ``then``, ``then.period``, ``then.params.points``..."""

    def line_of(self, part: str) -> int:
        """The line of a part of the rule (``then.params.points``), or of the nearest enclosing part."""
        lines = dict(self.lines)
        while part:
            if part in lines:
                return lines[part]
            part = part.rpartition(".")[0]
        return self.line


@attrs.frozen
class Aggregate:
    """A derived fact computed over a group: a count, or the first fact in an order."""

    mode: str
    """``count``, ``sum`` or ``first``."""
    each: Pattern
    over: Pattern
    order_by: tuple[Expr, ...]
    then: Output
    value: Expr | None = None
    """For ``sum``: the value of each fact of the group to add up."""


@attrs.frozen
class DerivedFact:
    """A fact the policy derives by forward chaining, with the rules that derive it."""

    name: str
    description: Text
    citation: Citation | None
    says: Template
    interpretation: str
    rules: tuple[Rule, ...] = ()
    aggregate: Aggregate | None = None
    file: str = ""
    line: int = 0

    def outputs(self) -> list[tuple[Output, tuple[Pattern, ...]]]:
        """Each output that gives the fact (its rules', then its aggregate's), with the patterns it may read."""
        outputs = [(rule.then, rule.when) for rule in self.rules]
        if self.aggregate is not None:
            outputs.append((self.aggregate.then, (self.aggregate.each, self.aggregate.over)))
        return outputs


@attrs.frozen
class Table:
    """Rows of policy data that rules join on, such as the steps of a ladder."""

    name: str
    description: Text
    citation: Citation | None
    says: Template
    rows: tuple[tuple[tuple[str, Any], ...], ...]
    file: str = ""
    line: int = 0


@attrs.frozen
class ConsequenceKind:
    """A kind of consequence the policy can give, with its period and params."""

    name: str
    description: Text
    period_kinds: tuple[str, ...]
    params: tuple[str, ...]
    discretionary: bool = False
    """A recommendation (优先考虑, 予以倾斜, 视情, 建议) for someone to weigh, not an order to apply."""
    finding: bool = False
    """A finding (``findings:``): listed apart from the consequences, given for a ``who``, never applied as one."""


@attrs.frozen
class Report:
    """Derived facts a decision reports beside the consequences (such as the grades)."""

    name: str
    fact_type: str
    fields: tuple[str, ...]
    description: Text
    file: str = ""
    line: int = 0


@attrs.frozen
class Invariant:
    """A property the policy must have whatever the facts, checked on generated populations."""

    id: str
    says: Text
    source: str
    check: str
    """``worse_grade``, ``at_most_once``, ``within`` or ``contiguous``."""
    spec: dict[str, Any] = attrs.field(hash=False)
    """The check's settings, as written (see civpolicy.authoring.invariants)."""
    file: str = ""
    line: int = 0


@attrs.frozen
class Constraint:
    """A relation the parameters' values must keep, whoever sets them (weights that add up to 1)."""

    id: str
    says: Text
    citation: Citation | None
    total: tuple[str, ...]
    """The parameters whose values are added up."""
    compare: str
    """``equals``, ``at_most`` or ``at_least``."""
    bound: int | float
    interpretation: str = ""
    file: str = ""
    line: int = 0

    def broken_by(self, values: Mapping[str, Any]) -> str:
        """What is wrong with these parameter values, in words (nothing: they keep the constraint)."""
        # Added as written, exactly: 0.7 + 0.3 is 1, and 1e-17 + 1 is more than 1.
        total = sum((Decimal(str(values[name])) for name in self.total), Decimal(0))
        bound = Decimal(str(self.bound))
        kept = {"equals": total == bound, "at_most": total <= bound, "at_least": total >= bound}[self.compare]
        if kept:
            return ""
        terms = " + ".join(f"{name} {values[name]}" for name in self.total)
        must = {"equals": "must equal", "at_most": "must be at most", "at_least": "must be at least"}[self.compare]
        return f"{terms} = {_decimal(total)}, {must} {self.bound}"

    def broken_at_some_date(self, values: Mapping[str, Any], dated: Mapping[str, Sequence[tuple[str, Any]]]) -> str:
        """As :meth:`broken_by`, at every date a value of its parameters changes (``dated``: (ISO date, value)s).

        ``values`` holds the one-value parameters; a dated one takes, at each date, the value
        in force from then (its first before its first date).
        """
        dates = sorted({since for name in self.total for since, _ in dated.get(name, ())})
        if not dates:
            return self.broken_by(values)
        for date in dates:
            at = {name: _on(dated[name], date) if name in dated else values[name] for name in self.total}
            broken = self.broken_by(at)
            if broken:
                return f"from {date}: {broken}"
        return ""


def _on(entries: Sequence[tuple[str, Any]], date: str) -> Any:
    """The value of (ISO date, value) entries in force from a date on (the first before them all)."""
    chosen = entries[0][1]
    for since, value in entries:
        if since <= date:
            chosen = value
    return chosen


def _decimal(value: Decimal) -> str:
    """A decimal as written by hand: no exponent, no trailing zeros (1.10 is 1.1, 1E+1 is 10)."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@attrs.frozen
class Performers:
    """Who carries out a duty: the rows of a table, the facts of an input, or names as the document writes them."""

    table: str = ""
    facts: str = ""
    where: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    """(field, allowed values): the rows or facts that count."""
    name: str = ""
    """The field of a row or fact that names who (a person as written, or a unit's id)."""
    place: str = ""
    """The field that names where the duty is done (empty: at the performer's own place, which is who)."""
    names: tuple[str, ...] = ()


@attrs.frozen
class Schedule:
    """When a duty falls due: one occurrence per week, month, quarter or year, or none (``ongoing``, ``as_needed``)."""

    every: str
    months: tuple[int, ...] = ()
    """For ``every: year``: the months of the year, each an occurrence of its own (empty: the year is one)."""
    weekday: int = 0
    """For ``every: week``: the day it is due, 1 (Monday) to 7; 0: any day of the week."""
    days: tuple[Expr, Expr] | None = None
    """For ``every: month``: the first and last day of the month it is due (numbers or parameters)."""

    @property
    def dated(self) -> bool:
        """Whether the duty has dated occurrences."""
        return self.every in ("week", "month", "quarter", "year")


@attrs.frozen
class Duty:
    """A duty the document sets: who does what, when, with its lead and responsible units and its clause."""

    id: str
    name: Text
    citation: Citation
    schedule: Schedule
    who: Text
    """Who carries it out, in words."""
    performers: tuple[Performers, ...] = ()
    lead: tuple[str, ...] = ()
    responsible: tuple[str, ...] = ()
    interpretation: str = ""
    file: str = ""
    line: int = 0


@attrs.frozen
class CalendarSettings:
    """How duties meet the facts: the fact type of an occurrence, and what spans a check."""

    occurrence: str
    """The fact type each dated occurrence becomes in an evaluation (rules find it)."""
    says: Template
    spans: str = ""
    """The input whose periods are checked (each month of them), when the facts give any."""
    dated: str = ""
    """Otherwise: the input whose ``date`` field spans the check, from its first month to its last."""
    date_field: str = "date"
    file: str = ""
    line: int = 0


@attrs.frozen
class Responsibility:
    """Who answers for each consequence and finding: the facts of a type that match it."""

    fact: str
    match: tuple[tuple[str, str], ...]
    """(fact field, decision field: unit or kind): equal, or the fact's field is null (it matches all)."""
    fields: tuple[str, ...]
    order_by: tuple[str, ...] = ()
    file: str = ""
    line: int = 0


@attrs.frozen
class Clause:
    """A clause of the document as ``clauses.yaml`` lists it, with how the policy encodes it, for coverage."""

    ref: str
    text: str
    note: str = ""
    file: str = ""
    line: int = 0
    encoded: str = "rules"
    """How the policy encodes it: ``rules``, ``data`` (tables, terms, cadences, duties) or ``no`` (not for software)."""
    reason: str = ""
    """For ``encoded: no``: why the clause is not for software (zh / en)."""

    ENCODINGS = ("rules", "data", "no")
    """The values of ``encoded``."""


@attrs.frozen
class PolicyModel:
    """The whole policy: every section of every file, validated and cross-checked."""

    title: str
    parameters: dict[str, Parameter]
    vocabularies: dict[str, tuple[Term, ...]]
    cadences: tuple[Cadence, ...]
    inputs: dict[str, InputFact]
    derived: dict[str, DerivedFact]
    tables: dict[str, Table]
    kinds: dict[str, ConsequenceKind]
    rules: tuple[Rule, ...]
    files: tuple[str, ...]
    source_digest: str
    reports: dict[str, Report] = attrs.field(factory=dict)
    invariants: tuple[Invariant, ...] = ()
    clauses: tuple[Clause, ...] = ()
    constraints: tuple[Constraint, ...] = ()
    in_force: InForce | None = None
    """From when the policy applies (None: to every period)."""
    duties: dict[str, Duty] = attrs.field(factory=dict)
    calendar: CalendarSettings | None = None
    responsible: Responsibility | None = None
    document: str = attrs.field(default="", eq=False, repr=False)
    """The text of the document the policy encodes (its ``document.file``), when it has one."""

    def fact_types(self) -> set[str]:
        """Every fact type a pattern may name."""
        occurrence = {self.calendar.occurrence} if self.calendar is not None else set()
        return set(self.inputs) | set(self.derived) | set(self.tables) | occurrence

    def place_of(self, rule_id: str) -> tuple[str, int] | None:
        """The file and line of a rule, or of a derived fact's aggregate (named as the fact), if the policy has it."""
        for rule in self.all_rules():
            if rule.id == rule_id:
                return rule.file, rule.line
        derived = self.derived.get(rule_id)
        return (derived.file, derived.line) if derived is not None else None

    def all_rules(self) -> tuple[Rule, ...]:
        """Consequence rules and derivation rules, in file order."""
        derived = tuple(rule for fact in self.derived.values() for rule in fact.rules)
        return derived + self.rules
