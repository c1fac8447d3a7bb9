"""Cross-checks of a policy model: every name a rule uses must exist, and mean one thing.

Fact types, fields, aliases, parameters, consequence kinds and their params are
resolved here (with a did-you-mean where a name is close to a known one), and the rules
must stratify (no fact may depend on its own absence). Citations are checked against the
document in :mod:`civpolicy.source.citations`.
"""

from __future__ import annotations

from civpolicy.checks.dated import dated_problems
from civpolicy.checks.strata import StratificationError, strata
from civpolicy.errors import Problem
from civpolicy.facts.items import value_problem
from civpolicy.facts.occurrences import OCCURRENCE_FIELDS
from civpolicy.facts.periods import KINDS, Period
from civpolicy.source import model as m
from civpolicy.source.expressions import TOTALS, Call, Const, Ref, Template, did_you_mean, references

PERIOD_FIELDS = tuple(Period(0, 12).fields())
"""The fields a fact gains from its ``period``: kind, year, ordinal, previous, start, end, months."""


def fact_fields(policy: m.PolicyModel) -> dict[str, set[str]]:
    """The fields each fact type has, as rules see them."""
    fields: dict[str, set[str]] = {}
    for name, spec in policy.inputs.items():
        names = {f.target for f in spec.fields} | {"seq"}
        if any(f.gives_period for f in spec.fields):
            names |= set(PERIOD_FIELDS)
        fields[name] = names
    for name, derived in policy.derived.items():
        names = {field for output, _ in derived.outputs() for field, _ in output.fields}
        if "period" in names:
            names |= set(PERIOD_FIELDS)
        fields[name] = names
    for name, table in policy.tables.items():
        fields[name] = {key for row in table.rows for key, _ in row} | {"seq"}  # seq: the row's place in the table
    if policy.calendar is not None:
        fields[policy.calendar.occurrence] = set(OCCURRENCE_FIELDS) | {"seq"}
    return fields


def cross_check(policy: m.PolicyModel, problems: list[Problem]) -> None:
    """Append a problem for every unresolved or inconsistent name in the policy."""
    checker = _Checker(policy, problems)
    checker.check_inputs()
    checker.check_derived()
    for rule in policy.rules:
        checker.check_rule(rule)
    checker.check_reports()
    checker.check_tables()
    checker.check_constraints()
    checker.check_duties()
    checker.check_calendar()
    checker.check_responsible()
    checker.check_strata()
    problems.extend(dated_problems(policy, checker.fields))


