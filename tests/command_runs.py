"""Running the civpolicy command inside a test, with what it printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from civpolicy.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The command's exit code, standard output and standard error."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def write_facts(folder: Path, text: str, name: str = "small.yaml") -> str:
    """A facts file of this text in the folder; its path."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)
