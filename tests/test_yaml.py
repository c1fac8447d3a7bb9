"""strict_yaml.load_yaml: marks of keys, values and items; duplicate keys; dates; safe tags; syntax errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from civpolicy.errors import Problem
from civpolicy.source.strict_yaml import MarkedMap, MarkedSeq, load_yaml, mark_of

TEXT = """\
title: example
date: 2022-03-06
rules:
  - id: first
    when: [a, b]
  - id: second
    then: {k: 1}
"""


@pytest.fixture
def data() -> MarkedMap:
    loaded, problems = load_yaml(TEXT, "policy.yaml")
    expected: list[Problem] = []
    assert expected == problems
    assert isinstance(loaded, MarkedMap)
    return loaded


def test_mappings_and_sequences_load_as_marked_plain_containers(data: MarkedMap) -> None:
    expected = {
        "title": "example",
        "date": "2022-03-06",
        "rules": [{"id": "first", "when": ["a", "b"]}, {"id": "second", "then": {"k": 1}}],
    }
    assert expected == data
    kinds = (type(data), type(data["rules"]), type(data["rules"][0]["when"]), type(data["rules"][1]["then"]))
    assert (MarkedMap, MarkedSeq, MarkedSeq, MarkedMap) == kinds
    assert (dict, list) == (type(data).__mro__[1], type(data["rules"]).__mro__[1])


def test_key_marks_are_line_and_column_of_each_key(data: MarkedMap) -> None:
    expected = ({"title": (1, 1), "date": (2, 1), "rules": (3, 1)}, {"id": (4, 5), "when": (5, 5)}, (7, 5))
    actual = (data.key_marks, data["rules"][0].key_marks, data["rules"][1].key_mark_of("then"))
    assert expected == actual


def test_value_marks_are_where_each_value_starts(data: MarkedMap) -> None:
    expected = ({"title": (1, 8), "date": (2, 7), "rules": (4, 3)}, (7, 15))
    actual = (data.value_marks, data["rules"][1]["then"].mark_of("k"))
    assert expected == actual


def test_item_marks_are_where_each_item_starts(data: MarkedMap) -> None:
    expected = ([(4, 5), (6, 5)], [(5, 12), (5, 15)], (6, 5))
    actual = (data["rules"].item_marks, data["rules"][0]["when"].item_marks, data["rules"].mark_of(1))
    assert expected == actual


def test_container_marks(data: MarkedMap) -> None:
    expected = ((1, 1), (4, 3), (4, 5), (5, 11), (7, 11))
    actual = (
        data.mark,
        data["rules"].mark,
        data["rules"][0].mark,
        data["rules"][0]["when"].mark,
        data["rules"][1]["then"].mark,
    )
    assert expected == actual


def test_absent_key_or_index_falls_back_to_the_container_mark(data: MarkedMap) -> None:
    rule = data["rules"][0]
    expected = ((4, 5), (4, 5), (4, 3), (4, 3))
    actual = (rule.mark_of("absent"), rule.key_mark_of("absent"), data["rules"].mark_of(2), data["rules"].mark_of(-1))
    assert expected == actual


def test_mark_of_helper(data: MarkedMap) -> None:
    expected = ((1, 8), (6, 5), (4, 3), (1, 1), (1, 1))
    actual = (
        mark_of(data, "title"),
        mark_of(data["rules"], 1),
        mark_of(data["rules"]),
        mark_of("not a container", "key"),
        mark_of({"plain": "dict"}, "plain"),
    )
    assert expected == actual


def test_duplicate_key_is_a_problem_with_both_lines_and_the_first_value_kept() -> None:
    expected = ({"a": 1, "b": 2}, [Problem("f.yaml", 3, 1, "duplicate key (first at line 1)", "a")])
    assert expected == load_yaml("a: 1\nb: 2\na: 3\n", "f.yaml")


def test_every_duplicate_key_is_reported() -> None:
    expected = [
        Problem("f.yaml", 3, 1, "duplicate key (first at line 1)", "a"),
        Problem("f.yaml", 4, 1, "duplicate key (first at line 2)", "b"),
    ]
    _, problems = load_yaml("a: 1\nb: 2\na: 3\nb: 4\n", "f.yaml")
    assert expected == problems


def test_duplicate_key_in_a_nested_flow_mapping_is_located() -> None:
    expected = ([{"k": 1}, {"k": 2}], [Problem("f.yaml", 2, 10, "duplicate key (first at column 4)", "[1].k")])
    assert expected == load_yaml("- {k: 1}\n- {k: 2, k: 3}\n", "f.yaml")


def test_duplicate_key_names_its_field_path_through_mappings_and_lists() -> None:
    text = "units:\n  - id: a\n  - id: b\n    tags: [x, {k: 1, k: 2}]\n    id: c\nnext: {deep: {x: 1, x: 2}}\n"
    expected = [
        Problem("f.yaml", 4, 22, "duplicate key (first at column 16)", "units[1].tags[1].k"),
        Problem("f.yaml", 5, 5, "duplicate key (first at line 3)", "units[1].id"),
        Problem("f.yaml", 6, 21, "duplicate key (first at column 15)", "next.deep.x"),
    ]
    _, problems = load_yaml(text, "f.yaml")
    assert expected == problems


def test_duplicate_key_in_a_json_file_names_its_field_path() -> None:
    _, problems = load_yaml('{"units": [{"id": "a",\n "id": "b"}]}', "f.json")
    assert ["f.json:2:2: units[0].id: duplicate key (first at line 1)"] == [str(p) for p in problems]


def test_a_key_that_is_not_a_scalar_is_a_problem() -> None:
    expected = ({"b": 1}, [Problem("f.yaml", 1, 3, "a key must be a scalar")])
    assert expected == load_yaml("? [1, 2]\n: x\nb: 1\n", "f.yaml")


@pytest.mark.parametrize(
    "text",
    ["2022-03-06", "2022-03-06T10:00:00", "2022-03-06 10:00:00Z", "2022-Q1", "2022-05"],
    ids=["date", "datetime", "datetime-with-zone", "quarter", "month"],
)
def test_dates_stay_strings(text: str) -> None:
    expected: tuple[Any, list[Problem]] = ({"d": text}, [])
    assert expected == load_yaml(f"d: {text}\n", "f.yaml")


def test_other_scalars_keep_their_safe_types() -> None:
    loaded, _ = load_yaml("y: 2022\nf: 1.5\nb: true\nn: null\ns: '2022'\n", "f.yaml")
    expected = {"y": 2022, "f": 1.5, "b": True, "n": None, "s": "2022"}
    assert expected == loaded
    assert (int, float, bool, str) == tuple(type(loaded[k]) for k in ("y", "f", "b", "s"))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("010", 10),
        ("-007", -7),
        ("+3", 3),
        ("1e3", 1000.0),
        (".5", 0.5),
        ("2.", 2.0),
        ("-1.5E-1", -0.15),
        (".inf", float("inf")),
        ("-.Inf", float("-inf")),
        ("True", True),
        ("FALSE", False),
        ("~", None),
        ("Null", None),
        ("", None),
        ("yes", "yes"),
        ("no", "no"),
        ("on", "on"),
        ("Off", "Off"),
        ("y", "y"),
        ("1:30", "1:30"),
        ("0x1F", "0x1F"),
        ("0o17", "0o17"),
        ("0b101", "0b101"),
        ("1_000", "1_000"),
        ("1.5.2", "1.5.2"),
        ("2022-Q1", "2022-Q1"),
    ],
)
def test_plain_scalars_read_as_yaml_1_2_core_schema(text: str, value: Any) -> None:
    """Not YAML 1.1's readings, where 010 is 8, 1:30 is 90, 1_000 is 1000 and yes, no, on, off are booleans.

    A number is written in decimal, and a field that wants a number says so of anything else.
    """
    loaded, problems = load_yaml(f"a: {text}\n", "f.yaml")
    assert [] == problems
    assert (value, value.__class__) == (loaded["a"], loaded["a"].__class__)


@pytest.mark.parametrize(
    ("text", "got"),
    [
        (".nan", "nan"),
        (".NaN", "nan"),
        (".NAN", "nan"),
        (".inf", "inf"),
        ("+.Inf", "inf"),
        ("-.inf", "-inf"),
        ("1e999", "inf"),
        ("-1e999", "-inf"),
        ("!!float .inf", "inf"),
        ("!!float 1e400", "inf"),
    ],
)
def test_with_strict_values_a_number_that_is_not_finite_is_a_problem_where_it_stands(text: str, got: str) -> None:
    """Every policy file is read so: the problem names its line, column and field, whatever the field."""
    loaded, problems = load_yaml(f"rules:\n  - when: {{a: [1, {text}]}}\n", "p.yaml", strict_values=True)
    assert [Problem("p.yaml", 2, 19, f"must be a finite number (got {got})", "rules[0].when.a[1]")] == problems
    assert got == str(loaded["rules"][0]["when"]["a"][1])  # kept: the field's reader may tell the same, told once


def test_without_strict_values_numbers_that_are_not_finite_are_read_for_the_field_to_judge() -> None:
    """A facts file's reader names the field that wants a number (``must be a number (got nan)``)."""
    loaded, problems = load_yaml("a: [.nan, .inf, 1e999]\n", "f.yaml")
    assert [] == problems
    assert ["nan", "inf", "inf"] == [str(value) for value in loaded["a"]]


