"""One unit's evaluation in progress: its facts, what derived them, and what they fired.

Engines decide *which* rule fires with *which* facts; everything else is here and is
the same for every engine: giving a rule's output, computing aggregates, keeping each
derived fact once with its provenance, and recording the consequences that fired.

Engines find matches in different orders, so nothing kept here may depend on that
order: a fact derived more than once keeps its canonical derivation (chosen by
:meth:`Workspace.finish` among all of them), and a rule output that cannot be computed
is recorded, not raised, so that :meth:`Workspace.finish` raises the error of the
least-ranked failing firing, whichever failed first.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable, Mapping
from fractions import Fraction
from typing import Any

import attrs

from civpolicy.engine.evidence import Evidence
from civpolicy.engine.plans import AggregatePlan, Plans, RulePlan, filtered, keyed
from civpolicy.errors import EngineError
from civpolicy.facts.items import Fact, canonical
from civpolicy.facts.periods import PeriodSyntaxError, parse_period, period_fields
from civpolicy.source.expressions import ExpressionError, Labels, plain_number, show
from civpolicy.source.reader import is_number

Bindings = Mapping[str, Fact | None]
Groups = dict[tuple[Any, ...], list[Fact]]
"""An aggregate's groups: the facts ``over`` may take, by join key."""


Notes = tuple[RulePlan, Bindings, str, Labels | None]
"""What it takes to tell a rule's absent facts in words: the rule, the facts it matched, the language."""


class Derivation:
    """How a fact came about: by which rule, from which facts, and what was absent.

    What was absent is told in words when first read (``absent``), from the matched facts
    kept with it: most derivations are never explained.
    """

    __slots__ = ("_absent", "_notes", "expand", "premises", "rule")

    def __init__(
        self,
        rule: str,
        premises: tuple[str, ...],
        absent: tuple[str, ...] = (),
        expand: int | None = None,
        *,
        notes: Notes | None = None,
    ) -> None:
        self.rule = rule
        self.premises = premises
        self.expand = expand
        """How many premises an explanation unfolds (None: all); a group's members are listed flat."""
        self._absent: tuple[str, ...] | None = absent if notes is None else None
        self._notes = notes

    @property
    def absent(self) -> tuple[str, ...]:
        """The notes of what was absent, in words."""
        if self._absent is None:
            assert self._notes is not None
            self._absent = tuple(_notes(*self._notes))
            self._notes = None
        return self._absent

    def _fields(self) -> tuple[Any, ...]:
        return (self.rule, self.premises, self.absent, self.expand)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Derivation) and self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        told = f"rule={self.rule!r}, premises={self.premises!r}, absent={self.absent!r}, expand={self.expand!r}"
        return f"Derivation({told})"


@attrs.frozen
class Firing:
    """A consequence rule that fired: what it gives and from which facts."""

    unit: str
    kind: str
    period: str
    params: dict[str, Any]
    rule: RulePlan
    derivation: Derivation


