"""The league tables of the 讲评会: each ranked group's units for each period, by the rank the policy gives.

The rows come from the decision's report that ranks: the report whose fields hold
:data:`RANK` and :data:`SCORE` (the shipped policy's ``grades``, declared in
``scoring.yaml``). Its rows are grouped by :data:`GROUP` (the unit's category; from the
units register where a row does not say) and by period; a group and period is a table
when at least one of its rows has a rank. Nothing is ranked here: the rank, the score and
the size of the group are the policy's (it ranks ties equally: 1 + the number scoring
higher), and a row without a rank (given directly where no score is kept) stands after the
ranked ones. Tables are in the order of the group's vocabulary, then by period as the
meetings come (by end, the shorter first: the quarters, then the half-year, then the year
that ends with them); rows by rank, then unit id: the same whatever the order of the facts.

How a score was made is told by the reasons that carry it: from the first reason of the
row's tree that tells the score (where the unit stands: "score 89.9, rank 1 of 4 …"), down through
each first reason below that tells the same number (the final score, the adjustments, the
weighted sum or mean it was made of), to the last. A row with no score is told by its own
reasons (``because``).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from civpolicy.decision.values import Decision, Evidence, ReportRow
from civpolicy.errors import CivpolicyError, ParameterError
from civpolicy.facts.periods import Period, PeriodSyntaxError, parse_period
from civpolicy.facts.read import Facts
from civpolicy.reports.labels import NAME, Labels, fact_vocabularies, unit_names, unit_register
from civpolicy.source import model as m
from civpolicy.source.expressions import did_you_mean, show

RANK = "rank"
"""The report field of a unit's place in its group (1 + the number scoring higher), null where unranked."""
SCORE = "score"
"""The report field of the score the unit is ranked by."""
GROUP = "category"
"""The field that names the group a unit is ranked in: the report row's, else the units register's."""
SIZE = "size"
"""The report field of how many units the group ranks."""
UNIT = "unit"
PERIOD = "period"
APART = (UNIT, PERIOD, GROUP, RANK, SCORE, SIZE)
"""Fields the table shows in places of their own; the report's others follow the score, in its order."""


@attrs.frozen
class Entry:
    """One unit's line of a league table."""

    rank: int | None
    unit: str
    name: str
    score: Any
    values: dict[str, Any] = attrs.field(hash=False)
    """The report's other fields, in the report's order."""
    how: tuple[str, ...]
    """How the score was made: the reasons that carry it, from where the unit stands down (or the row's reasons)."""
    because: tuple[str, ...]

    def sort_key(self) -> tuple[Any, ...]:
        """Ranked before unranked, by rank, then unit id."""
        return (self.rank is None, self.rank if self.rank is not None else 0, self.unit)

    def to_dict(self) -> dict[str, Any]:
        """The line as JSON data: rank, unit, name, score, the report's other fields, how, because."""
        return {
            RANK: self.rank,
            UNIT: self.unit,
            NAME: self.name,
            SCORE: self.score,
            **self.values,
            "how": list(self.how),
            "because": list(self.because),
        }


@attrs.frozen
class League:
    """The table of one group for one period."""

    group: str | None
    period: str
    size: int
    """How many units the group ranks (the policy's ``size``, else the ranked lines)."""
    entries: tuple[Entry, ...]

    def to_dict(self) -> dict[str, Any]:
        """The table as JSON data."""
        return {
            GROUP: self.group,
            PERIOD: self.period,
            SIZE: self.size,
            "rows": [entry.to_dict() for entry in self.entries],
        }


