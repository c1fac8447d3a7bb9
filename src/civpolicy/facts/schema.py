"""JSON Schemas of a policy's facts and decisions, for the systems that send and read them.

Both are made from the policy, not written by hand: the facts schema from its ``inputs``
(each list, each field's type, range, vocabulary or period kinds, what is required), the
decision schema from its consequence kinds (their period kinds and params) and reports.
A change of the policy changes them with it.

A schema is looser than civpolicy: facts it accepts may still be refused (a unit not in
``units``, one key given twice with two values, weights that do not add up, a text of
only invisible characters), so a sender validates early and civpolicy still has the last
word. What civpolicy accepts and gives always meets the schemas (property-tested).
"""

from __future__ import annotations

from typing import Any

from civpolicy.facts.periods import KINDS
from civpolicy.source import model as m

DIALECT = "https://json-schema.org/draft/2020-12/schema"
_YEAR = "[1-9][0-9]{3}"
_PERIOD_SUFFIX = {"year": "", "half": "-H[12]", "quarter": "-Q[1-4]", "month": "-(?:0[1-9]|1[0-2])"}
"""How each kind of period is written after its year (``2022``, ``2022-H1``, ``2022-Q3``, ``2022-05``)."""


def _period(kinds: tuple[str, ...], integer_year: bool) -> dict[str, Any]:
    """A period of these kinds (every kind when none is named); a bare year may also be a number in facts."""
    kinds = tuple(kind for kind in KINDS if kind in kinds) if kinds else tuple(KINDS)
    alternatives = "|".join(_PERIOD_SUFFIX[kind] for kind in kinds if _PERIOD_SUFFIX[kind])
    optional = "?" if "year" in kinds else ""
    pattern = f"^{_YEAR}(?:{alternatives}){optional}$" if alternatives else f"^{_YEAR}$"
    written: dict[str, Any] = {"type": "string", "pattern": pattern}
    if not (integer_year and "year" in kinds):
        return written
    return {"anyOf": [written, {"type": "integer", "minimum": 1000, "maximum": 9999}]}


def _field(field: m.InputField, vocabularies: dict[str, tuple[m.Term, ...]]) -> dict[str, Any]:
    """One input field's schema."""
    schema: dict[str, Any]
    if field.type in ("text", "unit"):
        schema = {"type": "string", "pattern": r"\S"}
    elif field.type == "boolean":
        schema = {"type": "boolean"}
    elif field.type in ("integer", "year", "number"):
        schema = {"type": "number" if field.type == "number" else "integer"}
        low, high = (1000, 9999) if field.type == "year" else (field.minimum, field.maximum)
        schema.update({key: value for key, value in (("minimum", low), ("maximum", high)) if value is not None})
    elif field.type == "period":
        schema = _period(field.kinds, integer_year=True)
    elif field.type == "date":
        schema = {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
    else:  # a choice
        schema = {"enum": list(field.choices(vocabularies))}
    if field.vocabulary:
        terms = vocabularies.get(field.vocabulary, ())
        schema["description"] = "; ".join(f"{term.id}: {term.zh} / {term.en}" for term in terms)
    if field.default is not None:
        schema["default"] = field.default
    return schema


def facts_schema(policy: m.PolicyModel) -> dict[str, Any]:
    """The schema of a facts document (contract section 1) under this policy."""
    properties: dict[str, Any] = {}
    in_force = _in_force(policy.in_force)
    for spec in policy.inputs.values():
        fields = {field.name: _field(field, policy.vocabularies) for field in spec.fields}
        for field in spec.fields:
            if in_force and field.type in ("period", "year"):
                fields[field.name]["description"] = in_force
        item = {
            "type": "object",
            "properties": fields,
            "required": [field.name for field in spec.fields if field.required],
            "additionalProperties": False,
        }
        properties[spec.source_key] = {
            "description": f"{spec.description.zh} / {spec.description.en}",
            "type": "array" if spec.required else ["array", "null"],
            "items": item,
        }
    return {
        "$schema": DIALECT,
        "title": f"civpolicy facts: {policy.title}",
        "description": " ".join(
            filter(None, ("Made from the policy's inputs. civpolicy checks more than this schema says.", in_force))
        ),
        "type": "object",
        "properties": properties,
        "required": [spec.source_key for spec in policy.inputs.values() if spec.required],
        "additionalProperties": False,
    }


def _in_force(in_force: m.InForce | None) -> str:
    """What the policy's in-force date asks of periods, in words (nothing: it has none)."""
    if in_force is None:
        return ""
    clause = f" ({in_force.citation.source})" if in_force.citation else ""
    return (
        f"In force from {in_force.since}{clause}: a period or year that ends before it is refused "
        "(left out with a warning under --ignore-out-of-force)."
    )


def _texts() -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}}


