"""Citations checked against the document: each clause reference names a clause, and each quote is its words.

The document's own numbering is read from its text (``opinion.txt``): parts ``二、``,
sections ``（四）``, items ``2.``, points ``三是`` and sub-points ``（1）``, each line-leading
as the document writes them, so that ``一（二）3 四是（1）`` names the text from that heading
to the next heading of the same or a higher level. ``… 最后一段`` names the last paragraph
of a clause. A quote may leave words out with ``……`` (or ``...``); its parts must then
stand in that clause, in the document's order. Whitespace is not compared.

After the body come the attachments, each cited as ``附件N`` and numbered inside as the
body is (``附件N 一（二）``). An attachment starts at its own heading line ``附件N``, or, when
the document writes none, at the line that is its title as the body's closing list
``附件：1.…  2.…`` gives it (a first attachment often has no heading of its own: it starts at
its title, after the line on its distribution); it ends where the next one starts. A ``（5）``
that follows the sections ``（一）``…``（四）`` outside any item or point is read as ``（五）``.
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
_DIGITS = "一二三四五六七八九"
_HEADINGS = (  # (level, pattern of the line's start, how the number joins its parent's reference)
    (1, re.compile(f"^({_NUMERAL})、"), "{parent} {n}"),
    (2, re.compile(f"^（({_NUMERAL})）"), "{parent}（{n}）"),
    (3, re.compile(r"^(\d+)[.．]"), "{parent}{n}"),
    (4, re.compile(f"^({_NUMERAL})是"), "{parent} {n}是"),
    (5, re.compile(r"^（(\d+)）"), "{parent}（{n}）"),
)
_SECTION = 2
_SUB_POINT = 5
_END_OF_BODY = re.compile(r"^附\s*件")
_ANNEX_LIST = re.compile(r"^附\s*件\s*[：:]\s*")
"""The body's closing list of attachments: ``附件：1.名单`` and the titles after it."""
_LISTED = re.compile(r"^(\d+)[.．]\s*(.*)$")
_ANNEX = re.compile(r"^附\s*件\s*(\d+)\s*$")
"""An attachment's own heading line: ``附件N``."""
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
    """Each clause of the document's body and of its attachments, by its squashed reference."""
    lines = [raw.strip() for raw in document.splitlines()]
    end = next((i for i, line in enumerate(lines) if _END_OF_BODY.match(line) and _started(lines[:i])), len(lines))
    headed = _headed(lines[:end], root=None)
    for ref, annex_lines in _annexes(lines[end:]):
        headed += _headed(annex_lines, root=ref)
    found: dict[str, Clause] = {}
    for level, ref, clause_lines in headed:
        found[squash(ref)] = Clause(ref, level, "".join(clause_lines))
        last = f"{ref} {LAST_PARAGRAPH}"
        found[squash(last)] = Clause(last, level, clause_lines[-1] if clause_lines else "")
    return found


def _started(lines: list[str]) -> bool:
    """Whether the body's first part (``一、``) stands in these lines: before it, ``附件`` does not end the body."""
    return any(_HEADINGS[0][1].match(line) for line in lines)


def _headed(lines: list[str], root: str | None) -> list[tuple[int, str, list[str]]]:
    """(level, reference, squashed lines) of each clause in ``lines``: the body's (``root`` None) or an attachment's.

    An attachment is a clause of level 0 around its own numbering, whose lines start at
    its first; in the body, nothing is a clause before the first part.
    """
    open_nodes: list[tuple[int, str, list[str]]] = []  # (level, reference, lines) from the outermost
    headed: list[tuple[int, str, list[str]]] = []
    if root is not None:
        open_nodes.append((0, root, []))
        headed.append(open_nodes[-1])
    for line in lines:
        heading = _heading(line, open_nodes)
        if heading is not None:
            level, ref = heading
            while open_nodes and open_nodes[-1][0] >= level:
                open_nodes.pop()
            open_nodes.append((level, ref, []))
            headed.append(open_nodes[-1])
        if line:
            for _, _, node_lines in open_nodes:
                node_lines.append(squash(line))
    return headed


def _annexes(lines: list[str]) -> list[tuple[str, list[str]]]:
    """Each attachment (``附件N`` and its lines) in the lines after the body, in the document's order."""
    titles: dict[int, str] = {}
    at = 0
    if lines and _ANNEX_LIST.match(lines[0]):
        listed = [_ANNEX_LIST.sub("", lines[0])]
        at = 1
        while at < len(lines) and lines[at] and not _ANNEX.match(lines[at]) and not _part_or_section(lines[at]):
            listed.append(lines[at])
            at += 1
        number = None
        for entry in listed:
            item = _LISTED.match(entry)
            if item is not None:
                number = int(item.group(1))
                titles[number] = item.group(2)
            elif number is not None:
                titles[number] += entry  # a title the list breaks over lines
    headed = {int(mark.group(1)) for line in lines[at:] if (mark := _ANNEX.match(line))}
    starts: list[tuple[int, int]] = []  # (number, index of its first line)
    for index in range(at, len(lines)):
        mark = _ANNEX.match(lines[index])
        expected = starts[-1][0] + 1 if starts else 1
        if mark is not None:
            starts.append((int(mark.group(1)), index))
        elif expected not in headed and expected in titles and squash(lines[index]) == squash(titles[expected]):
            starts.append((expected, index))
    bounds = [index for _, index in starts] + [len(lines)]
    return [(f"附件{number}", lines[bounds[k] : bounds[k + 1]]) for k, (number, _) in enumerate(starts)]


def _part_or_section(line: str) -> bool:
    return any(pattern.match(line) for level, pattern, _ in _HEADINGS if level <= _SECTION)


def _heading(line: str, open_nodes: list[tuple[int, str, list[str]]]) -> tuple[int, str] | None:
    for pattern_level, pattern, pattern_joined in _HEADINGS:
        match = pattern.match(line)
        if match is None:
            continue
        level, joined, number = pattern_level, pattern_joined, match.group(1)
        parents = [(parent_level, ref) for parent_level, ref, _ in open_nodes if parent_level < level]
        if level == _SUB_POINT and parents and parents[-1][0] == _SECTION:
            # A （5） straight after the sections （一）…（四）, outside any item or point, is
            # the document's slip for the section （五）.
            section = re.search(f"（({_NUMERAL})）$", parents[-1][1])
            if section is not None and _number(section.group(1)) + 1 == int(number):
                level, joined, number = _SECTION, _HEADINGS[1][2], _numeral(int(number))
                parents = parents[:-1]
        if level > 1 and not parents:
            return None  # before the first part: the title and preamble
        parent = parents[-1][1] if parents else ""
        return level, joined.format(parent=parent, n=number).strip()
    return None


def _number(numeral: str) -> int:
    """The value of a Chinese numeral up to 九十九: 四 4, 十二 12, 二十 20 (0 for one that is none, as 十十)."""
    tens, ten, units = numeral.rpartition("十")
    if not ten:
        return _DIGITS.index(units) + 1 if len(units) == 1 else 0
    if len(tens) > 1 or len(units) > 1 or "十" in tens:
        return 0
    return (_DIGITS.index(tens) + 1 if tens else 1) * 10 + (_DIGITS.index(units) + 1 if units else 0)


def _numeral(number: int) -> str:
    """The Chinese numeral of 1 to 99, as the document writes its sections: 五, 十二, 二十."""
    tens, units = divmod(number, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens - 1] + "十")
    return head + (_DIGITS[units - 1] if units else "")


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
