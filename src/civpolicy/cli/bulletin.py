"""``civpolicy bulletin``: a month's bulletin (月通报): the points sampled, the month's facts, its consequences.

Wired into :mod:`civpolicy.cli` with :func:`add_bulletin_command`. A month that is not
``YYYY-MM`` and bad facts raise, and ``cli.main`` prints them on stderr and exits 2 with
nothing on stdout.
"""

from __future__ import annotations

import argparse
import sys

from civpolicy.cli.common import OK, add_run_options, policy_of
from civpolicy.cli.evaluate import FACTS_HELP, read_facts, tell_warnings
from civpolicy.cli.publish import as_json, parts_markdown, parts_table
from civpolicy.reports.bulletin import bulletin, bulletin_rows
from civpolicy.reports.labels import Labels
from civpolicy.reports.sampling import parse_month

FORMATS = ("table", "json", "markdown")


def add_bulletin_command(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Add the ``bulletin`` subcommand; its ``run`` default is :func:`run_bulletin`."""
    command = subparsers.add_parser(
        "bulletin",
        help="a month's bulletin: the points sampled, what the month records (scores, units named), its consequences",
    )
    command.add_argument("facts", help=FACTS_HELP)
    command.add_argument("--month", required=True, help="the month, written YYYY-MM")
    command.add_argument(
        "--seed", type=int, default=0, help="the seed of the sampling plan, as for sample (default: 0)"
    )
    add_run_options(command)
    command.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="table: aligned text for a terminal (the default); json: the bulletin as data; "
        "markdown: a heading and a table per part",
    )
    command.set_defaults(run=run_bulletin)
    return command


def run_bulletin(args: argparse.Namespace) -> int:
    """Print the month's bulletin; errors propagate to ``cli.main``."""
    parse_month(args.month)
    policy = policy_of(args)
    facts = read_facts(policy, args.facts)
    decision = policy.evaluate(facts)
    found = bulletin(policy.model, facts, decision, args.month, args.seed)
    labels = Labels(policy.model, policy.language)
    if args.format == "json":
        text = as_json(found.to_dict(decision.policy_digest, labels))
    elif args.format == "markdown":
        text = parts_markdown(bulletin_rows(found, policy.model, labels))
    else:
        footer = f"政策 {decision.policy_digest}\n" if labels.zh else f"policy {decision.policy_digest}\n"
        text = parts_table(bulletin_rows(found, policy.model, labels)) + "\n" + footer
    sys.stdout.write(text)
    tell_warnings(decision)
    return OK
