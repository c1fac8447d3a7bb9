"""A derived fact's content key: equal exactly when the facts' contents are, whatever order the fields came in."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from civpolicy.engine.workspace import content_key

NAMES = st.sampled_from(["type", "unit", "period", "grade", "score", "year", "文明"])
VALUES = (
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.sampled_from([0.0, 1.0, 2.5, -0.0])
    | st.sampled_from(["", "good", "poor", "2022-Q1"])
)
FACTS = st.dictionaries(NAMES, VALUES, min_size=1, max_size=6)


def _shuffled(fact: dict[str, Any], seed: int) -> dict[str, Any]:
    names = list(fact)
    random.Random(seed).shuffle(names)
    return {name: fact[name] for name in names}


@given(FACTS, FACTS, st.integers(0, 1000))
@example(
    {"type": "a", "x": 1}, {"x": True, "type": "a"}, 0
)  # true and 1 are alike here (the workspace tells them apart after)
@example({"type": "a", "x": 1}, {"type": "a", "x": 1.0}, 0)
@example({"type": "a"}, {"type": "a", "x": None}, 0)
@example({"type": "a", "x": None}, {"type": "a", "y": None}, 0)
def test_content_keys_are_equal_exactly_when_contents_are(
    one: dict[str, Any], other: dict[str, Any], seed: int
) -> None:
    other = _shuffled(other, seed)
    same = frozenset(one.items()) == frozenset(other.items())
    assert (content_key(one) == content_key(other)) is same
    if same:
        assert hash(content_key(one)) == hash(content_key(other))


@given(FACTS, st.integers(0, 1000))
def test_a_fact_in_any_field_order_has_one_key(fact: dict[str, Any], seed: int) -> None:
    assert content_key(_shuffled(fact, seed)) == content_key(fact)
