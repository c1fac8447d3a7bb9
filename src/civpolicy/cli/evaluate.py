"""``civpolicy check``, ``evaluate`` and ``explain``: validate a policy, decide on facts, give a unit's reasons."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from civpolicy.checks.validate import load_model
from civpolicy.cli.common import OK, add_run_options, policy_of
from civpolicy.decision.render import decision_table, explain
from civpolicy.errors import ParameterError
from civpolicy.policy import shipped_policy_dir
from civpolicy.source.expressions import did_you_mean

FACTS_HELP = "facts file, YAML or JSON (contract section 1)"


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
    evaluate.add_argument("--format", choices=("json", "table"), default="json")
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
    model = load_model(args.policy or shipped_policy_dir())
    print(
        f"ok: {len(model.all_rules())} rules, {len(model.derived)} derived facts, "
        f"{len(model.parameters)} parameters in {len(model.files)} files"
    )
    return OK


def run_evaluate(args: argparse.Namespace) -> int:
    """Print the decision on the facts."""
    policy = policy_of(args)
    decision = policy.evaluate(args.facts)
    sys.stdout.write(decision.to_json() if args.format == "json" else decision_table(decision))
    return OK


def run_explain(args: argparse.Namespace) -> int:
    """Print each consequence of one unit with its chain of reasons."""
    policy = policy_of(args)
    facts = policy.read_facts(args.facts)
    if args.unit not in facts.units:
        raise ParameterError(f"no unit {args.unit!r} in {args.facts}{did_you_mean(args.unit, facts.units)}")
    sys.stdout.write(explain(policy.model, policy.evaluate(facts), args.unit, policy.language))
    return OK
