"""One canonical JSON form, for comparing and sorting values the same way everywhere; and indented JSON text."""

from __future__ import annotations

import json
import math
import re
from json.encoder import encode_basestring
from typing import Any

import msgspec

_make_encoder: Any = getattr(json.encoder, "c_make_encoder", None)
"""The C encoder behind ``json.dumps`` without indentation (CPython's; None elsewhere)."""
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
_SCALARS = frozenset((str, int, float, bool, type(None)))
_flat_canonical = _make_encoder and _make_encoder(
    None, _CANONICAL.default, encode_basestring, None, ":", ",", True, False, True
)
"""The canonical encoder without a memo of what it is encoding, for mappings of scalars (no cycle there)."""


def canonical_json(value: Any) -> str:
    """Compact JSON with sorted keys: a canonical form for comparing and sorting."""
    if _make_encoder is None:  # pragma: no cover - CPython has the C encoder
        return _CANONICAL.encode(value)
    if value.__class__ is dict and _SCALARS.issuperset(map(type, value.values())):
        return "".join(_flat_canonical(value, 0))
    # JSONEncoder.encode's own C encoder, without its per-call wrapping (with a fresh memo of
    # what is being encoded, so a cycle is refused as there).
    encode = _make_encoder({}, _CANONICAL.default, encode_basestring, None, ":", ",", True, False, True)
    return "".join(encode(value, 0))


def indented_json(value: Any, *, finite: bool = False) -> str:
    """``json.dumps(value, ensure_ascii=False, indent=2)`` and a newline: the same text, without the Python encoder.

    ``finite``: the caller knows that every float in ``value`` is finite (a decision's document:
    facts and policy refuse other numbers, and calculations refuse to make them). Then msgspec's
    C writer writes the text wherever it is sure to be the same (:func:`_written_by_msgspec`);
    otherwise, and for any value, a writer of our own in Python does.
    """
    fast = _written_by_msgspec(value) if finite else None
    if fast is not None:
        return fast
    out: list[str] = []
    _write(value, "\n", out)
    out.append("\n")
    return "".join(out)


_NOT_AS_PYTHON = re.compile(rb'(?:^|[:,\[{]"?)-?(?:[0-9]+(?:\.[0-9]+)?[eE][-+]?[0-9]+|0\.0000[0-9]*)"?(?:[:,\]}]|$)')
"""A number msgspec may write otherwise than Python (a whole token of the compact text, or a
whole key: a float key is written as text): with an exponent (``1e16``, Python ``1e+16``;
``1e-7``, Python ``1e-07``), or in full where Python uses one (``0.00001``, Python ``1e-05``).
Python writes a float in full from 1e-4 to 1e16, and msgspec the same digits. Text that reads
so (``"1e5"``, ``"a:1e5,"``) only sends the value to the other writer."""


def _written_by_msgspec(value: Any) -> str | None:
    """The indented text by msgspec, or None where it might differ from ``json.dumps``'.

    None for any value msgspec refuses (keys that are neither text nor numbers, lone
    surrogates) and wherever a number may be written otherwise
    (``_NOT_AS_PYTHON``). Not for floats that are not finite (msgspec writes them ``null``,
    Python ``NaN``), nor values of types JSON has not (``Decimal``, ``set``, dates: msgspec
    writes them, ``json.dumps`` refuses them); a decision document has neither.
    """
    try:
        compact = msgspec.json.encode(value)
    except (TypeError, ValueError, OverflowError, UnicodeError, RecursionError):  # json.dumps tells its own
        return None
    if _NOT_AS_PYTHON.search(compact):
        return None
    return msgspec.json.format(compact, indent=2).decode() + "\n"


_WORDS = {True: "true", False: "false", None: "null"}
_KEYS: dict[str, str] = {}
"""Keys as written before a value (``"name": ``), the first thousand or so seen."""


def _write(value: Any, newline: str, out: list[str]) -> None:
    """A value as indented JSON onto ``out``, its lines after the first starting with ``newline``."""
    cls = value.__class__
    if cls is dict:
        if value:
            _write_dict(value, newline, out)
        else:
            out.append("{}")
    elif cls is list or cls is tuple:
        if value:
            _write_list(value, newline, out)
        else:
            out.append("[]")
    elif cls is str:
        out.append(encode_basestring(value))
    elif cls is bool or value is None:
        out.append(_WORDS[value])
    elif cls is int:
        out.append(int.__repr__(value))
    elif cls is float and math.isfinite(value):
        out.append(float.__repr__(value))
    else:
        out.append(_dumped(value, newline))


def _write_dict(value: dict[Any, Any], newline: str, out: list[str]) -> None:
    inner = newline + "  "
    before, comma, start = "{" + inner, "," + inner, len(out)
    append, keys = out.append, _KEYS
    for key, item in value.items():
        head = keys.get(key)
        if head is None:
            if key.__class__ is not str:  # json.dumps turns such keys into text: let it
                del out[start:]
                out.append(_dumped(value, newline))
                return
            head = encode_basestring(key) + ": "
            if len(keys) < 1024:
                keys[key] = head
        cls = item.__class__
        if cls is str:
            append(before + head + encode_basestring(item))
        elif cls is bool or item is None:
            append(before + head + _WORDS[item])
        elif cls is int:
            append(before + head + int.__repr__(item))
        else:
            append(before + head)
            _write(item, inner, out)
        before = comma
    append(newline + "}")


def _write_list(value: list[Any] | tuple[Any, ...], newline: str, out: list[str]) -> None:
    inner = newline + "  "
    try:  # most lists are of text
        out.append("[" + inner + ("," + inner).join(map(encode_basestring, value)) + newline + "]")
        return
    except TypeError:
        pass
    before, comma = "[" + inner, "," + inner
    for item in value:
        out.append(before)
        _write(item, inner, out)
        before = comma
    out.append(newline + "]")


def _dumped(value: Any, newline: str) -> str:
    """What the fast path leaves (keys that are not text, subclasses, NaN, other types) as ``json.dumps`` writes it."""
    return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", newline)
