"""The sections that describe what comes out and what must hold: consequence kinds, reports, invariants, clauses."""

from __future__ import annotations

from civpolicy.source import model as m
from civpolicy.source.expressions import did_you_mean
from civpolicy.source.reader import Reader, got
from civpolicy.source.sections import (
    INVARIANT_SETTINGS,
    SectionReader,
    cited_at,
    is_order,
    plain_data,
    setting_problems,
)
from civpolicy.source.strict_yaml import MarkedMap


class ResultSections(SectionReader):
    """Reads `consequences` (the kinds), `reports`, `invariants` and `clauses`."""

    def _kinds(self, r: Reader, top: MarkedMap, section: str) -> None:
        for name, data, body, path in self._new_names(r, top, section, snake_case=False):
            entry = r.mapping(data, body, name, path)
            finding = section == "findings"  # a finding's period is its occurrence's label, of any length
            required = ("description",) if finding else ("description", "period")
            if entry is None or not r.keys(entry, path, ("description", "period", "params", "discretionary"), required):
                continue
            period = entry.get("period")
            periods = [] if period is None else period if isinstance(period, list) else [period]
            self.kinds[str(name)] = m.ConsequenceKind(
                name=str(name),
                description=self._text(r, entry, "description", path),
                period_kinds=tuple(str(p) for p in periods),
                params=tuple(str(p) for p in r.get(entry, "params", path, list, [])),
                discretionary=r.get(entry, "discretionary", path, bool, False),
                finding=finding,
            )

    def _reports(self, r: Reader, top: MarkedMap, section: str) -> None:
        for name, data, path in self._named(r, top, section):
            if name in ("policy", "consequences"):
                r.problem_at_key(top[section], name, path, f"{name!r} is taken by the decision document itself")
                continue
            if not r.keys(data, path, ("description", "fact", "fields"), ("description", "fact", "fields")):
                continue
            self.reports[name] = m.Report(
                name=name,
                fact_type=str(r.get(data, "fact", path, str, "")),
                fields=tuple(str(f) for f in r.get(data, "fields", path, list, [])),
                description=self._text(r, data, "description", path),
                file=r.filename,
                line=data.mark[0],
            )

    def _invariants(self, r: Reader, top: MarkedMap, section: str) -> None:
        for data, path in self._listed(r, top, section, "invariants"):
            check = data.get("check")
            settings = INVARIANT_SETTINGS.get(str(check))
            if settings is None:
                hint = did_you_mean(str(check), INVARIANT_SETTINGS)
                r.problem(
                    data,
                    "check",
                    f"{path}.check",
                    f"unknown check {check!r}{hint}; one of {', '.join(INVARIANT_SETTINGS)}",
                )
                continue
            required, optional = settings
            common = ("id", "says", "source", "check")
            if not r.keys(data, path, (*common, *required, *optional), (*common, *required)):
                continue
            if "order" in data and not is_order(data["order"]):
                example = "{param: [first, second, ...]}"
                message = f"must map a param to its values in order, as {example} (got {got(data['order'])})"
                r.problem(data, "order", f"{path}.order", message)
                continue
            shaped = [setting_problems(r, data, key, path) for key in (*required, *optional) if key in data]
            if not all(shaped):
                continue
            self.invariants.append(
                m.Invariant(
                    id=str(r.get(data, "id", path, str, "")),
                    says=self._text(r, data, "says", path),
                    source=str(r.get(data, "source", path, str, "")),
                    check=str(check),
                    spec=plain_data({key: data[key] for key in (*required, *optional) if key in data}),
                    file=r.filename,
                    line=data.mark[0],
                )
            )

    def _clauses(self, r: Reader, top: MarkedMap, section: str) -> None:
        for data, path in self._listed(r, top, section, "clauses"):
            if not r.keys(data, path, ("ref", "text", "encoded", "reason", "note"), ("ref", "text")):
                continue
            if isinstance(data["ref"], str) and isinstance(data["text"], str):
                self.cited.append(cited_at(r, data, path, "ref"))
            encoded = data.get("encoded", "rules")  # a list written before `encoded`: clauses for rules
            if encoded not in m.Clause.ENCODINGS:
                hint = did_you_mean(str(encoded), m.Clause.ENCODINGS)
                how = "rules (rules encode it), data (tables, terms, cadences, duties) or no (not for software)"
                r.problem(data, "encoded", f"{path}.encoded", f"unknown encoded {got(encoded)}{hint}; one of {how}")
                continue
            reason = data.get("reason")
            if isinstance(reason, MarkedMap):
                pair = r.text_pair(data, "reason", path)
                reason = " / ".join(pair) if pair else None
            elif reason is not None:
                reason = r.get(data, "reason", path, str, None)
            if encoded == "no" and not reason:
                if "reason" not in data:
                    r.problem(data, None, path, "encoded: no needs a reason: why the clause is not for software")
                elif isinstance(data["reason"], str):
                    r.problem(data, "reason", f"{path}.reason", "must say why the clause is not for software")
                continue
            if encoded != "no" and "reason" in data:
                message = f"a reason is for encoded: no (not for software); for encoded: {encoded}, say how in note"
                r.problem_at_key(data, "reason", f"{path}.reason", message)
                continue
            self.clauses.append(
                m.Clause(
                    ref=str(r.get(data, "ref", path, str, "")),
                    text=str(r.get(data, "text", path, str, "")),
                    note=str(r.get(data, "note", path, str, "")),
                    file=r.filename,
                    line=data.mark_of("text")[0],
                    encoded=str(encoded),
                    reason=str(reason or ""),
                )
            )
