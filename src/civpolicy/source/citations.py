"""Citations checked against the document: each clause reference names a clause, and each quote is its words.

The document's own numbering is read from its text (``opinion.txt``): parts ``二、``,
sections ``（四）``, items ``2.``, points ``三是`` and sub-points ``（1）``, each line-leading
as the document writes them, so that ``一（二）3 四是（1）`` names the text from that heading
to the next heading of the same or a higher level. ``… 最后一段`` names the last paragraph
of a clause. A quote may leave words out with ``……`` (or ``...``); its parts must then
stand in that clause, in the document's order. Whitespace is not compared.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

import attrs

from civpolicy.errors import Problem
from civpolicy.source.expressions import did_you_mean

LAST_PARAGRAPH = "最后一段"

_NUMERAL = "[一二三四五六七八九十]+"
_HEADINGS = (  # (level, pattern of the line's start, how the number joins its parent's reference)
    (1, re.compile(f"^({_NUMERAL})、"), "{n}"),
    (2, re.compile(f"^（({_NUMERAL})）"), "{parent}（{n}）"),
    (3, re.compile(r"^(\d+)[.．]"), "{parent}{n}"),
    (4, re.compile(f"^({_NUMERAL})是"), "{parent} {n}是"),
    (5, re.compile(r"^（(\d+)）"), "{parent}（{n}）"),
)
_END_OF_BODY = re.compile(r"^附\s*件")
_ELLIPSIS = re.compile(r"……|\.\.\.")
_SHOWN = 12
"""Characters of context a mismatch message shows on each side."""


@attrs.frozen
class Clause:
    """A numbered clause of the document: its reference as written here, its level and its words."""

    ref: str
    level: int
    text: str
    """Squashed: without whitespace."""


@attrs.frozen
class Cited:
    """One citation as written in a policy file: the reference, the quote and where each stands."""

    file: str
    path: str
    ref: str
    text: str
    ref_at: tuple[int, int]
    text_at: tuple[int, int]
    ref_field: str = "source"


def squash(text: str) -> str:
    """Text without whitespace: how references and quotes are compared."""
    return re.sub(r"\s+", "", text)


def outline(document: str) -> dict[str, Clause]:
    """Each clause of the document's body, by its squashed reference."""
    open_nodes: list[tuple[int, str, list[str]]] = []  # (level, reference, lines) from the outermost
    headed: list[tuple[int, str, list[str]]] = []
    started = False
    for raw in document.splitlines():
        line = raw.strip()
        if started and _END_OF_BODY.match(line):
            break
        heading = _heading(line, open_nodes)
        if heading is not None:
            level, ref = heading
            started = started or level == 1
            while open_nodes and open_nodes[-1][0] >= level:
                open_nodes.pop()
            open_nodes.append((level, ref, []))
            headed.append(open_nodes[-1])
        if line:
            for _, _, lines in open_nodes:
                lines.append(squash(line))
    found: dict[str, Clause] = {}
    for level, ref, lines in headed:
        found[squash(ref)] = Clause(ref, level, "".join(lines))
        last = f"{ref} {LAST_PARAGRAPH}"
        found[squash(last)] = Clause(last, level, lines[-1] if lines else "")
    return found


def _heading(line: str, open_nodes: list[tuple[int, str, list[str]]]) -> tuple[int, str] | None:
    for level, pattern, joined in _HEADINGS:
        match = pattern.match(line)
        if match is None:
            continue
        parents = [ref for parent_level, ref, _ in open_nodes if parent_level < level]
        if level > 1 and not parents:
            return None  # before the first part: the title and preamble
        return level, joined.format(parent=parents[-1] if parents else "", n=match.group(1))
    return None


def check_citations(cited: Iterable[Cited], document: str) -> list[Problem]:
    """A problem for each reference that names no clause and each quote that is not that clause's words."""
    clauses = outline(document)
    whole = squash(document)
    problems = []
    for citation in cited:
        clause = clauses.get(squash(citation.ref))
        if clause is None:
            line, column = citation.ref_at
            message = f"no clause {citation.ref!r} in the document{_ref_hint(citation.ref, clauses)}"
            problems.append(Problem(citation.file, line, column, message, f"{citation.path}.{citation.ref_field}"))
            continue
        wrong = _quote_problem(citation, clause, clauses, whole)
        if wrong is not None:
            line, column = citation.text_at
            problems.append(Problem(citation.file, line, column, wrong, f"{citation.path}.text"))
    return problems


