"""Policy files to a validated :class:`~civpolicy.model.PolicyModel`.

Every ``*.yaml`` file of the policy folder is read; each holds some of the sections
below, and a name may be defined in one file only. All problems of all files are
collected and raised together as one :class:`~civpolicy.errors.PolicyError`.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from civpolicy import model as m
from civpolicy._reader import Reader, got, is_number
from civpolicy._yaml import MarkedMap, MarkedSeq, load_yaml
from civpolicy.citations import Cited, check_citations
from civpolicy.crossref import cross_check
from civpolicy.errors import PolicyError, Problem
from civpolicy.expressions import Const, Expr, ExpressionError, Template, did_you_mean, parse_expr

SECTIONS = (
    "document",
    "parameters",
    "vocabulary",
    "cadences",
    "inputs",
    "derived",
    "tables",
    "consequences",
    "rules",
    "reports",
    "invariants",
    "clauses",
    "constraints",
)
"""The top-level sections a policy file may hold."""

COMPARISONS = ("equals", "at_most", "at_least")
"""How a constraint compares its parameters' total with its bound."""

FIELD_TYPES = ("text", "boolean", "integer", "number", "period", "year", "unit", "choice")
"""The types an input field may have."""

CONDITIONS = {
    "not": "ne",
    "below": "lt",
    "at_most": "le",
    "above": "gt",
    "at_least": "ge",
    "one_of": "in",
    "none_of": "out",
}
"""Condition words in ``when`` and the comparison each stands for."""

INVARIANT_SETTINGS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "worse_grade": (("change",), ("covered", "kept", "not_earlier", "never_gained")),
    "at_most_once": (("consequence", "per"), ()),
    "within": (("consequence", "bounds"), ()),
    "contiguous": (("consequence", "per", "counter"), ("order",)),
}
"""Each invariant check: its required and optional settings."""


