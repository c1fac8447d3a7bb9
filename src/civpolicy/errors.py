"""Errors of civpolicy: one root, and located problems collected rather than first-only."""

from __future__ import annotations

from typing import Any

import attrs


@attrs.frozen
class Problem:
    """One thing wrong in a file: where it is and what is wrong."""

    file: str
    line: int
    column: int
    message: str
    path: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        field = f" {self.path}:" if self.path else ""
        return f"{where}:{field} {self.message}"


class CivpolicyError(Exception):
    """Root of every error civpolicy raises on purpose."""


class LocatedError(CivpolicyError, ValueError):
    """One or more problems in input files, each with file, line and column."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems = tuple(sorted(problems, key=lambda p: (p.file, p.line, p.column, p.message)))
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as its problems (the message is made from them), e.g. back from a worker process."""
        return (self.__class__, (self.problems,), self.__dict__)


class PolicyError(LocatedError):
    """The policy files are not a valid policy."""


class FactsError(LocatedError):
    """The facts file does not follow the contract."""


class ParameterError(CivpolicyError, ValueError):
    """A parameter override names no parameter or gives a value of the wrong kind."""


class UnknownRuleError(CivpolicyError, KeyError):
    """A rule id the policy does not have (a KeyError too, as a missing key of a mapping)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class EngineError(CivpolicyError, RuntimeError):
    """The rule engine refused or failed on facts it should have taken.

    ``rule`` names the rule (or aggregate) whose output could not be given, when one did;
    :meth:`civpolicy.Policy.evaluate` then tells where it stands in the policy files.
    """

    def __init__(self, message: str, rule: str = "") -> None:
        super().__init__(message)
        self.rule = rule