def _ref_hint(ref: str, clauses: dict[str, Clause]) -> str:
    full_width = squash(ref).replace("(", "（").replace(")", "）")
    if full_width in clauses:
        return f" (did you mean {clauses[full_width].ref!r}? the document's brackets are full-width: （）)"
    key = squash(ref)
    parents = [c for k, c in clauses.items() if encloses(k, key) and not k.endswith(LAST_PARAGRAPH)]
    if parents:
        parent = max(parents, key=lambda c: c.level)
        inside = sorted((c.ref for c in clauses.values() if _directly_in(c, parent, clauses)), key=_last_paragraph_last)
        return f" ({parent.ref} has {', '.join(inside)})" if inside else f" ({parent.ref} has no numbered parts)"
    hint = did_you_mean(ref, [clause.ref for clause in clauses.values()])
    if hint:
        return hint
    examples = [next((c.ref for c in clauses.values() if c.level == level), "") for level in (3, 5)]
    examples.append(next((c.ref for c in clauses.values() if c.ref.endswith(LAST_PARAGRAPH)), ""))
    return f" (a reference is the document's numbering, as in {', '.join(e for e in examples if e)})"


def encloses(outer: str, inner: str) -> bool:
    """Whether squashed reference ``outer`` is around ``inner`` (``一（二）1`` is not around ``一（二）12``)."""
    if not inner.startswith(outer) or inner == outer:
        return False
    return not (outer[-1].isdigit() and inner[len(outer)].isdigit())


def _last_paragraph_last(ref: str) -> bool:
    return ref.endswith(LAST_PARAGRAPH)


def _directly_in(clause: Clause, parent: Clause, clauses: dict[str, Clause]) -> bool:
    """Whether ``clause`` is a part of ``parent`` with no clause between them (its last paragraph too)."""
    key, parent_key = squash(clause.ref), squash(parent.ref)
    if not key.startswith(parent_key) or key == parent_key:
        return False
    between = [k for k in clauses if parent_key != k != key and key.startswith(k) and k.startswith(parent_key)]
    return not between


def _quote_problem(citation: Cited, clause: Clause, clauses: dict[str, Clause], whole: str) -> str | None:
    text = clause.text
    at = 0
    for part in (squash(p) for p in _ELLIPSIS.split(citation.text)):
        if not part:
            continue
        found = text.find(part, at)
        if found >= 0:
            at = found + len(part)
            continue
        if part in text:
            return "the parts of this quote (split at ……) are not in the order the document has them"
        if part in whole:
            elsewhere = _deepest_holding(part, clauses)
            where = f"in {elsewhere}" if elsewhere else "elsewhere in the document"
            return f"this quote is not in {clause.ref}: it is {where}"
        return _mismatch(part, text) or _mismatch(part, whole) or _not_found(part)
    return None


def _deepest_holding(part: str, clauses: dict[str, Clause]) -> str | None:
    """The most specific clause that holds ``part``, if any (a last paragraph is not a clause of its own)."""
    holding = [(-c.level, len(c.text), c.ref) for c in clauses.values() if part in c.text]
    holding = [entry for entry in holding if not entry[2].endswith(LAST_PARAGRAPH)]
    return min(holding)[2] if holding else None


def _mismatch(part: str, words: str) -> str | None:
    """Where a quote leaves these words: after the longest start of it they have (None if under 2 characters)."""
    low, high = 0, len(part)  # the longest start found is low characters long
    while low < high:
        middle = (low + high + 1) // 2
        if part[:middle] in words:
            low = middle
        else:
            high = middle - 1
    if low < 2:
        return None
    matched, rest = part[:low], part[low:]
    # Of the places the matched start stands, the one the rest of the quote resembles most.
    starts = [i for i in range(len(words)) if words.startswith(matched, i)]
    best = max(starts, key=lambda i: (_resemblance(words[i + low : i + low + len(rest)], rest), -i))
    goes_on = words[best + low :][:_SHOWN]
    return (
        f"this quote is not in the document, word for word: after {_tail(matched)!r} "
        f"the document has {goes_on!r}, the quote {part[low : low + _SHOWN]!r}"
    )


def _resemblance(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _not_found(part: str) -> str:
    return f"this quote is not in the document, word for word: {_cut(part)!r}"


def _cut(text: str) -> str:
    return text if len(text) <= 2 * _SHOWN else text[: 2 * _SHOWN] + "…"


def _tail(text: str) -> str:
    return text if len(text) <= _SHOWN else "…" + text[-_SHOWN:]
