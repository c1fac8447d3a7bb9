"""Static checks of a policy that is well-formed but may not mean what its author meant.

- a rule that can never fire: it asks a field for a value the field never takes (a value
  outside a vocabulary, a table's rows, or the constants every rule giving the fact writes);
- a sentence's ``{field:terms}`` whose vocabulary does not hold every value the field can
  take (it would be told as written, not by its label);
- two rules that give the same consequence for the same facts (double counting);
- a parameter that no rule uses;
- a parameter ``set_by: document`` whose value is no number its quote gives (the county's
  number claimed as the document's);
- an invariant or report that names a consequence kind, parameter or fact that does not exist.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

from civpolicy.checks.crossref import fact_fields
from civpolicy.checks.terms import Known, known_values, placeholder_terms
from civpolicy.errors import Problem
from civpolicy.source import model as m
from civpolicy.source.expressions import Const, Expr, Ref, did_you_mean, references
from civpolicy.source.strict_yaml import SURROGATE


def lint(policy: m.PolicyModel) -> list[Problem]:
    """Every static problem of a policy, located."""
    known = known_values(policy)
    return [
        *never_fire(policy, known),
        *placeholder_terms(policy, known),
        *_double_counting(policy),
        *_unused_parameters(policy),
        *_not_the_document_s_number(policy),
        *_invariant_names(policy),
    ]


_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUMBER = re.compile(r"[0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?|[零〇一二两三四五六七八九十百千万]+")
_NUMERAL = "零〇一二两三四五六七八九十百千万0-9"
_NOT_NUMBERS = re.compile(
    f"(?<![{_NUMERAL}])(?:统一|进一步|一律|一般|一定|一致|一切|一起|一同|一道|一并|一旦|一体|一线|一贯|唯一|同一|逐一|万一)"
    f"(?![{_NUMERAL}])"
)
"""Words written with numerals that are no numbers (统一, 进一步), when no numeral stands beside them."""
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def quoted_numbers(text: str) -> list[int | float]:
    """The numbers a quote gives, in figures (``扣5分``, ``５``, ``1,000``) or Chinese numerals (``三``, ``一千二百``).

    Two numerals side by side are two numbers (``十二三``: 12 and 13); words that only
    look like numbers (统一, 进一步) give none.
    """
    found: list[int | float] = []
    for word in _NUMBER.findall(_NOT_NUMBERS.sub(" ", text.translate(_FULL_WIDTH_DIGITS))):
        if word[0].isdigit():
            figures = word.replace(",", "")
            found.append(float(figures) if "." in figures else int(figures))
        else:
            found.extend(_chinese_numbers(word))
    return found


def _chinese_numbers(word: str) -> list[int]:
    """The numbers a run of Chinese numerals writes (``一千二百`` 1200, ``十二三`` 12 and 13, ``二〇二二`` 2022)."""
    if not any(char in _UNITS or char == "万" for char in word) and (len(word) > 2 or "〇" in word or "零" in word):
        return [int("".join(str(_DIGITS[char]) for char in word))]  # digit by digit, as a year is written
    numbers: list[int] = []
    total = section = 0
    digit: int | None = None
    for char in word:
        if char in _DIGITS:
            if digit is not None and digit != 0 and _DIGITS[char] != 0:  # 十二三: twelve, thirteen
                numbers.append(total + section + digit)
            digit = _DIGITS[char]
        elif char in _UNITS:
            section += (1 if digit is None else digit) * _UNITS[char]
            digit = None
        else:  # 万: what came before it (one, when nothing did) ten thousand times
            total = ((total + section + (digit or 0)) or 1) * 10000
            section, digit = 0, None
    numbers.append(total + section + (digit or 0))
    return numbers


def _not_the_document_s_number(policy: m.PolicyModel) -> Iterator[Problem]:
    for name, parameter in policy.parameters.items():
        if parameter.set_by != "document" or parameter.citation is None or parameter.choices:
            continue  # a text has no number to find in the quote; a dated parameter's first value is the document's
        numbers = quoted_numbers(parameter.citation.text)
        if isinstance(parameter.value, str) or abs(parameter.value) not in numbers:
            gives = f"it gives {', '.join(map(str, dict.fromkeys(numbers)))}" if numbers else "it gives none"
            message = (
                f"parameter {name} is set_by: document, but its value {parameter.value} is no number its quote "
                f"gives ({gives}); a number the document does not give is set_by: headquarters"
            )
            yield Problem(parameter.file, parameter.line, 1, message, f"parameters.{name}.value")


def never_fire(policy: m.PolicyModel, known: Known | None = None) -> Iterator[Problem]:
    """Rules that ask a field for a value it never takes: each rule is judged on its own."""
    known, labels = known_values(policy) if known is None else known, _labels(policy)
    for rule in policy.all_rules():
        for pattern in rule.when:
            if pattern.negated:
                continue
            for test in pattern.tests:
                values = known.get((pattern.fact_type, test.field))
                if values is None or not isinstance(test.value, Const):
                    continue
                if test.op not in ("in", "eq"):
                    continue
                try:
                    wanted = set(test.value.value) if test.op == "in" else {test.value.value}
                except TypeError:  # a list or mapping among the values: told as a bad value where it stands
                    continue
                if any(_refused_where_it_stands(value) for value in (*wanted, *values)):
                    continue  # .nan equals nothing, not even itself; told where it stands (strict_values)
                if not wanted & values:
                    names = sorted(map(str, values))
                    asked = " or ".join(repr(value) for value in sorted(wanted, key=str))
                    takes = f"it is one of {', '.join(names)}" if names else f"no {pattern.fact_type} is ever derived"
                    message = (
                        f"rule {rule.id} can never fire: {pattern.fact_type}.{test.field} is never "
                        f"{asked} ({takes}){_hint(wanted, names, labels)}"
                    )
                    yield Problem(rule.file, pattern.line or rule.line, 1, message, f"{rule.id}.when")


def _refused_where_it_stands(value: Any) -> bool:
    """A value the policy loader refuses (``.nan``, ``.inf``, a lone surrogate): no rule is judged by it."""
    if isinstance(value, float):
        return not math.isfinite(value)
    return isinstance(value, str) and SURROGATE.search(value) is not None


def _labels(policy: m.PolicyModel) -> dict[str, str]:
    """Each vocabulary term's Chinese label, and the id a rule writes for it."""
    return {term.zh: term.id for terms in policy.vocabularies.values() for term in terms if term.zh}


