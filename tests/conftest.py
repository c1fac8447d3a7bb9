"""Shared pytest configuration: hypothesis profiles, and the YAML scenario tests as pytest items.

``default`` keeps the property tests quick; ``ci`` runs more examples. Pick one with
``HYPOTHESIS_PROFILE=ci``.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

import civpolicy
from civpolicy.authoring.scenarios import Scenario, read_scenarios, report, run_scenario
from civpolicy.engine.durable import durable_available

_SUPPRESSED = [HealthCheck.too_slow, HealthCheck.data_too_large]

settings.register_profile("default", max_examples=60, deadline=None, suppress_health_check=_SUPPRESSED)
settings.register_profile("ci", max_examples=400, deadline=None, suppress_health_check=_SUPPRESSED)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


# --- YAML scenario tests: every test of tests/scenarios/*.yaml is a pytest item, per engine ---


SCENARIO_DIR = Path(__file__).parent / "scenarios"
AVAILABLE_ENGINES = ("durable", "native") if durable_available() else ("native",)
"""Engines this installation can run (durable-rules does not build on Python 3.13)."""


@functools.lru_cache(maxsize=64)
def _policy(params: tuple[tuple[str, Any], ...], engine: str) -> civpolicy.Policy:
    return civpolicy.load_policy(params=dict(params), engine=engine)


def policy_for(params: dict[str, Any], engine: str = "durable") -> civpolicy.Policy:
    """The shipped policy with these parameter values, loaded once per set of values."""
    return _policy(tuple(sorted(params.items())), engine)


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".yaml" and SCENARIO_DIR in file_path.parents:
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    def collect(self):  # type: ignore[no-untyped-def]
        for scenario in read_scenarios(self.path):
            for engine in AVAILABLE_ENGINES:
                name = f"{scenario.name} [{engine}]"
                yield ScenarioItem.from_parent(self, name=name, scenario=scenario, engine=engine)


class ScenarioFailed(AssertionError):
    pass


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario: Scenario, engine: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.engine = engine
        self.add_marker(pytest.mark.scenario)

    def runtest(self) -> None:
        outcome = run_scenario(self.scenario, lambda params: policy_for(params, self.engine))
        if not outcome.passed:
            raise ScenarioFailed(report(outcome))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.scenario.line, f"scenario: {self.scenario.name}"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "scenario: a YAML scenario test of tests/scenarios/")