class Workspace:
    """The facts of one unit's evaluation, with provenance, and the firings so far."""

    def __init__(self, plans: Plans, offers_once: bool = False) -> None:
        self.plans = plans
        self.facts: dict[str, Fact] = {}
        self.by_type: dict[str, list[Fact]] = {}
        self.derivations: dict[str, Derivation] = {}
        """Each derived fact's derivation: canonical once :meth:`finish` has run."""
        self._derived: dict[tuple[tuple[str, ...], Any], Fact] = {}
        """Derived facts by content (:func:`content_key`; true and 1 alike: see ``_typed``)."""
        self._typed: dict[frozenset[tuple[str, Any]], Fact] = {}
        """Derived facts whose content equals an earlier one's but for true against 1, by typed content."""
        self._more: dict[str, list[Derivation]] = {}
        """The other derivations of facts derived more than once."""
        self.failures: list[tuple[Derivation, EngineError]] = []
        """Firings whose output could not be computed, with the error."""
        self._finished = False
        self.firings: list[Firing] = []
        self._fired: set[tuple[str, tuple[str, ...]]] | None = None if offers_once else set()
        """What fired, by rule and premises; None when the engine offers each combination only once."""
        self._described: dict[str, str] = {}
        self._order_keys: dict[str, tuple[Any, ...]] = {}
        self.evidence: dict[str, Evidence] = {}
        """Each fact's reasons once told (filled by whoever tells them)."""
        self.provisional: dict[str, bool] = {}
        """Whether each fact rests on a provisional one, once asked (filled by whoever asks)."""

    def _store(self, fact: Fact) -> Fact:
        self.facts[fact["id"]] = fact
        same_type = self.by_type.get(fact["type"])
        if same_type is None:
            self.by_type[fact["type"]] = [fact]
        else:
            same_type.append(fact)
        return fact

    def add_inputs(self, facts: Iterable[Fact]) -> list[Fact]:
        """Store the (already validated) input facts and the policy's table rows."""
        stored = [self._store({**fact, "id": f"{fact['type']}:{fact['seq']}"}) for fact in facts]
        for index, (name, row) in enumerate(self.plans.policy.tables):
            stored.append(self._store({"type": name, **row, "seq": index, "id": f"{name}:{index}"}))
        return stored

    def derive(self, fact: Fact, derivation: Derivation) -> Fact | None:
        """Store a derived fact with its provenance; None if the same fact is already known.

        A fact derived again keeps every derivation; :meth:`finish` chooses one. true is
        not 1: facts that differ only so are two facts.
        """
        key = content_key(fact)
        known = self._derived.get(key)
        if known is None:
            self._derived[key] = fact
        else:
            # (k, True) == (k, 1): the same only if booleans are where booleans were.
            if any((value.__class__ is bool) is not (known[name].__class__ is bool) for name, value in fact.items()):
                typed = _typed_key(fact)
                known = self._typed.get(typed)
                if known is None:
                    self._typed[typed] = fact
            if known is not None:
                self._more.setdefault(known["id"], []).append(derivation)
                return None
        fact["id"] = f"{fact['type']}#{len(self.facts)}"
        self.derivations[fact["id"]] = derivation
        return self._store(fact)

    def of_type(self, fact_type: str) -> list[Fact]:
        """Every known fact of a type."""
        return self.by_type.get(fact_type, [])

    def fire(self, plan: RulePlan, env: Bindings) -> Fact | None:
        """Give a rule's output for these facts once; return a new derived fact, if any."""
        rule = plan.rule
        premises = tuple(fact["id"] for alias in plan.premise_aliases if (fact := env.get(alias)) is not None)
        if self._fired is not None:
            key = (rule.id, premises)
            if key in self._fired:
                return None
            self._fired.add(key)
        notes = self.absent_notes(plan, env) if plan.absent_notes else None
        derivation = Derivation(rule.id, premises, notes=notes)
        try:
            values = plan.output.values(env, None, rule.id)
        except EngineError as error:
            # Recorded, not raised: which failure an engine meets first depends on its order.
            self.failures.append((derivation, error))
            return None
        return self.give(plan, derivation, values)

    def absent_notes(self, plan: RulePlan, env: Bindings) -> Notes:
        """What a rule's absent patterns say was absent, for these matched facts: told in words when read."""
        return (plan, env, self.plans.language, self.plans.labels)

    def give(self, plan: RulePlan, derivation: Derivation, values: dict[str, Any]) -> Fact | None:
        """Give a fired rule's output from its computed values; return a new derived fact, if any.

        A consequence rule's output is recorded as a firing; a period or unit that is not one
        is recorded as a failure, not raised.
        """
        rule = plan.rule
        try:
            if rule.consequence is not None:
                params = {name[7:]: value for name, value in values.items() if name.startswith("params.")}
                self.firings.append(
                    Firing(
                        unit=_text(values.get("unit"), rule.id, "unit"),
                        kind=rule.consequence,
                        period=(
                            _text(values.get("period"), rule.id, "period")
                            if rule.consequence in self.plans.policy.findings
                            else _label(values.get("period"), rule.id)
                        ),
                        params=params,
                        rule=plan,
                        derivation=derivation,
                    )
                )
                return None
            fact = _fact(rule.head, values, rule.id)
        except EngineError as error:
            self.failures.append((derivation, error))
            return None
        return self.derive(fact, derivation)

    def run_aggregate(self, plan: AggregatePlan) -> list[Fact]:
        """Derive the aggregate's facts from the facts known now; return the new ones."""
        groups = self.groups_of(plan)
        new = []
        # In the order the facts came: what an aggregate gives, and which derivation a fact keeps
        # (finish), does not depend on it.
        for each in [fact for fact in self.of_type(plan.aggregate.each.fact_type) if plan.each.accepts(fact)]:
            derived = self.aggregate_one(plan, each, groups)
            if derived is not None:
                new.append(derived)
        return new

    def aggregate_one(self, plan: AggregatePlan, each: Fact, groups: Groups) -> Fact | None:
        """Derive the aggregate's fact for one fact of ``each``; None if not new, or failed (recorded)."""
        aggregate = plan.aggregate
        env: dict[str, Fact | None] = {aggregate.each.alias or "": each}
        group = groups.get(plan.over.key_for(env) if plan.group_of is None else plan.group_of(each), [])
        try:
            group = _matching(plan, env, group)
            if aggregate.mode in ("count", "sum"):
                totals: dict[str, Any] | None = group_totals(plan, env, group)
                derivation = Derivation(aggregate.id, self.premises_of(each, group), expand=1)
            else:
                first = env[aggregate.over.alias or ""] = self.first_of(plan, env, group)
                totals, derivation = (
                    None,
                    Derivation(aggregate.id, self.premises_of(each, [] if first is None else [first])),
                )
        except EngineError as error:
            self.failures.append((Derivation(aggregate.id, (each["id"],)), error))
            return None
        try:
            fact = _fact(aggregate.head, plan.output.values(env, totals, aggregate.id), aggregate.id)
        except EngineError as error:
            self.failures.append((derivation, error))
            return None
        return self.derive(fact, derivation)

    def groups_of(self, plan: AggregatePlan) -> Groups:
        """The facts ``over`` may take, by join key, in the order they came."""
        groups: Groups = {}
        accepts, key_of = plan.over.accepts, plan.over.key_of
        for fact in self.of_type(plan.aggregate.over.fact_type):
            if accepts(fact):
                key = key_of(fact)
                group = groups.get(key)
                if group is None:
                    groups[key] = [fact]
                else:
                    group.append(fact)
        return groups

    def premises_of(self, each: Fact, group: list[Fact]) -> tuple[str, ...]:
        """An aggregate's premises: the each-fact, then the group's facts in order (each fact once)."""
        if not group:
            return (each["id"],)
        ordered = sorted(group, key=self.order_key) if len(group) > 1 else group
        return tuple(dict.fromkeys([each["id"], *[fact["id"] for fact in ordered]]))

    def first_of(self, plan: AggregatePlan, env: dict[str, Fact | None], group: list[Fact]) -> Fact | None:
        """The first fact of a group by the aggregate's order_by (null last), then by order_key."""
        if not group:
            return None
        keys = _order_by(plan, env, group)
        try:
            best = min(keys)
        except TypeError:
            message = f"rule {plan.aggregate.id}: order_by: cannot order text and numbers together"
            raise EngineError(message, plan.aggregate.id) from None
        if keys.count(best) == 1:
            return group[keys.index(best)]
        return min([fact for fact, key in zip(group, keys, strict=True) if key == best], key=self.order_key)

    def finish(self) -> None:
        """After the run: raise the least-ranked failure, if any; keep each fact's canonical derivation.

        Of several derivations of one fact, the one kept has the fewest rule steps from the
        input facts (so no fact is ever explained by itself), then the least
        :meth:`derivation_rank`: neither depends on the order the engine fired in.
        """
        if self.failures:
            _, error = min(self.failures, key=lambda failure: self.derivation_rank(failure[0]))
            raise error
        if self._finished:
            return
        self._finished = True
        if self._more:
            self._choose_derivations()

    def derivation_rank(self, derivation: Derivation) -> tuple[Any, ...]:
        """A total order of the derivations of one fact (or of failing firings), the same for every engine.

        The premises' order keys (time, then input order, then content), then the rule's
        place in the policy, then the notes of what was absent: the earliest evidence first.
        """
        facts = self.facts
        premises = tuple(self.order_key(facts[i]) for i in derivation.premises)
        return (premises, self.plans.order_of[derivation.rule], derivation.absent)

    def _choose_derivations(self) -> None:
        """For each fact derived more than once, the derivation of least (steps, rank)."""
        derivations, more = self.derivations, self._more

        def every(fact_id: str) -> list[Derivation]:
            return [derivations[fact_id], *more.get(fact_id, ())]

        # The facts whose steps matter: those derived more than once and what they rest on.
        involved: set[str] = set()
        stack = list(more)
        while stack:
            fact_id = stack.pop()
            if fact_id in involved or fact_id not in derivations:
                continue
            involved.add(fact_id)
            for derivation in every(fact_id):
                stack.extend(derivation.premises)
        # Steps from the input facts (0): the least over a fact's derivations of one more than
        # the most of its premises'. Relaxed until stable, in the order facts were first
        # derived (their first derivation's premises came before them), so it settles fast.
        steps: dict[str, float] = {}
        infinite = float("inf")

        def cost(derivation: Derivation) -> float:
            return 1 + max((steps.get(p, infinite) if p in derivations else 0 for p in derivation.premises), default=0)

        ordered = sorted(involved, key=lambda fact_id: int(fact_id.rpartition("#")[2]))
        changed = True
        while changed:
            changed = False
            for fact_id in ordered:
                least = min(cost(derivation) for derivation in every(fact_id))
                if least < steps.get(fact_id, infinite):
                    steps[fact_id] = least
                    changed = True
        for fact_id in list(more):
            all_of_them = every(fact_id)
            fewest = [derivation for derivation in all_of_them if cost(derivation) == steps[fact_id]]
            chosen = derivations[fact_id] = min(fewest, key=self.derivation_rank)
            # The others stay known: what they rest on was used too (warnings, coverage).
            more[fact_id] = [derivation for derivation in all_of_them if derivation is not chosen]

    def _all_derivations(self) -> list[Derivation]:
        derivations = [*self.derivations.values(), *(d for more in self._more.values() for d in more)]
        return derivations + [firing.derivation for firing in self.firings]

    def used(self) -> set[str]:
        """The ids of every fact some rule or aggregate took as a premise, by any of its derivations."""
        return {premise for derivation in self._all_derivations() for premise in derivation.premises}

    def rules_run(self) -> set[str]:
        """Every rule and aggregate that derived a fact or fired, by any derivation."""
        return {derivation.rule for derivation in self._all_derivations()}

    def order_key(self, fact: Fact) -> tuple[Any, ...]:
        """A deterministic order of facts: by time, then input order, then content."""
        key = self._order_keys.get(fact["id"])
        if key is None:
            key = self._order_keys[fact["id"]] = _order(fact)
        return key

    def describe(self, fact_id: str) -> str:
        """A fact in words, by its type's ``says``."""
        described = self._described.get(fact_id)
        if described is None:
            fact = self.facts[fact_id]
            template = self.plans.policy.says.get(fact["type"])
            language, labels = self.plans.language, self.plans.labels
            described = template.render(fact.get, language, labels) if template else show(fact, language)
            self._described[fact_id] = described
        return described


