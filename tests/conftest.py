"""Shared pytest configuration: the hypothesis profiles, and the ``scenario`` marker.

``default`` keeps the property tests quick; ``ci`` runs more examples. Pick one with
``HYPOTHESIS_PROFILE=ci``. Under pytest-xdist (``make test`` runs ``pytest -n auto``) every
worker imports this file and inherits the environment, so each loads the same profile: a test
gets its whole ``max_examples`` on one worker, whichever. Workers draw their own random seeds,
so ``ci`` also prints the failing example's blob (``@reproduce_failure``) to replay it locally.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

_SUPPRESSED = [HealthCheck.too_slow, HealthCheck.data_too_large]

settings.register_profile("default", max_examples=60, deadline=None, suppress_health_check=_SUPPRESSED)
settings.register_profile("ci", max_examples=400, deadline=None, suppress_health_check=_SUPPRESSED, print_blob=True)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
settings.load_profile(PROFILE)


def pytest_report_header() -> str:
    """The profile in the run's header, so a log says how hard the property tests tried."""
    return f"hypothesis profile: {PROFILE} (max_examples={settings().max_examples})"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "scenario: a scenario test of policy/scenarios/ (tests/test_scenarios.py)")
