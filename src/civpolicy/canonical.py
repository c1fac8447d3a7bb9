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


_EXPONENTS = (re.compile(rb"e[-+]?[0-9]"), re.compile(rb"E[-+]?[0-9]"))
"""Where a number of the compact text may have an exponent: each searched fast, as it starts with one letter."""
_NUMBER = frozenset(b"0123456789.eE+-")
_BEFORE_NUMBER = frozenset(b':,[{"')
_AFTER_NUMBER = frozenset(b',]}":')


def _not_as_python(compact: bytes) -> bool:
    """Whether msgspec may have written a number of this compact text otherwise than Python.

    With an exponent (``1e16``, Python ``1e+16``; ``1e-7``, Python ``1e-07``), or in full where
    Python uses one (``0.00001``, Python ``1e-05``); Python writes a float in full from 1e-4 to
    1e16, and msgspec the same digits. Each place found is judged by the run of number
    characters around it: a whole token, or a whole key (msgspec writes a float key as text),
    counts. Text that reads so (``"1e5"``, ``"a:1e5,"``) only sends the value to the other writer.
    """
    places = [match.start() for exponent in _EXPONENTS for match in exponent.finditer(compact)]
    found = compact.find(b"0.0000")
    while found >= 0:
        places.append(found)
        found = compact.find(b"0.0000", found + 1)
    return any(_in_a_number(compact, at) for at in places)


def _in_a_number(compact: bytes, at: int) -> bool:
    """Whether the run of number characters around ``at`` stands where a number (or a key) may."""
    start, end = at, at
    while start > 0 and compact[start - 1] in _NUMBER:
        start -= 1
    while end < len(compact) and compact[end] in _NUMBER:
        end += 1
    return (start == 0 or compact[start - 1] in _BEFORE_NUMBER) and (
        end == len(compact) or compact[end] in _AFTER_NUMBER
    )


def _written_by_msgspec(value: Any) -> str | None:
    """The indented text by msgspec, or None where it might differ from ``json.dumps``'.

    None for any value msgspec refuses (keys that are neither text nor numbers, lone
    surrogates) and wherever a number may be written otherwise (:func:`_not_as_python`).
    Not for floats that are not finite (msgspec writes them ``null``, Python ``NaN``), nor
    values of types JSON has not (``Decimal``, ``set``, dates: msgspec writes them,
    ``json.dumps`` refuses them); a decision document has neither.
    """
    try:
        compact = msgspec.json.encode(value)
    except (TypeError, ValueError, OverflowError, UnicodeError, RecursionError):  # json.dumps tells its own
        return None
    if _not_as_python(compact):
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