def _hint(wanted: set[Any], names: list[str], labels: dict[str, str]) -> str:
    """Why a value a rule asks for is never taken, when a likely cause is known."""
    texts = sorted(value for value in wanted if isinstance(value, str))
    if any(mark in text for text in texts for mark in "，、；"):
        return " (a full-width comma '，' or '、' does not separate items in YAML: write ', ')"
    for text in texts:
        terms = sorted((zh, term) for zh, term in labels.items() if term in names)
        exact = [term for zh, term in terms if zh == text]
        holding = [term for zh, term in terms if zh in text]  # the label and more
        held = [term for zh, term in terms if text and text in zh]  # a part of the label
        ids = exact or holding or held
        if ids:
            return f" ('{text}' is written {ids[0]!r}: a rule names a term by its id)"
    return did_you_mean(texts[0], names) if len(texts) == 1 else ""


def _canonical(rule: m.Rule) -> str:
    """A rule's conditions and output with its names replaced by their order."""
    names = {p.alias: f"#{i}" for i, p in enumerate(rule.when) if p.alias}

    def expr(value: Expr) -> Any:
        if isinstance(value, Ref):
            return f"${names.get(value.scope, value.scope)}.{value.name}"
        if isinstance(value, Const):
            return value.value if not isinstance(value.value, tuple) else list(value.value)
        return {value.op: [expr(arg) for arg in value.args]}

    patterns = sorted(
        json.dumps([p.fact_type, p.negated, sorted((t.field, t.op, expr(t.value)) for t in p.tests)], default=str)
        for p in rule.when
    )
    output = sorted((name, json.dumps(expr(value), default=str)) for name, value in rule.then.fields)
    return json.dumps([rule.head, patterns, output])