class _Checker:
    def __init__(self, policy: m.PolicyModel, problems: list[Problem]) -> None:
        self.policy = policy
        self.problems = problems
        self.fields = fact_fields(policy)

    def report(self, file: str, line: int, path: str, message: str) -> None:
        self.problems.append(Problem(file, max(line, 1), 1, message, path))

    def check_inputs(self) -> None:
        for name, spec in self.policy.inputs.items():
            where, line = spec.file, spec.line
            targets = {f.target for f in spec.fields}
            for key in spec.key or ():
                if key not in targets:
                    self.report(where, line, f"inputs.{name}.key", f"key field {key!r} is not a field of {name}")
            self.check_input_fields(name, spec)
            for field in spec.fields:
                if field.vocabulary and field.vocabulary not in self.policy.vocabularies:
                    hint = did_you_mean(field.vocabulary, self.policy.vocabularies)
                    self.report(
                        where,
                        field.line or line,
                        f"inputs.{name}.fields.{field.name}",
                        f"no vocabulary {field.vocabulary!r}{hint}",
                    )
                if field.type == "choice" and not field.vocabulary and not field.values:
                    self.report(
                        where,
                        field.line or line,
                        f"inputs.{name}.fields.{field.name}",
                        "a choice needs 'values' or 'vocabulary'",
                    )
            self.check_template(spec.says, self.fields[name], where, line, f"inputs.{name}.says")
            if spec.unused is not None:
                self.check_template(spec.unused, self.fields[name], where, line, f"inputs.{name}.unused")

    def check_input_fields(self, name: str, spec: m.InputFact) -> None:
        """Field settings fit the type; a default is a value the field could be given; one field per fact field."""
        filled: dict[str, str] = {}
        period_given = any(f.gives_period for f in spec.fields)
        for field in spec.fields:
            problems = []
            target = field.target
            if target in filled:
                problems.append(f"fills the fact field {target!r}, as {filled[target]} does")
            filled.setdefault(target, field.name)
            if target in RESERVED_FIELDS:
                problems.append(f"cannot fill {target!r}: civpolicy gives every fact that field")
            elif period_given and target in PERIOD_FIELDS and target != "period":
                problems.append(f"cannot fill {target!r}: the fact's period gives that field")
            problems += _setting_problems(field)
            if field.default is not None and not problems:
                wrong = value_problem(field, field.default, self.policy.vocabularies)
                if wrong is not None:
                    problems.append(f"default {wrong}")
            for problem in problems:
                self.report(spec.file, field.line or spec.line, f"inputs.{name}.fields.{field.name}", problem)

    def check_derived(self) -> None:
        for name, derived in self.policy.derived.items():
            field_sets = {tuple(sorted(f for f, _ in rule.then.fields)) for rule in derived.rules}
            if len(field_sets) > 1:
                self.report(
                    derived.file,
                    derived.line,
                    f"derived.{name}",
                    "every rule of a derived fact must give the same fields",
                )
            for rule in derived.rules:
                self.check_rule(rule)
            if derived.aggregate is not None:
                self.check_aggregate(derived)
            outputs = [output for output, _ in derived.outputs()]
            self.check_period_fields(name, outputs, derived.file, derived.line)
            self.check_template(derived.says, self.fields[name], derived.file, derived.line, f"derived.{name}.says")

    def check_period_fields(self, name: str, outputs: list[m.Output], file: str, line: int) -> None:
        """A derived fact with a period gains the period's fields: it may not give them itself."""
        given = {field for output in outputs for field, _ in output.fields}
        if "period" in given:
            for field in sorted(given & (set(PERIOD_FIELDS) - {"period"})):
                message = f"{field!r} comes from the period: name this field otherwise"
                self.report(file, line, f"derived.{name}.then.{field}", message)

    def check_tables(self) -> None:
        for name, table in self.policy.tables.items():
            self.check_template(table.says, self.fields[name], table.file, table.line, f"tables.{name}.says")

    def check_template(self, template: Template, fields: set[str], file: str, line: int, path: str) -> None:
        line = template.line or line
        for name in template.names():
            if name not in fields:
                self.report(file, line, path, f"says {{{name}}}, which is not a field{did_you_mean(name, fields)}")
        self.check_vocabularies(template, file, line, path)

    def check_vocabularies(self, template: Template, file: str, line: int, path: str) -> None:
        line = template.line or line
        for vocabulary in template.vocabularies():
            if vocabulary not in self.policy.vocabularies:
                hint = did_you_mean(vocabulary, self.policy.vocabularies)
                self.report(file, line, path, f"says a term of {vocabulary!r}, which is no vocabulary{hint}")

    def check_pattern(
        self, pattern: m.Pattern, aliases: dict[str, str], file: str, path: str, equality_only: bool
    ) -> None:
        line = pattern.line
        if pattern.fact_type not in self.fields:
            hint = did_you_mean(pattern.fact_type, self.fields)
            self.report(file, line, path, f"no fact type {pattern.fact_type!r}{hint}")
            return
        own = self.fields[pattern.fact_type]
        for test in pattern.tests:
            self.check_condition_value(test, file, line, f"{path}.{test.field}", in_rule=equality_only)
            if test.field not in own:
                self.report(
                    file,
                    line,
                    f"{path}.{test.field}",
                    f"{pattern.fact_type} has no field {test.field!r}{did_you_mean(test.field, own)}",
                )
            for ref in references(test.value):
                self.check_ref(ref, aliases, file, line, f"{path}.{test.field}")
                if equality_only and ref.scope in aliases and test.op != "eq":
                    self.report(
                        file,
                        line,
                        f"{path}.{test.field}",
                        "a rule compares two facts only by equality; order between facts belongs in a "
                        "derived fact with for_each and count/first",
                    )
        if pattern.says is not None:
            for name in pattern.says.names():
                scope, _, field = name.partition(".")
                if not field or scope not in aliases:
                    self.report(
                        file,
                        line,
                        f"{path}.says",
                        f"says {{{name}}}: write {{alias.field}} with a named fact found before",
                    )
                elif field not in self.fields.get(aliases[scope], set()):
                    self.report(file, line, f"{path}.says", f"{aliases[scope]} has no field {field!r}")

    def check_condition_value(self, test: m.Test, file: str, line: int, path: str, in_rule: bool) -> None:
        """What a condition compares with: never null; in a rule, no calculation and no totals."""
        value = test.value
        if isinstance(value, Const) and (
            value.value is None or (isinstance(value.value, (list, tuple)) and None in value.value)
        ):
            message = "a condition cannot compare with null: an unknown value equals nothing, so it never holds"
            self.report(file, line, path, message)
        if not in_rule:
            return
        if isinstance(value, Call):
            self.report(
                file,
                line,
                path,
                "a rule's condition compares with a value, a parameter or a field of another fact, "
                "not a calculation: compute it in a derived fact first",
            )
        for ref in references(value):
            if ref.scope in ("this", *TOTALS):
                self.report(file, line, path, f"${ref.scope} is not known in a rule's conditions")

    def check_ref(self, ref: Ref, aliases: dict[str, str], file: str, line: int, path: str) -> None:
        if ref.scope == "params":
            if ref.name not in self.policy.parameters:
                self.report(
                    file, line, path, f"no parameter {ref.name!r}{did_you_mean(ref.name, self.policy.parameters)}"
                )
        elif ref.scope in ("this", *TOTALS):
            return
        elif ref.scope not in aliases:
            hint = did_you_mean(ref.scope, aliases)
            self.report(file, line, path, f"${ref.scope} names no fact found before it{hint}")
        elif aliases[ref.scope] in self.fields and ref.name not in self.fields[aliases[ref.scope]]:
            fields = self.fields.get(aliases[ref.scope], set())
            self.report(
                file, line, path, f"{aliases[ref.scope]} has no field {ref.name!r}{did_you_mean(ref.name, fields)}"
            )

    def check_rule(self, rule: m.Rule) -> None:
        aliases: dict[str, str] = {}
        for index, pattern in enumerate(rule.when):
            path = f"{rule.id}.when[{index}]"
            self.check_pattern(pattern, aliases, rule.file, path, equality_only=True)
            if pattern.alias:
                if pattern.alias in aliases:
                    self.report(rule.file, pattern.line, path, f"the name {pattern.alias!r} is used twice in this rule")
                aliases[pattern.alias] = pattern.fact_type
        if not any(not p.negated for p in rule.when):
            self.report(rule.file, rule.line, rule.id, "a rule needs at least one fact to find (not only absent ones)")
        for index, pattern in enumerate(rule.when):
            if pattern.says is not None:
                # its fields are checked with the pattern; its vocabularies here
                self.check_vocabularies(pattern.says, rule.file, pattern.line, f"{rule.id}.when[{index}].says")
        done: set[str] = set()
        for name, expr in rule.then.fields:
            for ref in references(expr):
                if ref.scope == "this" and ref.name not in done:
                    self.report(
                        rule.file,
                        rule.line_of(f"then.{name}"),
                        f"{rule.id}.then.{name}",
                        f"$this.{ref.name} is not computed before {name}",
                    )
                elif ref.scope in TOTALS:
                    self.report(
                        rule.file,
                        rule.line_of(f"then.{name}"),
                        f"{rule.id}.then.{name}",
                        f"${ref.scope} is only known in a derived fact with 'count' or 'sum'",
                    )
                else:
                    self.check_ref(ref, aliases, rule.file, rule.line_of(f"then.{name}"), f"{rule.id}.then.{name}")
            done.add(name.removeprefix("params."))
        if rule.then.consequence is not None:
            self.check_consequence(rule)

    def check_consequence(self, rule: m.Rule) -> None:
        kind = self.policy.kinds.get(rule.head)
        if kind is None:
            hint = did_you_mean(rule.head, self.policy.kinds)
            line = rule.line_of("then.consequence")
            self.report(rule.file, line, f"{rule.id}.then.consequence", f"no consequence kind {rule.head!r}{hint}")
            return
        given = [name.removeprefix("params.") for name, _ in rule.then.fields if name.startswith("params.")]
        if sorted(given) != sorted(kind.params):
            extra = [name for name in given if name not in kind.params]
            self.report(
                rule.file,
                rule.line_of(f"then.params.{extra[0]}" if extra else "then.params"),
                f"{rule.id}.then.params",
                f"{kind.name} takes params {sorted(kind.params)} (got {sorted(given)})",
            )

    def check_aggregate(self, derived: m.DerivedFact) -> None:
        aggregate = derived.aggregate
        assert aggregate is not None
        path = f"derived.{derived.name}"
        each, over = aggregate.each, aggregate.over
        self.check_pattern(each, {}, derived.file, f"{path}.for_each", equality_only=True)
        aliases = {each.alias or "": each.fact_type}
        self.check_pattern(over, aliases, derived.file, f"{path}.{aggregate.mode}", equality_only=False)
        if over.alias:
            aliases[over.alias] = over.fact_type
        for expr in (*aggregate.order_by, *([aggregate.value] if aggregate.value is not None else [])):
            for ref in references(expr):
                self.check_ref(ref, aliases, derived.file, derived.line, f"{path}.order_by/value")
        for name, expr in aggregate.then.fields:
            for ref in references(expr):
                if ref.scope in TOTALS and aggregate.mode == "first":
                    message = f"${ref.scope} is only known with 'count' or 'sum'"
                    self.report(derived.file, derived.line, f"{path}.then.{name}", message)
                elif ref.scope in ("sum", "mean") and aggregate.value is None:
                    message = f"${ref.scope} needs 'value': what to add up"
                    self.report(derived.file, derived.line, f"{path}.then.{name}", message)
                elif ref.scope not in ("this", *TOTALS):
                    self.check_ref(ref, aliases, derived.file, derived.line, f"{path}.then.{name}")

    def check_reports(self) -> None:
        for name, report in self.policy.reports.items():
            path = f"reports.{name}"
            if report.fact_type not in self.fields:
                hint = did_you_mean(report.fact_type, self.fields)
                self.report(report.file, report.line, f"{path}.fact", f"no fact type {report.fact_type!r}{hint}")
                continue
            for field in report.fields:
                if field not in self.fields[report.fact_type]:
                    message = f"{report.fact_type} has no field {field!r}"
                    self.report(report.file, report.line, f"{path}.fields", message)

    def check_duties(self) -> None:
        """Each duty's performers name a table or input, and fields it has."""
        policy = self.policy
        for duty in policy.duties.values():
            path = f"duties.{duty.id}.performers"
            for performers in duty.performers:
                source = performers.table or performers.facts
                if not source:
                    continue
                known = policy.tables if performers.table else policy.inputs
                if source not in known:
                    self.report(
                        duty.file,
                        duty.line,
                        path,
                        f"no {'table' if performers.table else 'input'} {source!r}{did_you_mean(source, known)}",
                    )
                    continue
                own = self.fields.get(source, set())
                for field in (performers.name, performers.place, *(f for f, _ in performers.where)):
                    if field and field not in own:
                        self.report(
                            duty.file, duty.line, path, f"{source} has no field {field!r}{did_you_mean(field, own)}"
                        )

    def check_calendar(self) -> None:
        """The calendar's inputs exist, the dated one with its date field."""
        policy = self.policy
        calendar = policy.calendar
        if calendar is not None:
            for name in (calendar.spans, calendar.dated):
                if name and name not in policy.inputs:
                    self.report(
                        calendar.file,
                        calendar.line,
                        "calendar",
                        f"no input {name!r}{did_you_mean(name, policy.inputs)}",
                    )
            dated = policy.inputs.get(calendar.dated)
            if dated is not None and not any(
                f.target == calendar.date_field and f.type == "date" for f in dated.fields
            ):
                self.report(
                    calendar.file,
                    calendar.line,
                    "calendar.date_field",
                    f"{calendar.dated} has no date field {calendar.date_field!r}",
                )

    def check_responsible(self) -> None:
        """The responsible facts exist with the fields matched, shown and ordered by."""
        answer = self.policy.responsible
        if answer is not None:
            own = self.fields.get(answer.fact)
            if own is None:
                self.report(
                    answer.file,
                    answer.line,
                    "responsible.fact",
                    f"no fact type {answer.fact!r}{did_you_mean(answer.fact, self.fields)}",
                )
                return
            for field in (*(f for f, _ in answer.match), *answer.fields, *answer.order_by):
                if field not in own:
                    self.report(
                        answer.file,
                        answer.line,
                        "responsible",
                        f"{answer.fact} has no field {field!r}{did_you_mean(field, own)}",
                    )

    def check_constraints(self) -> None:
        """Each constraint adds up parameters the policy has, and their values keep it."""
        parameters = self.policy.parameters
        # A parameter already told to be wrong has no value to add up: its constraints wait.
        told = {p.path.split(".")[1] for p in self.problems if p.path.startswith("parameters.") and "." in p.path}
        seen: set[str] = set()
        for index, constraint in enumerate(self.policy.constraints):
            path = f"constraints[{index}]"
            if constraint.id in seen:
                message = f"constraint {constraint.id!r} is given twice"
                self.report(constraint.file, constraint.line, f"{path}.id", message)
            seen.add(constraint.id)
            unknown = [name for name in constraint.total if name not in parameters]
            for name in unknown:
                message = f"no parameter {name!r}{did_you_mean(name, parameters)}"
                self.report(constraint.file, constraint.line, f"{path}.total", message)
            if unknown or told.intersection(constraint.total):
                continue
            texts = [name for name in constraint.total if parameters[name].choices]
            for name in texts:
                message = f"parameter {name} is a text (it has choices): a constraint adds up numbers"
                self.report(constraint.file, constraint.line, f"{path}.total", message)
            if texts:
                continue
            values = {name: parameters[name].value for name in constraint.total}
            dated = {name: parameters[name].dated for name in constraint.total if parameters[name].dated}
            broken = constraint.broken_at_some_date(values, dated)  # at every date a value changes
            if broken:
                message = f"the parameters' values break constraint {constraint.id}: {broken}"
                self.report(constraint.file, constraint.line, path, message)

    def check_strata(self) -> None:
        try:
            strata(self.policy)
        except StratificationError as error:
            self.report(error.file, error.line, error.path, str(error))


__all__ = ["PERIOD_FIELDS", "Call", "Const", "cross_check", "fact_fields"]


RESERVED_FIELDS = ("type", "seq", "id")
"""Fact fields civpolicy gives every fact: its type, its place in the input, its id in a run."""


def _setting_problems(field: m.InputField) -> list[str]:
    """Settings that do not fit the field's type."""
    problems = []
    if field.kinds and field.type != "period":
        problems.append("'kinds' is for period fields")
    for kind in field.kinds:
        if kind not in KINDS:
            problems.append(f"no period kind {kind!r}; one of {', '.join(KINDS)}{did_you_mean(str(kind), KINDS)}")
    if (field.values or field.vocabulary) and field.type != "choice":
        problems.append("'values' and 'vocabulary' are for choice fields")
    if field.values and field.vocabulary:
        problems.append("a choice takes 'values' or 'vocabulary', not both")
    if any(not isinstance(value, str) for value in field.values):
        problems.append("the values of a choice are text (quote a number: '1')")
    if (field.minimum is not None or field.maximum is not None) and field.type not in ("integer", "number"):
        problems.append("'minimum' and 'maximum' are for integer and number fields")
    return problems