def _plain(value: Any) -> Any:
    """Marked YAML data as plain dicts and lists."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


_HEAD = re.compile(r"^(?:(?P<no>no)\s+)?(?P<type>[a-z_][a-z0-9_]*)(?:\s+as\s+(?P<alias>[a-z_][a-z0-9_]*))?$")
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
RESERVED_ALIASES = ("params", "this", "count", "sum", "mean")


def load_model(directory: str | Path) -> m.PolicyModel:
    """Read and validate every policy file in ``directory``; raise PolicyError if any is wrong."""
    folder = Path(directory)
    files = sorted(folder.glob("*.yaml"))
    problems: list[Problem] = []
    if not folder.is_dir():
        raise PolicyError([Problem(str(folder), 1, 1, "no such policy folder")])
    if not files:
        raise PolicyError([Problem(str(folder), 1, 1, "the policy folder holds no .yaml file")])
    digest = hashlib.sha256()
    builder = _Builder(folder, problems)
    for path in files:
        try:
            raw = path.read_bytes()
        except OSError as error:  # a folder named *.yaml, a file without read permission
            problems.append(Problem(str(path), 1, 1, f"cannot read this policy file: {error.strerror or error}"))
            continue
        digest.update(path.name.encode() + b"\0" + raw + b"\0")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            problems.append(Problem(str(path), 1, 1, f"not UTF-8 text: {error.reason}"))
            continue
        data, found = load_yaml(text, str(path))
        problems.extend(found)
        if data is not None:
            builder.add_file(str(path), data)
    policy = builder.build(tuple(str(p) for p in files), digest.hexdigest())
    if policy is not None:
        cross_check(policy, problems)
        if builder.document_text is not None:
            problems.extend(check_citations(builder.cited, builder.document_text))
        problems.extend(_lint(policy, bool(problems)))
    if problems or policy is None:
        raise PolicyError(list(dict.fromkeys(problems)))  # a problem found twice is told once
    return policy


def _lint(policy: m.PolicyModel, broken: bool) -> list[Problem]:
    """The lint's findings; beside other problems only the rules that can never fire.

    Those are judged rule by rule, so an author sees a misspelt value (``status: activ``)
    together with the other problems; the other lint checks read the policy as a whole
    and would only repeat what is broken. A policy too broken for even that check to read
    has its finding wait for the next ``check``, rather than hide the problems found.
    """
    from civpolicy.lint import lint, never_fire

    if not broken:
        return lint(policy)
    try:
        return list(never_fire(policy))
    except Exception:  # see the docstring: the problems already found are told
        return []


def _cited(r: Reader, data: MarkedMap, path: str, ref_field: str) -> Cited:
    return Cited(
        file=r.filename,
        path=path,
        ref=str(data[ref_field]),
        text=str(data["text"]),
        ref_at=data.mark_of(ref_field),
        text_at=data.mark_of("text"),
        ref_field=ref_field,
    )


class _Builder:
    """Gathers sections from the files and turns them into model objects."""

    def __init__(self, folder: Path, problems: list[Problem]) -> None:
        self.folder = folder
        self.problems = problems
        self.title = ""
        self.document_text: str | None = None
        self.cited: list[Cited] = []
        """Every clause reference and quote read, with where each stands: checked against the document."""
        self.parameters: dict[str, m.Parameter] = {}
        self.vocabularies: dict[str, tuple[m.Term, ...]] = {}
        self.cadences: list[m.Cadence] = []
        self.inputs: dict[str, m.InputFact] = {}
        self.derived: dict[str, m.DerivedFact] = {}
        self.tables: dict[str, m.Table] = {}
        self.kinds: dict[str, m.ConsequenceKind] = {}
        self.rules: list[m.Rule] = []
        self.reports: dict[str, m.Report] = {}
        self.invariants: list[m.Invariant] = []
        self.clauses: list[m.Clause] = []
        self.constraints: list[m.Constraint] = []
        self.defined: dict[tuple[str, str], str] = {}

    def add_file(self, filename: str, data: Any) -> None:
        """Read the sections of one file."""
        r = Reader(filename, self.problems)
        top = r.mapping(data, data, None, "$")
        if top is None or not r.keys(top, "$", SECTIONS):
            return
        readers = {
            "document": self._document,
            "parameters": self._parameters,
            "vocabulary": self._vocabulary,
            "cadences": self._cadences,
            "inputs": self._inputs,
            "derived": self._derived,
            "tables": self._tables,
            "consequences": self._kinds,
            "rules": self._rules,
            "reports": self._reports,
            "invariants": self._invariants,
            "clauses": self._clauses,
            "constraints": self._constraints,
        }
        for section, read in readers.items():
            if section in top:
                read(r, top, section)

    def build(self, files: tuple[str, ...], digest: str) -> m.PolicyModel | None:
        """The model, or None when the sections were too broken to cross-check."""
        return m.PolicyModel(
            title=self.title,
            parameters=self.parameters,
            vocabularies=self.vocabularies,
            cadences=tuple(self.cadences),
            inputs=self.inputs,
            derived=self.derived,
            tables=self.tables,
            kinds=self.kinds,
            rules=tuple(self.rules),
            files=files,
            source_digest=digest,
            reports=self.reports,
            invariants=tuple(self.invariants),
            clauses=tuple(self.clauses),
            constraints=tuple(self.constraints),
            document=self.document_text or "",
        )

    # -- helpers -------------------------------------------------------------------

    def _named(self, r: Reader, top: MarkedMap, section: str) -> list[tuple[str, MarkedMap, str]]:
        """The entries of a ``name: {...}`` section that are well-named and new."""
        entries = []
        for name, value, body, path in self._new_names(r, top, section, snake_case=True):
            entry = r.mapping(value, body, name, path)
            if entry is not None:
                entries.append((name, entry, path))
        return entries

    def _listed(self, r: Reader, top: MarkedMap, section: str, what: str) -> list[tuple[MarkedMap, str]]:
        """(item, path) for each mapping of a list section; a problem for anything else."""
        items = top[section]
        if not isinstance(items, MarkedSeq):
            r.problem(top, section, section, f"must be a list of {what}")
            return []
        found = []
        for index, item in enumerate(items):
            path = f"{section}[{index}]"
            data = r.mapping(item, items, index, path)
            if data is not None:
                found.append((data, path))
        return found

    def _new_names(
        self, r: Reader, top: MarkedMap, section: str, *, snake_case: bool
    ) -> list[tuple[str, Any, MarkedMap, str]]:
        """(name, value, section body, path) for each name of a section not defined before."""
        body = r.mapping(top[section], top, section, section)
        if body is None:
            return []
        found = []
        for name, value in body.items():
            path = f"{section}.{name}"
            if snake_case and (not isinstance(name, str) or not _NAME.match(name)):
                r.problem_at_key(body, name, path, "a name is lower-case letters, digits and _ (snake_case)")
                continue
            group = "facts" if section in ("inputs", "derived", "tables") else section
            if (group, name) in self.defined:
                r.problem_at_key(body, name, path, f"{name!r} is already defined in {self.defined[group, name]}")
                continue
            self.defined[group, str(name)] = r.filename
            found.append((str(name), value, body, path))
        return found

    def _citation(self, r: Reader, data: MarkedMap, path: str, required: bool, name: str = "") -> m.Citation | None:
        """The clause reference and quote of a definition; ``name`` names it in problems (else ``path``)."""
        source = r.get(data, "source", path, str)
        text = r.get(data, "text", path, str)
        if source is None or text is None:
            if required:
                missing = "source" if source is None else "text"
                if missing not in data:
                    r.problem(data, None, path, f"missing required field {missing!r} (the clause and its words)")
            return None
        self.cited.append(_cited(r, data, name or path, "source"))
        return m.Citation(source.strip(), text.strip())

    def _text(self, r: Reader, data: MarkedMap, key: str, path: str) -> m.Text:
        pair = r.text_pair(data, key, path)
        return m.Text(*pair) if pair else m.Text("", "")

    def _template(self, r: Reader, data: MarkedMap, key: str, path: str, default: str = "") -> Template:
        """A sentence: English text, or ``{en: ..., zh: ...}`` (the Chinese for ``--language zh``)."""
        if key not in data:
            if not default:
                r.problem(data, None, path, f"missing required field {key!r}")
            return Template(default)
        line = data.key_mark_of(key)[0]
        if isinstance(data[key], MarkedMap):
            sentences = data[key]
            if not r.keys(sentences, f"{path}.{key}", ("en", "zh"), ("en",)):
                return Template(default, line=line)
            english = r.get(sentences, "en", f"{path}.{key}", str, default)
            return Template(english, r.get(sentences, "zh", f"{path}.{key}", str, ""), line=line)
        text = r.get(data, key, path, str)  # a wrong type is told by get
        return Template(text if text is not None else default, line=line)

    def _expr(self, r: Reader, container: Any, key: Any, path: str) -> Expr:
        try:
            return parse_expr(container[key])
        except ExpressionError as error:
            r.problem(container, key, path, str(error))
            return parse_expr(None)

    # -- sections ------------------------------------------------------------------

    def _document(self, r: Reader, top: MarkedMap, section: str) -> None:
        data = r.mapping(top[section], top, section, section)
        if data is None or not r.keys(data, section, ("title", "date", "file"), ("title", "file")):
            return
        self.title = r.get(data, "title", section, str, "")
        name = r.get(data, "file", section, str)
        if name is not None:
            path = self.folder / name
            if not path.is_file():
                r.problem(data, "file", f"{section}.file", f"no such file beside the policy: {name!r}")
            else:
                try:
                    self.document_text = path.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as error:
                    why = f"not UTF-8 text: {error.reason}" if isinstance(error, UnicodeDecodeError) else error.strerror
                    r.problem(data, "file", f"{section}.file", f"cannot read the document {name!r}: {why}")

    def _parameters(self, r: Reader, top: MarkedMap, section: str) -> None:
        allowed = ("value", "description", "source", "text", "set_by", "minimum", "maximum", "unit")
        for name, data, path in self._named(r, top, section):
            # Kept even with a misspelt or missing field (already reported), so that the rules
            # that use it are not also told "no parameter".
            r.keys(data, path, allowed, ("value", "description", "set_by"))
            given = _number(r, data, "value", path)
            value = 0 if given is None else given
            set_by = r.get(data, "set_by", path, str, "document")
            if set_by not in ("document", "headquarters"):
                r.problem(data, "set_by", f"{path}.set_by", "must be 'document' or 'headquarters'")
            citation = self._citation(r, data, path, required=set_by == "document")
            minimum = _number(r, data, "minimum", path)
            maximum = _number(r, data, "maximum", path)
            if minimum is not None and maximum is not None and minimum > maximum:
                r.problem(data, "maximum", f"{path}.maximum", f"must be at least the minimum {minimum} (got {maximum})")
            elif given is not None and minimum is not None and given < minimum:
                r.problem(data, "value", f"{path}.value", f"must be at least its minimum {minimum} (got {value})")
            elif given is not None and maximum is not None and given > maximum:
                r.problem(data, "value", f"{path}.value", f"must be at most its maximum {maximum} (got {value})")
            self.parameters[name] = m.Parameter(
                name=name,
                value=value,
                description=self._text(r, data, "description", path),
                citation=citation,
                set_by=set_by,
                minimum=minimum,
                maximum=maximum,
                integer=isinstance(value, int),
                file=r.filename,
                line=data.mark[0],
            )

    def _vocabulary(self, r: Reader, top: MarkedMap, section: str) -> None:
        for name, items, body, path in self._new_names(r, top, section, snake_case=False):
            if not isinstance(items, list):
                r.problem(body, name, path, "must be a list of terms")
                continue
            terms = []
            for index, item in enumerate(items):
                item_path = f"{path}[{index}]"
                data = r.mapping(item, items, index, item_path)
                if data is None or not r.keys(
                    data, item_path, ("id", "zh", "en", "source", "text", "members", "note"), ("id", "zh", "en")
                ):
                    continue
                members = r.get(data, "members", item_path, list, [])
                terms.append(
                    m.Term(
                        id=str(r.get(data, "id", item_path, str, "")),
                        zh=r.get(data, "zh", item_path, str, ""),
                        en=r.get(data, "en", item_path, str, ""),
                        citation=self._citation(r, data, item_path, required=False),
                        members=tuple(str(x) for x in members),
                        note=r.get(data, "note", item_path, str, ""),
                    )
                )
            ids = [t.id for t in terms]
            for index, term_id in enumerate(ids):
                if term_id in ids[:index]:
                    r.problem(items, index, f"{path}[{index}].id", f"duplicate term {term_id!r}")
            self.vocabularies[name] = tuple(terms)

    def _cadences(self, r: Reader, top: MarkedMap, section: str) -> None:
        allowed = ("id", "name", "source", "text", "period_kind", "months", "note")
        for data, path in self._listed(r, top, section, "cadences"):
            if not r.keys(data, path, allowed, ("id", "name", "source", "text", "period_kind")):
                continue
            citation = self._citation(r, data, path, required=True)
            self.cadences.append(
                m.Cadence(
                    id=r.get(data, "id", path, str, ""),
                    name=self._text(r, data, "name", path),
                    citation=citation or m.Citation("", ""),
                    period_kind=r.get(data, "period_kind", path, str, ""),
                    months=tuple(r.get(data, "months", path, list, [])),
                    note=r.get(data, "note", path, str, ""),
                    file=r.filename,
                    line=data.mark[0],
                )
            )

    def _inputs(self, r: Reader, top: MarkedMap, section: str) -> None:
        allowed = ("from", "description", "says", "key", "unique", "fields", "required", "total", "needed_by")
        field_keys = ("type", "required", "default", "as", "values", "vocabulary", "kinds", "minimum", "maximum")
        for name, data, path in self._named(r, top, section):
            if not r.keys(data, path, allowed, ("from", "description", "says", "fields")):
                continue
            fields = []
            raw_fields = r.mapping(data["fields"], data, "fields", f"{path}.fields")
            for field_name, spec in (raw_fields or {}).items():
                field_path = f"{path}.fields.{field_name}"
                spec_map = r.mapping(spec, raw_fields, field_name, field_path)
                if spec_map is None or not r.keys(spec_map, field_path, field_keys, ("type",)):
                    continue
                kind = r.get(spec_map, "type", field_path, str, "text")
                if kind not in FIELD_TYPES:
                    r.problem(
                        spec_map,
                        "type",
                        f"{field_path}.type",
                        f"unknown field type {kind!r}; one of {', '.join(FIELD_TYPES)}",
                    )
                fields.append(
                    m.InputField(
                        name=str(field_name),
                        type=kind,
                        required=r.get(spec_map, "required", field_path, bool, False),
                        default=spec_map.get("default"),
                        rename=r.get(spec_map, "as", field_path, str),
                        values=tuple(r.get(spec_map, "values", field_path, list, [])),
                        vocabulary=r.get(spec_map, "vocabulary", field_path, str),
                        kinds=tuple(r.get(spec_map, "kinds", field_path, list, [])),
                        minimum=r.get(spec_map, "minimum", field_path, (int, float)),
                        maximum=r.get(spec_map, "maximum", field_path, (int, float)),
                        line=spec_map.mark[0],
                    )
                )
            key = data.get("key")
            if key is not None and not (isinstance(key, list) and all(isinstance(k, str) for k in key)):
                r.problem(data, "key", f"{path}.key", "must be a list of field names, or null (every item counts)")
                key = None
            unique = r.get(data, "unique", path, bool, False)
            if unique and key is None:
                r.problem(data, "unique", f"{path}.unique", "needs a key: it says that no two items have the same key")
            total = None
            raw_total = r.mapping(data["total"], data, "total", f"{path}.total") if "total" in data else None
            if raw_total is not None and r.keys(raw_total, f"{path}.total", ("of", "per", "is"), ("of", "per", "is")):
                total = (
                    str(r.get(raw_total, "of", f"{path}.total", str, "")),
                    tuple(str(x) for x in r.get(raw_total, "per", f"{path}.total", list, [])),
                    float(r.get(raw_total, "is", f"{path}.total", (int, float), 0)),
                )
            needed_by = None
            raw_needed = (
                r.mapping(data["needed_by"], data, "needed_by", f"{path}.needed_by") if "needed_by" in data else None
            )
            if raw_needed is not None and r.keys(raw_needed, f"{path}.needed_by", ("units", "when"), ("units", "when")):
                conditions = r.get(raw_needed, "units", f"{path}.needed_by", dict, {})
                needed_by = (
                    tuple(sorted(conditions.items())),
                    str(r.get(raw_needed, "when", f"{path}.needed_by", str, "")),
                )
            self.inputs[name] = m.InputFact(
                total=total,
                needed_by=needed_by,
                name=name,
                source_key=r.get(data, "from", path, str, name),
                description=self._text(r, data, "description", path),
                says=self._template(r, data, "says", path),
                fields=tuple(fields),
                key=tuple(key) if key is not None else None,
                unique=unique,
                required=r.get(data, "required", path, bool, False),
                file=r.filename,
                line=data.mark[0],
            )

    def _tables(self, r: Reader, top: MarkedMap, section: str) -> None:
        allowed = ("description", "source", "text", "says", "rows")
        for name, data, path in self._named(r, top, section):
            if not r.keys(data, path, allowed, ("description", "says", "rows")):
                continue
            rows = []
            raw_rows = r.get(data, "rows", path, list, [])
            for index, row in enumerate(raw_rows):
                row_map = r.mapping(row, raw_rows, index, f"{path}.rows[{index}]")
                if row_map is None:
                    continue
                cells = []
                for key, value in row_map.items():
                    single = not isinstance(value, (list, dict))
                    if not single:
                        message = f"must be a single value: text, a number, true or false (got {got(value)})"
                        r.problem(row_map, key, f"{path}.rows[{index}].{key}", message)
                    # The row stays (a bad cell as null), so that rules finding it are not also told otherwise.
                    cells.append((str(key), value if single else None))
                rows.append(tuple(sorted(cells)))
            self.tables[name] = m.Table(
                name=name,
                description=self._text(r, data, "description", path),
                citation=self._citation(r, data, path, required=True),
                says=self._template(r, data, "says", path),
                rows=tuple(rows),
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
            if "order" in data and not _is_order(data["order"]):
                example = "{param: [first, second, ...]}"
                message = f"must map a param to its values in order, as {example} (got {got(data['order'])})"
                r.problem(data, "order", f"{path}.order", message)
                continue
            self.invariants.append(
                m.Invariant(
                    id=str(r.get(data, "id", path, str, "")),
                    says=self._text(r, data, "says", path),
                    source=str(r.get(data, "source", path, str, "")),
                    check=str(check),
                    spec=_plain({key: data[key] for key in (*required, *optional) if key in data}),
                    file=r.filename,
                    line=data.mark[0],
                )
            )

    def _constraints(self, r: Reader, top: MarkedMap, section: str) -> None:
        required = ("id", "says", "source", "text", "total")
        for data, path in self._listed(r, top, section, "constraints"):
            if not r.keys(data, path, (*required, "interpretation", *COMPARISONS), required):
                continue
            compared = [word for word in COMPARISONS if word in data]
            if len(compared) != 1:
                r.problem(data, None, path, f"needs one of {', '.join(COMPARISONS)} (got {len(compared)})")
                continue
            bound = _number(r, data, compared[0], path)
            names = data["total"]
            if not isinstance(names, list) or len(names) < 2 or not all(isinstance(n, str) for n in names):
                message = f"must be a list of two or more parameter names (got {got(names)})"
                r.problem(data, "total", f"{path}.total", message)
                continue
            if len(set(names)) != len(names):
                r.problem(data, "total", f"{path}.total", f"names a parameter twice (got {got(names)})")
                continue
            if bound is None:
                continue
            self.constraints.append(
                m.Constraint(
                    id=str(r.get(data, "id", path, str, "")),
                    says=self._text(r, data, "says", path),
                    citation=self._citation(r, data, path, required=True),
                    total=tuple(names),
                    compare=compared[0],
                    bound=bound,
                    interpretation=r.get(data, "interpretation", path, str, ""),
                    file=r.filename,
                    line=data.mark[0],
                )
            )

    def _clauses(self, r: Reader, top: MarkedMap, section: str) -> None:
        for data, path in self._listed(r, top, section, "clauses"):
            if not r.keys(data, path, ("ref", "text", "note"), ("ref", "text")):
                continue
            if isinstance(data["ref"], str) and isinstance(data["text"], str):
                self.cited.append(_cited(r, data, path, "ref"))
            self.clauses.append(
                m.Clause(
                    ref=str(r.get(data, "ref", path, str, "")),
                    text=str(r.get(data, "text", path, str, "")),
                    note=str(r.get(data, "note", path, str, "")),
                    file=r.filename,
                    line=data.mark_of("text")[0],
                )
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

    def _kinds(self, r: Reader, top: MarkedMap, section: str) -> None:
        for name, data, body, path in self._new_names(r, top, section, snake_case=False):
            entry = r.mapping(data, body, name, path)
            if entry is None or not r.keys(entry, path, ("description", "period", "params"), ("description", "period")):
                continue
            period = entry.get("period")
            periods = period if isinstance(period, list) else [period]
            self.kinds[str(name)] = m.ConsequenceKind(
                name=str(name),
                description=self._text(r, entry, "description", path),
                period_kinds=tuple(str(p) for p in periods),
                params=tuple(str(p) for p in r.get(entry, "params", path, list, [])),
            )

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
        if not r.keys(then, path, ("consequence", "unit", "period", "params"), ("consequence", "unit", "period")):
            return m.Output((), consequence="")
        for key in ("unit", "period"):
            if then.get(key) is None:
                r.problem(then, key, f"{path}.{key}", f"a consequence needs a {key}: write a value, such as $e.{key}")
        fields = [(key, self._expr(r, then, key, f"{path}.{key}")) for key in ("unit", "period") if key in then]
        params = r.mapping(then["params"], then, "params", f"{path}.params") if "params" in then else None
        for key in params or {}:
            fields.append((f"params.{key}", self._expr(r, params, key, f"{path}.params.{key}")))
        return m.Output(tuple(fields), consequence=r.get(then, "consequence", path, str, ""))

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
        match = _HEAD.match(head_text)
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
            test = self._test(r, where, field, condition, f"{path}.{field}")
            if test is not None:
                tests.append(test)
        line = container.key_mark_of(key)[0] if isinstance(container, MarkedMap) else 0
        return m.Pattern(fact_type=match["type"], alias=alias, tests=tuple(tests), negated=negated, line=line)

    def _test(self, r: Reader, where: Any, field: Any, condition: Any, path: str) -> m.Test | None:
        if condition is None and isinstance(field, str) and (glued := _glued(field)):
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
            try:
                return m.Test(str(field), op, parse_expr(value))
            except ExpressionError as error:
                r.problem(where, field, path, str(error))
                return None
        if isinstance(condition, dict) and len(condition) == 1:
            word = next(iter(condition))
            hint = did_you_mean(str(word), CONDITIONS)
            r.problem(where, field, path, f"unknown condition {word!r}{hint}; one of {', '.join(CONDITIONS)}")
            return None
        try:
            return m.Test(str(field), "eq", parse_expr(condition))
        except ExpressionError as error:
            r.problem(where, field, path, str(error))
            return None


def _is_order(value: Any) -> bool:
    """An invariant's ``order``: each param (text) to a list of its values (text or numbers), none twice."""
    return (
        isinstance(value, dict)
        and bool(value)
        and all(
            isinstance(name, str)
            and isinstance(values, list)
            and bool(values)
            and all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in values)
            and len(set(values)) == len(values)
            for name, values in value.items()
        )
    )


def _number(r: Reader, data: MarkedMap, key: str, path: str) -> int | float | None:
    """A finite number at ``data[key]``, or None (with a problem if something else is there: ``.inf``, text)."""
    value: int | float | None = r.get(data, key, path, (int, float))
    if value is not None and not is_number(value, whole=False):
        r.problem(data, key, f"{path}.{key}", f"must be a finite number (got {value})")
        return None
    return value


def _glued(name: str) -> str:
    """Why a condition's name holds its value too (``field:$a.field``, ``field：value``), and what to write."""
    for colon, why in (("：", "a full-width colon '：' is not YAML's ':'"), (":", "YAML needs a space after ':'")):
        field, found, value = name.partition(colon)
        if found and field.strip() and value.strip():
            return f"{why} (write '{field.strip()}: {value.strip()}')"
    return ""
