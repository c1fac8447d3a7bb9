"""``civpolicy sample``: the points the monthly bulletin inspects in a month.

Wired into :mod:`civpolicy.cli` with :func:`add_sample_command`; a bad month or bad facts
raise, and ``cli.main`` prints them on stderr and exits 2 with nothing on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys

from civpolicy.cli.common import OK
from civpolicy.decision.render import table
from civpolicy.policy import load_policy
from civpolicy.reports.sampling import SamplePlan, plan_for_facts


def add_sample_command(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Add the ``sample`` subcommand; its ``run`` default is :func:`run_sample`."""
    sample = subparsers.add_parser(
        "sample", help="the community grids and field points the monthly bulletin inspects in a month"
    )
    sample.add_argument("facts", help="facts file, YAML or JSON (units, and field_points if any)")
    sample.add_argument("--month", required=True, help="the month, written YYYY-MM")
    sample.add_argument("--seed", type=int, default=0, help="the seed of the plan (default: 0)")
    sample.add_argument("--policy", help="policy folder (default: the shipped policy)")
    sample.add_argument(
        "--format",
        choices=("json", "table"),
        default="json",
        help="json: the plan as data (the default); table: aligned text for a terminal",
    )
    sample.set_defaults(run=run_sample)
    return sample


def run_sample(args: argparse.Namespace) -> int:
    """Print the month's plan; errors propagate to ``cli.main``."""
    plan = plan_for_facts(load_policy(args.policy), args.facts, args.month, args.seed)
    sys.stdout.write(plan_json(plan) if args.format == "json" else plan_table(plan))
    return OK


def plan_json(plan: SamplePlan) -> str:
    """The plan as JSON text."""
    return json.dumps(plan.to_dict(), ensure_ascii=False, indent=2) + "\n"


def plan_table(plan: SamplePlan) -> str:
    """The plan as a table for a terminal."""
    rows = [("id", "unit", "kind")] + [(p.id, p.unit, p.kind) for p in plan.points]
    summary = f"{len(plan.points)} of {plan.total} point(s) in {plan.month} (cycle {plan.cycle}, seed {plan.seed})\n"
    return table(rows) + "\n" + summary
