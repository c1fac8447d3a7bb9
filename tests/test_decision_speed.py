"""The decision layer's shortcuts give what the plain ways give: JSON text, reasons told when read, who answers."""

from __future__ import annotations

import json
import math
import pickle
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import civpolicy
from civpolicy.canonical import _written_by_msgspec, canonical_json, indented_json
from civpolicy.decision.provenance import _sorted_rows
from civpolicy.decision.responsible import Answerable, _orderable
from civpolicy.decision.values import Consequence, Evidence, Finding, ReportRow, told_later
from civpolicy.facts.periods import parse_period
from civpolicy.source import model as m
from civpolicy.source.expressions import Template

ROOT = Path(__file__).resolve().parents[1]

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.sampled_from([0.0, -0.0, 1e300, -1e-300, 5e-324, 1e16, 1.5e-7, 123456789.125])
    | st.text()
    | st.sampled_from(["", '"', "\\", "\n", "\x00\x1f", "\u2028", "文明单位", "😀", "\ud800"])
)
KEYS = st.text() | st.sampled_from(["unit", "because", "键"])
ODD_KEYS = KEYS | st.integers() | st.floats() | st.booleans() | st.none()
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(KEYS, inner, max_size=4)
        | st.dictionaries(ODD_KEYS, inner, max_size=3)
    ),
    max_leaves=30,
)


@given(VALUES)
@example([])
@example({})
@example({"a": [], "b": {}, "c": [{}], "d": {"e": []}})
@example([-0.0, 0.0, 1e300, 1e-300, float("nan"), float("inf"), -float("inf")])
@example({1: "one", 2.5: [True], None: {}, False: 0})
@example(["text", "text", 1])
@example([[["deep"]], {"x": {"y": {"z": None}}}])
def test_indented_json_writes_what_json_dumps_writes(value: Any) -> None:
    assert indented_json(value) == json.dumps(value, ensure_ascii=False, indent=2) + "\n"


FINITE_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([0.0, -0.0, 1e-4, 9.99e-5, 1e-5, 1e16, 9999999999999998.0, 1e-7, 85.5, 2.0, 1e300, 5e-324])
    | st.text()
    | st.sampled_from(["1e5", "0.00001", "\x7f", "\u2028", "\ud800", "文明单位"])
)
FINITE_VALUES = st.recursive(
    FINITE_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(KEYS, inner, max_size=4)
        | st.dictionaries(
            ODD_KEYS.filter(lambda key: not isinstance(key, float) or math.isfinite(key)), inner, max_size=3
        )
    ),
    max_leaves=30,
)


@given(FINITE_VALUES)
@example([1e-05, 2.5e-05, 1e-07, 1e16, -1.5e17, 1e-4, 0.0001234])
@example({1e-05: 1, 1e16: 2, True: 3, None: 4})
@example({"note": "1e5 is text", "value": 0.5})
def test_indented_json_of_finite_values_writes_what_json_dumps_writes(value: Any) -> None:
    """With ``finite``, msgspec writes where it can: still exactly json.dumps' text."""
    assert indented_json(value, finite=True) == json.dumps(value, ensure_ascii=False, indent=2) + "\n"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ({"score": 85.5, "unit": "县委办", "because": ["甲", "乙"], "rank": None, "ok": True}, True),
        ([0.0001, 1e15, -3], True),
        ([1e-05], False),  # Python: 1e-05; msgspec: 0.00001
        ([1e16], False),  # Python: 1e+16; msgspec: 1e16
        ({"note": "1e5 is text", "digest": "sha256:3e5a"}, True),  # text is not a number
        ({"note": "a:1e5,"}, False),  # text that reads as a number of the compact text: Python's writer
        ({"1e16": 1.0}, False),
        ({"id": "x1e5y", "code": "0.00001a"}, True),  # within text: not a number
        ([1, 0.5, 1e-05, "x"], False),
        ({True: 1}, False),  # keys msgspec refuses
        (["\ud800"], False),
    ],
)
def test_msgspec_writes_only_where_its_text_is_pythons(value: Any, written: bool) -> None:
    assert (_written_by_msgspec(value) is not None) is written