def _consequence_kind(kind: m.ConsequenceKind, rules: list[str]) -> dict[str, Any]:
    """What one kind of consequence requires of its period, params and rule."""
    return {
        "if": {"properties": {"kind": {"const": kind.name}}},
        "then": {
            "description": f"{kind.name}: {kind.description.zh} / {kind.description.en}",
            "properties": {
                "period": _period(kind.period_kinds, integer_year=False),
                "params": {
                    "type": "object",
                    "properties": {name: {} for name in kind.params},
                    "required": list(kind.params),
                    "additionalProperties": False,
                },
                "rule": {"enum": rules},
                "discretionary": {"const": kind.discretionary},
            },
        },
    }


def _people(policy: m.PolicyModel) -> dict[str, Any]:
    """Who answers for a consequence or finding: the fields the policy's ``responsible`` shows."""
    fields = policy.responsible.fields if policy.responsible is not None else ()
    return {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {field: {} for field in fields},
            "required": list(fields),
            "additionalProperties": False,
        },
    }


def _finding(policy: m.PolicyModel) -> dict[str, Any]:
    """A finding of any finding kind of the policy."""
    kinds = sorted(kind.name for kind in policy.kinds.values() if kind.finding)
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "who": {"type": "string"},
            "kind": {"enum": kinds},
            "period": {"type": "string"},
            "params": {"type": "object"},
            "rule": {"type": "string"},
            "source": {"type": "string"},
            "because": _texts(),
        },
        "required": ["who", "kind", "period", "params", "rule", "source", "because"],
        "additionalProperties": False,
    }
    if policy.responsible is not None:
        schema["properties"]["responsible"] = _people(policy)
        schema["required"].append("responsible")
    return schema


def _consequence(policy: m.PolicyModel) -> dict[str, Any]:
    """A consequence of any kind of the policy (contract section 2)."""
    kinds = sorted((kind for kind in policy.kinds.values() if not kind.finding), key=lambda kind: kind.name)
    schema = _consequence_of(policy, kinds)
    if policy.responsible is not None:
        schema["properties"]["responsible"] = _people(policy)
        schema["required"].append("responsible")
    return schema


def _consequence_of(policy: m.PolicyModel, kinds: list[m.ConsequenceKind]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "unit": {"type": "string"},
            "kind": {"enum": [kind.name for kind in kinds]},
            "period": {"type": "string"},
            "params": {"type": "object"},
            "rule": {"type": "string"},
            "source": {"type": "string"},
            "because": _texts(),
            "discretionary": {"type": "boolean", "description": "a recommendation to weigh, not an order"},
            "provisional": {"type": "boolean", "description": "rests on a result that is not final yet"},
        },
        "required": ["unit", "kind", "period", "params", "rule", "source", "because", "discretionary", "provisional"],
        "additionalProperties": False,
        "allOf": [
            _consequence_kind(kind, [rule.id for rule in policy.rules if rule.head == kind.name]) for kind in kinds
        ],
    }


def decision_schema(policy: m.PolicyModel) -> dict[str, Any]:
    """The schema of a decision document (contract section 2) under this policy."""
    properties: dict[str, Any] = {
        "policy": {
            "type": "object",
            "properties": {"digest": {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"}},
            "required": ["digest"],
            "additionalProperties": False,
        },
        "consequences": {"type": "array", "items": _consequence(policy)},
    }
    if any(kind.finding for kind in policy.kinds.values()):
        properties["findings"] = {
            "description": "duty occurrences with no matching activity, or only a late one (never consequences)",
            "type": "array",
            "items": _finding(policy),
        }
    for name, report in policy.reports.items():
        properties[name] = {
            "description": f"{report.description.zh} / {report.description.en}",
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    **{field: {} for field in report.fields},
                    "provisional": {"type": "boolean"},
                    "because": _texts(),
                },
                "required": [*report.fields, "provisional", "because"],
                "additionalProperties": False,
            },
        }
    properties["warnings"] = {
        "description": "facts accepted but left unused, or dropped: where each stands and why",
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "file": {"type": "string"},
                "line": {"type": "integer", "minimum": 1},
                "field": {"type": "string"},
                "message": {"type": "string"},
            },
            "required": ["file", "line", "field", "message"],
            "additionalProperties": False,
        },
    }
    return {
        "$schema": DIALECT,
        "title": f"civpolicy decision: {policy.title}",
        "description": "Made from the policy's consequence kinds and reports.",
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
