"""Published tables as text: aligned for a terminal, Markdown, CSV; and what ``rank`` and ``bulletin`` share.

A part is a titled table: ``(title, headings, lines)``, every cell already in words
(:mod:`civpolicy.reports` makes them). Nothing here knows what the tables hold.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from civpolicy.decision.render import table

Part = tuple[str, Sequence[str], Sequence[Sequence[str]]]
"""A titled table: its title, its headings, its lines."""


def parts_table(parts: Sequence[Part]) -> str:
    """Each part as its title, then an aligned table (a part without lines says so), a blank line between."""
    blocks = []
    for title, headings, lines in parts:
        body = table([list(headings), *[list(line) for line in lines]]) if lines else "—\n"
        blocks.append(f"{title}\n{body}")
    return "\n".join(blocks)


def parts_markdown(parts: Sequence[Part], heading: str = "###") -> str:
    """Each part as a Markdown heading and a pipe table."""
    blocks = []
    for title, headings, lines in parts:
        rows = [
            _markdown_row(headings),
            "|" + "|".join(" --- " for _ in headings) + "|",
            *(_markdown_row(line) for line in lines),
        ]
        blocks.append(f"{heading} {title}\n\n" + ("\n".join(rows) if lines else "—") + "\n")
    return "\n".join(blocks)


def _markdown_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(_markdown_cell(cell) for cell in cells) + " |"


def _markdown_cell(text: str) -> str:
    """A cell's text on one line, with ``|`` escaped so that it stays in its column."""
    return " ".join(text.split()).replace("\\", "\\\\").replace("|", "\\|")


def rows_csv(headings: Sequence[str], lines: Sequence[Sequence[str]]) -> str:
    """One CSV document: the headings, then each line (RFC 4180 quoting, CR LF line ends)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headings)
    writer.writerows(lines)
    return out.getvalue()


def as_json(data: Any) -> str:
    """JSON text as the other commands print it: indented, Chinese as written, a newline at the end."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
