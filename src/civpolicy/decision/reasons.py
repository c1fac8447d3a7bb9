"""Reasons kept as references and told when read: as text (``because``) and as a tree of :class:`Evidence`.

A consequence, a finding or a report row keeps the workspace and the derivation it rests
on; its ``because`` and ``evidence`` are told from them the first time they are read
(:class:`civpolicy.decision.values.Told`), each fact's reasons once per workspace.
"""

from __future__ import annotations

from civpolicy.engine.evidence import Evidence
from civpolicy.engine.workspace import Derivation, Workspace
from civpolicy.source import model as m


class Teller:
    """Tells facts' reasons as trees, with the clause of each derived fact's type."""

    __slots__ = ("_sources",)

    def __init__(self, model: m.PolicyModel) -> None:
        self._sources = {
            name: derived.citation.source if derived.citation else None for name, derived in model.derived.items()
        }

    def evidence(self, space: Workspace, fact_id: str) -> Evidence:
        """A fact's reasons as a tree (told once per fact and workspace)."""
        known = space.evidence.get(fact_id)
        if known is None:
            known = space.evidence[fact_id] = self._new_evidence(space, fact_id)
        return known

    def _new_evidence(self, space: Workspace, fact_id: str) -> Evidence:
        derivation = space.derivations.get(fact_id)
        if derivation is None:
            return Evidence(space.describe(fact_id))
        return Evidence(
            text=space.describe(fact_id),
            rule=derivation.rule,
            source=self._sources.get(space.facts[fact_id]["type"]),
            premises=self.premises(space, derivation),
            absent=derivation.absent,
        )

    def premises(self, space: Workspace, derivation: Derivation, unfold_all: bool = False) -> tuple[Evidence, ...]:
        """The reasons of a derivation's premises (those past ``expand`` in words only, unless ``unfold_all``)."""
        unfold = len(derivation.premises) if unfold_all or derivation.expand is None else derivation.expand
        premises = [self.evidence(space, p) for p in derivation.premises[:unfold]]
        premises += [Evidence(space.describe(p)) for p in derivation.premises[unfold:]]
        return tuple(premises)


class Reasons:
    """A derivation's reasons, not told yet: its premises in words, then what was absent."""

    __slots__ = ("_derivation", "_space", "_teller", "_unfold_all")

    def __init__(self, teller: Teller, space: Workspace, derivation: Derivation, unfold_all: bool) -> None:
        self._teller = teller
        self._space = space
        self._derivation = derivation
        self._unfold_all = unfold_all
        """A consequence unfolds every premise; a report row only its derivation's ``expand`` first."""

    def because(self) -> tuple[str, ...]:
        """Each premise in words, then each note of what was absent."""
        derivation = self._derivation
        return tuple(map(self._space.describe, derivation.premises)) + derivation.absent

    def evidence(self) -> tuple[Evidence, ...]:
        """The premises' reasons as trees, then each note of what was absent."""
        derivation = self._derivation
        premises = self._teller.premises(self._space, derivation, self._unfold_all)
        return premises + tuple(Evidence(text) for text in derivation.absent)
