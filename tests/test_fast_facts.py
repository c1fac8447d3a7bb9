"""The fast facts reader (facts/fast.py) gives what the located reader alone gives: the same facts, or problems."""

from __future__ import annotations

import copy
import datetime
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import civpolicy
from civpolicy.authoring.generated import generate_facts
from civpolicy.errors import FactsError
from civpolicy.facts import fast
from civpolicy.facts.read import Facts, load_facts, load_facts_text
from civpolicy.source import model as m
from policy_copies import copy_policy, edit

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
POLICY = civpolicy.load_policy(engine="native")
MODEL = POLICY.model


def read(document: Any, *, fast_first: bool, model: m.PolicyModel = MODEL, ignore: bool = False) -> Any:
    """What reading a mapping gives, shown so that two readings compare: the facts, or the problems."""
    try:
        facts = load_facts(
            document,
            model.inputs,
            model.vocabularies,
            in_force=model.in_force,
            ignore_out_of_force=ignore,
            fast=fast_first,
        )
    except FactsError as error:
        return error.problems
    return shown(facts)


def read_text(
    text: str, *, fast_first: bool, ignore: bool = False, placed: bool = False, model: m.PolicyModel = MODEL
) -> Any:
    """What reading a JSON text gives, shown as :func:`read` shows it (``placed``: with lines, read again)."""
    try:
        facts = load_facts_text(
            text,
            "facts.json",
            model.inputs,
            model.vocabularies,
            as_json=True,
            in_force=model.in_force,
            ignore_out_of_force=ignore,
            fast=fast_first,
        )
    except FactsError as error:
        return error.problems
    return shown(facts, placed)


def shown(facts: Facts, placed: bool = True) -> Any:
    """Everything a Facts holds: each fact's keys in order with their values and types, places, warnings."""
    return (
        facts.units,
        [(unit, [[(k, type(v), v) for k, v in f.items()] for f in group]) for unit, group in facts.by_unit.items()],
        sorted(dict(facts.places).items()),
        facts.warnings,
        facts.filename,
        [facts.where(fact) for fact in facts.all()[:3]] if placed else None,
    )


def same_either_way(document: Any, model: m.PolicyModel = MODEL) -> None:
    for ignore in (False, True):
        assert read(document, fast_first=False, model=model, ignore=ignore) == read(
            document, fast_first=True, model=model, ignore=ignore
        )


def same_as_json(text: str, placed: bool = False, model: m.PolicyModel = MODEL) -> None:
    for ignore in (False, True):
        slow = read_text(text, fast_first=False, ignore=ignore, placed=placed, model=model)
        assert slow == read_text(text, fast_first=True, ignore=ignore, placed=placed, model=model)


def example(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))
    return loaded


EVERY_LIST: dict[str, Any] = {
    "units": [
        {"id": "a", "name": "A", "category": "community", "civilized_unit": True, "headcount": 3, "base_quota": 15},
        {"id": "t", "category": "township"},
        {"id": "b", "category": "linked", "vertically_managed": True},
    ],
    "evaluations": [
        {"unit": "a", "period": "2022-Q2", "grade": "poor"},
        {"unit": "b", "period": 2022, "grade": "good"},
    ],
    "criticisms": [{"unit": "a", "bulletin": "2022-05"}],
    "withholdings": [{"unit": "a", "bonus": "civilized_city", "year": 2022}],
    "rectifications": [{"unit": "a", "year": 2022, "passed": False}],
    "scores": [
        {"unit": "a", "period": "2022-Q2", "score": 91.5},
        {"unit": "a", "period": "2022-05", "kind": "bulletin", "score": 88},
    ],
    "adjustments": [{"unit": "a", "period": "2022-Q2", "reason": "media_supervision", "points": -2, "note": "x:y"}],
    "links": [{"unit": "b", "community": "a"}],
    "township_members": [{"unit": "t", "community": "a", "weight": 1}],
    "field_points": [{"unit": "a", "id": "p", "name": "market"}],
    "activities": [{"duty": "grid_visit", "who": "b", "place": "a", "date": "2023-05-10", "unit": "b", "hours": 1.5}],
    "duty_periods": [{"period": "2023-05"}],
}
"""A small valid document with an item of every list."""

