"""The sections that define names: the document, vocabularies, cadences, inputs, tables, constraints."""

from __future__ import annotations

from civpolicy.source import model as m
from civpolicy.source.reader import Reader, got
from civpolicy.source.sections import (
    COMPARISONS,
    FIELD_TYPES,
    SectionReader,
    finite_number,
)
from civpolicy.source.strict_yaml import MarkedMap


class DefinitionSections(SectionReader):
    """Reads `document`, `vocabulary`, `cadences`, `inputs`, `tables`, `constraints` (`parameters`: read_parameters)."""

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
        allowed = ("from", "description", "says", "key", "unique", "fields", "required", "total", "needed_by", "unused")
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
                unused=self._template(r, data, "unused", path) if "unused" in data else None,
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

    def _constraints(self, r: Reader, top: MarkedMap, section: str) -> None:
        required = ("id", "says", "source", "text", "total")
        for data, path in self._listed(r, top, section, "constraints"):
            if not r.keys(data, path, (*required, "interpretation", *COMPARISONS), required):
                continue
            compared = [word for word in COMPARISONS if word in data]
            if len(compared) != 1:
                r.problem(data, None, path, f"needs one of {', '.join(COMPARISONS)} (got {len(compared)})")
                continue
            bound = finite_number(r, data, compared[0], path)
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
