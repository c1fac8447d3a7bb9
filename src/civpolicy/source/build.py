"""Policy files to a :class:`~civpolicy.source.model.PolicyModel`, with every problem of every file.

Every ``*.yaml`` file of the policy folder is read; each holds some of the sections in
:data:`~civpolicy.source.sections.SECTIONS`, and a name may be defined in one file only.
What ``check`` adds to a well-formed model is :mod:`civpolicy.checks`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from pathlib import Path
from typing import Any

import attrs

from civpolicy.errors import PolicyError, Problem
from civpolicy.source import model as m
from civpolicy.source.citations import Cited
from civpolicy.source.read_definitions import DefinitionSections
from civpolicy.source.read_duties import DutySections
from civpolicy.source.read_parameters import ParameterSections
from civpolicy.source.read_results import ResultSections
from civpolicy.source.read_rules import RuleSections
from civpolicy.source.reader import Reader
from civpolicy.source.sections import SECTIONS
from civpolicy.source.strict_yaml import Mark, load_yaml


@attrs.frozen
class PolicyRead:
    """What the files gave: the model (None when too broken to build), the problems, the quotes to check."""

    model: m.PolicyModel | None
    problems: list[Problem]
    cited: list[Cited]
    """Every clause reference and quote read, with where each stands."""
    document_text: str | None
    """The document the policy encodes, where its ``document.file`` could be read."""


def read_policy_files(directory: str | Path) -> PolicyRead:
    """Read every policy file in ``directory`` into a model, collecting the problems of all files."""
    folder = Path(directory)
    files = sorted(folder.glob("*.yaml"))
    problems: list[Problem] = []
    if not folder.is_dir():
        raise PolicyError([Problem(str(folder), 1, 1, "no such policy folder")])
    if not files:
        raise PolicyError([Problem(str(folder), 1, 1, "the policy folder holds no .yaml file")])
    digest = hashlib.sha256()
    builder = Builder(folder, problems)
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
        data, found = load_yaml(text, str(path), strict_values=True)  # no .nan, no lone surrogate
        problems.extend(found)
        if data is not None:
            builder.add_file(str(path), data, refused={(p.line, p.column) for p in found})
    model = builder.build(tuple(str(p) for p in files), digest.hexdigest())
    return PolicyRead(model, problems, builder.cited, builder.document_text)


class Builder(DefinitionSections, ParameterSections, RuleSections, ResultSections, DutySections):
    """Gathers the sections of every file and turns them into model objects."""

    def add_file(self, filename: str, data: Any, refused: Collection[Mark] = ()) -> None:
        """Read the sections of one file; where the loader refused a value (``refused``), nothing more is told."""
        r = Reader(filename, self.problems, refused)
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
            "in_force": self._in_force,
            "findings": self._kinds,
            "duties": self._duties,
            "calendar": self._calendar,
            "responsible": self._responsible,
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
            in_force=self.in_force,
            duties=self.duties,
            calendar=self.calendar,
            responsible=self.responsibility,
            document=self.document_text or "",
        )
