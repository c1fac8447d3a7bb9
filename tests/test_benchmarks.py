"""The benchmark that prints issue 16's table runs, and every answer in it agrees (times are not judged)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_truth_prints_every_section_and_all_agree(capsys: pytest.CaptureFixture[str]) -> None:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        truth = importlib.import_module("truth")
        status = truth.main(["--units", "40", "--county-units", "12", "--runs", "1"])
    finally:
        sys.path.remove(str(BENCHMARKS))
    printed = capsys.readouterr().out
    assert status == 0, printed
    for heading in ("(a) 40 generated units", "(b) a county of 12 units", "(c) the floors"):
        assert heading in printed
    assert "| compiled (default) | `evaluate` |" in printed
    assert "floor of `evaluate` + `to_json`" in printed
    assert "byte for byte: yes" in printed
    assert printed.rstrip().endswith("all answers agree: yes")