def test_with_strict_values_a_lone_surrogate_is_a_problem_in_a_value_and_in_a_key() -> None:
    text = 'says: {en: "a \\ud800"}\n"k\\udc00": 1\nok: "\\ud83d\\ude00"\n'
    loaded, problems = load_yaml(text, "p.yaml", strict_values=True)
    assert [
        Problem("p.yaml", 1, 12, "must be text without a lone UTF-16 surrogate (got 'a \\ud800')", "says.en"),
        Problem("p.yaml", 2, 1, "must be text without a lone UTF-16 surrogate (got 'k\\udc00')", ""),
    ] == problems
    assert "\U0001f600" == loaded["ok"]  # a pair is the one character it stands for
    assert [] == load_yaml(text, "f.yaml")[1]  # kept for the field's own check, without strict_values


@pytest.mark.parametrize("text", ["!!int 0x1F", "!!int 1_000", "!!float 1:30", "!!int 1.5"])
def test_a_tagged_number_is_written_in_decimal_too(text: str) -> None:
    _, problems = load_yaml(f"a: {text}\n", "f.yaml")
    assert [(1, 4)] == [(p.line, p.column) for p in problems]
    assert problems[0].message.startswith("not valid YAML: cannot read")


_PRINTABLE = st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"]), max_size=8)
"""Text YAML reads as JSON does (no control characters, which a YAML file may not hold)."""


