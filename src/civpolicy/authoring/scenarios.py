"""Scenario tests in YAML: facts, and the consequences a reader of the document expects.

A scenario file (see policy/scenarios/ and docs/policy-guide.en.md) holds a ``title``, a
``clause`` and ``tests``; each test has a ``name``, the document's words it checks
(``says``), optional ``params``, the ``facts`` and at least one of ``expect`` (exactly
these consequences), ``expect_includes`` and ``expect_excludes``. An expected
consequence names ``unit``, ``kind`` and ``period``; its ``params`` are compared when given.
A test that could not fail is a failing test: its ``says`` and ``clause`` must be the
document's, and what it expects must name a kind of the policy, a unit of its facts and a
period.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from civpolicy.decision.values import Consequence, Decision, Finding, canonical_json
from civpolicy.errors import CivpolicyError, FactsError, PolicyError, Problem
from civpolicy.facts.periods import PeriodSyntaxError, parse_period
from civpolicy.facts.read import validate_facts
from civpolicy.policy import Policy
from civpolicy.source.citations import outline, squash
from civpolicy.source.expressions import did_you_mean
from civpolicy.source.reader import Reader, got
from civpolicy.source.strict_yaml import MarkedMap, load_yaml

EXPECT_KEYS = (
    "expect",
    "expect_includes",
    "expect_excludes",
    "expect_report",
    "expect_warnings",
    "expect_error",
    "expect_findings",
    "expect_no_findings",
)
TEST_KEYS = ("name", "says", "params", "facts", *EXPECT_KEYS)
FLAGS = ("discretionary", "provisional")
"""What an expected consequence may also say of itself: compared when given."""


@attrs.frozen
class Expected:
    """One expected consequence, as a scenario writes it."""

    unit: str
    kind: str
    period: str
    params: dict[str, Any] | None
    line: int = attrs.field(default=0, eq=False)
    """Where the expectation stands in its scenario file."""
    flags: tuple[tuple[str, bool], ...] = ()
    """``discretionary`` and ``provisional``, where the scenario says them."""
    responsible: tuple[str, ...] | None = None
    """The names of who answers, in order, where the scenario says them."""

    def matches(self, consequence: Consequence | Finding) -> bool:
        """Whether a consequence (or a finding: its who is the unit) is this one (params and flags when given)."""
        unit = consequence.who if isinstance(consequence, Finding) else consequence.unit
        same = (unit, consequence.kind, consequence.period) == (self.unit, self.kind, self.period)
        flagged = all(getattr(consequence, name) is value for name, value in self.flags)
        names = tuple(str(person.get("name")) for person in consequence.responsible or ())
        return (
            same
            and flagged
            and (self.responsible is None or self.responsible == names)
            and (self.params is None or canonical_json(self.params) == canonical_json(consequence.params))
        )

    def __str__(self) -> str:
        params = "" if self.params is None else f" {canonical_json(self.params)}"
        flags = "".join(f" {name}: {str(value).lower()}" for name, value in self.flags)
        return f"{self.unit} {self.kind} {self.period}{params}{flags}"


@attrs.frozen
class Scenario:
    """One test of a scenario file."""

    file: str
    line: int
    title: str
    name: str
    says: str
    params: dict[str, Any]
    facts: Any
    expect: tuple[Expected, ...] | None
    includes: tuple[Expected, ...]
    excludes: tuple[Expected, ...]
    clause: str = ""
    """The clause (or clauses, joined by 、) the file's tests check."""
    rows: tuple[tuple[str, dict[str, Any], int], ...] = ()
    """``expect_report``: (report, the row's values it names, line): a row of the report has them all."""
    warnings: tuple[tuple[str, str, int], ...] | None = None
    """``expect_warnings``: (field path, words the message holds, line); exactly these warnings."""
    error: str | None = None
    """``expect_error``: words the facts' problems hold (the facts must be refused)."""
    findings: tuple[Expected, ...] | None = None
    """``expect_findings``: these findings, and no other of the same whos (``[]``: no finding at all)."""
    no_findings: tuple[str, ...] = ()
    """``expect_no_findings``: whos (people or units) with no finding."""


@attrs.frozen
class Outcome:
    """What running a scenario showed: failures in words, empty when it passed."""

    scenario: Scenario
    failures: tuple[str, ...]
    decision: Decision | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def passed(self) -> bool:
        """Whether every expectation held."""
        return not self.failures


