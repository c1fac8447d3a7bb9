"""Copies of the shipped policy that a test may break or change."""

from __future__ import annotations

import shutil
from pathlib import Path

SHIPPED = Path(__file__).resolve().parents[1] / "policy"


def copy_policy(target: Path) -> Path:
    """A copy of the shipped policy folder at ``target``."""
    shutil.copytree(SHIPPED, target)
    return target


def edit(folder: Path, name: str, old: str, new: str) -> None:
    """Replace the one occurrence of ``old`` in a policy file of the copy."""
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert 1 == text.count(old), f"{old!r} must occur once in {name}"
    path.write_text(text.replace(old, new), encoding="utf-8")
