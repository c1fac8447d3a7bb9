"""``civpolicy batch``: many counties, JSON Lines in and out, on every core."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from civpolicy.cli.common import BAD_INPUT, add_run_options, policy_of
from civpolicy.cli.output import Output, Writer
from civpolicy.errors import CivpolicyError


def add_batch_command(commands: Any) -> None:
    """The ``batch`` subcommand."""
    batch = commands.add_parser("batch", help="evaluate many counties: JSON Lines in, JSON Lines out")
    batch.add_argument(
        "inputs", nargs="+", help=".jsonl files (a county's facts per line) or facts files (one county each)"
    )
    add_run_options(batch)
    batch.add_argument("--jobs", type=int, default=0, help="worker processes (default: every core)")
    batch.add_argument("--output", help="write the JSON Lines here (whole or not at all) instead of stdout")
    batch.set_defaults(run=run_batch)


def run_batch(args: argparse.Namespace) -> int:
    """Evaluate every county of the inputs; write a JSON line each, to stdout or ``--output`` (whole or not at all)."""
    from civpolicy import batch

    policy = policy_of(args)
    lines = batch.run(policy, batch.documents(args.inputs), args.jobs or batch.default_jobs())
    if not args.output:
        return write_batch(lines, sys.stdout)
    target = Path(args.output)
    partial = target.with_name(target.name + ".partial")
    if target.is_dir():
        raise CivpolicyError(f"cannot write {target}: it is a folder")
    # The partial file is made inside the cleanup's reach: a SIGTERM just after it is made removes it too.
    try:
        try:
            out = partial.open("w", encoding="utf-8")
        except OSError as error:  # before any county is read: nothing is written
            raise CivpolicyError(f"cannot write {target}: {error.strerror or error}") from None
        with out:
            guarded = Output(out)
            code = write_batch(lines, guarded)
            guarded.flush()  # a full disk shows here, before the file is closed
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)  # the whole file or nothing
        raise
    return code


def write_batch(lines: Iterator[tuple[str, bool]], out: Writer) -> int:
    """Write each county's line, counting on stderr; the exit code: 2 if any county failed."""
    from civpolicy.batch import Progress

    progress = Progress()
    failed = False
    try:
        for line, error in lines:
            failed |= error
            progress.step(error)
            out.write(line + "\n")
    finally:
        progress.close()
    return BAD_INPUT if failed else 0