@attrs.frozen
class Leagues:
    """Every league table of a decision, and what the tables need to be told in words."""

    report: m.Report
    tables: tuple[League, ...]
    fields: tuple[str, ...]
    """The report's fields the lines show besides rank, unit, name and score, in the report's order."""
    vocabularies: dict[str, str] = attrs.field(hash=False)
    """The vocabulary of each field whose values are terms (the group's among them)."""

    def to_dict(self, digest: str, labels: Labels | None = None) -> dict[str, Any]:
        """Every table as JSON data, under the policy's digest; with ``labels``, each term's label beside it.

        Values stay as the policy writes them (ids); ``label`` (of the group) and ``labels``
        (of a line's terms) tell them in the language of ``labels``.
        """
        tables = []
        for table in self.tables:
            data = table.to_dict()
            if labels is not None:
                data = {**data, "label": labels.term(self.vocabularies.get(GROUP), table.group)}
                for line in data["rows"]:
                    told = {
                        f: labels.term(self.vocabularies[f], line.get(f)) for f in self.fields if f in self.vocabularies
                    }
                    line["labels"] = told
            tables.append(data)
        return {"policy": {"digest": digest}, "report": self.report.name, "tables": tables}

    def headings(self, labels: Labels) -> list[str]:
        """The headings of a table's lines: rank, unit, name, score, the report's other fields, how."""
        return [labels.heading(f) for f in (RANK, UNIT, NAME, SCORE, *self.fields, "how")]


def ranking_report(model: m.PolicyModel) -> m.Report:
    """The policy's report that ranks: the first whose fields hold :data:`RANK` and :data:`SCORE`."""
    for report in model.reports.values():
        if RANK in report.fields and SCORE in report.fields:
            return report
    raise CivpolicyError(
        f"the policy reports no ranking: none of its reports ({', '.join(model.reports) or 'none'}) "
        f"has the fields {RANK} and {SCORE}"
    )


def parse_within(text: str | None) -> Period | None:
    """The period ``--period`` names (a year, half-year, quarter or month), or None; else a ParameterError."""
    if text is None:
        return None
    try:
        return parse_period(text)
    except PeriodSyntaxError as error:
        raise ParameterError(str(error)) from None


def leagues(model: m.PolicyModel, decision: Decision, facts: Facts, within: Period | None = None) -> Leagues:
    """The league tables of a decision on these facts; with ``within``, those of periods that lie in it.

    A ``within`` period that holds no table is a ParameterError naming the periods ranked.
    """
    report = ranking_report(model)
    vocabularies = fact_vocabularies(model, report.fact_type, (*report.fields, GROUP))
    rows_of_report = decision.reports.get(report.name, ())
    # The declared fields in the report's order, then any a row holds beyond them (``provisional``), as they come.
    given = [f for row in rows_of_report for f in row.values]
    fields = tuple(f for f in dict.fromkeys([*report.fields, *given]) if f not in APART)
    names = unit_names(facts)
    groups: dict[tuple[str | None, str], list[ReportRow]] = {}
    for row in rows_of_report:
        unit, period = row.values.get(UNIT), row.values.get(PERIOD)
        if not isinstance(unit, str) or not isinstance(period, str):
            continue
        group = row.values.get(GROUP)
        if group is None:  # a row that does not say (given directly where no score is kept): the unit's own
            group = unit_register(facts, unit).get(GROUP)
        groups.setdefault((None if group is None else str(group), period), []).append(row)
    tables = []
    for (group, period), rows in groups.items():
        if all(row.values.get(RANK) is None for row in rows):
            continue
        entries = sorted((_entry(row, names, fields) for row in rows), key=Entry.sort_key)
        sizes = [size for row in rows if isinstance(size := row.values.get(SIZE), int) and not isinstance(size, bool)]
        size = max(sizes) if sizes else sum(1 for entry in entries if entry.rank is not None)
        tables.append(League(group, period, size, tuple(entries)))
    order = Labels(model).order(vocabularies.get(GROUP))

    def place(table: League) -> tuple[Any, ...]:
        period = parse_period(table.period)
        known = table.group in order
        return (
            table.group is None,
            not known,
            order.get(table.group or "", 0),
            table.group or "",
            period.end,
            period.months,
        )

    tables.sort(key=place)
    if within is not None:
        ranked = list(dict.fromkeys(sorted((t.period for t in tables), key=lambda p: (parse_period(p), p))))
        tables = [t for t in tables if _lies_in(parse_period(t.period), within)]
        if not tables:
            told = ", ".join(ranked) if ranked else "none"
            raise ParameterError(
                f"no ranking for {within.label}{did_you_mean(within.label, ranked)}; the periods ranked: {told}"
            )
    return Leagues(report, tuple(tables), fields, vocabularies)


