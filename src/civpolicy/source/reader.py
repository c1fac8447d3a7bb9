"""Reading marked YAML data into typed values, collecting located problems as it goes."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from civpolicy.errors import Problem
from civpolicy.source.expressions import did_you_mean
from civpolicy.source.strict_yaml import Mark, MarkedMap, mark_of

_TYPE_NAMES = {
    str: "text",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    dict: "a mapping",
    list: "a list",
}


def type_name(kind: type | tuple[type, ...]) -> str:
    """How a Python type is named in messages."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if int in kinds and float in kinds:  # a whole number is a number
        kinds = tuple(k for k in kinds if k is not int)
    return " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)


def is_a(value: Any, kind: type | tuple[type, ...]) -> bool:
    """isinstance, except that a boolean is not a number."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        return False
    return isinstance(value, kinds)


def is_number(value: Any, whole: bool) -> bool:
    """A whole number (or, unless ``whole``, any finite number); a boolean is not one."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return not whole and isinstance(value, float) and math.isfinite(value)


class Reader:
    """Collects problems for one file, each with the line and column of the field."""

    def __init__(self, filename: str, problems: list[Problem] | None = None, refused: Collection[Mark] = ()) -> None:
        self.filename = filename
        self.problems: list[Problem] = [] if problems is None else problems
        self.refused = frozenset(refused)
        """Where the loader already refused a value (``.nan``): nothing more is told of that value."""

    def problem(self, container: Any, key: Any, path: str, message: str) -> None:
        """Record a problem at ``container[key]`` (or at the container when key is None)."""
        line, column = mark_of(container, key)
        if key is None or (line, column) not in self.refused:  # a mapping may start where its refused key does
            self.problems.append(Problem(self.filename, line, column, message, path))

    def problem_at_key(self, container: MarkedMap, key: Any, path: str, message: str) -> None:
        """Record a problem at a mapping key itself."""
        line, column = container.key_mark_of(key)
        if (line, column) not in self.refused:
            self.problems.append(Problem(self.filename, line, column, message, path))

    def mapping(self, value: Any, container: Any, key: Any, path: str) -> MarkedMap | None:
        """``value`` if it is a mapping, else a problem and None."""
        if isinstance(value, Mapping):
            return value if isinstance(value, MarkedMap) else MarkedMap(value)
        self.problem(container, key, path, f"must be a mapping (got {got(value)})")
        return None

    def keys(self, data: MarkedMap, path: str, allowed: Iterable[str], required: Iterable[str] = ()) -> bool:
        """Unknown keys and missing required keys are problems; True if none."""
        allowed = list(allowed)
        ok = True
        for key in data:
            if key not in allowed:
                hint = did_you_mean(str(key), allowed)
                self.problem_at_key(data, key, f"{path}.{key}", f"unknown field {key!r}{hint}")
                ok = False
        for key in required:
            if key not in data:
                self.problem(data, None, path, f"missing required field {key!r}")
                ok = False
        return ok

    def get(self, data: MarkedMap, key: str, path: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        """``data[key]`` if present and of the kind, else default (a problem if present but wrong)."""
        if key not in data:
            return default
        value = data[key]
        if not is_a(value, kind):
            self.problem(data, key, f"{path}.{key}", f"must be {type_name(kind)} (got {got(value)})")
            return default
        return value

    def text_pair(self, data: MarkedMap, key: str, path: str) -> tuple[str, str] | None:
        """A ``{zh: ..., en: ...}`` mapping as a pair, or None with a problem."""
        raw = self.mapping(data.get(key), data, key, f"{path}.{key}") if key in data else None
        if raw is None:
            if key not in data:
                self.problem(data, None, path, f"missing required field {key!r}")
            return None
        if not self.keys(raw, f"{path}.{key}", ("zh", "en"), ("zh", "en")):
            return None
        zh = self.get(raw, "zh", f"{path}.{key}", str, "")
        en = self.get(raw, "en", f"{path}.{key}", str, "")
        return (zh, en)


def got(value: Any) -> str:
    """A value as a message quotes it: its repr, cut at 40 characters."""
    if value is None:
        return "nothing"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
