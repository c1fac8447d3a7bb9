r"""Strict safe YAML loading that keeps line marks and rejects duplicate keys.

Mappings load as :class:`MarkedMap` and sequences as :class:`MarkedSeq`: plain ``dict``
and ``list`` subclasses that remember where each key and item stood, so that every
later check can name the file, line and column of what it rejects.
Plain scalars are read by YAML 1.2's core schema, not YAML 1.1's: ``010`` is ten, ``1e3``
a number, ``yes`` and ``1:30`` text; dates stay strings (``2022-03-06`` is not turned into
a date), and nothing but the safe YAML tags is constructed. Loaded with ``strict_values``
(every policy file is), a number that is not finite (``.nan``, ``.inf``, ``-.inf``, or one
too large to hold, ``1e999``) and a text holding a lone UTF-16 surrogate are problems where
they stand, whatever field holds them: no rule, table or setting of a policy means one, the
engines' exact arithmetic cannot compute with such a number, and no UTF-8 output can write
such a text. A file named ``*.json`` is
read as JSON: it must be valid JSON (checked first by the ``json`` module, whose line and
column a syntax error names), and its tabs are whitespace. An escaped pair of UTF-16
surrogates (``\ud83d\ude00``) is the one character it stands for.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

import yaml

from civpolicy.errors import Problem

Mark = tuple[int, int]
"""A 1-based (line, column)."""


class MarkedMap(dict[Any, Any]):
    """A mapping that knows the mark of itself, of each key and of each value."""

    mark: Mark = (1, 1)
    key_marks: dict[Any, Mark]
    value_marks: dict[Any, Mark]

    def mark_of(self, key: Any) -> Mark:
        """Where the value of ``key`` stands, or the mapping itself if the key is absent."""
        marks: dict[Any, Mark] = getattr(self, "value_marks", {})
        return marks.get(key, self.mark)

    def key_mark_of(self, key: Any) -> Mark:
        """Where ``key`` itself stands, or the mapping if absent."""
        marks: dict[Any, Mark] = getattr(self, "key_marks", {})
        return marks.get(key, self.mark)


class MarkedSeq(list[Any]):
    """A sequence that knows the mark of itself and of each item."""

    mark: Mark = (1, 1)
    item_marks: list[Mark]

    def mark_of(self, index: int) -> Mark:
        """Where item ``index`` stands, or the sequence itself."""
        marks = getattr(self, "item_marks", [])
        return marks[index] if 0 <= index < len(marks) else self.mark


def mark_of(container: Any, key: Any = None) -> Mark:
    """The mark of ``container[key]`` (or of ``container``) when known, else (1, 1)."""
    if key is not None and isinstance(container, (MarkedMap, MarkedSeq)):
        return container.mark_of(key)
    return getattr(container, "mark", (1, 1))


def _mark(node: yaml.Node) -> Mark:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader with marks, duplicate-key problems and no timestamp resolution."""

    def __init__(self, text: str, filename: str, strict_values: bool = False) -> None:
        super().__init__(text)
        self.filename = filename
        self.strict_values = strict_values
        """Whether a number that is not finite (``.nan``, ``1e999``) or a lone surrogate in text is a problem."""
        self.problems: list[Problem] = []
        self.path: list[str] = []
        """Where the loader is in the document (``units``, ``[0]``, ``category``), as it constructs."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """A value, or a located error when a tagged scalar cannot be read (``!!int 4o``)."""
        try:
            return super().construct_object(node, deep)
        except (ValueError, KeyError, AttributeError, TypeError, OverflowError, IndexError):
            tag = str(node.tag).rsplit(":", 1)[-1]
            what = _short(node.value) if isinstance(node, yaml.ScalarNode) else "this value"
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {what} as {tag}", node.start_mark
            ) from None

    def construct_text(self, node: yaml.ScalarNode) -> str:
        text = str(self.construct_scalar(node))
        if SURROGATE.search(text) is None:
            return text
        # A lone surrogate stays, for the check of the field that holds it to name (or, with
        # strict_values, told here: a policy's every text may reach an output).
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")
        if self.strict_values and SURROGATE.search(text) is not None:
            self.refuse(node, f"must be text without a lone UTF-16 surrogate (got {_short(text)})")
        return text

    def refuse(self, node: yaml.Node, message: str) -> None:
        """Record a problem with the value being constructed (kept: its field's reader may tell the same)."""
        line, column = _mark(node)
        self.problems.append(Problem(self.filename, line, column, message, "".join(self.path)))

    def construct_marked_map(self, node: yaml.MappingNode) -> MarkedMap:
        self.flatten_mapping(node)
        result = MarkedMap()
        result.mark = _mark(node)
        result.key_marks = {}
        result.value_marks = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                line, column = _mark(key_node)
                self.problems.append(Problem(self.filename, line, column, "a key must be a scalar"))
                continue
            if key in result:
                line, column = _mark(key_node)
                first_line, first_column = result.key_marks[key]
                first = f"column {first_column}" if first_line == line else f"line {first_line}"
                message = f"duplicate key (first at {first})"
                self.problems.append(Problem(self.filename, line, column, message, self._where(key)))
                continue
            result[key] = self._at(f".{key}" if self.path else str(key), value_node)
            result.key_marks[key] = _mark(key_node)
            result.value_marks[key] = _mark(value_node)
        return result

    def _where(self, key: Any) -> str:
        """The field path of ``key`` in the mapping being constructed (``units[0].category``)."""
        return "".join(self.path) + (f".{key}" if self.path else str(key))

    def _at(self, step: str, node: yaml.Node) -> Any:
        """Construct ``node`` with ``step`` (``.category``, ``[0]``) added to the path."""
        self.path.append(step)
        try:
            return self.construct_object(node, deep=True)
        finally:
            self.path.pop()

    def construct_marked_seq(self, node: yaml.SequenceNode) -> MarkedSeq:
        result = MarkedSeq(self._at(f"[{index}]", child) for index, child in enumerate(node.value))
        result.mark = _mark(node)
        result.item_marks = [_mark(child) for child in node.value]
        return result


WHOLE = re.compile(r"[-+]?[0-9]+")
"""A whole number as written in a civpolicy file: decimal digits (``010`` is ten)."""

DECIMAL = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][-+]?[0-9]+)?")
"""A number as written in a civpolicy file: ``1.5``, ``.5``, ``1e3`` (and whole numbers)."""

