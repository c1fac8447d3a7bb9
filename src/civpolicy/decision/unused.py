"""Facts accepted but used by no rule: each told as a warning of the decision, with its place.

A fact is used when some rule or aggregate took it as a premise (found it, counted it or
summed it), whether or not a consequence followed. An input whose policy entry says
``unused`` (why such an item does nothing) is watched; the others never warn. When the
session checks duties, the inputs whose facts name a duty's performers (every link, every
unit) gave its occurrences, and are used.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from civpolicy.engine.workspace import Workspace
from civpolicy.errors import Problem
from civpolicy.facts.read import Facts
from civpolicy.source import model as m

_NOT_USED = {"en": "{what}: not used: {why}", "zh": "{what}：未被使用：{why}"}


def unused_facts(model: m.PolicyModel, space: Workspace, facts: Facts | None) -> Iterable[Problem]:
    """A warning for each watched input fact of the session that no rule took as a premise."""
    watched = {name: spec for name, spec in model.inputs.items() if spec.unused is not None}
    if model.calendar is not None and space.of_type(model.calendar.occurrence):
        performing = {p.facts for duty in model.duties.values() for p in duty.performers}
        watched = {name: spec for name, spec in watched.items() if name not in performing}
    if not watched:
        return
    used = space.used()
    language, labels = space.plans.language, space.plans.labels
    for fact_type, spec in watched.items():
        assert spec.unused is not None
        for fact in space.of_type(fact_type):
            if fact["id"] in used:
                continue
            why = spec.unused.render(fact.get, language, labels)
            what = spec.says.render(fact.get, language, labels)
            message = _NOT_USED.get(language, _NOT_USED["en"]).format(what=what, why=why)
            place = facts.where(fact) if facts is not None else Problem("<facts>", 1, 1, "", "")
            yield attrs.evolve(place, message=message)