SMALL = [EVERY_LIST, *(generate_facts(seed, units) for seed, units in ((0, 3), (1, 5), (2, 1), (3, 8)))]
BASES = [*SMALL, example("county-2022.yaml"), example("county-2022-scores.yaml"), example("duties-2023-05.yaml")]


def as_json(document: Any, *, indent: int | None = None, ascii_only: bool = False) -> str:
    return json.dumps(document, ensure_ascii=ascii_only, indent=indent, default=str)


# ---- the fast path is taken, and agrees, on valid documents ------------------------------------


@pytest.mark.parametrize("index", range(len(BASES)))
def test_a_valid_document_is_read_fast_and_alike(index: int) -> None:
    document = BASES[index]
    assert fast.read_mapping(document, MODEL.inputs, MODEL.vocabularies, MODEL.in_force) is not None
    assert fast.read_json(as_json(document), MODEL.inputs, MODEL.vocabularies, MODEL.in_force) is not None
    same_either_way(document)
    same_as_json(as_json(document), placed=True)
    same_as_json(as_json(document, indent=2, ascii_only=True))


def test_the_decoder_is_made_once_per_policy() -> None:
    decoder = fast.decoder_for(MODEL.inputs, MODEL.vocabularies)
    assert decoder is not None
    assert decoder is fast.decoder_for(MODEL.inputs, MODEL.vocabularies)


def test_the_decoder_follows_the_policy_not_the_code(tmp_path: Path) -> None:
    """A list renamed, a bound changed, a field named as no Python name can be: the decoder is made from the inputs."""
    folder = copy_policy(tmp_path / "policy")
    edit(folder, "facts.yaml", "from: field_points", "from: points_sampled")
    edit(folder, "facts.yaml", "headcount: {type: integer, minimum: 0}", "headcount: {type: integer, minimum: 2.5}")
    edit(folder, "facts.yaml", "note: {type: text}", '"class: x": {type: text}')
    model = civpolicy.load_policy(folder, engine="native").model
    adjustment = {"unit": "a", "period": "2022-Q2", "reason": "media_supervision", "points": 1, "class: x": "y:z"}
    document = {
        "units": [{"id": "a", "headcount": 3}],
        "points_sampled": [{"unit": "a", "id": "p1"}],
        "adjustments": [adjustment],
    }
    assert fast.read_mapping(document, model.inputs, model.vocabularies, model.in_force) is not None
    assert fast.read_json(as_json(document), model.inputs, model.vocabularies, model.in_force) is not None
    same_either_way(document, model)
    same_as_json(as_json(document), model=model)
    twice = as_json(document).replace('"class: x": "y:z"', '"class: x": "y", "class: x": "y:z"')
    assert fast.read_json(twice, model.inputs, model.vocabularies, model.in_force) is None
    same_as_json(twice, model=model)
    for headcount in (2, 2.0, 3.0, True, -1):
        same_either_way({"units": [{"id": "a", "headcount": headcount}]}, model)
    assert fast.read_mapping({"units": [{"id": "a", "headcount": 2}]}, model.inputs, model.vocabularies, None) is None
    same_either_way({"units": [{"id": "a"}], "field_points": []}, model)


# ---- every field of every list, given each of many values ---------------------------------------

POOL: list[Any] = [
    *(None, True, False, 0, 1, -1, 0.5, 2.5, 15.0, -100.5, 100, 101, 24.5, 2022.0, 10**30, float("inf"), float("nan")),
    *("", " ", "\u200b", "x", "a:b", "a", "b", "nobody", "2022", 2022, 2021, 999, "2022-Q1", "2021-Q4", "2022-02"),
    *("2022-05", "2022-H1", "2022-13", "2023-05-12", "2021-12-31", "2023-02-30", datetime.date(2023, 5, 12)),
    *(datetime.date(2021, 1, 1), "poor", "excellent", "bulletin", "grid_visit", "media_supervision", "civilized_unit"),
    *("community", [], {}),
]
"""Values right for some field and wrong for others."""

SWEEP = [(key, name) for key, items in EVERY_LIST.items() for name in sorted({*items[0], "id", "unit", "period", "x"})]


@pytest.mark.parametrize(("key", "name"), SWEEP, ids=[f"{key}.{name}" for key, name in SWEEP])
def test_each_field_given_each_value_reads_alike(key: str, name: str) -> None:
    """In the first item, and in a copy of it put last: alike (one fact), or a conflict, or another fact."""
    for value in [*POOL, DROP]:
        for copied in (False, True):
            document = copy.deepcopy(EVERY_LIST)
            item = document[key][0]
            if copied:
                item = copy.deepcopy(item)
                document[key].append(item)
            if value is DROP:
                item.pop(name, None)
            else:
                item[name] = value
            same_either_way(document)