@given(
    value=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | _PRINTABLE,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_PRINTABLE, inner, max_size=3),
        max_leaves=12,
    )
)
def test_a_json_document_read_as_yaml_means_what_it_means_in_json(value: Any) -> None:
    """JSON is YAML 1.2: the same text in a .yaml file gives the same values and types (1e+16 is a number)."""
    text = json.dumps(value, ensure_ascii=False)
    loaded, problems = load_yaml(text, "f.yaml")
    assert [] == problems
    assert _typed(json.loads(text)) == _typed(loaded)


def _typed(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_typed(item) for item in value]
    return (value.__class__, value)


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("a: !!python/object/apply:os.system ['true']\n", "tag:yaml.org,2002:python/object/apply:os.system"),
        ("a: !!python/object/new:os.system ['true']\n", "tag:yaml.org,2002:python/object/new:os.system"),
        ("a: !!python/name:os.system\n", "tag:yaml.org,2002:python/name:os.system"),
        ("a: !!python/module:os\n", "tag:yaml.org,2002:python/module:os"),
        ("a: !!python/tuple [1, 2]\n", "tag:yaml.org,2002:python/tuple"),
        ("a: !custom 1\n", "!custom"),
    ],
    ids=["object-apply", "object-new", "name", "module", "tuple", "local-tag"],
)
def test_python_and_unknown_tags_are_refused_with_their_place(text: str, tag: str) -> None:
    message = f"not valid YAML: could not determine a constructor for the tag {tag!r}"
    expected = (None, [Problem("f.yaml", 1, 4, message)])
    assert expected == load_yaml(text, "f.yaml")


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ("a: [1, 2\nb: 3\n", 2, 2, "expected ',' or ']', but got ':'"),
        ("a: {b: 1\n", 2, 1, "expected ',' or '}', but got '<stream end>'"),
        ("a: b: c\n", 1, 5, "mapping values are not allowed here"),
        ("a: 1\n  b: 2\n", 2, 4, "mapping values are not allowed here"),
        ("a:\n\t- b\n", 2, 1, "found character '\\t' that cannot start any token"),
        ("a: @x\n", 1, 4, "found character '@' that cannot start any token"),
        ("a:\n  - b\n c: d\n", 3, 2, "expected <block end>, but found '<block mapping start>'"),
        ("a: 1\n---\nb: 2\n", 2, 1, "but found another document"),
    ],
    ids=[
        "unclosed-flow-list",
        "unclosed-flow-mapping",
        "nested-mapping-on-one-line",
        "bad-indentation",
        "tab",
        "reserved-character",
        "dedent-in-block",
        "two-documents",
    ],
)
def test_syntax_errors_are_one_located_problem(text: str, line: int, column: int, message: str) -> None:
    data, problems = load_yaml(text, "f.yaml")
    assert (None, [(line, column)]) == (data, [(p.line, p.column) for p in problems])
    assert problems[0].message.startswith(f"not valid YAML: {message}")


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("a: b: c\n", "a ':' where none can be: text holding ': ' needs quotes, or a wrong indent"),
        ("a:\n  b: 1\n c: 2\n", "this line is indented differently from the lines before it at its level"),
        ("a:\n\tb: 1\n", "a tab: indent with spaces only"),
        ('a: "x\n', "a quote opened and not closed"),
        ("a:\n  b: 1\n  c\nd: 2\n", "a line above is neither 'name: value' nor '- item', often the one before"),
        ("a: 1\n---\nb: 2\n", None),
    ],
    ids=["colon-in-text", "indentation", "tab", "unclosed-quote", "missing-colon", "no-hint-known"],
)
def test_a_syntax_error_says_what_usually_causes_it(text: str, hint: str | None) -> None:
    """The parser's words are for programmers; the hint is for the office that edits the policy."""
    (problem,) = load_yaml(text, "f.yaml")[1]
    if hint is None:
        assert "(likely:" not in problem.message
    else:
        assert problem.message.endswith(f" (likely: {hint})")


