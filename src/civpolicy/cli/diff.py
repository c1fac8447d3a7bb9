"""``civpolicy diff``: what changes, for whom, from one policy folder to another.

Wired into :mod:`civpolicy.cli` with :func:`add_diff_command`. The command exits 0
whether or not anything changed; a bad policy folder or bad facts raise, and
``cli.main`` prints the located problems on stderr and exits 2 with nothing on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys

from civpolicy.authoring.diff import PolicyDiff
from civpolicy.authoring.impact import diff_policies

FORMATS = ("table", "json", "markdown")


def add_diff_command(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Add the ``diff`` subcommand; its ``run`` default is :func:`run_diff`."""
    diff = subparsers.add_parser(
        "diff",
        help="what changes for whom from one policy folder to another",
        description=(
            "Evaluate two policy folders on the same facts (or, without FACTS, on a generated "
            "population) and list, unit by unit, the consequences lost and gained and the grades changed."
        ),
    )
    diff.add_argument("old", metavar="OLD_POLICY", help="the policy folder as it is (e.g. policy)")
    diff.add_argument("new", metavar="NEW_POLICY", help="the changed copy")
    diff.add_argument(
        "facts", metavar="FACTS", nargs="?", help="facts file, YAML or JSON (default: a generated population)"
    )
    diff.add_argument("--format", choices=FORMATS, default="table")
    diff.add_argument("--seed", type=int, default=0, help="seed of the generated population (default: 0)")
    diff.add_argument("--units", type=int, default=200, help="units in the generated population (default: 200)")
    diff.set_defaults(run=run_diff)
    return diff


def run_diff(args: argparse.Namespace) -> int:
    """Print the differences; errors propagate to ``cli.main``."""
    result = diff_policies(args.old, args.new, args.facts, seed=args.seed, units=args.units)
    sys.stdout.write(render(result, args.format))
    return 0


def render(result: PolicyDiff, form: str) -> str:
    """The diff in one of :data:`FORMATS`."""
    if form == "json":
        return json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n"
    if form == "markdown":
        return result.to_markdown()
    return result.to_table()
