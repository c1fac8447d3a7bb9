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
from pathlib import Path
from typing import Any

from civpolicy._yaml import DECIMAL, WHOLE
from civpolicy.cli_diff import add_diff_command
from civpolicy.cli_output import Output, OutputError, Writer
from civpolicy.cli_sample import add_sample_command
from civpolicy.cli_schema import add_schema_command
from civpolicy.cli_test import add_test_command
from civpolicy.engines import ENGINES
from civpolicy.errors import CivpolicyError, LocatedError, ParameterError
from civpolicy.expressions import LANGUAGES
from civpolicy.load import load_model
from civpolicy.policy import Policy, load_policy, shipped_policy_dir
from civpolicy.render import decision_table, explain

BAD_INPUT = 2
POLICY_INVALID = 1
OUTPUT_FAILED = 1
"""The output could not be written (a full disk): nothing to do with the facts or the policy."""


ENGINE_HELP = "rule engine: native (the default) or durable (only where durable-rules is installed)"
LANGUAGE_HELP = "language of the reasons: en (the default) or zh (中文, where the policy's sentences have it)"


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

    check = commands.add_parser("check", help="validate the policy files")
    check.add_argument("policy", nargs="?", help="policy folder (default: the shipped policy)")
    check.set_defaults(run=_check)

    evaluate = commands.add_parser("evaluate", help="print the consequences that follow from facts")
    _common(evaluate)
    evaluate.add_argument("--format", choices=("json", "table"), default="json")
    evaluate.set_defaults(run=_evaluate)

    batch = commands.add_parser("batch", help="evaluate many counties: JSON Lines in, JSON Lines out")
    batch.add_argument(
        "inputs", nargs="+", help=".jsonl files (a county's facts per line) or facts files (one county each)"
    )
    batch.add_argument("--policy", help="policy folder (default: the shipped policy)")
    batch.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="override a parameter")
    batch.add_argument("--engine", choices=ENGINES, help=ENGINE_HELP)
    batch.add_argument("--language", choices=LANGUAGES, default="en", help=LANGUAGE_HELP)
    batch.add_argument("--jobs", type=int, default=0, help="worker processes (default: every core)")
    batch.add_argument("--output", help="write the JSON Lines here (whole or not at all) instead of stdout")
    batch.set_defaults(run=_batch)

    add_sample_command(commands)
    add_schema_command(commands)
    add_test_command(commands)
    add_diff_command(commands)

    why = commands.add_parser("explain", help="each consequence of one unit with its reasons")
    _common(why)
    why.add_argument("--unit", required=True, help="the unit id")
    why.set_defaults(run=_explain)
    return parser


def _common(command: argparse.ArgumentParser) -> None:
    command.add_argument("facts", help="facts file, YAML or JSON (contract section 1)")
    command.add_argument("--policy", help="policy folder (default: the shipped policy)")
    command.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="override a parameter")
    command.add_argument("--engine", choices=ENGINES, help=ENGINE_HELP)
    command.add_argument("--language", choices=LANGUAGES, default="en", help=LANGUAGE_HELP)


def _params(pairs: list[str]) -> dict[str, Any]:
    values = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name:
            raise ParameterError(f"--param takes NAME=VALUE (got {pair!r})")
        values[name.strip()] = param_value(text)
    return values


def param_value(text: str) -> Any:
    """A --param value as one writes a number: ``012`` is 12, ``1e3`` is 1000.0, ``true``/``false``; else text.

    The numbers a policy or facts file reads (``_yaml.WHOLE``, ``_yaml.DECIMAL``): not YAML 1.1's
    reading, where ``012`` is 10 (octal) and ``1:30`` is 90 (base 60).
    """
    text = text.strip()
    if text in ("true", "false"):
        return text == "true"
    try:
        if WHOLE.fullmatch(text):
            return int(text)
        if DECIMAL.fullmatch(text):
            return float(text)
    except ValueError:  # more digits than Python reads
        raise ParameterError(f"--param value of {len(text)} characters is not a number that can be read") from None
    return text


def _policy(args: argparse.Namespace) -> Policy:
    return load_policy(args.policy, params=_params(args.param), engine=args.engine, language=args.language)


def _check(args: argparse.Namespace) -> int:
    model = load_model(args.policy or shipped_policy_dir())
    print(
        f"ok: {len(model.all_rules())} rules, {len(model.derived)} derived facts, "
        f"{len(model.parameters)} parameters in {len(model.files)} files"
    )
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    policy = _policy(args)
    decision = policy.evaluate(args.facts)
    sys.stdout.write(decision.to_json() if args.format == "json" else decision_table(decision))
    return 0


def _batch(args: argparse.Namespace) -> int:
    from civpolicy import batch

    policy = _policy(args)
    lines = batch.run(policy, batch.documents(args.inputs), args.jobs or batch.default_jobs())
    if not args.output:
        return _write_batch(lines, sys.stdout)
    target = Path(args.output)
    partial = target.with_name(target.name + ".partial")
    if target.is_dir():
        raise CivpolicyError(f"cannot write {target}: it is a folder")
    try:
        out = partial.open("w", encoding="utf-8")
    except OSError as error:  # before any county is read: nothing is written
        raise CivpolicyError(f"cannot write {target}: {error.strerror or error}") from None
    try:
        with out:
            guarded = Output(out)
            code = _write_batch(lines, guarded)
            guarded.flush()  # a full disk shows here, before the file is closed
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)  # the whole file or nothing
        raise
    return code


def _write_batch(lines: Iterator[tuple[str, bool]], out: Writer) -> int:
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


def _explain(args: argparse.Namespace) -> int:
    policy = _policy(args)
    facts = policy.read_facts(args.facts)
    if args.unit not in facts.units:
        from civpolicy.expressions import did_you_mean

        raise ParameterError(f"no unit {args.unit!r} in {args.facts}{did_you_mean(args.unit, facts.units)}")
    sys.stdout.write(explain(policy, policy.evaluate(facts), args.unit))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
