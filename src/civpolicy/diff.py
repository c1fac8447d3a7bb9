"""What a policy change changes, for whom: two decisions on the same facts, compared.

:func:`diff_decisions` compares consequences by :meth:`Consequence.identity` (unit, kind,
period, params): one only the old decision gives is *lost*, one only the new gives is
*gained*. A consequence whose params changed is lost and gained, both marked ``changed``
(the other side has the same unit, kind and period). A consequence both give, but by
another rule or clause, is *recited* (the rule and clause are part of the decision). The
``grades`` report, when the decisions carry it, is compared too. Nothing here knows a
rule or a kind.

:func:`diff_policies` loads two policy folders and evaluates both on a facts file, a
mapping, or a population made by :func:`generate_facts` (seeded, without hypothesis).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from civpolicy import model as m
from civpolicy.decision import Consequence, Decision, canonical_json
from civpolicy.errors import ParameterError, PolicyError, Problem
from civpolicy.expressions import show
from civpolicy.periods import period_sort_key
from civpolicy.policy import Policy, load_policy
from civpolicy.render import table

__all__ = [
    "Change",
    "GradeChange",
    "KindSummary",
    "PolicyDiff",
    "UnitDiff",
    "diff_decisions",
    "diff_policies",
    "generate_facts",
    "policy_changes",
]

GRADES_REPORT = "grades"
"""The report whose grades are compared."""

GENERATED = "generated:"
"""How the facts label of a generated population begins."""
LOST = "lost"
GAINED = "gained"
RECITED = "same, other rule"


@attrs.frozen
class Change:
    """A consequence one policy gives and the other does not, as that policy gives it."""

    unit: str
    kind: str
    period: str
    params: dict[str, Any] = attrs.field(hash=False)
    rule: str
    source: str
    because: tuple[str, ...]
    changed: bool = False
    """The other policy gives the same unit, kind and period with other params."""
    was: tuple[str, str] | None = None
    """For a recited consequence: the rule and clause the old policy gave it by."""

    @classmethod
    def of(cls, consequence: Consequence, changed: bool) -> Change:
        """The change for one consequence of one side."""
        c = consequence
        return cls(c.unit, c.kind, c.period, dict(c.params), c.rule, c.source, c.because, changed)

    def rule_text(self) -> str:
        """The rule, and for a recited consequence the rule it was given by."""
        return self.rule if self.was is None else f"{self.rule} (was {self.was[0]})"

    def source_text(self) -> str:
        """The clause, and for a recited consequence the clause it cited before, when that differs."""
        return self.source if self.was is None or self.was[1] == self.source else f"{self.source} (was {self.was[1]})"

    def params_text(self) -> str:
        """Params as ``name=value`` pairs."""
        return " ".join(f"{name}={show(value)}" for name, value in self.params.items())

    def to_dict(self) -> dict[str, Any]:
        """The change as JSON data (the unit is its group's)."""
        return {
            "kind": self.kind,
            "period": self.period,
            "params": dict(self.params),
            "changed": self.changed,
            "rule": self.rule,
            "source": self.source,
            "because": list(self.because),
            **({} if self.was is None else {"was": {"rule": self.was[0], "source": self.was[1]}}),
        }


@attrs.frozen
class GradeChange:
    """A unit's grade for one period under each policy (``None``: no grade)."""

    unit: str
    period: str
    old: str | None
    new: str | None

    def to_dict(self) -> dict[str, Any]:
        """The grade change as JSON data (the unit is its group's)."""
        return {"period": self.period, "old": self.old, "new": self.new}


@attrs.frozen
class UnitDiff:
    """Everything that changes for one unit."""

    unit: str
    lost: tuple[Change, ...] = ()
    gained: tuple[Change, ...] = ()
    grades: tuple[GradeChange, ...] = ()
    recited: tuple[Change, ...] = ()
    """Consequences both policies give, the new one by another rule or clause (as the new one gives them)."""

    def to_dict(self) -> dict[str, Any]:
        """The unit's changes as JSON data."""
        return {
            "unit": self.unit,
            "lost": [c.to_dict() for c in self.lost],
            "gained": [c.to_dict() for c in self.gained],
            "recited": [c.to_dict() for c in self.recited],
            "grades": [g.to_dict() for g in self.grades],
        }


@attrs.frozen
class KindSummary:
    """How one consequence kind changes across all units."""

    kind: str
    units_gaining: int
    """Units with a consequence of the kind gained, one whose params alone changed aside."""
    units_losing: int
    """Units with a consequence of the kind lost, one whose params alone changed aside."""
    gained: int
    """Consequences of the kind that appear, those whose params alone changed aside."""
    lost: int
    """Consequences of the kind that disappear, those whose params alone changed aside."""
    changed: int
    """(unit, period) pairs whose consequence of the kind only changed its params."""
    recited: int = 0
    """Consequences of the kind both give, the new policy by another rule or clause."""

    def to_dict(self) -> dict[str, Any]:
        """The summary as JSON data."""
        return attrs.asdict(self)


@attrs.frozen
class PolicyDiff:
    """What changes from the old policy's decision to the new one's, unit by unit and kind by kind."""

    old_digest: str
    new_digest: str
    units: tuple[UnitDiff, ...]
    """Only the units with a change, sorted by id."""
    kinds: tuple[KindSummary, ...]
    """Only the kinds with a change, sorted by name."""
    old_policy: str = ""
    """The old policy folder as given ("" when unknown)."""
    new_policy: str = ""
    facts: str = ""
    """The facts evaluated: a path, ``<facts>`` for a mapping, or ``generated: N units, seed S``."""
    evaluated: int | None = None
    """How many units the facts hold, when known."""
    policy_changes: tuple[str, ...] = ()
    """What differs between the two policy folders, in words: parameters, rules added, removed, changed."""

    @property
    def changed(self) -> bool:
        """Whether anything changes for anyone."""
        return bool(self.units)

    @property
    def grade_changes(self) -> tuple[GradeChange, ...]:
        """Every grade that changes, by unit and period."""
        return tuple(g for u in self.units for g in u.grades)

    def to_dict(self) -> dict[str, Any]:
        """The diff as JSON data, in a deterministic order."""
        return {
            "old": {"policy": self.old_policy or None, "digest": self.old_digest},
            "new": {"policy": self.new_policy or None, "digest": self.new_digest},
            "facts": self.facts or None,
            "units_evaluated": self.evaluated,
            "changed": self.changed,
            "policy_changes": list(self.policy_changes),
            "summary": {
                "units_changed": len(self.units),
                "units_with_grade_changes": sum(1 for u in self.units if u.grades),
                "kinds": [k.to_dict() for k in self.kinds],
            },
            "units": [u.to_dict() for u in self.units],
        }

    def _facts_text(self) -> str:
        """The facts evaluated, with their number of units unless the label says it."""
        facts = self.facts or "not recorded"
        if self.evaluated is not None and not facts.startswith(GENERATED):
            facts += f" ({self.evaluated} units)"
        return facts

    def _context(self) -> str:
        """Which policies and facts, in one line."""
        old = self.old_policy or self.old_digest
        new = self.new_policy or self.new_digest
        return f"{old} → {new}, facts {self._facts_text()}"

    def _no_change(self) -> str:
        return f"no change: {self._context()} (same consequences and grades)\n"

    def _policy_lines(self) -> list[str]:
        """What changed in the policy, as list items (nothing when the two policies are alike)."""
        return [f"- {change}" for change in self.policy_changes]

    def to_table(self) -> str:
        """Aligned plain text: the changes, the grade changes, the summary per kind."""
        policy = ["policy changes:", *self._policy_lines(), ""] if self.policy_changes else []
        if not self.changed:
            return "\n".join([*policy, self._no_change()])
        header = ("unit", "change", "period", "consequence", "params", "rule", "clause")
        rows = [header]
        for unit in self.units:
            for status, change in _in_order(unit):
                shown = status + (" (changed)" if change.changed else "")
                rows.append(
                    (
                        unit.unit,
                        shown,
                        change.period,
                        change.kind,
                        change.params_text(),
                        change.rule_text(),
                        change.source_text(),
                    )
                )
        parts = ["\n".join(policy)] if policy else []
        parts += [table(rows)] if len(rows) > 1 else []
        grades = [(g.unit, g.period, show(g.old), show(g.new)) for g in self.grade_changes]
        if grades:
            parts.append(table([("unit", "period", "old grade", "new grade"), *grades]))
        summary = [
            (k.kind, *map(str, (k.units_gaining, k.units_losing, k.gained, k.lost, k.changed, k.recited)))
            for k in self.kinds
        ]
        if summary:
            head = ("consequence", "units gaining", "units losing", "appear", "disappear", "params changed")
            parts.append(table([(*head, "rule changed"), *summary]))
        footer = (
            f"{len(self.units)} unit(s) changed: {self._context()}\n"
            f"old policy {self.old_digest}\nnew policy {self.new_digest}\n"
        )
        return "\n".join([*parts, footer])

    def to_markdown(self) -> str:
        """A summary table per kind, then a section per unit naming the rule and clause of each change."""
        lines = ["# Policy change", ""]
        lines.append(f"- old policy: `{self.old_policy or '?'}` ({self.old_digest})")
        lines.append(f"- new policy: `{self.new_policy or '?'}` ({self.new_digest})")
        lines.append(f"- facts: {self._facts_text()}")
        lines.append("")
        if self.policy_changes:
            lines += ["## What changed in the policy", "", *self._policy_lines(), ""]
        if not self.changed:
            return "\n".join([*lines, self._no_change()])
        with_grades = sum(1 for u in self.units if u.grades)
        lines.append(f"{len(self.units)} unit(s) changed; {with_grades} of them with a changed grade.")
        lines.append("")
        if self.kinds:
            lines.append(
                "| consequence | units gaining | units losing | appear | disappear | params changed | rule changed |"
            )
            lines.append("|---|---:|---:|---:|---:|---:|---:|")
            for k in self.kinds:
                counts = (k.units_gaining, k.units_losing, k.gained, k.lost, k.changed, k.recited)
                lines.append(f"| `{k.kind}` | " + " | ".join(map(str, counts)) + " |")
            lines.append("")
        for unit in self.units:
            lines.append(f"## {unit.unit}")
            lines.append("")
            for status, change in _in_order(unit):
                params = f" ({change.params_text()})" if change.params else ""
                changed = ", params changed" if change.changed else ""
                was = "" if change.was is None else f" (was `{change.was[0]}`, clause {change.was[1]})"
                lines.append(
                    f"- **{status}** `{change.kind}` {change.period}{params}{changed}: "
                    f"rule `{change.rule}`, clause {change.source}{was}"
                )
                if change.because:
                    lines.append(f"  - because: {'; '.join(change.because)}")
            for grade in unit.grades:
                lines.append(f"- **grade** {grade.period}: {show(grade.old)} → {show(grade.new)}")
            lines.append("")
        return "\n".join(lines)


def _in_order(unit: UnitDiff) -> list[tuple[str, Change]]:
    """A unit's lost and gained consequences, tagged, by period, kind, then lost before gained."""
    tagged = [(LOST, c) for c in unit.lost] + [(GAINED, c) for c in unit.gained] + [(RECITED, c) for c in unit.recited]

    def key(item: tuple[str, Change]) -> tuple[Any, ...]:
        status, c = item
        return (*_period_key(c.period), c.kind, (LOST, GAINED, RECITED).index(status), canonical_json(c.params))

    return sorted(tagged, key=key)


def diff_decisions(old: Decision, new: Decision) -> PolicyDiff:
    """Compare two decisions on the same facts: per unit, what is lost, gained and regraded."""
    old_ids = {c.identity() for c in old.consequences}
    new_ids = {c.identity() for c in new.consequences}
    lost_c = [c for c in old.consequences if c.identity() not in new_ids]
    gained_c = [c for c in new.consequences if c.identity() not in old_ids]
    lost_slots = {(c.unit, c.kind, c.period) for c in lost_c}
    gained_slots = {(c.unit, c.kind, c.period) for c in gained_c}
    changed_slots = lost_slots & gained_slots
    lost = [Change.of(c, (c.unit, c.kind, c.period) in changed_slots) for c in lost_c]
    gained = [Change.of(c, (c.unit, c.kind, c.period) in changed_slots) for c in gained_c]
    before = {c.identity(): c for c in old.consequences}
    recited = [
        attrs.evolve(Change.of(c, False), was=(was.rule, was.source))
        for c in new.consequences
        if (was := before.get(c.identity())) is not None and (was.rule, was.source) != (c.rule, c.source)
    ]
    grades = _grade_changes(old, new)

    by_unit: dict[str, dict[str, list[Any]]] = defaultdict(lambda: {LOST: [], GAINED: [], RECITED: [], "grades": []})
    for status, changes in ((LOST, lost), (GAINED, gained), (RECITED, recited)):
        for change in changes:
            by_unit[change.unit][status].append(change)
    for grade in grades:
        by_unit[grade.unit]["grades"].append(grade)
    units = tuple(
        UnitDiff(unit, tuple(parts[LOST]), tuple(parts[GAINED]), tuple(parts["grades"]), tuple(parts[RECITED]))
        for unit, parts in sorted(by_unit.items())
    )
    summaries = _kind_summaries(lost, gained, recited, changed_slots)
    return PolicyDiff(old.policy_digest, new.policy_digest, units, summaries)


def _kind_summaries(
    lost: list[Change], gained: list[Change], recited: list[Change], changed_slots: set[tuple[str, str, str]]
) -> tuple[KindSummary, ...]:
    """Per kind: units gaining and losing, consequences appearing, disappearing, changing params or rule.

    A consequence whose params alone changed (the other policy gives the kind for the same
    unit and period, and none like it that this one lacks) is counted as changed, not as
    lost and gained.
    """
    appeared = [c for c in gained if not c.changed]
    gone = [c for c in lost if not c.changed]
    kinds = sorted({c.kind for c in (*lost, *gained, *recited)})
    return tuple(
        KindSummary(
            kind=kind,
            units_gaining=len({c.unit for c in appeared if c.kind == kind}),
            units_losing=len({c.unit for c in gone if c.kind == kind}),
            gained=sum(1 for c in appeared if c.kind == kind),
            lost=sum(1 for c in gone if c.kind == kind),
            changed=sum(1 for slot in changed_slots if slot[1] == kind),
            recited=sum(1 for c in recited if c.kind == kind),
        )
        for kind in kinds
    )


def policy_changes(old: m.PolicyModel, new: m.PolicyModel) -> tuple[str, ...]:
    """What differs between two policies, in words: parameters, and every definition added, removed or changed.

    Inputs, vocabularies, derived facts, tables, consequence kinds, rules, constraints and
    invariants are compared by their content, not by where they stand in their files.
    """
    found = []
    for name in sorted(old.parameters.keys() | new.parameters.keys()):
        before, after = old.parameters.get(name), new.parameters.get(name)
        if before is None or after is None:
            found.append(f"parameter {name} {'added' if before is None else 'removed'}")
            continue
        changes = []
        if before.value != after.value or type(before.value) is not type(after.value):
            changes.append(f"{before.value} → {after.value}")
        if before.set_by != after.set_by:
            changes.append(f"set by {before.set_by} → {after.set_by}")
        if (before.minimum, before.maximum) != (after.minimum, after.maximum):
            changes.append(f"bounds {_bounds(before)} → {_bounds(after)}")
        if changes:
            found.append(f"parameter {name}: {', '.join(changes)}")
    for what, olds, news in (
        ("input", old.inputs, new.inputs),
        ("vocabulary", old.vocabularies, new.vocabularies),
        ("derived fact", _without_rules(old), _without_rules(new)),
        ("table", old.tables, new.tables),
        ("consequence kind", old.kinds, new.kinds),
        ("rule", {r.id: r for r in old.all_rules()}, {r.id: r for r in new.all_rules()}),
        ("constraint", {c.id: c for c in old.constraints}, {c.id: c for c in new.constraints}),
        ("invariant", {i.id: i for i in old.invariants}, {i.id: i for i in new.invariants}),
    ):
        for name in sorted(olds.keys() | news.keys()):
            if name not in news or name not in olds:
                found.append(f"{what} {name} {'removed' if name not in news else 'added'}")
            elif _as_written(olds[name]) != _as_written(news[name]):
                found.append(f"{what} {name} changed")
    return tuple(found)


def _bounds(parameter: m.Parameter) -> str:
    return f"[{show(parameter.minimum)}, {show(parameter.maximum)}]"


def _without_rules(policy: m.PolicyModel) -> dict[str, m.DerivedFact]:
    """Derived facts without their rules (each rule is compared on its own)."""
    return {name: attrs.evolve(fact, rules=()) for name, fact in policy.derived.items()}


def _as_written(definition: Any) -> str:
    """A definition's content (or a vocabulary's terms), without where it stands in its file."""

    def content(value: Any) -> Any:
        if attrs.has(type(value)):
            fields = attrs.asdict(value, filter=lambda field, _: field.name not in ("file", "line", "lines"))
            return content(fields)
        if isinstance(value, Mapping):  # keys of any kind, in one order
            return {repr(key): content(item) for key, item in value.items()}
        if isinstance(value, (set, frozenset)):
            return sorted((content(item) for item in value), key=repr)
        if isinstance(value, (list, tuple)):
            return [content(item) for item in value]
        return value if value is None or isinstance(value, (str, int, float, bool)) else repr(value)

    return canonical_json(content(definition))


def _grades(decision: Decision) -> dict[tuple[str, str], str]:
    """The grades report as (unit, period) → grade; several grades for one period are joined."""
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in decision.reports.get(GRADES_REPORT, ()):
        unit, period, grade = row.values.get("unit"), row.values.get("period"), row.values.get("grade")
        if unit is not None and period is not None:
            found[(str(unit), str(period))].add(show(grade))
    return {key: "/".join(sorted(values)) for key, values in found.items()}


def _grade_changes(old: Decision, new: Decision) -> list[GradeChange]:
    """Every (unit, period) whose grade differs, by unit and period."""
    if GRADES_REPORT not in old.reports and GRADES_REPORT not in new.reports:
        return []
    before, after = _grades(old), _grades(new)
    keys = sorted(set(before) | set(after), key=lambda k: (k[0], *_period_key(k[1]), k[1]))
    return [
        GradeChange(u, p, before.get((u, p)), after.get((u, p)))
        for u, p in keys
        if before.get((u, p)) != after.get((u, p))
    ]


def _period_key(period: str) -> tuple[int, int]:
    """Sort key of a period, or last for a text that is not one."""
    try:
        return period_sort_key(period)
    except ValueError:
        return (1 << 30, 0)


def diff_policies(
    old_dir: str | Path,
    new_dir: str | Path,
    facts: Mapping[str, Any] | str | Path | None = None,
    *,
    seed: int = 0,
    units: int = 200,
    params: Mapping[str, Any] | None = None,
) -> PolicyDiff:
    """Load two policy folders and compare their decisions on the facts, or on a generated population."""
    old_policy, new_policy = _load_both(old_dir, new_dir, params)
    if facts is None:
        document: Mapping[str, Any] | str | Path = generate_facts(seed, units)
        label = f"{GENERATED} {units} units, seed {seed}"
    else:
        document = facts
        label = str(facts) if isinstance(facts, (str, Path)) else "<facts>"
    old_facts = old_policy.read_facts(document)
    new_facts = new_policy.read_facts(document)
    result = diff_decisions(old_policy.evaluate(old_facts), new_policy.evaluate(new_facts))
    return attrs.evolve(
        result,
        old_policy=str(old_dir),
        new_policy=str(new_dir),
        facts=label,
        evaluated=len(old_facts.units),
        policy_changes=policy_changes(old_policy.model, new_policy.model),
    )


def _load_both(old_dir: str | Path, new_dir: str | Path, params: Mapping[str, Any] | None) -> tuple[Policy, Policy]:
    """Both policies; the problems of both folders at once when either is invalid."""
    loaded: list[Policy] = []
    problems: list[Problem] = []
    for folder in (old_dir, new_dir):
        try:
            loaded.append(load_policy(folder, params=params))
        except PolicyError as error:
            problems.extend(error.problems)
    if problems:
        raise PolicyError(problems)
    return loaded[0], loaded[1]


# -- a generated population (contract section 1) -------------------------------------------

CATEGORIES = ("community", "township", "linked", "key_task", "other_task")
"""The unit categories of contract section 1."""
HALF_YEARLY = "other_task"
"""The category graded every half year instead of every quarter."""
YEARS = (2022, 2023)
POOR_RATES = (0.15, 0.35, 0.55)
"""A unit's chance of a poor grade, one of these: about 35 % on average, with streaks."""


def generate_facts(seed: int = 0, units: int = 200) -> dict[str, Any]:
    """A deterministic facts document of ``units`` units over two years, biased toward poor grades."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ParameterError(f"the seed must be a whole number (got {seed!r})")
    if isinstance(units, bool) or not isinstance(units, int) or units < 1:
        raise ParameterError(f"the number of units must be a whole number of at least 1 (got {units!r})")
    rnd = random.Random(seed)
    digits = len(str(units - 1))
    document: dict[str, list[dict[str, Any]]] = {
        "units": [],
        "evaluations": [],
        "criticisms": [],
        "withholdings": [],
        "rectifications": [],
    }
    for index in range(units):
        uid = f"u{index:0{digits}d}"
        unit = _generated_unit(rnd, uid)
        document["units"].append(unit)
        evaluations = list(_generated_evaluations(rnd, uid, unit["category"] == HALF_YEARLY))
        document["evaluations"].extend(evaluations)
        document["criticisms"].extend(_generated_criticisms(rnd, uid))
        if rnd.random() < 0.05:
            bonus = rnd.choice(("civilized_city", "civilized_unit"))
            document["withholdings"].append({"unit": uid, "bonus": bonus, "year": rnd.choice(YEARS)})
        for e in evaluations:
            if isinstance(e["period"], int) and e["grade"] == "poor" and rnd.random() < 0.3:
                for _ in range(rnd.choice((1, 1, 2))):
                    document["rectifications"].append({"unit": uid, "year": e["period"], "passed": rnd.random() < 0.4})
    return dict(document)


def _generated_unit(rnd: random.Random, uid: str) -> dict[str, Any]:
    """One unit record."""
    category = rnd.choice(CATEGORIES)
    unit: dict[str, Any] = {"id": uid, "category": category, "civilized_unit": rnd.random() < 0.7}
    vertical = rnd.random() < (0.4 if category == HALF_YEARLY else 0.05)
    if vertical:
        unit["vertically_managed"] = True
    if rnd.random() < 0.9:
        unit["headcount"] = rnd.randint(5, 300)
    if rnd.random() < 0.9:
        unit["base_quota"] = rnd.choice((10, 15, 15, 20))
    return unit


def _generated_evaluations(rnd: random.Random, uid: str, half_yearly: bool) -> Iterable[dict[str, Any]]:
    """Quarterly (or half-yearly) and annual grades of one unit; now and then a period is missing."""
    poor = rnd.choice(POOR_RATES)

    def grade() -> str:
        return "poor" if rnd.random() < poor else rnd.choice(("medium", "good"))

    for year in YEARS:
        periods = [f"{year}-H{h}" for h in (1, 2)] if half_yearly else [f"{year}-Q{q}" for q in (1, 2, 3, 4)]
        if not half_yearly and rnd.random() < 0.1:
            periods.append(f"{year}-H{rnd.choice((1, 2))}")
        for period in periods:
            if rnd.random() < 0.92:
                yield {"unit": uid, "period": period, "grade": grade()}
        if rnd.random() < 0.92:
            yield {"unit": uid, "period": year, "grade": grade()}


def _generated_criticisms(rnd: random.Random, uid: str) -> list[dict[str, Any]]:
    """Bulletins naming the unit: random months, sometimes in a run."""
    first, last = YEARS[0] * 12, (YEARS[-1] + 1) * 12 - 1
    months: set[int] = set()
    for _ in range(rnd.choice((0, 0, 1, 1, 2, 3, 4))):
        start = rnd.randint(first, last)
        run = rnd.choice((1, 1, 2, 3))
        months.update(m for m in range(start, start + run) if m <= last)
    return [{"unit": uid, "bulletin": f"{m // 12:04d}-{m % 12 + 1:02d}"} for m in sorted(months)]