DROP = object()


def test_each_field_given_each_value_reads_alike_as_json() -> None:
    """Read fast only when the located reader finds nothing wrong, and then alike (the rest: by that reader)."""
    for key, name in SWEEP:
        for value in POOL:
            document = copy.deepcopy(EVERY_LIST)
            document[key][0][name] = value
            text = as_json(document)
            if fast.read_json(text, MODEL.inputs, MODEL.vocabularies, MODEL.in_force) is not None:
                expected = read_text(text, fast_first=False)
                assert isinstance(expected[0], tuple)  # facts, not problems
                assert expected == read_text(text, fast_first=True)


# ---- random documents, valid and not -----------------------------------------------------------

UNIT_IDS = st.sampled_from(["u0", "u1", "u10", "u1 x", "u'1", 'u"1', "u\\1", "U1", "单位", "a:b", "u1,", "u1)"])
TEXTS = st.one_of(UNIT_IDS, st.text(max_size=6), st.sampled_from(["", " ", "\u200b", "\ud800", "a:b", "x\ny"]))
PERIODS = st.sampled_from(
    [2022, 2023, "2022", "2022-Q1", "2022-Q4", "2023-H1", "2022-05", "2022-13", "2021-Q4", "2021", 2021, "2022-Q5"]
)
TERMS = st.sampled_from(
    [
        "poor",
        "good",
        "medium",
        "Poor",
        "excellent",
        "community",
        "civilized_city",
        "assessment",
        "leader_site_visit",
        "grid_visit",
        "media",
    ]
)
NUMBERS = st.one_of(
    st.integers(-5, 120),
    st.sampled_from([0.0, 15.0, 40.5, -0.0, 1e16, 10**30, 2022.0, float("inf"), float("nan")]),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)
DATES = st.one_of(
    st.sampled_from(["2023-05-12", "2023-02-30", "2021-12-31", "2023-5-1", "20230512"]),
    st.dates(datetime.date(2021, 1, 1), datetime.date(2024, 12, 31)),
)
VALUES = st.one_of(
    UNIT_IDS,
    TEXTS,
    PERIODS,
    TERMS,
    NUMBERS,
    DATES,
    st.booleans(),
    st.none(),
    st.just([]),
    st.just({"unit": "u0"}),
)


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    """A valid document, then a few changes: most make it invalid, some (reorders, renames, alike copies) do not."""
    document: dict[str, Any] = copy.deepcopy(draw(st.sampled_from(SMALL)))
    for _ in range(draw(st.integers(0, 3))):
        draw(CHANGES)(draw, document)
    return document


def _some_item(draw: st.DrawFn, document: dict[str, Any]) -> dict[str, Any] | None:
    lists = [key for key, items in document.items() if isinstance(items, list) and items]
    if not lists:
        return None
    items = document[draw(st.sampled_from(sorted(lists)))]
    item: Any = items[draw(st.integers(0, len(items) - 1))]
    return item if isinstance(item, dict) else None


FIELDS = {
    "id": UNIT_IDS,
    "unit": UNIT_IDS,
    "community": UNIT_IDS,
    "period": PERIODS,
    "bulletin": PERIODS,
    "year": st.one_of(st.integers(2020, 2025), PERIODS),
    "grade": TERMS,
    "category": TERMS,
    "bonus": TERMS,
    "kind": TERMS,
    "duty": TERMS,
    "headcount": NUMBERS,
    "base_quota": NUMBERS,
    "score": NUMBERS,
    "points": NUMBERS,
    "weight": NUMBERS,
    "hours": NUMBERS,
    "date": DATES,
    "name": TEXTS,
    "note": TEXTS,
    "who": TEXTS,
    "place": TEXTS,
    "civilized_unit": st.one_of(st.booleans(), st.integers(0, 1)),
    "passed": st.one_of(st.booleans(), st.integers(0, 1)),
}
"""Values near each field's own: mostly of its kind, right or nearly."""


