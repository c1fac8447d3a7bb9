"""What differs between two policies, in words: parameters, and every definition added, removed or changed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from civpolicy.decision.values import canonical_json
from civpolicy.source import model as m
from civpolicy.source.expressions import show


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
        changes = _value_changes(before, after)
        if before.choices != after.choices:
            changes.append(f"choices [{', '.join(before.choices)}] → [{', '.join(after.choices)}]")
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


def _value_changes(before: m.Parameter, after: m.Parameter) -> list[str]:
    """How a parameter's value changed: one value, or each date's value added, changed or removed."""
    if not before.dated and not after.dated:
        if _same(before.value, after.value):
            return []
        return [f"{show(before.value)} → {show(after.value)}"]
    if not before.dated or not after.dated:
        return [f"{_values(before)} → {_values(after)}"]
    old, new = dict(before.dated), dict(after.dated)
    changes = []
    for date in sorted(old.keys() | new.keys()):
        if date not in old:
            changes.append(f"value from {date} added: {show(new[date])}")
        elif date not in new:
            changes.append(f"value from {date} removed: {show(old[date])}")
        elif not _same(old[date], new[date]):
            changes.append(f"value from {date}: {show(old[date])} → {show(new[date])}")
    return changes


def _same(a: Any, b: Any) -> bool:
    return bool(a == b) and type(a) is type(b)


def _values(parameter: m.Parameter) -> str:
    """A parameter's value as written: one value, or each date's (``5 from 2022-03-06, 7 from 2024-01-01``)."""
    if not parameter.dated:
        return show(parameter.value)
    return "values " + ", ".join(f"{show(value)} from {date}" for date, value in parameter.dated)


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