def _matching(plan: AggregatePlan, env: dict[str, Fact | None], group: list[Fact]) -> list[Fact]:
    """The facts of a group that meet the conditions reading the facts found before (a calculation may fail).

    Each condition's value reads only those facts: it is computed once, when some fact is left to test.
    """
    for field, op, value in plan.over.compared:
        if not group:
            break
        try:
            expected = value(env, {}, None)
        except ExpressionError as error:
            raise EngineError(f"rule {plan.aggregate.id}: a condition: {error}", plan.aggregate.id) from None
        group = filtered(group, field, op, expected)
    return group


def _order_by(plan: AggregatePlan, env: dict[str, Fact | None], group: list[Fact]) -> list[tuple[Any, ...]]:
    """Each fact's keys by the aggregate's order_by, null last."""
    fields = plan.order_fields
    if fields is not None:
        if len(fields) == 1:
            (field,) = fields
            return [(((key := fact.get(field)) is None, key),) for fact in group]
        return [tuple([(key is None, key) for key in map(fact.get, fields)]) for fact in group]
    scope = {**env}
    over_alias, keyed = plan.aggregate.over.alias or "", []
    try:
        for fact in group:
            scope[over_alias] = fact
            keyed.append(tuple([((key := value(scope, {}, None)) is None, key) for value in plan.order_by]))
    except ExpressionError as error:
        raise EngineError(f"rule {plan.aggregate.id}: order_by: {error}", plan.aggregate.id) from None
    return keyed


