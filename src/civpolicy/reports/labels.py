"""What the published tables share: the headings of their columns and the labels of values, in a language.

The words come from the policy wherever it has them: a value is told by its label in the
vocabulary its field takes (a unit category by 中心城区社区（行政村）), and a column is
headed by its term in the vocabulary :data:`FIELD_LABELS` when the policy has one; the
few words the tables add themselves (rank, name, how the score was made) are here.
Which vocabulary a field takes is read from the policy: the ``{field:terms}`` placeholders
of its fact's sentence (``says``), or the choice fields of the inputs of that name.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from civpolicy.facts.read import UNIT_REGISTER, Facts
from civpolicy.source import model as m
from civpolicy.source.expressions import show

NAME = "name"
"""The units register's field of a unit's display name."""
FIELD_LABELS = "field_labels"
"""The vocabulary whose terms head the fields of published tables (``{id: score, zh: 成绩, en: score}``)."""

HEADINGS: dict[str, tuple[str, str]] = {
    "rank": ("名次", "rank"),
    "unit": ("单位", "unit"),
    "name": ("名称", "name"),
    "score": ("成绩", "score"),
    "period": ("考评期", "period"),
    "category": ("类别", "category"),
    "basis": ("依据", "basis"),
    "provisional": ("暂定", "provisional"),
    "size": ("参评单位数", "units ranked"),
    "how": ("成绩由来", "how the score was made"),
    "because": ("理由", "because"),
    "description": ("说明", "what it means"),
    "id": ("编号", "id"),
    "kind": ("类型", "kind"),
    "consequence": ("后果", "consequence"),
    "params": ("参数", "params"),
    "rule": ("规则", "rule"),
    "source": ("条款", "clause"),
}
"""Headings of the columns the tables have whatever the policy (Chinese, English); the policy's own win."""


class Labels:
    """Headings and value labels of one policy in one language (``zh``, else English)."""

    def __init__(self, model: m.PolicyModel, language: str = "en") -> None:
        self.model = model
        self.language = language
        self.zh = language == "zh"
        self.terms = {
            name: {term.id: (term.zh if self.zh else term.en) or term.id for term in terms}
            for name, terms in model.vocabularies.items()
        }
        own = self.terms.get(FIELD_LABELS, {})
        self.headings = {field: words[0] if self.zh else words[1] for field, words in HEADINGS.items()} | own

    def heading(self, field: str) -> str:
        """A column's heading: the policy's term for the field, the table's own word, or the field's name."""
        return self.headings.get(field, field)

    def term(self, vocabulary: str | None, value: Any) -> str:
        """A value as the tables show it: a term by its label, null and yes/no in words, a number as written."""
        if vocabulary is not None and isinstance(value, str):
            return self.terms.get(vocabulary, {}).get(value, value)
        return show(value, self.language)

    def order(self, vocabulary: str | None) -> dict[str, int]:
        """The place of each term in its vocabulary, as the policy lists them."""
        terms = self.model.vocabularies.get(vocabulary or "", ())
        return {term.id: index for index, term in enumerate(terms)}


def input_vocabularies(model: m.PolicyModel) -> dict[str, str]:
    """Each fact field that the inputs' choice fields of that name all take from one vocabulary: that vocabulary."""
    found: dict[str, set[str]] = {}
    for spec in model.inputs.values():
        for field in spec.fields:
            if field.vocabulary:
                found.setdefault(field.target, set()).add(field.vocabulary)
    return {name: next(iter(names)) for name, names in found.items() if len(names) == 1}


def fact_vocabularies(model: m.PolicyModel, fact_type: str, fields: Iterable[str]) -> dict[str, str]:
    """The vocabulary each of ``fields`` of a fact type takes, where the policy tells it.

    An input's field says it; a derived fact's sentence says it (``{basis:grade_bases}`` in
    its ``says``); failing both, a field named as the inputs' choice fields that take
    one vocabulary takes that one (``category``: the unit categories).
    """
    told: dict[str, str] = {}
    spec = model.inputs.get(fact_type)
    if spec is not None:
        told.update({field.target: field.vocabulary for field in spec.fields if field.vocabulary})
    derived = model.derived.get(fact_type)
    if derived is not None:
        for name, vocabulary in derived.says.labelled():
            if "." not in name:
                told.setdefault(name, vocabulary)
    fallback = input_vocabularies(model)
    return {name: told.get(name) or fallback[name] for name in fields if name in told or name in fallback}


def unit_register(facts: Facts, unit: str) -> dict[str, Any]:
    """A unit's entry in the units register (empty for a unit it does not hold)."""
    return next((f for f in facts.by_unit.get(unit, ()) if f["type"] == UNIT_REGISTER), {})


def unit_names(facts: Facts) -> dict[str, str]:
    """Each unit's display name in the units register ('' where it has none)."""
    return {unit: str(unit_register(facts, unit).get(NAME) or "") for unit in facts.units}