_CORE_SCALARS = (
    # YAML 1.2's core schema, not YAML 1.1's: yes/no/on/off are text, 010 is ten, 1:30 and
    # 0x1F are text (a field that wants a number says so, with its line), 1e3 is a number.
    ("bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), "tTfF"),
    ("null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]),
    ("int", re.compile(f"^{WHOLE.pattern}$"), "-+0123456789"),
    (
        "float",
        re.compile(rf"^(?:{DECIMAL.pattern}|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),  # after int: 12 is whole
        "-+.0123456789",
    ),
)

_StrictLoader.yaml_implicit_resolvers = {}  # nor YAML 1.1's merge key (<<) and value (=): text, as in 1.2
for _name, _pattern, _firsts in _CORE_SCALARS:
    _StrictLoader.add_implicit_resolver(f"tag:yaml.org,2002:{_name}", _pattern, list(_firsts))


def _construct_int(loader: _StrictLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if not WHOLE.fullmatch(text):
        raise ValueError(text)
    return int(text)


def _construct_float(loader: _StrictLoader, node: yaml.ScalarNode) -> float:
    text = str(loader.construct_scalar(node))
    if text.lower().lstrip("+-") in (".inf", ".nan"):
        value = float(text.lower().replace(".", ""))
    elif not DECIMAL.fullmatch(text):
        raise ValueError(text)
    else:
        value = float(text)
    if loader.strict_values and not math.isfinite(value):
        # Kept, as a duplicate key's first value is: the field's own reader, where it wants a
        # finite number, tells the same problem at the same place, which is told once.
        loader.refuse(node, f"must be a finite number (got {value})")
    return value


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_StrictLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_StrictLoader.add_constructor(
    "tag:yaml.org,2002:map",
    _StrictLoader.construct_marked_map,
)
_StrictLoader.add_constructor(
    "tag:yaml.org,2002:seq",
    _StrictLoader.construct_marked_seq,
)
_StrictLoader.add_constructor("tag:yaml.org,2002:str", _StrictLoader.construct_text)


def _refused(loader: _StrictLoader, node: yaml.Node) -> Any:
    """YAML's other safe types (a set, a date, bytes...) are no values a policy or facts file holds."""
    kind = str(node.tag).rsplit(":", 1)[-1]
    message = f"a {kind} is not a value here (write it plainly)"
    raise yaml.constructor.ConstructorError(None, None, message, node.start_mark)


for _tag in ("set", "omap", "pairs", "binary", "timestamp"):
    _StrictLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _refused)

_JSON_AS_YAML = re.compile("[\t\x7f-\x9f\u2028\u2029\ufffe\uffff]")
"""Characters valid JSON may hold that YAML reads otherwise: tabs, controls, line and paragraph separators."""

SURROGATE = re.compile("[\ud800-\udfff]")
"""A UTF-16 surrogate: in text only as half of a pair that was not joined."""


def load_yaml(
    text: str, filename: str, as_json: bool | None = None, *, strict_values: bool = False
) -> tuple[Any, list[Problem]]:
    """Parse one YAML (or, for ``*.json`` or ``as_json``, JSON) document; return the data and the problems found.

    A syntax error is returned as a single problem with ``None`` as data. With ``strict_values``
    (a policy file), each number that is not finite (``.nan``, ``.inf``, ``1e999``) and each
    text holding a lone UTF-16 surrogate is a problem where it stands, with its field's path.
    """
    if as_json or (as_json is None and filename.lower().endswith(".json")):
        _, problem = _parse_json(text, filename, None)
        if problem is not None:
            return None, [problem]
        # Valid JSON has tabs only between tokens, where YAML wants spaces, and in strings it may
        # hold characters YAML refuses or takes for line breaks: each becomes one space, so that
        # every line and column stays where it is (the values are the json module's anyway).
        text = _JSON_AS_YAML.sub(" ", text)
    loader = None
    try:
        loader = _StrictLoader(text, filename, strict_values)
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = f"not valid YAML: {error.problem or error.context}{syntax_hint(str(error.problem or ''))}"
        return None, [Problem(filename, line, column, message)]
    except yaml.reader.ReaderError as error:
        line, column = _line_column(text, error.position)
        message = f"not valid YAML: character {error.character:#06x} is not allowed in a YAML file"
        return None, [Problem(filename, line, column, message)]
    except yaml.YAMLError as error:
        return None, [Problem(filename, 1, 1, f"not valid YAML: {error}")]
    except RecursionError:
        return None, [Problem(filename, 1, 1, "not valid YAML: nested too deeply")]
    except ValueError as error:  # the scanner's own: an escape past the last character, "\U00110000"
        line, column = (loader.line + 1, loader.column + 1) if loader is not None else (1, 1)
        return None, [Problem(filename, line, column, f"not valid YAML: cannot read the text here ({error})")]
    finally:
        if loader is not None:
            loader.dispose()
    return data, loader.problems


_SYNTAX_HINTS = (
    # (the start of PyYAML's words, what usually causes them), for people who write the policy by hand
    ("mapping values are not allowed", "a ':' where none can be: text holding ': ' needs quotes, or a wrong indent"),
    ("expected <block end>", "this line is indented differently from the lines before it at its level"),
    ("could not find expected ':'", "a line above is neither 'name: value' nor '- item', often the one before"),
    ("did not find expected key", "this line is indented differently from the keys beside it"),
    ("did not find expected '-'", "a list item is indented differently from the items before it"),
    ("found character '\\t'", "a tab: indent with spaces only"),
    ("found unexpected end of stream", "a quote opened and not closed"),
    ("expected ',' or ']'", "a [ … ] list not closed on its line, or an item holding ':' or ',' that needs quotes"),
    ("expected ',' or '}'", "a { … } mapping not closed on its line, or a value holding ':' or ',' that needs quotes"),
    ("found undefined alias", "text starting with '*' needs quotes"),
    ("found character '@'", "text starting with '@' or '`' needs quotes"),
    ("found character '`'", "text starting with '@' or '`' needs quotes"),
)


def syntax_hint(problem: str) -> str:
    """`` (likely: …)`` for a PyYAML syntax problem whose usual cause is known, else nothing."""
    for start, cause in _SYNTAX_HINTS:
        if problem.startswith(start):
            return f" (likely: {cause})"
    return ""


def read_json(text: str, filename: str) -> tuple[Any, list[Problem]]:
    """A JSON document's data, or None and its problems, located: a syntax error, or each duplicate key.

    The json module reads it (fast); only a document that names a key twice in one object
    is read again by the strict loader, which tells where each duplicate stands.
    """
    try:
        data, problem = _parse_json(text, filename, _unique_object)
    except _DuplicateKey as duplicate:
        located = load_yaml(text, filename, as_json=True)[1]
        if located and all(p.message.startswith("duplicate key") for p in located):
            return None, located
        return None, [Problem(filename, 1, 1, f"duplicate key {duplicate.args[0]!r}")]
    return (None, [problem]) if problem is not None else (data, [])


class _DuplicateKey(Exception):
    """A JSON object names a key twice."""


class _NotJson(Exception):
    """A constant the json module reads that is not JSON (``NaN``, ``Infinity``)."""


def _no_constant(name: str) -> Any:
    raise _NotJson(name)


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|(NaN|-?Infinity)')
"""A JSON string (skipped) or one of the json module's non-JSON constants."""


def _where_constant(text: str, name: str) -> Mark:
    """The line and column of the first ``name`` outside strings (where the json module stopped)."""
    for match in _JSON_TOKEN.finditer(text):
        if match.group(1) == name:
            return _line_column(text, match.start(1))
    return 1, 1  # pragma: no cover - the json module found it, so it is there


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return result


def _parse_json(
    text: str, filename: str, object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None
) -> tuple[Any, Problem | None]:
    """A JSON document's data, or None and its syntax error, located.

    ``NaN``, ``Infinity`` and ``-Infinity``, which the json module reads but JSON has not,
    are syntax errors.
    """
    document = text.removeprefix("\ufeff")  # a byte-order mark (Windows editors write one) is not content
    try:
        return json.loads(document, object_pairs_hook=object_pairs_hook, parse_constant=_no_constant), None
    except _NotJson as error:
        line, column = _where_constant(document, error.args[0])
        return None, Problem(filename, line, column, f"not valid JSON: {error.args[0]} is not a JSON value")
    except json.JSONDecodeError as error:
        return None, Problem(filename, error.lineno, error.colno, f"not valid JSON: {error.msg.removesuffix(' at')}")
    except ValueError as error:  # e.g. an integer of more digits than Python reads
        return None, Problem(filename, 1, 1, f"not valid JSON: {error}")
    except RecursionError:
        return None, Problem(filename, 1, 1, "not valid JSON: nested too deeply")


def _line_column(text: str, position: int) -> Mark:
    return text.count("\n", 0, position) + 1, position - text.rfind("\n", 0, position)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
