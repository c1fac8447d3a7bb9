"""Decisions: the consequences that follow from the facts, each with its provenance."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import attrs

from civpolicy.canonical import canonical_json, indented_json
from civpolicy.collector import collector_paused
from civpolicy.engine.evidence import Evidence
from civpolicy.errors import Problem
from civpolicy.facts.periods import parse_period

__all__ = ["Consequence", "Decision", "Evidence", "Finding", "ReportRow", "Told", "canonical_json", "told_later"]


class Told(Protocol):
    """Reasons kept as references: told as text and as trees when first read."""

    def because(self) -> tuple[str, ...]:
        """The reasons in words."""
        ...

    def evidence(self) -> tuple[Evidence, ...]:
        """The reasons as trees."""
        ...


class _Reasoned:
    """Where ``because`` and ``evidence`` may be told when first read (:func:`told_later`), then kept.

    Each keeps what tells it until it is told (the references go when both are told).
    """

    __slots__ = ("_telling_because", "_telling_evidence")

    def _because(self) -> tuple[str, ...]:
        """``because``, told now if not yet: as reading it, without first missing it (for the document)."""
        because: tuple[str, ...]
        try:
            told = object.__getattribute__(self, "_telling_because")
        except AttributeError:  # told already (or given)
            because = object.__getattribute__(self, "because")
            return because
        because = self._keep("because", told.because(), "_telling_because")
        return because

    def _keep(self, name: str, value: Any, telling: str) -> Any:
        """Keep a reason just told, and let go of what told it."""
        object.__setattr__(self, name, value)
        try:  # noqa: SIM105 - not contextlib.suppress: a context manager for each reason told costs more
            object.__delattr__(self, telling)
        except AttributeError:  # another thread's reading dropped it first
            pass
        return value

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            """``because`` or ``evidence`` not told yet: tell it now and keep it."""
            if name == "because":
                telling = "_telling_because"
            elif name == "evidence":
                telling = "_telling_evidence"
            else:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}", name=name, obj=self)
            try:
                told = object.__getattribute__(self, telling)
            except AttributeError:  # another thread's reading told it meanwhile
                return object.__getattribute__(self, name)
            return self._keep(name, told.because() if name == "because" else told.evidence(), telling)


R = TypeVar("R", bound=_Reasoned)


def told_later(item: R, told: Told) -> R:
    """``item`` with its ``because`` and ``evidence`` told by ``told`` when first read (as if given at the start)."""
    object.__delattr__(item, "because")
    object.__delattr__(item, "evidence")
    object.__setattr__(item, "_telling_because", told)
    object.__setattr__(item, "_telling_evidence", told)
    return item


@attrs.frozen
class Consequence(_Reasoned):
    """One consequence for one unit and period, by one rule of one clause, and why."""

    unit: str
    kind: str
    period: str
    params: dict[str, Any] = attrs.field(hash=False)
    """Hashing leaves params out (a dict); equality compares them."""
    rule: str = ""
    source: str = ""
    because: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = attrs.field(default=(), eq=False, repr=False)
    """The reasons as a tree, for ``explain``: not part of the JSON document."""
    discretionary: bool = False
    """A recommendation to weigh (优先考虑, 予以倾斜, 视情, 建议), never an order to apply as it stands."""
    provisional: bool = False
    """Rests on a result that is not final yet (an annual result computed before the year is complete)."""
    responsible: tuple[dict[str, Any], ...] | None = attrs.field(default=None, hash=False)
    """Who answers for it (``{name, role, source}``s), when the policy says (its ``responsible``)."""

    def sort_key(self) -> tuple[Any, ...]:
        """Unit, period start, kind, period end, params (contract section 2)."""
        period = parse_period(self.period)
        return (self.unit, period.start, self.kind, period.end, canonical_json(self.params))

    def identity(self) -> tuple[str, str, str, str]:
        """What makes two consequences the same one."""
        return (self.unit, self.kind, self.period, canonical_json(self.params))

    def to_dict(self, *, shared: bool = False) -> dict[str, Any]:
        """The consequence as in contract section 2 (``shared``: its own params, reasons and people, not copies)."""
        told: dict[str, Any] = {
            "unit": self.unit,
            "kind": self.kind,
            "period": self.period,
            "params": self.params if shared else dict(self.params),
            "rule": self.rule,
            "source": self.source,
            "because": self._because() if shared else [*self._because()],
            "discretionary": self.discretionary,
            "provisional": self.provisional,
        }
        if self.responsible is not None:
            told["responsible"] = self.responsible if shared else [*map(dict, self.responsible)]
        return told


@attrs.frozen
class Finding(_Reasoned):
    """A duty occurrence with no matching activity, or only a late one: for the headquarters to weigh."""

    who: str
    kind: str
    period: str
    """The occurrence's period as written: ``2023-W19``, ``2023-05``, ``2023-Q2``, ``2023``."""
    params: dict[str, Any] = attrs.field(hash=False)
    rule: str = ""
    source: str = ""
    because: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = attrs.field(default=(), eq=False, repr=False)
    responsible: tuple[dict[str, Any], ...] | None = attrs.field(default=None, hash=False)

    def to_dict(self, *, shared: bool = False) -> dict[str, Any]:
        """The finding as in the decision document's ``findings`` (``shared``: as :meth:`Consequence.to_dict`)."""
        told: dict[str, Any] = {
            "who": self.who,
            "kind": self.kind,
            "period": self.period,
            "params": self.params if shared else dict(self.params),
            "rule": self.rule,
            "source": self.source,
            "because": self._because() if shared else [*self._because()],
        }
        if self.responsible is not None:
            told["responsible"] = self.responsible if shared else [*map(dict, self.responsible)]
        return told


