"""``civpolicy check``, ``evaluate`` and ``explain``: validate a policy, decide on facts, give a unit's reasons."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from civpolicy.checks.validate import load_model
from civpolicy.cli.common import OK, add_run_options, policy_of
from civpolicy.decision.render import decision_table, explain
from civpolicy.decision.values import Decision
from civpolicy.errors import CivpolicyError, FactsError, ParameterError, PolicyError, Problem
from civpolicy.facts.read import Facts
from civpolicy.policy import Policy, shipped_policy_dir
from civpolicy.source.expressions import did_you_mean
from civpolicy.source.sections import SECTIONS
from civpolicy.source.strict_yaml import load_yaml

STDIN = "-"
STDIN_NAME = "<stdin>"
"""How problems of facts read from standard input name their file."""
FACTS_HELP = "facts file, YAML or JSON (contract section 1); - reads them from standard input"


def add_check_command(commands: Any) -> None:
    """The ``check`` subcommand."""
    check = commands.add_parser("check", help="validate the policy files")
    check.add_argument("policy", nargs="?", help="policy folder (default: the shipped policy)")
    check.set_defaults(run=run_check)


def add_evaluate_command(commands: Any) -> None:
    """The ``evaluate`` subcommand."""
    evaluate = commands.add_parser("evaluate", help="print the consequences that follow from facts")
    evaluate.add_argument("facts", help=FACTS_HELP)
    add_run_options(evaluate)
    evaluate.add_argument(
        "--format",
        choices=("json", "table"),
        default="json",
        help="json: the decision document of contract section 2 (the default); table: aligned text for a terminal",
    )
    evaluate.add_argument(
        "--group-by",
        choices=("responsible",),
        help="with --format table: one table per person who answers for the consequences (the policy's responsible)",
    )
    evaluate.set_defaults(run=run_evaluate)


def add_explain_command(commands: Any) -> None:
    """The ``explain`` subcommand."""
    why = commands.add_parser("explain", help="each consequence of one unit with its reasons")
    why.add_argument("facts", help=FACTS_HELP)
    add_run_options(why)
    why.add_argument("--unit", required=True, help="the unit id")
    why.set_defaults(run=run_explain)


def run_check(args: argparse.Namespace) -> int:
    """Validate the policy folder; print what it holds."""
    folder = args.policy or shipped_policy_dir()
    try:
        model = load_model(folder)
    except PolicyError:
        facts = _facts_files(Path(folder))
        if facts:
            why = "a folder of facts files, not a policy folder: its files hold units: and none of a policy's sections"
            found = Problem(str(folder), 1, 1, f"{why} (civpolicy evaluate {facts[0]} evaluates one)")
            raise PolicyError([found]) from None
        raise
    print(
        f"ok: {len(model.all_rules())} rules, {len(model.derived)} derived facts, "
        f"{len(model.parameters)} parameters in {len(model.files)} files"
    )
    return OK


def run_evaluate(args: argparse.Namespace) -> int:
    """Print the decision on the facts."""
    _not_json_lines(args.facts)
    policy = policy_of(args)
    decision = policy.evaluate(read_facts(policy, args.facts))
    by_responsible = args.group_by == "responsible"
    sys.stdout.write(decision.to_json() if args.format == "json" else decision_table(decision, by_responsible))
    tell_warnings(decision)
    return OK


def run_explain(args: argparse.Namespace) -> int:
    """Print each consequence of one unit with its chain of reasons."""
    _not_json_lines(args.facts)
    policy = policy_of(args)
    facts = read_facts(policy, args.facts)
    decision = policy.evaluate(facts)
    # A finding's who may be a person (a county leader), not a unit.
    known = set(facts.units) | {finding.who for finding in decision.findings or ()}
    if args.unit not in known:
        name = STDIN_NAME if args.facts == STDIN else args.facts
        raise ParameterError(f"no unit {args.unit!r} in {name}{did_you_mean(args.unit, known)}")
    sys.stdout.write(explain(policy.model, decision, args.unit, policy.language))
    tell_warnings(decision)
    return OK


def tell_warnings(decision: Decision) -> None:
    """Each warning of the decision on standard error, one line each, after the output."""
    for warning in decision.warnings:
        sys.stderr.write(f"civpolicy: warning: {warning}\n")


def read_facts(policy: Policy, source: str) -> Facts:
    """The facts of a file, or of standard input (``-``): JSON when they begin with ``{``, else YAML.

    Read from standard input, they are read as a file of that kind would be, and their
    problems are located as ``<stdin>:LINE:COLUMN``.
    """
    if source != STDIN:
        return policy.read_facts(source)
    text = _standard_input()
    as_json = text.lstrip("\ufeff \t\r\n").startswith(("{", "["))
    return policy.read_facts_text(text, STDIN_NAME, as_json=as_json)


def _standard_input() -> str:
    """The text of standard input, read to its end; a problem at ``<stdin>:1:1`` if it cannot be read."""
    stream = sys.stdin
    if stream is None:
        raise FactsError([Problem(STDIN_NAME, 1, 1, "standard input is closed")])
    binary = getattr(stream, "buffer", None)  # a caller's text stream (io.StringIO) has none
    try:
        return binary.read().decode("utf-8") if binary is not None else stream.read()
    except (OSError, UnicodeDecodeError) as error:
        raise FactsError([Problem(STDIN_NAME, 1, 1, f"cannot read standard input: {error}")]) from None


def _not_json_lines(source: str) -> None:
    """Refuse a JSON Lines file (many counties): that is ``civpolicy batch``'s input."""
    if source.lower().endswith(".jsonl"):
        raise CivpolicyError(
            f"{source} is JSON Lines (one county's facts per line): civpolicy batch {source} evaluates each county; "
            "evaluate and explain read one facts file, YAML or JSON"
        )


def _facts_files(folder: Path) -> list[Path]:
    """The files of a folder, when every one reads as facts (``units:``, no policy section); else none."""
    files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    for file in files:
        try:
            data, _ = load_yaml(file.read_text(encoding="utf-8"), str(file))
        except (OSError, UnicodeDecodeError):
            return []
        if not isinstance(data, dict) or "units" not in data or set(data) & set(SECTIONS):
            return []
    return files