def read_scenarios(path: str | Path) -> list[Scenario]:
    """Every test of one scenario file; raise PolicyError (located) if the file is malformed."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        why = f"not UTF-8 text: {error.reason}" if isinstance(error, UnicodeDecodeError) else error.strerror or error
        raise PolicyError([Problem(name, 1, 1, f"cannot read this scenario file: {why}")]) from None
    data, problems = load_yaml(text, name)
    r = Reader(name, problems)
    top = r.mapping(data, data, None, "$") if data is not None else None
    scenarios: list[Scenario] = []
    if top is not None and r.keys(top, "$", ("title", "clause", "tests"), ("tests",)):
        tests = r.get(top, "tests", "$", list, [])
        for index, item in enumerate(tests):
            path_text = f"tests[{index}]"
            test = r.mapping(item, tests, index, path_text)
            if test is None or not r.keys(test, path_text, TEST_KEYS, ("name", "facts")):
                continue
            if not any(key in test for key in EXPECT_KEYS):
                r.problem(test, None, path_text, "a test needs expect, expect_includes or expect_excludes")
                continue
            if not isinstance(test["facts"], (Mapping, str)):
                message = f"must be the facts (a mapping) or the path of a facts file (got {got(test['facts'])})"
                r.problem(test, "facts", f"{path_text}.facts", message)
                continue
            scenarios.append(
                Scenario(
                    file=name,
                    line=test.mark[0],
                    title=str(top.get("title", "")),
                    name=str(test["name"]),
                    says=str(test.get("says", "")),
                    params=dict(r.get(test, "params", path_text, dict, {}) or {}),
                    facts=test["facts"],
                    expect=_expected(r, test, "expect", path_text) if "expect" in test else None,
                    includes=_expected(r, test, "expect_includes", path_text),
                    excludes=_expected(r, test, "expect_excludes", path_text),
                    clause=str(top.get("clause", "")),
                    rows=_rows(r, test, path_text),
                    warnings=_warnings(r, test, path_text) if "expect_warnings" in test else None,
                    error=str(test["expect_error"]) if "expect_error" in test else None,
                    findings=_expected(r, test, "expect_findings", path_text) if "expect_findings" in test else None,
                    no_findings=tuple(map(str, r.get(test, "expect_no_findings", path_text, list, []) or [])),
                )
            )
    if problems:
        raise PolicyError(problems)
    return scenarios


def _expected(r: Reader, test: MarkedMap, key: str, path: str) -> tuple[Expected, ...]:
    items = r.get(test, key, path, list, []) or []
    found = []
    for index, item in enumerate(items):
        item_path = f"{path}.{key}[{index}]"
        data = r.mapping(item, items, index, item_path)
        subject = "who" if key == "expect_findings" else "unit"
        allowed = (subject, "kind", "period", "params", "responsible", *FLAGS)
        if data is None or not r.keys(data, item_path, allowed, (subject, "kind", "period")):
            continue
        params = data.get("params")
        flags = tuple((name, r.get(data, name, item_path, bool, False)) for name in FLAGS if name in data)
        names = r.get(data, "responsible", item_path, list, None)
        found.append(
            Expected(
                str(data[subject]),
                str(data["kind"]),
                str(data["period"]),
                params,
                data.mark[0],
                flags,
                None if names is None else tuple(str(name) for name in names),
            )
        )
    return tuple(found)


def _rows(r: Reader, test: MarkedMap, path: str) -> tuple[tuple[str, dict[str, Any], int], ...]:
    """``expect_report: {report: [{field: value, ...}, ...]}``: rows each report must have."""
    if "expect_report" not in test:
        return ()
    reports = r.mapping(test["expect_report"], test, "expect_report", f"{path}.expect_report")
    found: list[tuple[str, dict[str, Any], int]] = []
    if reports is None:
        return ()
    for name in reports:
        items = r.get(reports, name, f"{path}.expect_report", list, []) or []
        for index, item in enumerate(items):
            data = r.mapping(item, items, index, f"{path}.expect_report.{name}[{index}]")
            if data is not None:
                found.append((str(name), dict(data), data.mark[0]))
    return tuple(found)


def _warnings(r: Reader, test: MarkedMap, path: str) -> tuple[tuple[str, str, int], ...]:
    """``expect_warnings: [{field: adjustments[0], says: words}, ...]``: exactly these warnings."""
    items = r.get(test, "expect_warnings", path, list, []) or []
    found = []
    for index, item in enumerate(items):
        item_path = f"{path}.expect_warnings[{index}]"
        data = r.mapping(item, items, index, item_path)
        if data is not None and r.keys(data, item_path, ("field", "says"), ("field",)):
            found.append((str(data["field"]), str(data.get("says", "")), data.mark[0]))
    return tuple(found)


def run_scenario(scenario: Scenario, policy_for: Any) -> Outcome:
    """Evaluate a scenario with ``policy_for(params)`` and compare with what it expects."""
    try:
        policy: Policy = policy_for(scenario.params)
        given, model = scenario.facts, policy.model
        if isinstance(given, str):  # a path, read from the scenario file's folder as the file that names it is
            facts = policy.read_facts(Path(scenario.file).parent / given)
        else:  # a part of the scenario file: its lines and columns are that file's
            facts = validate_facts(given, model.inputs, model.vocabularies, scenario.file, in_force=model.in_force)
        decision = policy.evaluate(facts)
    except FactsError as error:
        told = [str(p) for p in error.problems]
        if scenario.error is not None:
            found = any(scenario.error in text for text in told)
            return Outcome(scenario, () if found else (f"refused, but not for {scenario.error!r}:", *told))
        return Outcome(scenario, tuple(told))
    except PolicyError as error:
        return Outcome(scenario, tuple(str(p) for p in error.problems))
    except CivpolicyError as error:
        return Outcome(scenario, (str(error),))
    if scenario.error is not None:
        return Outcome(scenario, (f"expected the facts to be refused for {scenario.error!r}; they were accepted",))
    wrong = _cannot_fail(scenario, policy, set(facts.units))
    wrong += _row_failures(scenario, decision) + _warning_failures(scenario, decision)
    got = decision.consequences
    missing = [e for e in (scenario.expect or ()) + scenario.includes if not any(e.matches(c) for c in got)]
    unexpected = []
    if scenario.expect is not None:
        unexpected = [c for c in got if not any(e.matches(c) for e in scenario.expect)]
    excluded = [c for c in got if any(e.matches(c) for e in scenario.excludes)]
    failures = list(wrong)
    for e in missing:
        # Given for the same unit, kind and period, with other params: one failure, told as the difference.
        instead = [c for c in got if (c.unit, c.kind, c.period) == (e.unit, e.kind, e.period)]
        if instead:
            failures += [
                f"expected {e}, given {canonical_json(c.params)} instead (rule {c.rule}, {c.source})"
                f"{_words_of_rule(policy, c.rule)}"
                for c in instead
            ]
            unexpected = [c for c in unexpected if c not in instead]
        else:
            failures.append(f"expected, not given: {e}{_words_of_kind(policy, e.kind)}")
    failures += [f"given, not expected: {_show(c)}{_words_of_rule(policy, c.rule)}" for c in unexpected]
    failures += [f"given, though excluded: {_show(c)}{_words_of_rule(policy, c.rule)}" for c in excluded]
    failures += _finding_failures(scenario, decision)
    return Outcome(scenario, tuple(failures), decision)


def _finding_failures(scenario: Scenario, decision: Decision) -> list[str]:
    """Each expected finding given, and no other of the whos they name; none of ``no_findings``."""
    given = decision.findings or ()
    failures = [
        f"finding given for {f.who}, expected none: {_finding(f)}" for f in given if f.who in scenario.no_findings
    ]
    expected = scenario.findings
    if expected is None:
        return failures
    failures += [f"expected finding, not given: {e}" for e in expected if not any(e.matches(f) for f in given)]
    named = {e.unit for e in expected}
    for finding in given:
        if (not expected or finding.who in named) and not any(e.matches(finding) for e in expected):
            failures.append(f"finding given, not expected: {_finding(finding)}")
    return failures


def _finding(finding: Finding) -> str:
    """A finding in one line, as a failure tells it."""
    people = canonical_json([person.get("name") for person in finding.responsible or ()])
    return f"{finding.who} {finding.kind} {finding.period} {canonical_json(finding.params)} responsible {people}"


def _row_failures(scenario: Scenario, decision: Decision) -> list[str]:
    """Each expected report row that no row of its report matches (every value it names)."""
    failures = []
    for name, wanted, line in scenario.rows:
        if name not in decision.reports:
            failures.append(f"line {line}: the decision has no report {name!r}{did_you_mean(name, decision.reports)}")
            continue
        rows = [row.values for row in decision.reports[name]]
        if not any(all(canonical_json(row.get(k)) == canonical_json(v) for k, v in wanted.items()) for row in rows):
            same = [row for row in rows if all(row.get(k) == wanted.get(k) for k in ("unit", "period") if k in wanted)]
            shown = "; ".join(canonical_json(row) for row in same) or "no row of that unit and period"
            failures.append(f"line {line}: expected a {name} row {canonical_json(wanted)}, given {shown}")
    return failures


def _warning_failures(scenario: Scenario, decision: Decision) -> list[str]:
    """With ``expect_warnings``, exactly those warnings: each expected one given, no other."""
    if scenario.warnings is None:
        return []
    given = list(decision.warnings)
    failures = []
    for field, words, line in scenario.warnings:
        match = next((w for w in given if w.path == field and words in w.message), None)
        if match is None:
            failures.append(f"line {line}: expected a warning on {field} saying {words!r}")
        else:
            given.remove(match)
    failures += [f"warning, not expected: {w.path}: {w.message}" for w in given]
    return failures


def _cannot_fail(scenario: Scenario, policy: Policy, units: set[str]) -> list[str]:
    """What is wrong with the test itself: words the document does not have, expectations no decision can meet.

    An ``expect_excludes`` of a kind the policy does not have, of a unit the facts do not
    name or of a period that is none would pass whatever the policy does.
    """
    wrong = []
    document = policy.model.document
    if document:
        clauses, text = outline(document), squash(document)
        for ref in filter(None, (part.strip() for part in scenario.clause.split("、"))):
            if squash(ref) not in clauses:
                wrong.append(f"clause: the document has no clause {ref!r}")
        parts = filter(None, re.split(r"……|\s+", scenario.says))
        wrong += [f"says: these words are not in the document: {part!r}" for part in parts if squash(part) not in text]
    for expected in (*(scenario.expect or ()), *scenario.includes, *scenario.excludes):
        where = f"line {expected.line}: {expected}"
        if expected.kind not in policy.model.kinds:
            hint = did_you_mean(expected.kind, policy.model.kinds)
            wrong.append(f"{where}: the policy has no consequence kind {expected.kind!r}{hint}")
        if expected.unit not in units:
            wrong.append(f"{where}: the facts have no unit {expected.unit!r}{did_you_mean(expected.unit, units)}")
        try:
            parse_period(expected.period)
        except PeriodSyntaxError as error:
            wrong.append(f"{where}: {error}")
    return wrong


def _words_of_rule(policy: Policy, rule_id: str) -> str:
    """The clause and its words behind a rule, as a second line of a failure."""
    rule = policy.rule(rule_id)
    return f"\n      {rule.citation.source}: 「{rule.citation.text}」"


def _words_of_kind(policy: Policy, kind: str) -> str:
    """The clauses of the rules that give a kind of consequence."""
    rules = [rule for rule in policy.model.rules if rule.head == kind]
    if not rules:
        return f"\n      (no rule of the policy gives {kind})"
    return "".join(_words_of_rule(policy, rule.id) for rule in rules)


def _show(consequence: Consequence) -> str:
    c = consequence
    return f"{c.unit} {c.kind} {c.period} {canonical_json(c.params)} (rule {c.rule}, {c.source})"


def scenario_files(paths: list[Path]) -> Iterator[Path]:
    """The ``*.yaml`` files among paths (folders are searched), in a stable order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(path.rglob("*.yaml"))
        else:
            yield path


def report(outcome: Outcome, rules: Mapping[str, str] | None = None) -> str:
    """A failed scenario in words: file, test name, the clause's words, and each failure."""
    scenario = outcome.scenario
    lines = [f"{scenario.file}:{scenario.line}: {scenario.name}"]
    if scenario.says:
        lines.append(f"  the document says: {scenario.says}")
    lines += [f"  {failure}" for failure in outcome.failures]
    return "\n".join(lines)


__all__ = ["Expected", "Outcome", "Problem", "Scenario", "read_scenarios", "report", "run_scenario", "scenario_files"]
