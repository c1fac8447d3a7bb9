"""Copies of the shipped policy that a test may break or change."""

from __future__ import annotations

import re
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


def set_parameter(folder: Path, name: str, value: object) -> None:
    """Give a parameter of the copy another value, as the county's own number (``set_by: headquarters``).

    A value that departs from the document is no longer the document's: ``civpolicy check``
    refuses ``set_by: document`` beside a number its quote does not give.
    """
    for path in sorted(folder.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        block = re.search(rf"(?m)^  {name}:\n(?:    .*\n)+", text)
        if block is None:
            continue
        body = re.sub(r"(?m)^    value: .*$", f"    value: {value}", block.group(0))
        body = body.replace("    set_by: document\n", "    set_by: headquarters\n")
        path.write_text(text[: block.start()] + body + text[block.end() :], encoding="utf-8")
        return
    raise AssertionError(f"no parameter {name} in {folder}")
