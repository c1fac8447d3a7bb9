"""Who answers for a consequence or a finding: the policy's ``responsible`` facts that match it, found by index.

A fact matches when each of its match fields is null (it answers for all) or equals the
consequence's unit or kind. The facts are filed once by the values of those fields (null
as a wildcard), so a consequence looks up its few candidates instead of reading them all.
A unit or kind that no fact names is looked up as any other such: the answer is told once
for it, and once for each named unit or kind.
"""

from __future__ import annotations

import itertools
from typing import Any

from civpolicy.canonical import canonical_json
from civpolicy.source import model as m

People = tuple[dict[str, Any], ...]


class Answerable:
    """The facts that name who answers, filed by their match fields' values."""

    def __init__(self, answer: m.Responsibility, facts: list[dict[str, Any]]) -> None:
        self._match = answer.match
        self._index: dict[tuple[Any, ...], list[Person]] = {}
        self._known: dict[tuple[Any, Any], People] = {}
        """The answer for each unit and kind (those no fact names stand as :data:`_UNNAMED`)."""
        self._told: dict[tuple[int, ...], People] = {}
        for fact in facts:
            entry = {field: fact.get(field) for field in answer.fields}
            key = canonical_json(entry)
            order = (*tuple(_orderable(fact.get(field)) for field in answer.order_by), key)
            values = tuple(fact.get(field) for field, _ in answer.match)
            try:
                self._index.setdefault(values, []).append((order, key, entry))
            except TypeError:  # a value that cannot be a key (a list) equals no unit or kind: it never matches
                continue
        named: dict[str, set[Any]] = {"unit": set(), "kind": set()}
        for values in self._index:
            for (_, target), value in zip(self._match, values, strict=True):
                named[target].add(value)
        self._units, self._kinds = named["unit"], named["kind"]
        """The units and kinds some fact names: any other is looked up as :data:`_UNNAMED`."""

    def people(self, unit: str, kind: str) -> People:
        """The matching facts' ``fields``, each once (the least by ``order_by``), in that order."""
        key = (unit if unit in self._units else _UNNAMED, kind if kind in self._kinds else _UNNAMED)
        known = self._known.get(key)
        if known is None:
            given = {"unit": key[0], "kind": key[1]}
            choices = [(given[target], None) for _, target in self._match]
            found = [found for values in itertools.product(*choices) if (found := self._index.get(values))]
            told = tuple(map(id, found))
            known = self._told.get(told)
            if known is None:
                known = self._told[told] = _people(found)
            self._known[key] = known
        return known


_UNNAMED: Any = object()
"""Any unit or kind that no fact names (equal to no value): all such have one answer."""


Person = tuple[tuple[Any, ...], str, dict[str, Any]]
"""A fact that names who answers: its order, its entry as canonical JSON, its entry."""


def _people(found: list[list[Person]]) -> People:
    """Each entry once, with its least order, in that order."""
    people: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {}
    for order, key, entry in itertools.chain.from_iterable(found):
        if key not in people or order < people[key][0]:
            people[key] = (order, entry)
    return tuple(entry for _, entry in sorted(people.values(), key=lambda item: item[0]))


def _orderable(value: Any) -> tuple[int, Any]:
    """A value of any type in a total order: nothing first, then numbers, then text."""
    if value is None:
        return (0, 0)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (1, value)
    return (2, str(value))
