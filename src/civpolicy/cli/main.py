"""The ``civpolicy`` command: the parser, :func:`main` and how each failure ends it.

Exit codes (contract section 6; every subcommand's in :data:`~civpolicy.cli.common.EXIT_STATUS`,
shown by its ``--help``): 0 success; 1 findings (``check``: the policy has problems;
``test``: a test fails; ``diff --exit-code``: something changes) or an output that cannot
be written; 2 bad input or a usage error, with the problems on stderr and nothing on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import sys
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn

from civpolicy import __version__
from civpolicy.cli.batch import add_batch_command
from civpolicy.cli.bulletin import add_bulletin_command
from civpolicy.cli.calendar import add_calendar_command
from civpolicy.cli.common import BAD_INPUT, INTERRUPTED, OUTPUT_FAILED, POLICY_INVALID, exit_status
from civpolicy.cli.diff import add_diff_command
from civpolicy.cli.evaluate import add_check_command, add_evaluate_command, add_explain_command
from civpolicy.cli.output import Output, OutputError
from civpolicy.cli.rank import add_rank_command
from civpolicy.cli.sample import add_sample_command
from civpolicy.cli.schema import add_schema_command
from civpolicy.cli.test import add_test_command
from civpolicy.errors import CivpolicyError, LocatedError
from civpolicy.source.expressions import did_you_mean


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse(argv)
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
    except KeyboardInterrupt:  # Ctrl-C: cleanups have run (a batch's partial file); no traceback
        return INTERRUPTED
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


_INVALID_CHOICE = re.compile(
    r"""^argument (?P<name>.+?): invalid choice: (?P<value>'[^']*'|"[^"]*"|\S+) \(choose from"""
)


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors suggest the subcommand or option meant; its help ends with exit codes."""

    def __init__(self, *args: Any, exit_codes: str = "", **kwargs: Any) -> None:
        self.options: list[str] = []
        """Every option string of this parser (``--format``, ``-h``)."""
        self.choosers: list[argparse.Action] = []
        """The arguments with choices (a subcommand, ``--format``): what a misspelt value is matched against."""
        self.exit_codes = exit_codes
        self.commands: argparse._SubParsersAction[argparse.ArgumentParser] | None = None
        super().__init__(*args, **kwargs)

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        """Add an argument as argparse does, and remember its option strings and choices."""
        action = super().add_argument(*args, **kwargs)
        self.options += action.option_strings
        if action.choices is not None:
            self.choosers.append(action)
        return action

    def add_commands(self) -> argparse._SubParsersAction[argparse.ArgumentParser]:
        """The subcommands: each a :class:`Parser` too."""
        self.commands = self.add_subparsers(
            dest="command",
            required=True,
            parser_class=Parser,
            help="the subcommand (civpolicy COMMAND --help: its help)",
        )
        self.choosers.append(self.commands)
        return self.commands

    def parse(self, argv: Sequence[str] | None) -> argparse.Namespace:
        """The arguments; a usage error ends the command with exit code 2, naming what was meant when it can."""
        args, extras = self.parse_known_args(argv)
        if extras:
            command = self.commands.choices.get(args.command) if self.commands else None
            (command if isinstance(command, Parser) else self).unrecognized(extras)
        return args

    def unrecognized(self, extras: list[str]) -> NoReturn:
        """Arguments this parser does not take: the error, with each option meant (``--fromat``: ``--format``)."""
        hints = [(token, did_you_mean(token.split("=")[0], self.options)) for token in extras if token.startswith("-")]
        hints = [(token, hint) for token, hint in hints if hint]
        message = f"unrecognized arguments: {' '.join(extras)}"
        if len(hints) == 1:
            message += hints[0][1]
        else:
            message += "".join(f"; {token}{hint}" for token, hint in hints)
        self.error(message)

    def error(self, message: str) -> NoReturn:
        """Print the usage and the error (with the value meant, for a misspelt choice); exit 2."""
        found = _INVALID_CHOICE.match(message)
        if found:
            value = found["value"].strip("'\"")
            for action in self.choosers:
                if _name(action) == found["name"] and action.choices is not None:
                    message += did_you_mean(value, action.choices)
        super().error(message)

    def format_help(self) -> str:
        """The help, then what each exit code means (as ``grep --help`` and ``diff --help`` end)."""
        return super().format_help() + (f"\n{self.exit_codes}" if self.exit_codes else "")


def _name(action: argparse.Action) -> str:
    """An argument as argparse's errors name it: ``--format``, ``command``, ``document``."""
    if action.option_strings:
        return "/".join(action.option_strings)
    if isinstance(action.metavar, str) and action.metavar != argparse.SUPPRESS:
        return action.metavar
    return action.dest


def _parser() -> Parser:
    parser = Parser(
        prog="civpolicy",
        description="Check the policy, evaluate facts, explain a unit's consequences.",
        exit_codes=exit_status("civpolicy"),
    )
    parser.add_argument(
        "--version", action="version", version=f"civpolicy {__version__}", help="print the version and exit"
    )
    commands = parser.add_commands()
    add_check_command(commands)
    add_evaluate_command(commands)
    add_batch_command(commands)
    add_sample_command(commands)
    add_rank_command(commands)
    add_bulletin_command(commands)
    add_calendar_command(commands)
    add_schema_command(commands)
    add_test_command(commands)
    add_diff_command(commands)
    add_explain_command(commands)
    for name, command in commands.choices.items():
        if isinstance(command, Parser):  # every one: the subcommands' parser class is Parser
            command.exit_codes = exit_status(name)
    return parser


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
