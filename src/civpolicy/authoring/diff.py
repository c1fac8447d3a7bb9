"""What a policy change changes, for whom: two decisions on the same facts, compared.

:func:`diff_decisions` compares consequences by :meth:`Consequence.identity` (unit, kind,
period, params): one only the old decision gives is *lost*, one only the new gives is
*gained*. A consequence whose params changed is lost and gained, both marked ``changed``
(the other side has the same unit, kind and period). A consequence both give, but by
another rule or clause, is *recited* (the rule and clause are part of the decision). The
``grades`` report, when the decisions carry it, is compared too. Nothing here knows a
rule or a kind.

:func:`civpolicy.authoring.impact.diff_policies` loads two policy folders and compares
their decisions on the same facts.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import attrs

from civpolicy.decision.render import table
from civpolicy.decision.values import Consequence, Decision, canonical_json
from civpolicy.facts.periods import period_sort_key
from civpolicy.source.expressions import show

__all__ = [
    "Change",
    "GradeChange",
    "KindSummary",
    "PolicyDiff",
    "UnitDiff",
    "diff_decisions",
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
