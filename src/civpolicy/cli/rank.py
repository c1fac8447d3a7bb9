"""``civpolicy rank``: the league tables of the 讲评会, each ranked group's units by the policy's rank, per period.

Wired into :mod:`civpolicy.cli` with :func:`add_rank_command`. Bad facts, a ``--period``
that is no period or holds no ranking, and a policy without a ranking report raise, and
``cli.main`` prints them on stderr and exits 2 with nothing on stdout.
"""

from __future__ import annotations

import argparse
import sys

from civpolicy.cli.common import OK, add_run_options, policy_of
from civpolicy.cli.evaluate import FACTS_HELP, read_facts, tell_warnings
from civpolicy.cli.publish import as_json, parts_markdown, parts_table, rows_csv
from civpolicy.reports.labels import Labels
from civpolicy.reports.league import flat_rows, league_rows, leagues, parse_within, ranking_report

FORMATS = ("table", "json", "csv", "markdown")


def add_rank_command(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Add the ``rank`` subcommand; its ``run`` default is :func:`run_rank`."""
    rank = subparsers.add_parser(
        "rank", help="the league tables: each ranked group's units by rank and score, for each period"
    )
    rank.add_argument("facts", help=FACTS_HELP)
    add_run_options(rank)
    rank.add_argument(
        "--period",
        help="only the tables of periods within this one: a year (2022), half-year (2022-H1) or quarter (2022-Q2)",
    )
    rank.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="table: aligned text for a terminal (the default); json: the tables as data; "
        "csv: one line per unit and period, for a spreadsheet; markdown: a heading and a table per group and period",
    )
    rank.set_defaults(run=run_rank)
    return rank


def run_rank(args: argparse.Namespace) -> int:
    """Print the league tables; errors propagate to ``cli.main``."""
    within = parse_within(args.period)
    policy = policy_of(args)
    ranking_report(policy.model)  # a policy that ranks nothing is told before the facts are read
    facts = read_facts(policy, args.facts)
    decision = policy.evaluate(facts)
    found = leagues(policy.model, decision, facts, within)
    labels = Labels(policy.model, policy.language)
    if args.format == "json":
        text = as_json(found.to_dict(decision.policy_digest, labels))
    elif args.format == "csv":
        text = rows_csv(*flat_rows(found, labels))
    elif args.format == "markdown":
        text = parts_markdown(league_rows(found, labels))
    else:
        count = len(found.tables)
        footer = (
            f"{count} 张排名表；政策 {decision.policy_digest}\n"
            if labels.zh
            else f"{count} table(s); policy {decision.policy_digest}\n"
        )
        text = parts_table(league_rows(found, labels)) + ("\n" if count else "") + footer
    sys.stdout.write(text)
    tell_warnings(decision)
    return OK