def _values(plan: AggregatePlan, env: dict[str, Fact | None], group: list[Fact]) -> list[Any]:
    """What a sum adds up over a group, nulls left out."""
    field = plan.value_field
    if field is not None:
        return [value for fact in group if (value := fact.get(field)) is not None]
    assert plan.value is not None
    scope = {**env}
    over_alias, known = plan.aggregate.over.alias or "", []
    for fact in group:
        scope[over_alias] = fact
        value = plan.value(scope, {}, None)
        if value is not None:
            known.append(value)
    return known


def group_totals(plan: AggregatePlan, env: dict[str, Fact | None], group: list[Fact]) -> dict[str, Any]:
    """A group's ``$count``, and with a ``value`` its ``$sum`` and ``$mean`` (nulls left out), exactly."""
    totals: dict[str, Any] = {"count": len(group)}
    if plan.value is None:
        return totals
    rule_id = plan.aggregate.id
    try:
        known = _values(plan, env, group)
    except ExpressionError as error:
        raise EngineError(f"rule {rule_id}: value: {error}", rule_id) from None
    wrong = [v for v in known if not is_number(v, whole=False)]
    if wrong:
        raise EngineError(f"rule {rule_id}: value: a sum needs numbers (got {wrong[0]!r})", rule_id)
    total = sum((Fraction(str(v)) if isinstance(v, float) else Fraction(v) for v in known), Fraction(0))
    try:
        totals["sum"] = plain_number(total)
        totals["mean"] = plain_number(total / len(known)) if known else None
    except ExpressionError as error:  # a sum too large a number
        raise EngineError(f"rule {rule_id}: value: {error}", rule_id) from None
    return totals


