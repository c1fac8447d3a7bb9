"""The policy's inputs as msgspec types, made once per policy: a struct per input list, each field typed.

A field's type says what msgspec checks as it decodes: text, whole numbers and numbers
within their bounds, true or false, a vocabulary's terms as literals, a period as text or a
bare year; an unknown field is refused, and so is a missing required one. The structs' own
names are made here (``Item0``, ``f0``...); the policy's names only ``rename`` them, so no
text of a policy file becomes code. What a type cannot say (text that shows nothing, unit
ids of the register, period kinds, dates, the in-force date) is left to :mod:`columns`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal, cast

import attrs
import msgspec

from civpolicy.facts.columns import Check, column_check
from civpolicy.facts.items import absent_fields
from civpolicy.facts.periods import period_fields
from civpolicy.source import model as m

UNIT_REGISTER = "unit"
"""The input whose items are the units every other fact refers to (as in :mod:`read`)."""


@attrs.frozen
class FieldPlan:
    """One field of an input: its attribute on the item struct, and the check of its column."""

    attr: str
    field: m.InputField
    check: Check
    absent: Any
    """The column's value where the field is not given: the fact's, or the label of a period that joins it."""
    merged: dict[str, Any]
    """What the fact takes where the field is not given (the period's fields, for a period that joins it)."""
    colons: bool
    """Whether its values may hold a ``:`` (counted to tell a JSON object that names a key twice)."""


@attrs.frozen
class ListPlan:
    """One input list: its attribute on the document struct and its fields."""

    spec: m.InputFact
    attr: str
    fields: tuple[FieldPlan, ...]
    targets: tuple[str, ...]
    """The fact field each field fills, in order."""
    template: dict[str, Any] | None
    """A fact with every key in its place (``seq`` last), to copy and fill; None if the keys depend on what is given."""
    simple: bool
    """Each field fills keys no other field fills, and at most one is a period whose fields join the fact."""
    content: tuple[tuple[str, bool], ...]
    """The fields that order the facts (``read._group``), each with whether its values are text (or a default)."""
    leading_key: int
    """How many of those are the input's key, when they lead and their reprs tell keys apart (else 0)."""


@attrs.frozen
class Decoder:
    """The document struct of a policy's inputs, and a JSON decoder for it."""

    lists: tuple[ListPlan, ...]
    document: type[msgspec.Struct]
    json: msgspec.json.Decoder[Any]

    def from_json(self, text: str) -> Any:
        """The document struct of a JSON text, or None if msgspec refuses it."""
        try:
            return self.json.decode(text)
        except (msgspec.MsgspecError, UnicodeError):
            return None

    def from_mapping(self, data: Any) -> Any:
        """The document struct of a mapping, or None if msgspec refuses it."""
        try:
            return msgspec.convert(data, self.document)
        except (msgspec.MsgspecError, UnicodeError):
            return None


def make_decoder(inputs: Mapping[str, m.InputFact], vocabularies: Mapping[str, tuple[m.Term, ...]]) -> Decoder | None:
    """The decoder of these inputs; None if they hold what it cannot say (then the located reader reads all)."""
    keys = [spec.source_key for spec in inputs.values()]
    register = inputs.get(UNIT_REGISTER)
    if len(set(keys)) != len(keys) or (register is not None and all(f.target != "unit" for f in register.fields)):
        return None
    if any(field.target in ("type", "seq") for spec in inputs.values() for field in spec.fields):
        return None  # a field that would overwrite what the reader adds
    lists, tops = [], []
    try:
        for number, spec in enumerate(inputs.values()):
            plan, item = _list_plan(spec, number, vocabularies)
            if plan is None:
                return None
            lists.append(plan)
            kind: Any = list[item]  # type: ignore[valid-type]
            tops.append(
                (plan.attr, kind) if spec.required else (plan.attr, kind | None | msgspec.UnsetType, msgspec.UNSET)
            )
        document = msgspec.defstruct(
            "Document",
            tops,
            rename={plan.attr: plan.spec.source_key for plan in lists},
            **_STRICT,
        )
        return Decoder(tuple(lists), document, msgspec.json.Decoder(document))
    except (TypeError, ValueError, OverflowError):  # a bound msgspec cannot hold
        return None


_STRICT: dict[str, Any] = {"forbid_unknown_fields": True, "kw_only": True, "gc": False}


def _list_plan(
    spec: m.InputFact, number: int, vocabularies: Mapping[str, tuple[m.Term, ...]]
) -> tuple[ListPlan | None, type[msgspec.Struct]]:
    names = [field.name for field in spec.fields]
    plans, fields = [], []
    for index, field in enumerate(spec.fields):
        kind = _value_type(field, vocabularies)
        attr = f"f{index}"
        plans.append(
            FieldPlan(
                attr,
                field,
                column_check(field, vocabularies),
                _absent(field),
                absent_fields(field),
                _colons(field, vocabularies),
            )
        )
        fields.append((attr, kind) if field.required else (attr, kind | msgspec.UnsetType, msgspec.UNSET))
    rename = {plan.attr: plan.field.name for plan in plans}
    item = msgspec.defstruct(f"Item{number}", fields, rename=rename, **_STRICT)
    template = _template(spec)
    simple = template is not None and _simple(spec)
    content, leading = _content(spec, simple)
    targets = tuple(field.target for field in spec.fields)
    plan = ListPlan(spec, f"t{number}", tuple(plans), targets, template, simple, content, leading)
    return (plan if len(set(names)) == len(names) else None), item


_NUMBERS = frozenset({"boolean", "integer", "number", "year"})


def _content(spec: m.InputFact, simple: bool) -> tuple[tuple[tuple[str, bool], ...], int]:
    """The fields that order the facts, and how many of them lead as the key (see ``ListPlan``)."""
    first: dict[str, m.InputField] = {}
    for field in spec.fields:
        first.setdefault(field.target, field)
    # A text's repr is made once per distinct value; where fields share a key (not simple), every value's repr.
    content = tuple((target, simple and field.type not in _NUMBERS) for target, field in first.items())
    key = tuple(spec.key or ())
    if not (simple and key and key == tuple(first)[: len(key)]):
        return content, 0
    # Equal values have equal reprs, and the reprs of texts never begin one another: the joined reprs tell keys apart.
    told = all(
        first[name].type not in _NUMBERS or (first[name].required and first[name].type != "number") for name in key
    )
    return content, len(key) if told else 0


def _simple(spec: m.InputFact) -> bool:
    """Whether no two fields fill the same key of a fact (a period's fields count as its field's)."""
    keys = [key for field in spec.fields for key in (period_fields("2022") if field.gives_period else [field.target])]
    return len(set(keys)) == len(keys) and sum(field.gives_period for field in spec.fields) <= 1


def _template(spec: m.InputFact) -> dict[str, Any] | None:
    """The keys of each of the input's facts in the order the located reader makes them (None: they vary)."""
    keys = ["type"]
    for field in spec.fields:
        given = list(period_fields("2022")) if field.gives_period else [field.target]
        if not field.required and list(absent_fields(field)) != given:
            return None
        keys += given
    template: dict[str, Any] = dict.fromkeys([*keys, "seq"])
    template["type"] = spec.name
    return template


def _value_type(field: m.InputField, vocabularies: Mapping[str, tuple[m.Term, ...]]) -> Any:
    """The msgspec type of one field's given value."""
    kind = field.type
    if kind in ("text", "unit"):
        return str
    if kind == "boolean":
        return bool
    if kind == "year":
        return Annotated[int, msgspec.Meta(ge=1000, le=9999)]
    if kind == "integer":
        low, high = field.minimum, field.maximum
        return Annotated[int, _bounds(_whole(low, math.ceil), _whole(high, math.floor))]
    if kind == "number":
        low, high = field.minimum, field.maximum
        whole = Annotated[int, _bounds(_whole(low, math.ceil), _whole(high, math.floor))]
        return whole | Annotated[float, _bounds(_exact(low), _exact(high))]
    if kind == "period":
        return str | int
    if kind == "date":
        return Any  # text, or a date of a mapping read from YAML: columns.py reads both as the located reader does
    choices = field.choices(vocabularies)
    if choices and all(isinstance(choice, str) for choice in choices):
        return cast(Any, Literal)[tuple(choices)]
    return Any  # no term to give: columns.py refuses every value


def _bounds(low: int | float | None, high: int | float | None) -> msgspec.Meta:
    return msgspec.Meta(ge=low, le=high)


def _whole(bound: int | float | None, rounded: Any) -> int | None:
    """A bound on whole numbers: ``minimum: 0.5`` admits 1 and up, as the located reader's ``v < 0.5`` does."""
    if bound is None or isinstance(bound, int):
        return bound
    if not math.isfinite(bound):
        raise ValueError(bound)
    return int(rounded(bound))


def _exact(bound: int | float | None) -> float | None:
    """A bound on floats, refused (ValueError) if a float cannot hold it exactly."""
    if bound is None:
        return None
    if float(bound) != bound:
        raise ValueError(bound)
    return float(bound)


NO_PERIOD = object()
"""The column's value of an absent period whose fields join the fact, when its default is no period."""


def _absent(field: m.InputField) -> Any:
    fields = absent_fields(field)
    if not field.gives_period:
        return fields[field.target]
    return fields["period"] if len(fields) > 1 else NO_PERIOD


def _colons(field: m.InputField, vocabularies: Mapping[str, tuple[m.Term, ...]]) -> bool:
    if field.type in ("text", "unit", "date"):
        return True
    if field.type in ("boolean", "integer", "number", "year", "period"):
        return False
    return any(":" in str(choice) for choice in field.choices(vocabularies))
