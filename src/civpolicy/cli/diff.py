"""``civpolicy diff``: what changes, for whom, from one policy folder to another.

Wired into :mod:`civpolicy.cli` with :func:`add_diff_command`. The command exits 0
whether or not anything changed, or with ``--exit-code`` 1 when anything does (as
``git diff --exit-code``: a policy repository's CI can gate on it); a bad policy folder or
bad facts raise, and ``cli.main`` prints the located problems on stderr and exits 2 with
nothing on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys

from civpolicy.authoring.diff import PolicyDiff
from civpolicy.authoring.impact import diff_policies
from civpolicy.cli.common import FINDINGS, OK

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
    diff.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="table: aligned text (the default); json: the diff as data; markdown: for a pull request or a report",
    )
    diff.add_argument("--seed", type=int, default=0, help="seed of the generated population (default: 0)")
    diff.add_argument("--units", type=int, default=200, help="units in the generated population (default: 200)")
    diff.add_argument(
        "--exit-code",
        action="store_true",
        help="exit 1 when anything changes (consequences, grades, the policy's definitions), 0 when nothing does",
    )
    diff.set_defaults(run=run_diff)
    return diff


def run_diff(args: argparse.Namespace) -> int:
    """Print the differences; with ``--exit-code``, exit 1 if there are any. Errors propagate to ``cli.main``."""
    result = diff_policies(args.old, args.new, args.facts, seed=args.seed, units=args.units)
    sys.stdout.write(render(result, args.format))
    return FINDINGS if args.exit_code and differs(result) else OK


def differs(result: PolicyDiff) -> bool:
    """Whether anything changes: consequences or grades for anyone, or the policy's definitions.

    Policy files that differ only in comments or layout change nothing.
    """
    return result.changed or bool(result.policy_changes)


def render(result: PolicyDiff, form: str) -> str:
    """The diff in one of :data:`FORMATS`."""
    if form == "json":
        return json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n"
    if form == "markdown":
        return result.to_markdown()
    return result.to_table()
