"""Decisions as people read them: an aligned table and the explanation of one unit."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from typing import Any

from civpolicy.decision.values import Consequence, Decision, Evidence
from civpolicy.source import model as m
from civpolicy.source.expressions import show


def width(text: str) -> int:
    """Columns a text takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table(rows: Sequence[Sequence[str]]) -> str:
    """Rows as aligned columns, the first row a header underlined."""
    if not rows:
        return ""
    widths = [max(width(row[i]) for row in rows) for i in range(len(rows[0]))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(cell + " " * (w - width(cell)) for cell, w in zip(row, widths, strict=True)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(rows[0]), rule, *(line(row) for row in rows[1:])]) + "\n"


def params_text(consequence: Consequence) -> str:
    """Params as ``name=value`` pairs."""
    return _params(consequence.params)


def _params(params: dict[str, Any]) -> str:
    return " ".join(f"{name}={show(value)}" for name, value in params.items())


def person_text(person: dict[str, Any]) -> str:
    """Someone who answers: ``name (role, source)``."""
    details = ", ".join(show(person[key]) for key in person if key != "name" and person[key] is not None)
    return f"{show(person.get('name'))} ({details})" if details else show(person.get("name"))


def _by_person(consequences: Sequence[Consequence]) -> list[tuple[str, list[Consequence]]]:
    """The consequences of each person who answers for some, by person; those nobody answers for last."""
    groups: dict[str, list[Consequence]] = {}
    for consequence in consequences:
        for person in consequence.responsible or ({"name": "—"},):
            groups.setdefault(person_text(person), []).append(consequence)
    return sorted(groups.items(), key=lambda item: (item[0] == "—", item[0]))


def flags_text(consequence: Consequence, language: str = "en") -> str:
    """``discretionary``, ``provisional`` (可斟酌, 临时) where the consequence is either."""
    names = _FLAGS["zh" if language == "zh" else "en"]
    return " ".join(names[flag] for flag in ("discretionary", "provisional") if getattr(consequence, flag))


_FLAGS = {
    "en": {"discretionary": "discretionary", "provisional": "provisional"},
    "zh": {"discretionary": "可斟酌", "provisional": "临时"},
}
"""How the flags of a consequence read: a recommendation to weigh, a result not final yet."""


def decision_table(decision: Decision, by_responsible: bool = False) -> str:
    """The decision as a table for a terminal; ``by_responsible``: one table per person who answers."""
    header = ("unit", "period", "consequence", "params", "note", "rule", "clause")

    def row(c: Consequence) -> tuple[str, ...]:
        return (c.unit, c.period, c.kind, params_text(c), flags_text(c), c.rule, c.source)

    count = len(decision.consequences)
    if by_responsible:
        text = ""
        for person, items in _by_person(decision.consequences):
            text += f"{person}:\n" + table([header, *map(row, items)]) + "\n"
    else:
        text = table([header, *map(row, decision.consequences)])
    text += f"\n{count} consequence(s); policy {decision.policy_digest}\n"
    if decision.findings:
        body: list[tuple[str, ...]] = [("who", "period", "finding", "params", "rule", "clause")]
        body += [(f.who, f.period, f.kind, _params(f.params), f.rule, f.source) for f in decision.findings]
        text += f"\nfindings:\n{table(body)}"
    for name, report_rows in decision.reports.items():
        if report_rows:
            fields = list(report_rows[0].values)
            body = [tuple(fields)] + [tuple(show(row.values.get(f)) for f in fields) for row in report_rows]
            text += f"\n{name}:\n" + table(body)
    return text


_WORDS = {
    "en": {
        "count": "{unit}: {count} consequence(s) under policy {digest}",
        "rule": "rule {rule}, clause {clause}:",
        "reading": "reading: ",
        "because": "because:",
        "responsible": "who answers:",
        "findings": "{unit}: {count} finding(s) of duties",
        "as above": "(as above)",
        "discretionary": "discretionary: a recommendation to weigh, not an order to apply as it stands",
        "provisional": "provisional: it rests on a result that is not final yet",
    },
    "zh": {
        "count": "{unit}：{count} 项后果，政策 {digest}",
        "rule": "规则 {rule}，条款 {clause}：",
        "reading": "解读：",
        "because": "理由：",
        "responsible": "负责人：",
        "findings": "{unit}：{count} 项职责发现",
        "as above": "（同上）",
        "discretionary": "可斟酌：这是供斟酌的建议，不是照办的命令",
        "provisional": "临时：所依据的结果还不是最终的",
    },
}
"""The words of an explanation, per language (the policy's own sentences come from the policy)."""


