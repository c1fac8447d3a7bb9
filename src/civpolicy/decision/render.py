"""Decisions as people read them: an aligned table and the explanation of one unit."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence

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
    return " ".join(f"{name}={show(value)}" for name, value in consequence.params.items())


def flags_text(consequence: Consequence, language: str = "en") -> str:
    """``discretionary``, ``provisional`` (可斟酌, 临时) where the consequence is either."""
    names = _FLAGS["zh" if language == "zh" else "en"]
    return " ".join(names[flag] for flag in ("discretionary", "provisional") if getattr(consequence, flag))


_FLAGS = {
    "en": {"discretionary": "discretionary", "provisional": "provisional"},
    "zh": {"discretionary": "可斟酌", "provisional": "临时"},
}
"""How the flags of a consequence read: a recommendation to weigh, a result not final yet."""


def decision_table(decision: Decision) -> str:
    """The decision as a table for a terminal."""
    header = ("unit", "period", "consequence", "params", "note", "rule", "clause")
    rows = [header] + [
        (c.unit, c.period, c.kind, params_text(c), flags_text(c), c.rule, c.source) for c in decision.consequences
    ]
    count = len(decision.consequences)
    text = table(rows) + f"\n{count} consequence(s); policy {decision.policy_digest}\n"
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
        "as above": "(as above)",
        "discretionary": "discretionary: a recommendation to weigh, not an order to apply as it stands",
        "provisional": "provisional: it rests on a result that is not final yet",
    },
    "zh": {
        "count": "{unit}：{count} 项后果，政策 {digest}",
        "rule": "规则 {rule}，条款 {clause}：",
        "reading": "解读：",
        "because": "理由：",
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