def set_value(draw: st.DrawFn, document: dict[str, Any]) -> None:
    item = _some_item(draw, document)
    if item is not None:
        own = bool(item) and draw(st.booleans())
        name = draw(st.sampled_from(sorted(item) if own else sorted({*item, *FIELDS})))
        near = draw(st.booleans())
        item[name] = draw(FIELDS.get(name, VALUES) if near else st.one_of(FIELDS.get(name, VALUES), VALUES))


def drop_field(draw: st.DrawFn, document: dict[str, Any]) -> None:
    item = _some_item(draw, document)
    if item:
        del item[draw(st.sampled_from(sorted(item)))]


def add_unknown(draw: st.DrawFn, document: dict[str, Any]) -> None:
    item = _some_item(draw, document)
    target = item if item is not None and draw(st.booleans()) else document
    target[draw(st.sampled_from(["grad", "evaluation", "id:x", "extra"]))] = draw(VALUES)


def copy_item(draw: st.DrawFn, document: dict[str, Any]) -> None:
    """An alike copy (one fact), or a copy then changed (a conflict, or another fact)."""
    lists = sorted(key for key, items in document.items() if isinstance(items, list) and items)
    if lists:
        items = document[draw(st.sampled_from(lists))]
        items.append(copy.deepcopy(items[draw(st.integers(0, len(items) - 1))]))
        if draw(st.booleans()):
            set_value(draw, {"only": [items[-1]]})


def reorder(draw: st.DrawFn, document: dict[str, Any]) -> None:
    for key, items in document.items():
        if isinstance(items, list):
            document[key] = draw(st.permutations(items))


def rename_units(draw: st.DrawFn, document: dict[str, Any]) -> None:
    """Some unit ids given other (tricky) ids, everywhere they are named: the order of facts follows their reprs."""
    given = [unit.get("id") for unit in document.get("units") or () if isinstance(unit, dict)]
    ids = sorted({uid for uid in given if isinstance(uid, str)})
    if not ids:
        return
    chosen = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=4, unique=True))
    names = draw(st.lists(UNIT_IDS.filter(lambda name: name not in ids), min_size=len(chosen), max_size=len(chosen)))
    renamed = dict(zip(chosen, names, strict=True))
    for items in document.values():
        for item in items if isinstance(items, list) else ():
            for field in ("id", "unit", "community"):
                if isinstance(item, dict) and isinstance(item.get(field), str) and item[field] in renamed:
                    item[field] = renamed[item[field]]


def change_list(draw: st.DrawFn, document: dict[str, Any]) -> None:
    key = draw(st.sampled_from([*sorted(document), "scores", "links"]))
    document[key] = draw(st.sampled_from([None, [], (), "x", {"a": 1}, [1], [None], [[]]]))


def as_tuples(draw: st.DrawFn, document: dict[str, Any]) -> None:
    for key, items in document.items():
        if isinstance(items, list) and draw(st.booleans()):
            document[key] = tuple(items)


CHANGES = st.sampled_from(
    [set_value, set_value, set_value, drop_field, add_unknown, copy_item, reorder, rename_units, change_list, as_tuples]
)


@given(documents())
def test_a_mapping_reads_alike_either_way(document: dict[str, Any]) -> None:
    same_either_way(document)


@given(documents(), st.sampled_from([None, 1]), st.booleans())
def test_a_json_text_reads_alike_either_way(document: dict[str, Any], indent: int | None, ascii_only: bool) -> None:
    same_as_json(as_json(document, indent=indent, ascii_only=ascii_only))


_KEY = re.compile(r'\{"((?:[^"\\]|\\.)*)": ')


@given(st.sampled_from(SMALL), st.data())
def test_a_json_key_named_twice_is_refused_either_way(document: dict[str, Any], data: st.DataObject) -> None:
    """msgspec keeps the last of two alike keys; the count of keys tells, and the located reader says where."""
    text = as_json(document)
    starts = list(_KEY.finditer(text))
    at = starts[data.draw(st.integers(0, len(starts) - 1))]
    again = json.dumps(data.draw(VALUES), default=str)
    twice = text[: at.start() + 1] + f'"{at.group(1)}": {again}, ' + text[at.start() + 1 :]
    slow = read_text(twice, fast_first=False)
    assert isinstance(slow, tuple)
    assert slow == read_text(twice, fast_first=True)


