"""The shipped policy's scenario tests (policy/scenarios/*.yaml), each a pytest test, per engine.

They live in the policy folder so that they travel with it (the wheel, an author's copy)
and ``civpolicy test`` finds them wherever it is started; here the suite runs them too, on
every engine this installation has, and a failure reads as ``civpolicy test`` tells it.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

import civpolicy
from civpolicy.authoring.scenarios import Scenario, read_scenarios, report, run_scenario, scenario_files
from civpolicy.policy import shipped_policy_dir
from engines import RUNNABLE as ENGINES

SCENARIOS = Path(__file__).resolve().parents[1] / "policy" / "scenarios"

pytestmark = pytest.mark.scenario


@functools.lru_cache(maxsize=64)
def _policy(params: tuple[tuple[str, Any], ...], engine: str) -> civpolicy.Policy:
    return civpolicy.load_policy(params=dict(params), engine=engine)


def _cases() -> list[Any]:
    return [
        pytest.param(scenario, engine, id=f"{Path(scenario.file).name}:{scenario.line} {scenario.name} [{engine}]")
        for path in scenario_files([SCENARIOS])
        for scenario in read_scenarios(path)
        for engine in ENGINES
    ]


def test_the_scenarios_are_the_shipped_policy_s() -> None:
    """The suite runs the very files the wheel ships and ``civpolicy test`` runs by default."""

    def files(folder: Path) -> dict[str, bytes]:
        return {path.name: path.read_bytes() for path in sorted(folder.glob("*.yaml"))}

    assert files(SCENARIOS)
    assert files(SCENARIOS) == files(shipped_policy_dir() / "scenarios")


@pytest.mark.parametrize(("scenario", "engine"), _cases())
def test_scenario(scenario: Scenario, engine: str) -> None:
    outcome = run_scenario(scenario, lambda params: _policy(tuple(sorted(params.items())), engine))
    if not outcome.passed:
        pytest.fail(report(outcome), pytrace=False)
