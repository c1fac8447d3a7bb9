"""``civpolicy calendar``: the duties' dated occurrences in a year, as a table, JSON or an iCalendar file.

Wired into :mod:`civpolicy.cli` with :func:`add_calendar_command`. Without a facts file the
calendar holds the duties whose performers the policy names (leaders, the headquarters, the
actions' lead units); with one, also every unit's and linked unit's weekly and monthly duties.
"""

from __future__ import annotations

import argparse
import datetime
import sys

from civpolicy.cli.common import OK, add_run_options, policy_of
from civpolicy.cli.evaluate import FACTS_HELP, read_facts
from civpolicy.cli.publish import as_json
from civpolicy.decision.render import table
from civpolicy.errors import ParameterError
from civpolicy.reports.calendar import as_ics, calendar_rows, for_whom, table_lines

FORMATS = ("table", "json", "ics")

DOCUMENT_DATE = datetime.date(2022, 3, 6)
"""The stamp of an iCalendar file when the policy has no in-force date."""


def add_calendar_command(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Add the ``calendar`` subcommand; its ``run`` default is :func:`run_calendar`."""
    command = subparsers.add_parser(
        "calendar", help="the duties of a year: who does what, when, where, by which clause"
    )
    command.add_argument("facts", nargs="?", help=FACTS_HELP + " (optional: for every unit's own duties)")
    command.add_argument("--year", type=int, required=True, help="the calendar year, such as 2023")
    command.add_argument(
        "--who", help="only what this person or unit (a name as written, or a unit's id) carries out, leads or hosts"
    )
    add_run_options(command)
    command.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="table: aligned text (the default); json: one row per occurrence; ics: an iCalendar file (RFC 5545)",
    )
    command.set_defaults(run=run_calendar)
    return command


def run_calendar(args: argparse.Namespace) -> int:
    """Print the year's calendar; errors propagate to ``cli.main``."""
    if not 1000 <= args.year <= 9999:
        raise ParameterError(f"--year: a year from 1000 to 9999 (got {args.year})")
    policy = policy_of(args)
    facts = read_facts(policy, args.facts) if args.facts else policy.read_facts({"units": []})
    rows = calendar_rows(policy.model, args.year, facts.all(), policy.params, policy.language)
    if args.who:
        rows = for_whom(rows, args.who)
    if args.format == "json":
        sys.stdout.write(as_json({"year": args.year, "duties": [row.to_dict() for row in rows]}))
    elif args.format == "ics":
        since = policy.model.in_force.since if policy.model.in_force else ""
        stamp = datetime.date.fromisoformat(since) if since else DOCUMENT_DATE
        sys.stdout.buffer.write(as_ics(rows, stamp))
    else:
        sys.stdout.write(table(table_lines(rows, policy.language == "zh")))
    return OK