@given(VALUES)
def test_canonical_json_is_sorted_compact_json(value: Any) -> None:
    encoder = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    try:
        expected = encoder.encode(value)
    except TypeError:  # keys of several types cannot be sorted: refused alike
        with pytest.raises(TypeError):
            canonical_json(value)
        return
    assert canonical_json(value) == expected


def test_json_refuses_what_json_dumps_refuses() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular reference"):
        canonical_json(loop)
    with pytest.raises(TypeError, match="not JSON serializable"):
        indented_json({"a": [object()]})
    with pytest.raises(TypeError, match="not JSON serializable"):
        indented_json({"a": [object()]}, finite=True)


@pytest.fixture(scope="module", params=["county-2022-scores.yaml", "duties-2023-05.yaml"])
def decision(request: pytest.FixtureRequest) -> civpolicy.Decision:
    return civpolicy.load_policy().evaluate(ROOT / "examples" / request.param)


def _untold(item: Any) -> bool:
    try:
        object.__getattribute__(item, "because")
    except AttributeError:
        return True
    return False


def _eager(item: Any) -> Any:
    """The same value built as code outside the engine builds it: every field given."""
    return type(item)(**{f.alias: getattr(item, f.name) for f in attrs.fields(type(item))})


def test_evaluate_alone_tells_no_reasons(decision: civpolicy.Decision) -> None:
    fresh = civpolicy.load_policy().evaluate(ROOT / "examples" / "county-2022-scores.yaml")
    rows = [row for rows in fresh.reports.values() for row in rows]
    assert fresh.consequences
    assert rows
    assert all(_untold(item) for item in (*fresh.consequences, *rows))


def test_reasons_told_when_read_are_the_reasons(decision: civpolicy.Decision) -> None:
    items: list[Any] = [
        *decision.consequences,
        *(decision.findings or ()),
        *(r for rs in decision.reports.values() for r in rs),
    ]
    for item in items:
        eager = _eager(item)
        assert eager == item
        assert hash(eager) == hash(item)
        assert repr(eager) == repr(item)
        assert eager.evidence == item.evidence
        assert item.because
        assert not _untold(item)


def test_evidence_first_or_because_first_tell_the_same() -> None:
    policy = civpolicy.load_policy()
    one = policy.evaluate(ROOT / "examples" / "county-2022.yaml")
    other = policy.evaluate(ROOT / "examples" / "county-2022.yaml")
    for a, b in zip(one.consequences, other.consequences, strict=True):
        assert [e.text for e in a.evidence] == list(b.because)
        assert a.because == b.because
        assert a.evidence == b.evidence


def test_a_decision_pickles_and_evolves_with_its_reasons() -> None:
    decision = civpolicy.load_policy().evaluate(ROOT / "examples" / "county-2022.yaml")
    copy = pickle.loads(pickle.dumps(decision))
    assert copy == decision
    assert copy.to_json() == decision.to_json()
    for a, b in zip(copy.consequences, decision.consequences, strict=True):
        assert a.evidence == b.evidence
    changed = attrs.evolve(decision.consequences[0], rule="other")
    assert changed.because == decision.consequences[0].because


def test_a_missing_attribute_is_still_missing(decision: civpolicy.Decision) -> None:
    items: list[Any] = [
        *decision.consequences[:1],
        *(decision.findings or ())[:1],
        Consequence("u", "k", "2022", {}),
        Finding("u", "k", "2022", {}),
    ]
    for item in items:
        with pytest.raises(AttributeError, match="no attribute 'nothing'"):
            _ = item.nothing
    assert ReportRow({"unit": "u"}).because == ()


ANSWERABLE = st.fixed_dictionaries(
    {
        "who": st.sampled_from([None, "u1", "u2", 3, ["u1"]]),
        "kind": st.sampled_from([None, "k1", "k2"]),
        "name": st.sampled_from(["甲", "乙", "丙"]),
        "role": st.sampled_from(["a", "b", None]),
        "order": st.sampled_from([None, 1, 2, "x"]),
        "number": st.integers(0, 2),
    }
)
RESPONSIBLE = m.Responsibility(
    fact="answerable",
    match=(("who", "unit"), ("kind", "kind")),
    fields=("name", "role"),
    order_by=("order", "number"),
)