def _order(fact: Fact) -> tuple[Any, ...]:
    """A deterministic order of facts: by time, then input order, then content.

    A derived fact's content leaves out its id, which tells the order it was derived in.
    """
    if "seq" in fact:
        return (fact.get("start", -1), fact.get("end", -1), fact["seq"], "")
    return (fact.get("start", -1), fact.get("end", -1), -1, canonical({k: v for k, v in fact.items() if k != "id"}))


_READERS: dict[tuple[str, ...], tuple[tuple[str, ...], Callable[[Fact], Any]]] = {}
"""Per order of a fact's field names: the names sorted, and what reads the values in that order."""


def content_key(fact: Fact) -> tuple[tuple[str, ...], Any]:
    """A fact's content as a key: its field names sorted, and its values in that order.

    Equal exactly when ``frozenset(fact.items())`` is (the same names, equal values), whatever
    order the fields were given in, and far smaller: the names are one tuple shared by every
    fact of that shape, the values read by ``operator.itemgetter``.
    """
    names = tuple(fact)
    reader = _READERS.get(names)
    if reader is None:
        ordered = tuple(sorted(names))
        reader = (ordered, operator.itemgetter(*ordered))
        if len(_READERS) < 4096:
            _READERS[names] = reader
    return (reader[0], reader[1](fact))


def _typed_key(fact: Fact) -> frozenset[tuple[str, Any]]:
    """A fact's content with booleans told apart from numbers."""
    return frozenset((name, keyed(value)) for name, value in fact.items())


def _notes(plan: RulePlan, env: Bindings, language: str, labels: Labels | None) -> list[str]:
    missing = "没有相符的 {}" if language == "zh" else "no matching {}"
    return [
        says.render_in(env, language, labels) if says else missing.format(fact_type)
        for says, fact_type in plan.absent_notes
    ]


@functools.lru_cache(maxsize=4096)
def _label_of(text: str) -> str:
    """The period's label as written in facts (``2022-Q1`` for ``2022-Q1``; ``2022`` for ``2022``)."""
    return parse_period(text).label


PERIOD_FIELDS: dict[str, dict[str, int | str]] = {}
"""The fields of each period written as text that a derived fact has given so far (do not mutate)."""


def _fact(fact_type: str, values: dict[str, Any], rule_id: str) -> Fact:
    """A derived fact of a type with these values, and the fields of its period if it has one."""
    fact = {"type": fact_type, **values}
    period = values.get("period")
    if period is not None:
        fields = PERIOD_FIELDS.get(period) if period.__class__ is str else None
        if fields is None:
            fields = period_fields(_label(period, rule_id))
            if period.__class__ is str:
                PERIOD_FIELDS[period] = fields
        fact.update(fields)
    return fact


def _label(value: Any, rule_id: str) -> str:
    try:
        return (
            _label_of(str(value))
            if isinstance(value, (str, int)) and not isinstance(value, bool)
            else parse_period(value).label
        )
    except PeriodSyntaxError as error:
        raise EngineError(f"rule {rule_id} gives a period that is not one: {error}", rule_id) from None


def _text(value: Any, rule_id: str, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise EngineError(f"rule {rule_id} gives no {name} (got {value!r})", rule_id)
    return value
