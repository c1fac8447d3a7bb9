"""The month's bulletin (月通报): the points sampled, what the facts record for the month, what follows in it.

Three parts, each made from what the policy and the facts already say:

- the points the month samples, as ``civpolicy sample`` plans them
  (:func:`civpolicy.reports.sampling.facts_plan`, the same seed gives the same plan);
- the facts of the month: every fact of an input whose period is the month (the shipped
  policy's bulletin scores, ``scores`` of that month, and the units named, ``criticisms``
  with that bulletin month), by input in the policy's order, each with the unit's name and
  the input's own fields;
- the consequences the decision gives in that month (interviews, written
  self-examinations: each consequence whose period is the month), in decision order.

Nothing here names a fact of the policy: a policy whose bulletin records other facts by
month shows those.
"""

from __future__ import annotations

from typing import Any

import attrs

from civpolicy.decision.values import Consequence, Decision
from civpolicy.facts.items import canonical
from civpolicy.facts.read import UNIT_REGISTER, Facts
from civpolicy.reports.labels import NAME, Labels, unit_names
from civpolicy.reports.league import PERIOD, UNIT
from civpolicy.reports.sampling import FIELD_POINT, GRID, SamplePlan, facts_plan, parse_month
from civpolicy.source import model as m

POINT_KINDS = {GRID: ("社区网格", "community grid"), FIELD_POINT: ("实地考察点位", "field inspection point")}
"""The kinds of points the plan samples, in words (Chinese, English)."""


@attrs.frozen
class MonthFacts:
    """The facts of one input in the month: each the unit, its name and the input's own fields."""

    input: m.InputFact
    fields: tuple[str, ...]
    """The input's fields the rows show after unit and name (not the period: it is the month)."""
    rows: tuple[dict[str, Any], ...]


@attrs.frozen
class Bulletin:
    """One month's bulletin."""

    month: str
    plan: SamplePlan
    names: dict[str, str] = attrs.field(hash=False)
    """Each unit's display name."""
    facts: tuple[MonthFacts, ...]
    """The inputs with facts in the month, in the policy's order."""
    consequences: tuple[Consequence, ...]

    def to_dict(self, digest: str, labels: Labels | None = None) -> dict[str, Any]:
        """The bulletin as JSON data: the plan (as ``sample`` prints it, with names), the month's facts, consequences.

        The facts are keyed by the list of the facts file they come from (``scores``,
        ``criticisms``); with ``labels``, each term a row holds is told beside it (``labels``).
        """
        facts: dict[str, list[dict[str, Any]]] = {}
        for found in self.facts:
            vocabularies = _vocabularies(found.input)
            rows = []
            for row in found.rows:
                data = dict(row)
                if labels is not None:
                    told = {f: labels.term(vocabularies[f], row.get(f)) for f in found.fields if f in vocabularies}
                    data["labels"] = told
                rows.append(data)
            facts[found.input.source_key] = rows
        plan = self.plan.to_dict()
        plan["points"] = [{**point, NAME: self.names.get(point[UNIT], "")} for point in plan["points"]]
        return {
            "policy": {"digest": digest},
            **plan,
            "facts": facts,
            "consequences": [{**c.to_dict(), NAME: self.names.get(c.unit, "")} for c in self.consequences],
        }


def bulletin(model: m.PolicyModel, facts: Facts, decision: Decision, month: str, seed: int = 0) -> Bulletin:
    """The bulletin of ``month`` (``YYYY-MM``; anything else is a ParameterError) on these facts and their decision."""
    label = parse_month(month).label
    plan = facts_plan(facts, label, seed)
    names = unit_names(facts)
    found = []
    for spec in model.inputs.values():
        if spec.name == UNIT_REGISTER:
            continue
        fields = tuple(
            dict.fromkeys(f.target for f in spec.fields if f.target not in (UNIT, PERIOD) and not f.gives_period)
        )
        of_month = [
            fact
            for unit in sorted(facts.by_unit)
            for fact in facts.by_unit[unit]
            if fact["type"] == spec.name and fact.get(PERIOD) == label
        ]
        if not of_month:
            continue
        of_month.sort(key=lambda fact: (fact[UNIT], canonical(fact)))
        rows = tuple({UNIT: f[UNIT], NAME: names.get(f[UNIT], ""), **{k: f.get(k) for k in fields}} for f in of_month)
        found.append(MonthFacts(spec, fields, rows))
    consequences = tuple(c for c in decision.consequences if c.period == label)
    return Bulletin(label, plan, names, tuple(found), consequences)


def _vocabularies(spec: m.InputFact) -> dict[str, str]:
    return {f.target: f.vocabulary for f in spec.fields if f.vocabulary}


def bulletin_rows(
    found: Bulletin, model: m.PolicyModel, labels: Labels
) -> list[tuple[str, list[str], list[list[str]]]]:
    """The bulletin in words: each part's title, headings and lines, in the language of ``labels``."""
    zh = labels.zh
    plan = found.plan
    title = (
        f"{plan.month} 抽查点位：{len(plan.points)} 个，共 {plan.total} 个（周期 {plan.cycle}，种子 {plan.seed}）"
        if zh
        else f"points sampled in {plan.month}: {len(plan.points)} of {plan.total} "
        f"(cycle {plan.cycle}, seed {plan.seed})"
    )
    points = [
        [
            p.id,
            (POINT_KINDS[p.kind][0 if zh else 1] if p.kind in POINT_KINDS else p.kind),
            p.unit,
            found.names.get(p.unit, ""),
        ]
        for p in plan.points
    ]
    parts = [(title, [labels.heading(f) for f in ("id", "kind", UNIT, NAME)], points)]
    for month_facts in found.facts:
        spec = month_facts.input
        vocabularies = _vocabularies(spec)
        heading = spec.description.zh if zh else spec.description.en
        parts.append(
            (
                f"{heading}（{spec.source_key}，{len(month_facts.rows)} 条）"
                if zh
                else f"{heading} ({spec.source_key}: {len(month_facts.rows)})",
                [labels.heading(f) for f in (UNIT, NAME, *month_facts.fields)],
                [
                    [row[UNIT], row[NAME], *(labels.term(vocabularies.get(f), row.get(f)) for f in month_facts.fields)]
                    for row in month_facts.rows
                ],
            )
        )
    consequences = []
    for c in found.consequences:
        kind = model.kinds.get(c.kind)
        words = (kind.description.zh if zh else kind.description.en) if kind is not None else ""
        params = " ".join(f"{name}={labels.term(None, value)}" for name, value in c.params.items())
        consequences.append(
            [
                c.unit,
                found.names.get(c.unit, ""),
                c.kind,
                words,
                params,
                c.rule,
                c.source,
                "；".join(c.because) if zh else "; ".join(c.because),
            ]
        )
    parts.append(
        (
            f"{found.month} 的后果：{len(consequences)} 项"
            if zh
            else f"consequences in {found.month}: {len(consequences)}",
            [
                labels.heading(f)
                for f in (UNIT, NAME, "consequence", "description", "params", "rule", "source", "because")
            ],
            consequences,
        )
    )
    return parts