def _scanned(facts: list[dict[str, Any]], unit: str, kind: str) -> tuple[dict[str, Any], ...]:
    """Who answers, by reading every fact (as the decision once did)."""
    given = {"unit": unit, "kind": kind}
    people: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {}
    for fact in facts:
        if all(fact.get(f) is None or fact.get(f) == given[t] for f, t in RESPONSIBLE.match):
            entry = {field: fact.get(field) for field in RESPONSIBLE.fields}
            key = canonical_json(entry)
            order = (*tuple(_orderable(fact.get(field)) for field in RESPONSIBLE.order_by), key)
            if key not in people or order < people[key][0]:
                people[key] = (order, entry)
    return tuple(entry for _, entry in sorted(people.values(), key=lambda item: item[0]))


@given(st.lists(ANSWERABLE, max_size=12))
def test_who_answers_by_index_is_who_answers_by_reading_all(facts: list[dict[str, Any]]) -> None:
    answerable = Answerable(RESPONSIBLE, facts)
    for unit in ("u1", "u2", "3"):
        for kind in ("k1", "k2"):
            assert answerable.people(unit, kind) == _scanned(facts, unit, kind)
            assert answerable.people(unit, kind) == _scanned(facts, unit, kind)


ROWS = st.lists(
    st.builds(
        lambda unit, period, x, because: ReportRow({"unit": unit, "period": period, "x": x}, because),
        st.sampled_from(["u1", "u2", 3, None]),
        st.sampled_from(["2022", "2022-Q1", "2022-03", "2022-H1", None, 7]),
        st.sampled_from([0, 1, True, 1.0, "1"]),
        st.lists(st.sampled_from(["a", "b", "c"]), max_size=2).map(tuple),
    ),
    max_size=14,
)


def _sorted_once(rows: list[ReportRow]) -> tuple[ReportRow, ...]:
    """Report rows sorted and made unique, by writing every row as canonical JSON (as the decision once did)."""
    texts = [(canonical_json(row.values), row) for row in rows]
    if len({text for text, _ in texts}) < len(texts):
        texts = sorted(texts, key=lambda entry: entry[1].because)
    unique = dict(texts)

    def key(entry: tuple[str, ReportRow]) -> tuple[Any, ...]:
        text, row = entry
        period = row.values.get("period")
        start_end = (parse_period(period).start, parse_period(period).end) if isinstance(period, str) else (0, 0)
        return (str(row.values.get("unit", "")), start_end, text)

    return tuple(row for _, row in sorted(unique.items(), key=key))


@given(ROWS)
def test_report_rows_sorted_by_place_are_sorted_as_before(rows: list[ReportRow]) -> None:
    assert [id(row) for row in _sorted_rows(rows)] == [id(row) for row in _sorted_once(rows)]


def test_a_decision_is_written_by_msgspec_as_json_dumps_writes_it(decision: civpolicy.Decision) -> None:
    document = decision._document()
    assert _written_by_msgspec(document) is not None
    assert _written_by_msgspec(decision._document(shared=True)) is not None
    assert decision.to_json() == json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def test_the_document_to_write_shares_what_to_dict_copies(decision: civpolicy.Decision) -> None:
    """The document written at once reads the same, and to_dict's is the caller's own to change."""
    shared, copied = decision._document(shared=True), decision.to_dict()
    assert json.dumps(shared, ensure_ascii=False) == json.dumps(copied, ensure_ascii=False)
    assert indented_json(shared) == indented_json(copied)
    for item, told in zip(decision.consequences, copied["consequences"], strict=True):
        assert told["params"] == item.params
        assert told["params"] is not item.params
        assert told["because"] == list(item.because)
        assert item.responsible is None or all(
            a == b and a is not b for a, b in zip(told["responsible"], item.responsible, strict=True)
        )
    for finding, told in zip(decision.findings or (), copied.get("findings", ()), strict=True):
        assert told["params"] is not finding.params
    for name, rows in decision.reports.items():
        for row, told in zip(rows, copied[name], strict=True):
            assert told["because"] == list(row.because)
            assert told is not row.values