def _double_counting(policy: m.PolicyModel) -> Iterator[Problem]:
    seen: dict[str, m.Rule] = {}
    for rule in policy.rules:
        key = _canonical(rule)
        if key in seen:
            first = seen[key]
            message = f"rules {first.id} and {rule.id} give the same consequence for the same facts (double counting)"
            yield Problem(rule.file, rule.line, 1, message, rule.id)
        else:
            seen[key] = rule


def _used_parameters(policy: m.PolicyModel) -> set[str]:
    exprs: list[Expr] = []
    for rule in policy.all_rules():
        exprs += [t.value for p in rule.when for t in p.tests] + [e for _, e in rule.then.fields]
    for derived in policy.derived.values():
        agg = derived.aggregate
        if agg is not None:
            exprs += [t.value for p in (agg.each, agg.over) for t in p.tests]
            exprs += [e for _, e in agg.then.fields] + list(agg.order_by) + ([agg.value] if agg.value else [])
    exprs += [day for duty in policy.duties.values() for day in duty.schedule.days or ()]
    used = {ref.name for e in exprs for ref in references(e) if ref.scope == "params"}
    for invariant in policy.invariants:
        text = json.dumps(invariant.spec)
        used |= {name for name in policy.parameters if f"$params.{name}" in text}
    return used


def _unused_parameters(policy: m.PolicyModel) -> Iterator[Problem]:
    used = _used_parameters(policy)
    for name, parameter in policy.parameters.items():
        if name not in used:
            advice = f"write ${'params'}.{name} where a rule needs it, or delete the parameter"
            message = f"parameter {name} is used by no rule ({advice})"
            yield Problem(parameter.file, parameter.line, 1, message, f"parameters.{name}")


def _invariant_names(policy: m.PolicyModel) -> Iterator[Problem]:
    fields = fact_fields(policy)
    sources = {spec.source_key: spec for spec in policy.inputs.values()}
    for invariant in policy.invariants:
        spec = invariant.spec
        kinds = [spec["consequence"]] if "consequence" in spec else []
        for setting in ("consequences", "covered", "kept", "never_gained"):
            kinds += list(spec.get(setting) or [])
        kinds += list((spec.get("not_earlier") or {}).keys())
        for kind in kinds:
            if kind not in policy.kinds:
                hint = did_you_mean(str(kind), policy.kinds)
                yield Problem(invariant.file, invariant.line, 1, f"no consequence kind {kind!r}{hint}", invariant.id)
        for name in [*(spec.get("bounds") or {}), *(spec.get("order") or {})]:
            params = policy.kinds[spec["consequence"]].params if spec.get("consequence") in policy.kinds else ()
            if name not in params:
                yield Problem(
                    invariant.file, invariant.line, 1, f"{spec.get('consequence')} has no param {name!r}", invariant.id
                )
        text = json.dumps(spec)
        for word in text.split('"'):
            if word.startswith("$params.") and word.removeprefix("$params.") not in policy.parameters:
                yield Problem(invariant.file, invariant.line, 1, f"no parameter {word!r}", invariant.id)
        change = spec.get("change")
        if change is not None:
            source = sources.get(change.get("facts", ""))
            if source is None:
                yield Problem(invariant.file, invariant.line, 1, f"no facts list {change.get('facts')!r}", invariant.id)
            elif change.get("field") not in fields[source.name]:
                yield Problem(
                    invariant.file,
                    invariant.line,
                    1,
                    f"{source.name} has no field {change.get('field')!r}",
                    invariant.id,
                )
