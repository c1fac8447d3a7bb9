"""Facts files (contract section 1) to validated facts, grouped by unit.

The shape of each list (its fields, types and identity) is read from the policy's
``inputs`` section, so this module knows no fact by name, except that the input called
``unit`` is the register of units the others refer to. Every problem of the file is
collected and raised together as one :class:`~civpolicy.errors.FactsError`. A mapping or a
JSON text is read first by the msgspec decoder made from the same inputs (``fast.py``),
which gives the same facts; this located reader reads what it refuses, and tells why.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from civpolicy.errors import FactsError, Problem
from civpolicy.facts import fast as fast_reading
from civpolicy.facts.items import Fact, ItemReader
from civpolicy.source import model as m
from civpolicy.source.reader import Reader
from civpolicy.source.strict_yaml import MarkedSeq, load_yaml, mark_of, read_json

UNIT_REGISTER = "unit"
"""The input whose items are the units every other fact refers to."""


Place = tuple[str, int, int]
"""Where an item stands in its facts file: its field path (``adjustments[3]``), line and column."""


@attrs.frozen
class Facts:
    """Validated facts: the units, and each unit's facts in a canonical order."""

    units: tuple[str, ...]
    by_unit: Mapping[str, tuple[Fact, ...]]
    filename: str = attrs.field(default="<facts>", eq=False)
    places: Mapping[tuple[str, int], Place] = attrs.field(factory=dict, eq=False, repr=False)
    """Each fact's place by (type, seq); a line of 0 is found by ``locator`` when first asked."""
    locator: Callable[[str], tuple[int, int]] | None = attrs.field(default=None, eq=False, repr=False)
    """Where a field path stands, for files read without lines (JSON): reads the file again once."""
    warnings: tuple[Problem, ...] = ()
    """What was accepted but is worth a word (e.g. facts dropped as out of force)."""

    @property
    def shared(self) -> tuple[Fact, ...]:
        """The facts that belong to no unit (such as a leader's site visit), kept under the key ``""``."""
        return tuple(self.by_unit.get("", ()))

    def all(self) -> tuple[Fact, ...]:
        """Every fact: each unit's, in the units' order, then those of no unit."""
        return tuple(fact for unit in self.units for fact in self.by_unit[unit]) + self.shared

    def count(self) -> int:
        """How many facts there are in all."""
        return sum(len(facts) for facts in self.by_unit.values())

    def where(self, fact: Fact) -> Problem:
        """The place of one of these facts, as a problem without a message yet."""
        path, line, column = self.places.get((fact["type"], fact["seq"]), ("", 0, 0))
        if line == 0 and path and self.locator is not None:
            line, column = self.locator(path)
        return Problem(self.filename, max(line, 1), max(column, 1), "", path)


def load_facts_text(
    text: str,
    name: str,
    inputs: Mapping[str, m.InputFact],
    vocabularies: Mapping[str, tuple[m.Term, ...]],
    *,
    as_json: bool | None = None,
    in_force: m.InForce | None = None,
    ignore_out_of_force: bool = False,
    fast: bool = True,
) -> Facts:
    """Facts from the text of a facts file: JSON if ``as_json`` (by default: if ``name`` ends in ``.json``), else YAML.

    A JSON file is read by the decoder made from the policy's inputs (``facts/fast.py``;
    ``fast=False``: not); if it refuses the file, the json module reads it and it is checked
    as it is; only if it has problems is it read again with lines and columns, to tell where
    each one stands. A YAML file is read with them from the start.
    ``in_force`` and ``ignore_out_of_force``: see :func:`validate_facts`.
    """
    if name.lower().endswith(".json") if as_json is None else as_json:
        read = fast_reading.read_json(text, inputs, vocabularies, in_force) if fast else None
        if read is not None:
            return Facts(read.units, read.by_unit, name, read.places, _locator(text, name))
        data, problems = read_json(text, name)
        if problems:
            raise FactsError(problems)
        if data is None:
            raise FactsError([_empty(name)])
        try:
            facts = validate_facts(
                data, inputs, vocabularies, name, in_force=in_force, ignore_out_of_force=ignore_out_of_force
            )
        except FactsError as unlocated:
            raise FactsError(
                _located(
                    unlocated.problems,
                    text,
                    name,
                    inputs,
                    vocabularies,
                    in_force=in_force,
                    ignore_out_of_force=ignore_out_of_force,
                )
            ) from None
        locator = _locator(text, name)
        # Warnings read without lines (facts left out of force) are placed by their field paths.
        warnings = tuple(attrs.evolve(p, line=(at := locator(p.path))[0], column=at[1]) for p in facts.warnings)
        return attrs.evolve(facts, locator=locator, warnings=warnings)
    data, problems = load_yaml(text, name)
    if data is None:
        raise FactsError(problems or [_empty(name)])
    return validate_facts(
        data, inputs, vocabularies, name, problems, in_force=in_force, ignore_out_of_force=ignore_out_of_force
    )