FACT_VALUES = st.sampled_from([None, True, False, 0, 1, 2.5, "poor", "good", "文明单位", [1], {"a": 1}])


@given(
    st.dictionaries(
        st.sampled_from(["q", "u", "x"]),
        st.none() | st.dictionaries(st.sampled_from(["year", "unit", "grade"]), FACT_VALUES),
    ),
    st.sampled_from(["en", "zh", "fr"]),
    st.sampled_from([None, {"grades": {"poor": "差", "1": "一"}}]),
)
def test_a_sentence_told_of_matched_facts_is_told_as_by_lookup(
    facts: dict[str, dict[str, Any] | None], language: str, labels: dict[str, dict[str, str]] | None
) -> None:
    """``render_in`` (what was absent, told of the facts a rule matched) tells what ``render`` with a lookup tells."""
    template = Template(
        "{q.year}: {u.unit} graded {u.grade:grades} ({x.year}, {q}, {q.grade:grades})",
        zh="{u.unit}：{q.year}年 {u.grade:grades}（{x.grade}）",
    )

    def lookup(name: str) -> Any:
        alias, _, field = name.partition(".")
        fact = facts.get(alias)
        return None if fact is None else fact.get(field)

    assert _told(template.render_in, facts, language, labels) == _told(template.render, lookup, language, labels)


def _told(render: Any, *args: Any) -> str | type[Exception]:
    """The text, or what kind of error (a list as a term is no term)."""
    try:
        return str(render(*args))
    except TypeError:
        return TypeError


class _Counted:
    """Reasons that count how often each is told."""

    def __init__(self) -> None:
        self.told: list[str] = []

    def because(self) -> tuple[str, ...]:
        self.told.append("because")
        return ("why",)

    def evidence(self) -> tuple[Evidence, ...]:
        self.told.append("evidence")
        return (Evidence("why"),)


@pytest.mark.parametrize("first", ["because", "evidence"])
def test_reasons_are_told_once_each_and_let_go_when_both_are(first: str) -> None:
    told = _Counted()
    item = told_later(Consequence("u", "k", "2022", {}), told)
    before = sys.getrefcount(told)
    getattr(item, first)
    getattr(item, first)
    assert told.told == [first]
    assert sys.getrefcount(told) == before - 1
    other = "evidence" if first == "because" else "because"
    assert getattr(item, other) == getattr(item, other)
    assert told.told == [first, other]
    assert sys.getrefcount(told) == before - 2
    assert (item.because, item.evidence) == (("why",), (Evidence("why"),))


def test_who_answers_for_units_and_kinds_no_fact_names() -> None:
    facts = [
        {"who": "u1", "kind": None, "name": "甲", "number": 1},
        {"who": None, "kind": "k1", "name": "乙", "number": 2},
        {"who": None, "kind": None, "name": "丙", "number": 3},
    ]
    answerable = Answerable(RESPONSIBLE, facts)
    for unit in ("u1", "u2", "u3"):
        for kind in ("k1", "k2", "k3"):
            assert answerable.people(unit, kind) == _scanned(facts, unit, kind)
    assert answerable.people("u2", "k2") is answerable.people("u3", "k3")


def test_the_document_tells_the_reasons_in_words_only() -> None:
    """Writing the document tells each item's ``because`` (as reading it would) and leaves its evidence untold."""
    fresh = civpolicy.load_policy().evaluate(ROOT / "examples" / "county-2022-scores.yaml")
    items: list[Any] = [*fresh.consequences, *(r for rs in fresh.reports.values() for r in rs)]
    text = fresh.to_json()
    for item in items:
        assert not _untold(item)
        with pytest.raises(AttributeError):
            object.__getattribute__(item, "evidence")
    assert text == fresh.to_json()
    assert [c.to_dict()["because"] for c in fresh.consequences] == [list(c.because) for c in fresh.consequences]
    given = Consequence("u", "k", "2022", {}, because=("given",))
    assert given.to_dict(shared=True)["because"] == ("given",)
    assert given.to_dict()["because"] == ["given"]