def test_empty_text_is_no_data_and_no_problem() -> None:
    expected: tuple[Any, list[Problem]] = (None, [])
    assert expected == load_yaml("", "f.yaml")


def test_json_loads_with_marks() -> None:
    loaded, problems = load_yaml('{"units": [\n  {"id": "a"}\n]}', "f.json")
    expected: tuple[Any, ...] = ({"units": [{"id": "a"}]}, [], (1, 11), (2, 3))
    assert expected == (loaded, problems, loaded.mark_of("units"), loaded["units"].mark_of(0))


def test_problem_text_is_file_line_column_message() -> None:
    _, problems = load_yaml("a: 1\na: 2\n", "dir/f.yaml")
    expected = ["dir/f.yaml:2:1: a: duplicate key (first at line 1)"]
    assert expected == [str(p) for p in problems]


def test_an_escape_past_the_last_unicode_character_is_located() -> None:
    _, problems = load_yaml('a:\n  b: [1, "ok \\U00110000"]\n', "f.yaml")
    assert [(2, 16)] == [(p.line, p.column) for p in problems]
    assert problems[0].message.startswith("not valid YAML: cannot read the text here")


def test_an_empty_tagged_number_is_located() -> None:
    expected = (None, [Problem("f.yaml", 1, 4, "not valid YAML: cannot read '' as int")])
    assert expected == load_yaml('a: !!int ""\n', "f.yaml")


_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=6),
)
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=12,
)
_NOISE = [
    "\t",
    "\n",
    " ",
    ":",
    "-",
    "{",
    "}",
    "[",
    "]",
    ",",
    '"',
    "'",
    "\\",
    "\\U00110000",
    "!!int",
    "&a",
    "*a",
    "?",
    "#",
    "|",
    ">",
    "%",
    "@",
    "\x85",
    "\u2028",
    "\ufeff",
    "\x00",
    "\ud800",
    "社",
    "😀",
    "NaN",
    "1e999",
]


@given(
    value=_VALUES,
    as_json=st.booleans(),
    edits=st.lists(st.tuples(st.floats(0, 1), st.sampled_from(_NOISE), st.booleans()), max_size=4),
)
def test_no_text_makes_the_loader_raise(value: Any, as_json: bool, edits: list[tuple[float, str, bool]]) -> None:
    """Whatever a file holds, the loader gives data or located problems, never an exception."""
    text = json.dumps(value, ensure_ascii=False, indent=1) if as_json else yaml.safe_dump(value, allow_unicode=True)
    for where, noise, insert in edits:
        at = int(where * len(text))
        text = text[:at] + noise + text[at:] if insert else text[:at] + text[at + 1 :]
    data, problems = load_yaml(text, "f.json" if as_json else "f.yaml")
    assert all(p.line >= 1 and p.column >= 1 and p.file == ("f.json" if as_json else "f.yaml") for p in problems)
    assert data is None or not any(p.message.startswith("not valid") for p in problems)


def test_a_constant_after_a_byte_order_mark_is_located_as_an_editor_counts() -> None:
    _, problems = load_yaml('\ufeff{"units": NaN}', "f.json")
    assert [(1, 11)] == [(p.line, p.column) for p in problems]