def _lies_in(period: Period, within: Period) -> bool:
    return within.start <= period.start and period.end <= within.end


def _entry(row: ReportRow, names: dict[str, str], fields: Sequence[str]) -> Entry:
    unit = str(row.values[UNIT])
    rank = row.values.get(RANK)
    score = row.values.get(SCORE)
    chain = score_chain(row.evidence, score)
    # The first reason that tells the score is where the unit stands (rank, size): how the score was made is below it.
    made = tuple(dict.fromkeys(without_unit(text, unit) for text in chain[1:] or chain))
    return Entry(
        rank=rank if isinstance(rank, int) and not isinstance(rank, bool) else None,
        unit=unit,
        name=names.get(unit, ""),
        score=score,
        values={field: row.values.get(field) for field in fields},
        how=made or row.because,
        because=row.because,
    )


def score_chain(evidence: Iterable[Evidence], score: Any) -> tuple[str, ...]:
    """The reasons that carry a score: the first in the tree that tells it, then each first reason below telling it."""
    if score is None or isinstance(score, bool) or not isinstance(score, (int, float)):
        return ()
    told = re.compile(rf"(?<![\d.]){re.escape(show(score))}(?!\d|\.\d)")
    queue = deque(evidence)
    start: Evidence | None = None
    while queue and start is None:
        item = queue.popleft()
        if told.search(item.text):
            start = item
        queue.extend(item.premises)
    chain = []
    node = start
    while node is not None:
        chain.append(node.text)
        node = next((premise for premise in node.premises if told.search(premise.text)), None)
    return tuple(chain)


def league_rows(leagues: Leagues, labels: Labels) -> list[tuple[str, list[str], list[list[str]]]]:
    """Each table in words: its title, its headings, its lines (values by their labels in the language)."""
    headings = leagues.headings(labels)
    group_terms = leagues.vocabularies.get(GROUP)
    found = []
    for table in leagues.tables:
        group = labels.term(group_terms, table.group)
        title = (
            f"{group} · {table.period}（{table.size} 个单位参加排名）"
            if labels.zh
            else f"{group}, {table.period} ({table.size} units ranked)"
        )
        lines = [
            [
                "" if entry.rank is None else str(entry.rank),
                entry.unit,
                entry.name,
                labels.term(None, entry.score) if entry.score is not None else "",
                *(labels.term(leagues.vocabularies.get(f), entry.values.get(f)) for f in leagues.fields),
                " ← ".join(entry.how),
            ]
            for entry in table.entries
        ]
        found.append((title, headings, lines))
    return found


def flat_rows(leagues: Leagues, labels: Labels) -> tuple[list[str], list[list[str]]]:
    """Every line of every table in one list (for CSV): the group and period first, in words."""
    headings = [labels.heading(GROUP), labels.heading(PERIOD), labels.heading(SIZE), *leagues.headings(labels)]
    lines = []
    group_terms = leagues.vocabularies.get(GROUP)
    for (_, _, table_lines), table in zip(league_rows(leagues, labels), leagues.tables, strict=True):
        group = labels.term(group_terms, table.group)
        lines += [[group, table.period, str(table.size), *line] for line in table_lines]
    return headings, lines


def without_unit(text: str, unit: str) -> str:
    """A reason without its leading ``unit:`` (or ``unit (category):``): the line already names the unit."""
    if not text.startswith(unit):
        return text
    rest = text[len(unit) :]
    found = [(rest.find(colon), colon) for colon in ("：", ": ") if colon in rest]
    if not found:
        return text
    at, colon = min(found)
    between = rest[:at].strip()
    if between and not (between[0] in "（(" and between[-1] in "）)"):
        return text
    return rest[at + len(colon) :].lstrip()
