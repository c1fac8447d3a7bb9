"""durable-rules refuses a fact whose 32-bit hash collides with another's: the engine retries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import civpolicy
from civpolicy.engine.durable import durable_available

pytestmark = pytest.mark.skipif(not durable_available(), reason="durable-rules does not run here")
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "county-2022.yaml"


def test_a_refused_new_fact_is_a_collision_and_the_run_starts_again_salted() -> None:
    from durable import engine as durable_engine

    expected = civpolicy.load_policy(engine="durable").evaluate(EXAMPLE).to_json()
    policy = civpolicy.load_policy(engine="durable")
    engine: Any = policy.engine
    real = engine._host.assert_facts
    salts: list[str] = []

    def collide_once(ruleset: str, facts: list[dict[str, Any]]) -> Any:
        salts.append(engine._salt)
        if len(salts) == 5:
            raise durable_engine.MessageObservedException(facts[0])
        return real(ruleset, facts)

    engine._host.assert_facts = collide_once
    assert expected == policy.evaluate(EXAMPLE).to_json()
    assert "" == salts[0]
    assert "1~" == salts[-1]


def test_collisions_every_time_end_in_a_clear_error() -> None:
    from durable import engine as durable_engine

    policy = civpolicy.load_policy(engine="durable")
    engine: Any = policy.engine

    def always(ruleset: str, facts: list[dict[str, Any]]) -> Any:
        raise durable_engine.MessageObservedException(facts[0])

    engine._host.assert_facts = always
    with pytest.raises(civpolicy.EngineError, match="refused distinct facts as the same 5 times"):
        policy.evaluate(EXAMPLE)
