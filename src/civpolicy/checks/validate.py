"""Policy files to a validated model: read (:mod:`civpolicy.source`), then checked as a whole.

Every problem of every file is collected and raised together as one
:class:`~civpolicy.errors.PolicyError`.
"""

from __future__ import annotations

from pathlib import Path

from civpolicy.checks.crossref import cross_check
from civpolicy.errors import PolicyError, Problem
from civpolicy.source import model as m
from civpolicy.source.build import read_policy_files
from civpolicy.source.citations import check_citations


def load_model(directory: str | Path) -> m.PolicyModel:
    """Read and validate every policy file in ``directory``; raise PolicyError if any is wrong."""
    read = read_policy_files(directory)
    problems = read.problems
    if read.model is not None:
        cross_check(read.model, problems)
        if read.document_text is not None:
            problems.extend(check_citations(read.cited, read.document_text))
        problems.extend(_lint(read.model, bool(problems)))
    if problems or read.model is None:
        raise PolicyError(list(dict.fromkeys(problems)))  # a problem found twice is told once
    return read.model


def _lint(policy: m.PolicyModel, broken: bool) -> list[Problem]:
    """The lint's findings; beside other problems only the rules that can never fire.

    Those are judged rule by rule, so an author sees a misspelt value (``status: activ``)
    together with the other problems; the other lint checks read the policy as a whole
    and would only repeat what is broken. A policy too broken for even that check to read
    has its finding wait for the next ``check``, rather than hide the problems found.
    """
    from civpolicy.checks.lint import lint, never_fire

    if not broken:
        return lint(policy)
    try:
        return list(never_fire(policy))
    except Exception:  # see the docstring: the problems already found are told
        return []