@attrs.frozen
class ReportRow(_Reasoned):
    """One reported derived fact with its reasons."""

    values: dict[str, Any] = attrs.field(hash=False)
    because: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = attrs.field(default=(), eq=False, repr=False)

    def to_dict(self, *, shared: bool = False) -> dict[str, Any]:
        """The row as in the decision document (``shared``: its own reasons, not a copy)."""
        told = dict(self.values)
        told["because"] = self._because() if shared else [*self._because()]
        return told


@attrs.frozen
class Decision:
    """Every consequence that follows from a set of facts under one policy, and the reports."""

    policy_digest: str
    consequences: tuple[Consequence, ...]
    reports: dict[str, tuple[ReportRow, ...]] = attrs.field(factory=dict, hash=False)
    """The policy's reports by name, each a sorted tuple of rows."""
    warnings: tuple[Problem, ...] = ()
    """Facts accepted but left unused, or dropped, each with its file, line and why (sorted)."""
    rules_run: frozenset[str] = attrs.field(default=frozenset(), eq=False, repr=False)
    """Every rule and aggregate that derived a fact or fired (for coverage): not part of the JSON document."""
    findings: tuple[Finding, ...] | None = None
    """Duty findings, beside the consequences (None: the policy has no finding kind, and no such list)."""

    def report_for_unit(self, name: str, unit: str) -> tuple[ReportRow, ...]:
        """The rows of one report for one unit."""
        return tuple(row for row in self.reports.get(name, ()) if row.values.get("unit") == unit)

    def for_unit(self, unit: str) -> tuple[Consequence, ...]:
        """The consequences of one unit."""
        return tuple(c for c in self.consequences if c.unit == unit)

    def to_dict(self) -> dict[str, Any]:
        """The decision document of contract section 2."""
        with collector_paused():
            return self._document()

    def to_json(self) -> str:
        """The decision document as JSON text: byte-identical for the same facts and policy."""
        with collector_paused():
            return indented_json(self._document(shared=True), finite=True)

    def _document(self, *, shared: bool = False) -> dict[str, Any]:
        """The document (``shared``: for writing at once, with the values' own parts, not copies)."""
        document: dict[str, Any] = {
            "policy": {"digest": self.policy_digest},
            "consequences": [c.to_dict(shared=shared) for c in self.consequences],
        }
        if self.findings is not None:
            document["findings"] = [f.to_dict(shared=shared) for f in self.findings]
        for name, rows in self.reports.items():
            document[name] = [row.to_dict(shared=shared) for row in rows]
        document["warnings"] = [
            {"file": p.file, "line": p.line, "field": p.path, "message": p.message} for p in self.warnings
        ]
        return document