def explain(model: m.PolicyModel, decision: Decision, unit: str, language: str = "en") -> str:
    """Each consequence of a unit with its chain of reasons and the clause's words, in ``language``."""
    zh = language == "zh"
    rules = {rule.id: rule for rule in model.all_rules()}
    words = _WORDS["zh" if zh else "en"]
    found = decision.for_unit(unit)
    lines = [words["count"].format(unit=unit, count=len(found), digest=decision.policy_digest), ""]
    for consequence in found:
        rule = rules[consequence.rule]
        kind = model.kinds[consequence.kind]
        params = params_text(consequence)
        lines.append(f"■ {consequence.kind}  {consequence.period}" + (f"  ({params})" if params else ""))
        lines.append(f"  {kind.description.zh} / {kind.description.en}")
        lines.extend(f"  {words[flag]}" for flag in ("discretionary", "provisional") if getattr(consequence, flag))
        lines.append(f"  {words['rule'].format(rule=rule.id, clause=rule.citation.source)}")
        lines.append(f"    「{rule.citation.text}」")
        if rule.summary:
            lines.append(f"    {rule.summary.zh if zh else rule.summary.en}")
        if rule.interpretation:
            lines.append(f"  {words['reading']}{' '.join(rule.interpretation.split())}")
        lines.append(f"  {words['because']}")
        lines.extend(_tree(consequence.evidence, depth=2, shown=set(), same=words["as above"]))
        lines.extend(_people(consequence.responsible, words))
        lines.append("")
    findings = [f for f in decision.findings or () if f.who == unit]
    if findings:
        lines.append(words["findings"].format(unit=unit, count=len(findings)))
        lines.append("")
    for finding in findings:
        rule = rules[finding.rule]
        kind = model.kinds[finding.kind]
        lines.append(f"■ {finding.kind}  {finding.period}  ({_params(finding.params)})")
        lines.append(f"  {kind.description.zh} / {kind.description.en}")
        lines.append(f"  {words['rule'].format(rule=rule.id, clause=rule.citation.source)}")
        lines.append(f"    「{rule.citation.text}」")
        lines.append(f"  {words['because']}")
        lines.extend(_tree(finding.evidence, depth=2, shown=set(), same=words["as above"]))
        lines.extend(_people(finding.responsible, words))
        lines.append("")
    for name, report in model.reports.items():
        rows = decision.report_for_unit(name, unit)
        if not rows:
            continue
        lines.append(f"{unit}: {name} — {report.description.zh} / {report.description.en}")
        lines.append("")
        for row in rows:
            shown = " ".join(f"{k}={show(v)}" for k, v in row.values.items() if k != "unit")
            lines.append(f"■ {shown}")
            lines.append(f"  {words['because']}")
            lines.extend(_tree(row.evidence, depth=2, shown=set(), same=words["as above"]))
            lines.append("")
    return "\n".join(lines)


def _people(people: Sequence[dict[str, Any]] | None, words: dict[str, str]) -> Iterator[str]:
    """Who answers, one line each (nothing when the policy does not say)."""
    if people:
        yield f"  {words['responsible']}"
        yield from (f"    - {person_text(person)}" for person in people)


def _tree(evidence: Sequence[Evidence], depth: int, shown: set[str], same: str) -> Iterator[str]:
    """The reasons as an indented tree; a derived fact's own reasons are shown once."""
    pad = "  " * depth
    for item in evidence:
        origin = f"   [{item.rule}, {item.source}]" if item.rule else ""
        if item.rule and item.text in shown:
            yield f"{pad}- {item.text}   {same}"
            continue
        shown.add(item.text)
        yield f"{pad}- {item.text}{origin}"
        yield from _tree(item.premises, depth + 1, shown, same)
        for note in item.absent:
            yield f"{pad}  - {note}"
