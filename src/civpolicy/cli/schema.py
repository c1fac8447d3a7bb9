"""``civpolicy schema``: the JSON Schema of the facts a policy reads or of the decisions it gives.

Wired into :mod:`civpolicy.cli` with :func:`add_schema_command`; a bad policy folder raises,
and ``cli.main`` prints it on stderr and exits 2 with nothing on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys

from civpolicy.checks.validate import load_model
from civpolicy.facts.schema import decision_schema, facts_schema
from civpolicy.policy import shipped_policy_dir

SCHEMAS = {"facts": facts_schema, "decision": decision_schema}


def add_schema_command(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Add the ``schema`` subcommand; its ``run`` default is :func:`run_schema`."""
    schema = subparsers.add_parser(
        "schema", help="the JSON Schema of the facts the policy reads, or of the decisions it gives"
    )
    schema.add_argument("document", choices=tuple(SCHEMAS), help="facts (contract section 1) or decision (section 2)")
    schema.add_argument("--policy", help="policy folder (default: the shipped policy)")
    schema.set_defaults(run=run_schema)
    return schema


def run_schema(args: argparse.Namespace) -> int:
    """Print the schema as JSON; errors propagate to ``cli.main``."""
    model = load_model(args.policy or shipped_policy_dir())
    sys.stdout.write(json.dumps(SCHEMAS[args.document](model), ensure_ascii=False, indent=2) + "\n")
    return 0