def _empty(name: str) -> Problem:
    return Problem(name, 1, 1, "the facts file is empty (it needs at least `units`)")


def unreadable(error: OSError | UnicodeDecodeError) -> str:
    """Why a facts file could not be read, as a problem says it."""
    return "no such facts file" if isinstance(error, FileNotFoundError) else f"cannot read the facts file: {error}"


def _located(
    problems: tuple[Problem, ...],
    text: str,
    name: str,
    inputs: Mapping[str, m.InputFact],
    vocabularies: Mapping[str, tuple[m.Term, ...]],
    *,
    in_force: m.InForce | None = None,
    ignore_out_of_force: bool = False,
) -> list[Problem]:
    """The json module's reading's problems, with lines and columns from a reading that has them.

    Checked again on the marked reading, the same fields' problems come back located (and a
    conflict names the first item's line); where the two readings could differ (a character YAML reads
    otherwise), each problem is placed by its field path instead, so the problems stay the
    json module's.
    """
    marked, _ = load_yaml(text, name)
    if marked is None:
        return list(problems)
    try:
        validate_facts(marked, inputs, vocabularies, name, in_force=in_force, ignore_out_of_force=ignore_out_of_force)
    except FactsError as error:
        # The same fields found wrong (a conflict's words differ: "at line 8", not "at evaluations[0]").
        if sorted(p.path for p in error.problems) == sorted(p.path for p in problems):
            return list(error.problems)
    placed = []
    for problem in problems:
        line, column = _at_path(marked, problem.path)
        placed.append(attrs.evolve(problem, line=line, column=column))
    return placed


def _locator(text: str, name: str) -> Callable[[str], tuple[int, int]]:
    """Where a field path stands in a JSON text, read again with marks on first use."""
    marked: list[Any] = []

    def locate(path: str) -> tuple[int, int]:
        if not marked:
            marked.append(load_yaml(text, name)[0])
        return _at_path(marked[0], path) if marked[0] is not None else (1, 1)

    return locate


_STEP = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def _at_path(data: Any, path: str) -> tuple[int, int]:
    """Where a field path (``units[0].category``, ``$``) stands in marked data: its value's line and column."""
    steps = [int(index) if index else key for index, key in _STEP.findall(path.removeprefix("$"))]
    container: Any = data
    for step in steps[:-1]:
        try:
            container = container[step]
        except (KeyError, IndexError, TypeError):
            return mark_of(container)
    return mark_of(container, steps[-1]) if steps else mark_of(container)


