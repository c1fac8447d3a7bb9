"""Facts read by the decoder made from the policy's inputs: fast, or None for the located reader to explain.

For a valid document (JSON text, or a mapping of JSON's values and dates) :func:`read_json`
and :func:`read_mapping` give what the located reader (``read.validate_facts``) gives: the
same facts, keys and key order, ``seq``, grouping and places. For any other document they
give None, and the caller reads it again with the located reader, which tells each
problem's file, line and field. A document with a fact out of force goes that way too, even
when such facts are only left out with a warning.
"""

from __future__ import annotations

import datetime
from collections import defaultdict, deque
from collections.abc import Iterator, Mapping
from itertools import chain
from operator import attrgetter
from typing import Any

import attrs
import msgspec

from civpolicy.facts.columns import Context
from civpolicy.facts.decoder import UNIT_REGISTER, Decoder, make_decoder
from civpolicy.facts.in_force import InForceCheck
from civpolicy.facts.items import Fact, needed_misses, total_misses
from civpolicy.facts.lists import ListRead, Tally, read_list
from civpolicy.source import model as m

UNSET = msgspec.UNSET


@attrs.frozen
class Read:
    """What a document read fast holds, for ``read.Facts``."""

    units: tuple[str, ...]
    by_unit: dict[str, tuple[Fact, ...]]
    places: Mapping[tuple[str, int], tuple[str, int, int]]


_DECODERS: dict[tuple[int, int], tuple[object, object, Decoder | None]] = {}


def decoder_for(inputs: Mapping[str, m.InputFact], vocabularies: Mapping[str, tuple[m.Term, ...]]) -> Decoder | None:
    """The decoder of a policy's inputs, made on its first document and kept (None: the inputs need the reader)."""
    key = (id(inputs), id(vocabularies))
    kept = _DECODERS.get(key)
    if kept is None or kept[0] is not inputs or kept[1] is not vocabularies:
        if len(_DECODERS) >= 16:
            _DECODERS.clear()
        kept = _DECODERS[key] = (inputs, vocabularies, make_decoder(inputs, vocabularies))
    return kept[2]


def read_json(
    text: str,
    inputs: Mapping[str, m.InputFact],
    vocabularies: Mapping[str, tuple[m.Term, ...]],
    in_force: m.InForce | None,
) -> Read | None:
    """The facts of a JSON text, or None when the located reader must read it."""
    decoder = decoder_for(inputs, vocabularies)
    text = text.removeprefix("\ufeff")  # as the json module's reading has it
    if decoder is None or "\\u003a" in text or "\\u003A" in text:  # an escaped colon would upset the count
        return None
    document = decoder.from_json(text)
    tally = Tally()
    read = _read(document, decoder, in_force, tally) if document is not None else None
    # Every ``:`` outside strings follows a key: as many as the keys msgspec kept, or one was named twice.
    return read if read is not None and text.count(":") == tally.keys + tally.colons else None


_SCALARS = frozenset({str, int, float, bool, type(None), datetime.date})
"""The types of a mapping's values read fast: JSON's, and dates (a subclass, an enum, a Decimal: the reader)."""


def read_mapping(
    data: Any,
    inputs: Mapping[str, m.InputFact],
    vocabularies: Mapping[str, tuple[m.Term, ...]],
    in_force: m.InForce | None,
) -> Read | None:
    """The facts of a mapping, or None when the located reader must read it."""
    decoder = decoder_for(inputs, vocabularies)
    if decoder is None or not isinstance(data, Mapping) or not _plain(data):
        return None
    document = decoder.from_mapping(data)
    return _read(document, decoder, in_force, None) if document is not None else None


def _plain(data: Mapping[Any, Any]) -> bool:
    """Whether a mapping's lists hold only JSON's values, and dates; msgspec would convert others the reader keeps."""
    if any(items is not None and items.__class__ not in (list, tuple) for items in data.values()):
        return False  # msgspec reads a set as a list
    try:
        kinds = {
            kind for items in data.values() for kind in map(type, chain.from_iterable(map(dict.values, items or ())))
        }
    except TypeError:  # an item that is no dict
        return False
    return kinds <= _SCALARS


def _read(document: Any, decoder: Decoder, in_force: m.InForce | None, tally: Tally | None) -> Read | None:
    """Every list's facts checked, collapsed and grouped as ``read.validate_facts`` does; None at the first fault."""
    first = InForceCheck(in_force, ignore=False).first_month if in_force is not None else None
    given = {plan.spec.source_key: getattr(document, plan.attr) for plan in decoder.lists}
    given = {key: items for key, items in given.items() if items is not UNSET}
    if tally is not None:
        tally.keys += len(given)
        tally.colons += sum(key.count(":") for key in given)
    register = next((plan for plan in decoder.lists if plan.spec.name == UNIT_REGISTER), None)
    lists: dict[str, tuple[str, ListRead]] = {}
    known: set[str] = set()
    if register is not None and register.spec.source_key in given:
        items = given[register.spec.source_key]
        read = read_list(register, items, Context(None, first), tally)
        if read is None:
            return None
        lists[UNIT_REGISTER] = (register.spec.source_key, read)
        ids = next(p.attr for p in register.fields if p.field.target == "unit")
        known = {fact["unit"] for fact in read.facts} | {
            v for v in map(attrgetter(ids), items or ()) if isinstance(v, str)
        }
    context = Context(known, first)
    for plan in decoder.lists:
        key = plan.spec.source_key
        if plan is not register and key in given:
            read = read_list(plan, given[key], context, tally)
            if read is None or (plan.spec.total is not None and total_misses(plan.spec, read.facts)):
                return None
            lists[plan.spec.name] = (key, read)
    units = lists[UNIT_REGISTER][1].facts if UNIT_REGISTER in lists else []
    for plan in decoder.lists:
        needed = plan.spec.needed_by
        if needed is not None and needed[1] in given:
            facts = lists[plan.spec.name][1].facts if plan.spec.name in lists else []
            if needed_misses(plan.spec, units, facts):
                return None
    return _group(lists, sorted({fact["unit"] for fact in units}))


def _group(lists: dict[str, tuple[str, ListRead]], units: list[str]) -> Read:
    """Each type's facts, in the types' order, grouped by unit (as ``read._group``)."""
    by_unit: defaultdict[Any, list[Fact]] = defaultdict(list, {unit: [] for unit in units})
    places: dict[str, tuple[str, list[int]]] = {}
    for name in sorted(lists):
        source, read = lists[name]
        places[name] = (source, read.index)
        owners = read.units if all(read.units) else [owner or "" for owner in read.units]
        deque(map(list.append, map(by_unit.__getitem__, owners), read.facts), maxlen=0)
    return Read(tuple(units), {unit: tuple(facts) for unit, facts in by_unit.items()}, Places(places))


class Places(Mapping[tuple[str, int], tuple[str, int, int]]):
    """Each fact's place by (type, seq), made when asked: its field path, and no line (JSON and mappings have none)."""

    def __init__(self, lists: dict[str, tuple[str, list[int]]]) -> None:
        self._lists = lists

    def __getitem__(self, key: tuple[str, int]) -> tuple[str, int, int]:
        name, seq = key
        source, index = self._lists[name]
        if not 0 <= seq < len(index):
            raise KeyError(key)
        return (f"{source}[{index[seq]}]", 0, 0)

    def __iter__(self) -> Iterator[tuple[str, int]]:
        return ((name, seq) for name, (_, index) in self._lists.items() for seq in range(len(index)))

    def __len__(self) -> int:
        return sum(len(index) for _, index in self._lists.values())
