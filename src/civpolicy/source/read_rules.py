"""The sections that derive: derived facts with their aggregates, and the rules with their patterns."""

from __future__ import annotations

from typing import Any

from civpolicy.source import model as m
from civpolicy.source.expressions import Const, Expr, ExpressionError, did_you_mean, parse_policy_expr
from civpolicy.source.reader import Reader
from civpolicy.source.sections import (
    CONDITIONS,
    HEAD,
    RESERVED_ALIASES,
    SectionReader,
    glued_hint,
)
from civpolicy.source.strict_yaml import MarkedMap, MarkedSeq


class RuleSections(SectionReader):
    """Reads `derived` (with aggregates) and `rules` (with their patterns, conditions and outputs)."""

    def _derived(self, r: Reader, top: MarkedMap, section: str) -> None:
        allowed = (
            "description",
            "source",
            "text",
            "says",
            "interpretation",
            "rules",
            "for_each",
            "count",
            "sum",
            "value",
            "first",
            "order_by",
            "then",
        )
        for name, data, path in self._named(r, top, section):
            if not r.keys(data, path, allowed, ("description", "says")):
                continue
            citation = self._citation(r, data, path, required=True)
            rules: list[m.Rule] = []
            aggregate = None
            if "rules" in data:
                items = r.get(data, "rules", path, list, [])
                for index, _item in enumerate(items):
                    rule = self._rule(r, items, index, f"{path}.rules[{index}]", head=name, citation=citation)
                    if rule is not None:
                        rules.append(rule)
            else:
                aggregate = self._aggregate(r, data, path)
            self.derived[name] = m.DerivedFact(
                name=name,
                description=self._text(r, data, "description", path),
                citation=citation,
                says=self._template(r, data, "says", path),
                interpretation=r.get(data, "interpretation", path, str, ""),
                rules=tuple(rules),
                aggregate=aggregate,
                file=r.filename,
                line=data.mark[0],
            )

    def _aggregate(self, r: Reader, data: MarkedMap, path: str) -> m.Aggregate | None:
        modes = [mode for mode in ("count", "sum", "first") if mode in data]
        if "for_each" not in data or len(modes) != 1 or "then" not in data:
            r.problem(
                data,
                None,
                path,
                "a derived fact needs 'rules', or 'for_each' with one of 'count' / 'sum' / 'first' and 'then'",
            )
            return None
        each = self._single_pattern(r, data, "for_each", f"{path}.for_each")
        over = self._single_pattern(r, data, modes[0], f"{path}.{modes[0]}")
        order = r.get(data, "order_by", path, list, [])
        if modes[0] == "first" and not order:
            r.problem(data, None, path, "'first' needs 'order_by': which fact comes first")
        order_by = tuple(self._expr(r, order, i, f"{path}.order_by[{i}]") for i in range(len(order)))
        then = self._fields(r, data, "then", f"{path}.then")
        value = self._expr(r, data, "value", f"{path}.value") if "value" in data else None
        if modes[0] == "sum" and value is None:
            r.problem(data, None, path, "'sum' needs 'value': what to add up of each fact of the group")
        if each is None or over is None:
            return None
        return m.Aggregate(mode=modes[0], each=each, over=over, order_by=order_by, then=m.Output(then), value=value)

    def _single_pattern(self, r: Reader, data: MarkedMap, key: str, path: str) -> m.Pattern | None:
        raw = r.mapping(data[key], data, key, path)
        if raw is None:
            return None
        return self._pattern(r, data, key, raw, path)

    def _rules(self, r: Reader, top: MarkedMap, section: str) -> None:
        items = top[section]
        if not isinstance(items, MarkedSeq):
            r.problem(top, section, section, "must be a list of rules")
            return
        for index, _ in enumerate(items):
            rule = self._rule(r, items, index, f"{section}[{index}]", head=None, citation=None)
            if rule is not None:
                self.rules.append(rule)

    def _rule(
        self, r: Reader, items: MarkedSeq, index: int, path: str, *, head: str | None, citation: m.Citation | None
    ) -> m.Rule | None:
        data = r.mapping(items[index], items, index, path)
        consequence_rule = head is None
        allowed = ("id", "source", "text", "summary", "interpretation", "when", "then")
        required = ("id", "source", "text", "summary", "when", "then") if consequence_rule else ("id", "when", "then")
        if data is None or not r.keys(data, path, allowed, required):
            return None
        rule_id = r.get(data, "id", path, str, "")
        if ("rule", rule_id) in self.defined:
            r.problem(
                data, "id", f"{path}.id", f"rule id {rule_id!r} is already used in {self.defined['rule', rule_id]}"
            )
        self.defined["rule", rule_id] = r.filename
        own = self._citation(r, data, path, required=consequence_rule, name=rule_id)
        summary = self._text(r, data, "summary", path) if "summary" in data else None
        when_items = r.get(data, "when", path, list, [])
        patterns = []
        for i, item in enumerate(when_items):
            item_map = r.mapping(item, when_items, i, f"{path}.when[{i}]")
            if item_map is not None:
                pattern = self._pattern_item(r, when_items, i, item_map, f"{path}.when[{i}]")
                if pattern is not None:
                    patterns.append(pattern)
        if not when_items:
            r.problem(data, "when", f"{path}.when", "a rule needs at least one fact to find")
        then_map = r.mapping(data["then"], data, "then", f"{path}.then")
        if then_map is None:
            return None
        if consequence_rule:
            output = self._consequence_output(r, then_map, f"{path}.then")
            head = output.consequence or ""
        else:
            output = m.Output(self._fields(r, data, "then", f"{path}.then"))
        lines = {"text": data.mark_of("text")[0], "then": then_map.mark[0]}
        for key in then_map:
            lines[f"then.{key}"] = then_map.mark_of(key)[0]
        params = then_map.get("params")
        if isinstance(params, MarkedMap):
            lines.update({f"then.params.{key}": params.mark_of(key)[0] for key in params})
        return m.Rule(
            lines=tuple(sorted(lines.items())),
            id=rule_id,
            head=head or "",
            when=tuple(patterns),
            then=output,
            citation=own or citation or m.Citation("", ""),
            summary=summary,
            interpretation=r.get(data, "interpretation", path, str, ""),
            file=r.filename,
            line=data.mark[0],
        )

    def _consequence_output(self, r: Reader, then: MarkedMap, path: str) -> m.Output:
        # A finding is given for a ``who`` (a person or a unit), a consequence for a ``unit``.
        head, subject = ("finding", "who") if "finding" in then else ("consequence", "unit")
        if not r.keys(then, path, (head, subject, "period", "params"), (head, subject, "period")):
            return m.Output((), consequence="")
        for key in (subject, "period"):
            if then.get(key) is None:
                r.problem(then, key, f"{path}.{key}", f"a {head} needs a {key}: write a value, such as $e.{key}")
        fields = [
            ("unit" if key == subject else key, self._expr(r, then, key, f"{path}.{key}"))
            for key in (subject, "period")
            if key in then
        ]
        params = r.mapping(then["params"], then, "params", f"{path}.params") if "params" in then else None
        for key in params or {}:
            fields.append((f"params.{key}", self._expr(r, params, key, f"{path}.params.{key}")))
        return m.Output(tuple(fields), consequence=r.get(then, head, path, str, ""))

    def _fields(self, r: Reader, data: MarkedMap, key: str, path: str) -> tuple[tuple[str, Expr], ...]:
        body = r.mapping(data[key], data, key, path)
        return tuple((str(name), self._expr(r, body, name, f"{path}.{name}")) for name in (body or {}))

    def _pattern_item(self, r: Reader, container: Any, key: Any, item: MarkedMap, path: str) -> m.Pattern | None:
        heads = [k for k in item if k != "says"]
        if len(heads) != 1:
            r.problem(
                container,
                key,
                path,
                "write one fact per item: 'evaluation as e: {...}' or 'no withholding: {...}' (and optionally 'says')",
            )
            return None
        where = item[heads[0]]
        pattern = self._pattern(r, item, heads[0], where if where is not None else {}, path)
        if pattern is not None and "says" in item:
            says = self._template(r, item, "says", path)
            pattern = m.Pattern(pattern.fact_type, pattern.alias, pattern.tests, pattern.negated, says, pattern.line)
        return pattern

    def _pattern(self, r: Reader, container: Any, key: Any, where: Any, path: str) -> m.Pattern | None:
        if (
            isinstance(where, dict)
            and len(where) == 1
            and isinstance(container, MarkedMap)
            and key in ("for_each", "count", "sum", "first")
        ):
            ((head, inner),) = where.items()
            container, key, where = where, head, inner if inner is not None else {}
        head_text = str(key)
        match = HEAD.match(head_text)
        if match is None:
            r.problem_at_key(
                container, key, path, f"not a fact to find: {head_text!r} (write 'TYPE as NAME' or 'no TYPE')"
            )
            return None
        negated, alias = bool(match["no"]), match["alias"]
        if negated and alias:
            r.problem_at_key(
                container, key, path, "a fact that must be absent takes no name ('no TYPE', not 'no TYPE as x')"
            )
        if not negated and not alias:
            r.problem_at_key(container, key, path, f"name the fact to refer to it: '{match['type']} as x'")
        if alias in RESERVED_ALIASES:
            r.problem_at_key(container, key, path, f"{alias!r} is a reserved name; choose another")
        if not isinstance(where, dict):
            r.problem(container, key, path, "the conditions must be a mapping of field: value")
            return None
        tests = []
        for field, condition in where.items():
            if isinstance(condition, dict) and len(condition) > 1 and all(word in CONDITIONS for word in condition):
                # Several conditions on one field, all to hold: ``date: {at_least: $o.opens, at_most: $o.closes}``.
                for word, value in condition.items():
                    test = self._test(r, where, field, {word: value}, f"{path}.{field}.{word}")
                    if test is not None:
                        tests.append(test)
                continue
            test = self._test(r, where, field, condition, f"{path}.{field}")
            if test is not None:
                tests.append(test)
        line = container.key_mark_of(key)[0] if isinstance(container, MarkedMap) else 0
        return m.Pattern(fact_type=match["type"], alias=alias, tests=tuple(tests), negated=negated, line=line)

    def _test(self, r: Reader, where: Any, field: Any, condition: Any, path: str) -> m.Test | None:
        if condition is None and isinstance(field, str) and (glued := glued_hint(field)):
            r.problem_at_key(where, field, path, f"{field!r} is read as one name with no value: {glued}")
            return None
        if isinstance(condition, dict) and len(condition) == 1 and next(iter(condition)) in CONDITIONS:
            ((word, value),) = condition.items()
            op = CONDITIONS[word]
            if op in ("in", "out"):
                if not isinstance(value, list) or not value:
                    r.problem(where, field, path, f"'{word}' takes a list of values")
                    return None
                if any(isinstance(item, (list, dict)) for item in value):
                    r.problem(where, field, path, f"'{word}' takes a list of values, not of lists or mappings")
                    return None
                return m.Test(str(field), op, Const(tuple(value)))
            if op in ("lt", "le", "gt", "ge") and isinstance(value, bool):
                # Python would order it as 0 or 1; the engines keep true apart from 1 everywhere else
                r.problem(where, field, path, f"'{word}' orders numbers or text, not true or false")
                return None
            try:
                return m.Test(str(field), op, parse_policy_expr(value))
            except ExpressionError as error:
                r.problem(where, field, path, str(error))
                return None
        if isinstance(condition, dict) and len(condition) == 1:
            word = next(iter(condition))
            hint = did_you_mean(str(word), CONDITIONS)
            r.problem(where, field, path, f"unknown condition {word!r}{hint}; one of {', '.join(CONDITIONS)}")
            return None
        try:
            return m.Test(str(field), "eq", parse_policy_expr(condition))
        except ExpressionError as error:
            r.problem(where, field, path, str(error))
            return None