def validate_facts(
    data: Any,
    inputs: Mapping[str, m.InputFact],
    vocabularies: Mapping[str, tuple[m.Term, ...]],
    filename: str = "<facts>",
    problems: list[Problem] | None = None,
    *,
    in_force: m.InForce | None = None,
    ignore_out_of_force: bool = False,
) -> Facts:
    """Check facts against the policy's inputs; raise FactsError listing every problem.

    With ``in_force`` (the policy's), a fact of a period that ends before it is a problem at
    that field; with ``ignore_out_of_force`` too, it is left out and told in ``Facts.warnings``.
    """
    problems = list(problems or [])
    r = Reader(filename, problems)
    top = r.mapping(data, data, None, "$") if data is not None or not problems else None
    if top is None:
        raise FactsError(problems)
    by_key = {spec.source_key: spec for spec in inputs.values()}
    r.keys(top, "$", list(by_key), [spec.source_key for spec in inputs.values() if spec.required])
    register = inputs.get(UNIT_REGISTER)
    reader = ItemReader(r, vocabularies, in_force, ignore_out_of_force)
    units: list[Fact] = []
    named: set[str] = set()
    if register is not None and register.source_key in top:
        units = reader.read_list(top, register, known_units=None)
        named = _named_units(top[register.source_key], register)
    unit_ids = {fact["unit"] for fact in units}
    facts: list[Fact] = list(units)
    for key, spec in by_key.items():
        before = len(problems)
        if spec.name != UNIT_REGISTER and key in top:
            found = reader.read_list(top, spec, known_units=unit_ids | named)
            facts.extend(found)
            if spec.total is not None and len(problems) == before:
                reader.check_total(spec, found)
        # A list with a bad item is told by its items, not again by what its sum or its units lack.
        if spec.needed_by is not None and spec.needed_by[1] in top and len(problems) == before:
            reader.check_needed(spec, units, [f for f in facts if f["type"] == spec.name])
    if problems:
        raise FactsError(problems)
    grouped = _group(facts, sorted(unit_ids), inputs)
    places = {}
    for fact in facts:
        items, index, key = reader.origins[id(fact)]
        line, column = mark_of(items, index) if isinstance(items, MarkedSeq) else (0, 0)
        places[(fact["type"], fact["seq"])] = (f"{key}[{index}]", line, column)
    left_out = tuple(reader.in_force.warnings) if reader.in_force is not None else ()
    return attrs.evolve(grouped, filename=filename, places=places, warnings=left_out)


def _named_units(items: Any, register: m.InputFact) -> set[str]:
    """Unit ids written in the register, valid or not: a broken unit is reported once, not per fact."""
    id_field = next((f.name for f in register.fields if f.target == "unit"), "unit")
    if not isinstance(items, (list, tuple)):
        return set()
    return {item[id_field] for item in items if isinstance(item, Mapping) and isinstance(item.get(id_field), str)}


def _group(facts: list[Fact], units: list[str], inputs: Mapping[str, m.InputFact]) -> Facts:
    fields = {spec.name: tuple(dict.fromkeys(field.target for field in spec.fields)) for spec in inputs.values()}

    def content(fact: Fact) -> tuple[str, str]:
        # The type and the given fields in the policy's order say everything a fact holds
        # (a period's other fields follow from it): a total order, whatever the input order.
        return (fact["type"], repr(tuple(map(fact.get, fields[fact["type"]]))))

    ordered = sorted(facts, key=content)
    seq: dict[str, int] = {}
    by_unit: dict[str, list[Fact]] = {unit: [] for unit in units}
    for fact in ordered:
        fact["seq"] = seq.get(fact["type"], 0)
        seq[fact["type"]] = fact["seq"] + 1
        by_unit.setdefault(fact.get("unit") or "", []).append(fact)
    return Facts(tuple(units), {unit: tuple(items) for unit, items in by_unit.items()})


def load_facts(
    source: Mapping[str, Any] | str | Path,
    inputs: Mapping[str, m.InputFact],
    vocabularies: Mapping[str, tuple[m.Term, ...]],
    *,
    in_force: m.InForce | None = None,
    ignore_out_of_force: bool = False,
    fast: bool = True,
) -> Facts:
    """Facts from a mapping or a YAML/JSON file path, validated against the policy's inputs (and its in-force date).

    A mapping or a JSON file is read by the decoder made from the inputs first (``fast=False``:
    by the located reader alone), which gives the same facts; a document it refuses is read
    by the located reader, which tells where each problem stands.
    """
    if isinstance(source, (str, Path)):
        name = str(source)
        try:
            text = Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise FactsError([Problem(name, 1, 1, unreadable(error))]) from None
        return load_facts_text(
            text, name, inputs, vocabularies, in_force=in_force, ignore_out_of_force=ignore_out_of_force, fast=fast
        )
    read = fast_reading.read_mapping(source, inputs, vocabularies, in_force) if fast else None
    if read is not None:
        return Facts(read.units, read.by_unit, places=read.places)
    return validate_facts(source, inputs, vocabularies, in_force=in_force, ignore_out_of_force=ignore_out_of_force)
