"""One input list's decoded items made facts column by column, as the located reader makes them one by one.

The facts come back in the located reader's canonical order (``read._group``: by the repr of
the given fields' values) and numbered. Where no two items can be alike, the order is found
on the columns and the facts are made in it; else they are made, alike items made one, then
ordered.
"""

from __future__ import annotations

from collections import deque
from itertools import repeat
from operator import attrgetter, itemgetter, setitem
from typing import Any

import attrs
import msgspec

from civpolicy.facts.columns import Context
from civpolicy.facts.decoder import NO_PERIOD, FieldPlan, ListPlan
from civpolicy.facts.items import Fact, canonical
from civpolicy.facts.periods import period_fields

UNSET = msgspec.UNSET


@attrs.define
class Tally:
    """Keys given and ``:`` in the texts given: a JSON object that names a key twice has more (msgspec keeps one)."""

    keys: int = 0
    colons: int = 0


@attrs.frozen
class ListRead:
    """One list's facts in the canonical order, numbered (``seq``), with where each stood and whose it is."""

    facts: list[Fact]
    index: list[int]
    """Each fact's index in the list."""
    units: list[Any]
    """Each fact's ``unit`` (or None), which groups it."""


def read_list(plan: ListPlan, items: list[Any] | None, context: Context, tally: Tally | None) -> ListRead | None:
    """One list's facts; None if a value is wrong, or two items of one key differ."""
    if not items:
        return ListRead([], [], [])
    columns = []
    for field in plan.fields:
        values = _column(field, items, context, tally)
        if values is None:
            return None
        columns.append(values)
    if plan.simple:
        order = _order(plan, dict(zip(plan.targets, columns, strict=True)))
        if order is not None:  # no two items alike: the facts are made in their order
            columns = [list(map(column.__getitem__, order)) for column in columns]
            return _numbered(_filled(plan, columns), order, dict(zip(plan.targets, columns, strict=True)))
        facts = _filled(plan, columns)
    else:
        facts = _made(plan, columns)
    by_target = {target: list(map(itemgetter(target), facts)) for target, _ in plan.content}
    kept = _kept(plan, facts, by_target)
    if kept is None:
        return None
    facts = list(map(facts.__getitem__, kept))
    by_target = {target: list(map(column.__getitem__, kept)) for target, column in by_target.items()}
    keys = _content(plan.content, by_target)
    order = sorted(range(len(keys)), key=keys.__getitem__)
    by_target = {target: list(map(column.__getitem__, order)) for target, column in by_target.items()}
    return _numbered(list(map(facts.__getitem__, order)), [kept[at] for at in order], by_target)


def _column(field: FieldPlan, items: list[Any], context: Context, tally: Tally | None) -> list[Any] | None:
    """One field's fact values down the list (a period's label, for one whose fields join the fact)."""
    column = list(map(attrgetter(field.attr), items))
    absent = 0 if field.field.required else column.count(UNSET)
    given = [value for value in column if value is not UNSET] if absent else column
    values = field.check(given, context) if given else given
    if values is None:
        return None
    if tally is not None:
        tally.keys += len(given)
        tally.colons += field.field.name.count(":") * len(given)
        tally.colons += "".join(given).count(":") if field.colons else 0
    if not absent:
        return values
    made = iter(values)
    return [field.absent if value is UNSET else next(made) for value in column]


def _order(plan: ListPlan, by_target: dict[str, list[Any]]) -> list[int] | None:
    """The canonical order of items of which no two can be alike (None: some may be, or are)."""
    if plan.spec.key is None:
        keys = _content(plan.content, by_target)
    elif plan.leading_key:
        # Keys all different: they order the facts as their whole content does, and no two items are one.
        keys = _content(plan.content[: plan.leading_key], by_target)
        if len(set(keys)) != len(keys):
            return None
    else:
        return None
    return sorted(range(len(keys)), key=keys.__getitem__)


def _numbered(facts: list[Fact], index: list[int], by_target: dict[str, list[Any]]) -> ListRead:
    deque(map(setitem, facts, repeat("seq"), range(len(facts))), maxlen=0)
    units = by_target["unit"] if "unit" in by_target else [fact.get("unit") for fact in facts]
    return ListRead(facts, index, units)


def _filled(plan: ListPlan, columns: list[list[Any]]) -> list[Fact]:
    """Facts copied from the template (with their period's fields, one template per period), then filled."""
    template = plan.template
    assert template is not None
    facts: list[Fact] | None = None
    for field, column in zip(plan.fields, columns, strict=True):
        if field.field.gives_period:
            templates = {label: {**template, **period_fields(label)} for label in set(column)}
            facts = list(map(dict.copy, map(templates.__getitem__, column)))
    if facts is None:
        facts = list(map(dict.copy, repeat(template, len(columns[0]))))
    for field, column in zip(plan.fields, columns, strict=True):
        if not field.field.gives_period:
            deque(map(setitem, facts, repeat(field.field.target), column), maxlen=0)
    return facts


def _made(plan: ListPlan, columns: list[list[Any]]) -> list[Fact]:
    """Facts made key by key in the fields' order, as the located reader makes each."""
    template = plan.template
    count = len(columns[0])
    facts = (
        list(map(dict.copy, repeat(template, count))) if template else [{"type": plan.spec.name} for _ in columns[0]]
    )
    for field, column in zip(plan.fields, columns, strict=True):
        if field.field.gives_period:
            given = {label: period_fields(label) for label in set(column) if label is not NO_PERIOD}
            merged = [field.merged if label is NO_PERIOD else given[label] for label in column]
            deque(map(dict.update, facts, merged), maxlen=0)
        else:
            deque(map(setitem, facts, repeat(field.field.target), column), maxlen=0)
    return facts


def _content(fields: tuple[tuple[str, bool], ...], by_target: dict[str, list[Any]]) -> list[str]:
    """Each fact's content key, ordered as ``read._group`` orders ``repr(tuple(values))``.

    The key is that repr without its parentheses, each text's repr made once: the order is the
    same, for only a number's repr can begin another's (``1``, ``10``), and then with a
    character that sorts after ``)`` and ``,``.
    """
    shown = [_reprs(by_target[target], texts) for target, texts in fields]
    return shown[0] if len(shown) == 1 else list(map(", ".join, zip(*shown, strict=True)))


def _reprs(column: list[Any], texts: bool) -> list[str]:
    if texts:  # text (or a default): a repr per distinct value
        try:
            made = {value: repr(value) for value in set(column)}
            return list(map(made.__getitem__, column))
        except TypeError:  # a default that is not hashable
            pass
    return list(map(repr, column))


def _kept(plan: ListPlan, facts: list[Fact], by_target: dict[str, list[Any]]) -> list[int] | None:
    """The index of each fact kept: alike items with the same key as one; None if two differ, or must not share it."""
    key = plan.spec.key
    everyone = list(range(len(facts)))
    if key is None:
        return everyone
    try:
        if all(name in by_target for name in key):
            identities = list(zip(*(by_target[name] for name in key), strict=True))
        else:
            identities = [tuple(fact[name] for name in key) for fact in facts]
        if len(set(identities)) == len(identities):
            return everyone
    except TypeError:  # a key value that is not hashable: the located reader tells
        return None
    if plan.spec.unique:
        return None
    seen: dict[Any, Fact] = {}
    kept: list[int] = []
    for at, (same, fact) in enumerate(zip(identities, facts, strict=True)):
        if same not in seen:
            seen[same] = fact
            kept.append(at)
        elif canonical(seen[same]) != canonical(fact):
            return None
    return kept
