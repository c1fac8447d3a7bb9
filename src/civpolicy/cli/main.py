"""The ``civpolicy`` command: check a policy, evaluate facts, explain a unit's consequences.

Exit codes (contract section 6): ``check`` 0 or 1; ``evaluate`` and ``explain`` 0, or
2 on bad input, with ``file:line:column: message`` lines on stderr and nothing on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Iterator, Sequence

from civpolicy.cli.batch import add_batch_command
from civpolicy.cli.common import BAD_INPUT, OUTPUT_FAILED, POLICY_INVALID
from civpolicy.cli.diff import add_diff_command
from civpolicy.cli.evaluate import add_check_command, add_evaluate_command, add_explain_command
from civpolicy.cli.output import Output, OutputError
from civpolicy.cli.sample import add_sample_command
from civpolicy.cli.schema import add_schema_command
from civpolicy.cli.test import add_test_command
from civpolicy.errors import CivpolicyError, LocatedError


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    stdout = sys.stdout
    sys.stdout = Output(stdout)
    try:
        with _terminated_as_exit():
            code = int(args.run(args))
            sys.stdout.flush()  # a full disk shows here, not as Python's complaint at exit
            return code
    except BrokenPipeError:  # the reader went away (`civpolicy batch … | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), stdout.fileno())
        return 1
    except OutputError as error:
        if error.stream is stdout and stdout is not None:
            os.dup2(os.open(os.devnull, os.O_WRONLY), stdout.fileno())  # nothing more is tried at exit
        print(f"civpolicy: cannot write the output: {error}", file=sys.stderr)
        return OUTPUT_FAILED
    except LocatedError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return POLICY_INVALID if args.command == "check" else BAD_INPUT
    except CivpolicyError as error:
        print(f"civpolicy: {error}", file=sys.stderr)
        return POLICY_INVALID if args.command == "check" else BAD_INPUT
    finally:
        sys.stdout = stdout


@contextlib.contextmanager
def _terminated_as_exit() -> Iterator[None]:
    """SIGTERM ends the command as Ctrl-C would, so that cleanups run (``--output``'s partial file)."""

    def stop(signum: int, _: object) -> None:
        raise SystemExit(128 + signum)

    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread (a caller's thread): leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="civpolicy", description="Check the policy, evaluate facts, explain a unit's consequences."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add_check_command(commands)
    add_evaluate_command(commands)
    add_batch_command(commands)
    add_sample_command(commands)
    add_schema_command(commands)
    add_test_command(commands)
    add_diff_command(commands)
    add_explain_command(commands)
    return parser


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