def test_an_escaped_colon_is_read_by_the_located_reader() -> None:
    """``\\u003a`` is a colon the count of keys could not tell from one outside strings."""
    document = {"units": [{"id": "a", "name": "x:y"}]}
    escaped = as_json(document).replace("x:y", "x\\u003ay")
    assert fast.read_json(escaped, MODEL.inputs, MODEL.vocabularies, MODEL.in_force) is None
    same_as_json(escaped)
    twice = escaped.replace('{"id": "a"', '{"id": "b", "id": "a"')
    assert isinstance(read_text(twice, fast_first=True), tuple)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "null",
        "[]",
        '\ufeff{"units": [{"id": "a"}]}',
        '{"units": [{"id": "a", "headcount": 1e2}]}',
        '{"units": [{"id": "a", "base_quota": 1e400}]}',
        '{"units": [{"id": "a", "name": "\\ud800"}]}',
        '{"units": [{"id": "a", "headcount": 123456789012345678901234567890}]}',
        '{"units": [{"id": "a", "base_quota": NaN}]}',
        '{"units": [{"id": "a"}], "evaluations": [{"unit": "a", "period": 2022, "grade": "poor"}], "units": []}',
    ],
)
def test_json_texts_at_the_edges(text: str) -> None:
    same_as_json(text)


@pytest.mark.parametrize(
    "document",
    [
        {"units": [{"id": "a", "headcount": True}]},
        {"units": [{"id": "a", "base_quota": 15.0}]},
        {"units": [{"id": "a", "base_quota": float("nan")}]},
        {"units": [{"id": "a", "category": "community"}, {"id": "a", "category": "community"}]},
        {"units": ({"id": "a"},), "evaluations": ({"unit": "a", "period": 2022, "grade": "poor"},) * 2},
        {"units": [{"id": "a"}], "evaluations": set()},
        {"units": [{"id": "a", "headcount": __import__("enum").IntEnum("E", "A").A}]},
        {"units": [{"id": "a", "base_quota": __import__("decimal").Decimal("1.5")}]},
        {"units": [{"id": "a"}], "activities": [{"duty": "grid_visit", "who": "a", "date": datetime.date(2023, 5, 1)}]},
        {
            "units": [{"id": "a"}],
            "activities": [{"duty": "grid_visit", "who": "a", "date": datetime.datetime(2023, 5, 1)}],
        },
    ],
)
def test_mappings_at_the_edges(document: dict[str, Any]) -> None:
    same_either_way(document)


IDS_ALPHABET = st.sampled_from(["u", "1", "0", "9", " ", "'", '"', "\\", ",", ")", "(", "单", "é", ":", "\u200b"])
"""Characters whose order as text and as repr differ (a space and quotes sort before a repr's closing quote)."""


@st.composite
def ordered(draw: st.DrawFn) -> dict[str, Any]:
    """A valid document whose ids, numbers and periods order differently by text and by repr."""
    shows = st.text(IDS_ALPHABET, min_size=1, max_size=4).filter(lambda text: text.strip() != "")
    ids = draw(st.lists(shows, min_size=1, max_size=6, unique=True))
    whole = st.one_of(st.integers(0, 10**6), st.integers(0, 12))
    quota = st.one_of(st.integers(0, 100), st.floats(0, 100))
    units = [{"id": uid, "headcount": draw(whole), "base_quota": draw(quota)} for uid in ids]
    periods = st.sampled_from(["2022", "2022-Q2", "2022-H2", "2023-Q1", 2023, "2022-12", "2023-05"])
    kinds = st.sampled_from(["assessment", "bulletin", "linkage_work"])
    keys = st.tuples(st.sampled_from(ids), periods, kinds)
    scores = [
        {"unit": unit, "period": period, "kind": kind, "score": draw(st.floats(0, 100))}
        for unit, period, kind in draw(st.lists(keys, max_size=8, unique=True))
    ]
    reasons = st.sampled_from(["media_supervision", "leader_instruction", "citizen_complaint"])
    adjustments = [
        {"unit": unit, "period": period, "reason": reason, "points": draw(st.integers(-5, 5)), "note": draw(shows)}
        for unit, period, reason in draw(st.lists(st.tuples(st.sampled_from(ids), periods, reasons), max_size=4))
    ]
    return {"units": draw(st.permutations(units)), "scores": scores, "adjustments": adjustments}


@given(ordered())
def test_facts_are_ordered_and_numbered_alike(document: dict[str, Any]) -> None:
    same_either_way(document)
    same_as_json(as_json(document))
