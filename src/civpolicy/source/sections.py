"""What every section reader shares: the state gathered from the files, the helpers, the words a policy may use."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from civpolicy.errors import Problem
from civpolicy.source import model as m
from civpolicy.source.citations import Cited
from civpolicy.source.expressions import Expr, ExpressionError, Template, parse_expr, parse_policy_expr
from civpolicy.source.reader import Reader, got, is_number
from civpolicy.source.strict_yaml import MarkedMap, MarkedSeq

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
    "in_force",
    "findings",
    "duties",
    "calendar",
    "responsible",
)
"""The top-level sections a policy file may hold."""

COMPARISONS = ("equals", "at_most", "at_least")
"""How a constraint compares its parameters' total with its bound."""

FIELD_TYPES = ("text", "boolean", "integer", "number", "period", "year", "date", "unit", "choice")
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
    "worse_grade": (("change",), ("covered", "covered_when", "kept", "not_earlier", "never_gained")),
    "at_most_once": (("consequence", "per"), ()),
    "within": (("consequence", "bounds"), ()),
    "contiguous": (("consequence", "per", "counter"), ("order",)),
    "covered_once": (("consequences",), ()),
}
"""Each invariant check: its required and optional settings."""

CONSEQUENCE_FIELDS = ("unit", "kind", "period", "rule", "source")
"""The fields of a consequence an invariant's ``per`` may name."""


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) and item for item in value)


def _name(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _bounds(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(map(_bound, value))


def _bound(value: Any) -> bool:
    if isinstance(value, str):
        return value.startswith("$params.")
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _change(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and _name(value.get("facts"))
        and _name(value.get("field"))
        and value.get("to") is not None
        and not isinstance(value["to"], (dict, list))
    )


_SETTING_SHAPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "consequence": (_name, "a consequence kind's name"),
    "per": (
        lambda v: _texts(v) and bool(v) and all(item in CONSEQUENCE_FIELDS for item in v),
        f"a list of a consequence's fields ({', '.join(CONSEQUENCE_FIELDS)})",
    ),
    "counter": (_name, "the name of a param of the consequence"),
    "bounds": (lambda v: isinstance(v, dict) and bool(v), "a mapping of each param to its [lowest, highest]"),
    "change": (_change, "a mapping {facts: LIST, field: FIELD, to: VALUE}"),
    "covered": (_texts, "a list of consequence kinds"),
    "kept": (_texts, "a list of consequence kinds"),
    "never_gained": (_texts, "a list of consequence kinds"),
    "not_earlier": (lambda v: isinstance(v, dict), "a mapping of each consequence kind to its period param"),
}
"""What each invariant setting must be (but ``order``: :func:`is_order`), and how a problem says it."""

_ENTRY_SHAPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "bounds": (_bounds, "[lowest, highest], each a number or $params.name"),
    "not_earlier": (_name, "the name of the kind's period param"),
}
"""What each entry of a mapping setting must be: told at the entry."""


def setting_problems(r: Reader, data: MarkedMap, key: str, path: str) -> bool:
    """Whether an invariant's setting (``per: [unit]``) has its shape; a located problem if not.

    Checked as the policy is read: ``check`` and ``test`` read the settings, and a setting of
    another shape would stop them with a Python error instead of a located problem.
    """
    value = data[key]
    shape = _SETTING_SHAPES.get(key)
    if shape is not None and not shape[0](value):
        r.problem(data, key, f"{path}.{key}", f"must be {shape[1]} (got {got(value)})")
        return False
    entry = _ENTRY_SHAPES.get(key)
    if entry is None:
        return True
    fits, what = entry
    wrong = [name for name, item in value.items() if not isinstance(name, str) or not fits(item)]
    for name in wrong:
        r.problem(value, name, f"{path}.{key}.{name}", f"must be {what} (got {got(value[name])})")
    return not wrong


def plain_data(value: Any) -> Any:
    """Marked YAML data as plain dicts and lists."""
    if isinstance(value, dict):
        return {key: plain_data(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain_data(item) for item in value]
    return value


HEAD = re.compile(r"^(?:(?P<no>no)\s+)?(?P<type>[a-z_][a-z0-9_]*)(?:\s+as\s+(?P<alias>[a-z_][a-z0-9_]*))?$")
NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
RESERVED_ALIASES = ("params", "this", "count", "sum", "mean")


def cited_at(r: Reader, data: MarkedMap, path: str, ref_field: str) -> Cited:
    """A clause reference and its quote as read, with where each stands, to check against the document."""
    return Cited(
        file=r.filename,
        path=path,
        ref=str(data[ref_field]),
        text=str(data["text"]),
        ref_at=data.mark_of(ref_field),
        text_at=data.mark_of("text"),
        ref_field=ref_field,
    )


def is_order(value: Any) -> bool:
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


def finite_number(r: Reader, data: MarkedMap, key: str, path: str) -> int | float | None:
    """A finite number at ``data[key]``, or None (with a problem if something else is there: ``.inf``, text)."""
    value: int | float | None = r.get(data, key, path, (int, float))
    if value is not None and not is_number(value, whole=False):
        r.problem(data, key, f"{path}.{key}", f"must be a finite number (got {value})")
        return None
    return value


def glued_hint(name: str) -> str:
    """Why a condition's name holds its value too (``field:$a.field``, ``field：value``), and what to write."""
    for colon, why in (("：", "a full-width colon '：' is not YAML's ':'"), (":", "YAML needs a space after ':'")):
        field, found, value = name.partition(colon)
        if found and field.strip() and value.strip():
            return f"{why} (write '{field.strip()}: {value.strip()}')"
    return ""


class SectionReader:
    """The state gathered from the policy files, and the helpers every section reader uses."""

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
        self.in_force: m.InForce | None = None
        self.duties: dict[str, m.Duty] = {}
        self.calendar: m.CalendarSettings | None = None
        self.responsibility: m.Responsibility | None = None
        self.defined: dict[tuple[str, str], str] = {}

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
            if snake_case and (not isinstance(name, str) or not NAME.match(name)):
                r.problem_at_key(body, name, path, "a name is lower-case letters, digits and _ (snake_case)")
                continue
            group = "facts" if section in ("inputs", "derived", "tables") else section
            group = "consequences" if section == "findings" else group
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
        self.cited.append(cited_at(r, data, name or path, "source"))
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
            return parse_policy_expr(container[key])
        except ExpressionError as error:
            r.problem(container, key, path, str(error))
            return parse_expr(None)
