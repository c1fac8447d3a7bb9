"""What the subcommands share: exit codes and what each means, the options of a policy run, reading ``--param``."""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

from civpolicy.engine.registry import ENGINES
from civpolicy.errors import ParameterError
from civpolicy.policy import Policy, load_policy
from civpolicy.source.expressions import LANGUAGES
from civpolicy.source.strict_yaml import DECIMAL, WHOLE

OK = 0
FINDINGS = 1
"""``check``: the policy has problems; ``test``: a test failed; ``diff --exit-code``: something changed."""
BAD_INPUT = 2
"""Bad facts, a bad option or parameter, a policy that does not load: nothing on stdout."""
POLICY_INVALID = 1
OUTPUT_FAILED = 1
"""The output could not be written (a full disk): nothing to do with the facts or the policy."""
INTERRUPTED = 130
"""Ctrl-C (128 + SIGINT, as a shell reports it)."""
TERMINATED = 143
"""A SIGTERM (128 + 15): the command stops as on Ctrl-C, its cleanups run."""

_WRITE = "the output could not be written (a full disk), or its reader went away (`| head`)"
_USAGE = "a usage error (a misspelt subcommand or option, a value not among the choices)"
EXIT_STATUS: dict[str, tuple[tuple[int, str], ...]] = {
    "civpolicy": (
        (OK, "success"),
        (
            FINDINGS,
            "check: the policy has problems; test: a scenario or invariant fails; "
            "diff --exit-code: something changes; any command: " + _WRITE,
        ),
        (
            BAD_INPUT,
            "bad input (facts, a policy folder, an option's value), the problems on stderr "
            "and nothing on stdout; or " + _USAGE,
        ),
        (INTERRUPTED, "interrupted (Ctrl-C)"),
        (TERMINATED, "terminated (SIGTERM)"),
    ),
    "check": (
        (OK, "the policy is valid"),
        (
            POLICY_INVALID,
            "the policy has problems, one FILE:LINE:COLUMN: message line each on stderr "
            "(a missing folder, a folder of facts files too); or " + _WRITE,
        ),
        (BAD_INPUT, _USAGE),
    ),
    "evaluate": (
        (OK, "the decision is printed"),
        (OUTPUT_FAILED, _WRITE),
        (
            BAD_INPUT,
            "bad input: the facts (FILE:LINE:COLUMN: message lines on stderr), --param, --policy, "
            "--engine; nothing on stdout; or " + _USAGE,
        ),
    ),
    "explain": (
        (OK, "the unit's consequences are printed"),
        (OUTPUT_FAILED, _WRITE),
        (
            BAD_INPUT,
            "bad input: the facts (FILE:LINE:COLUMN: message lines on stderr), --unit, --param, "
            "--policy, --engine; nothing on stdout; or " + _USAGE,
        ),
    ),
    "batch": (
        (OK, "every county is evaluated"),
        (OUTPUT_FAILED, _WRITE + "; an --output file is then removed"),
        (
            BAD_INPUT,
            "a county has errors (its line says which; the other counties are written), or a bad "
            "--param, --policy or --engine, an --output that cannot be written; or " + _USAGE,
        ),
    ),
    "test": (
        (OK, "every scenario passes and every invariant holds"),
        (FINDINGS, "a scenario fails or an invariant breaks; or " + _WRITE),
        (
            BAD_INPUT,
            "bad input: a scenario file or folder that does not exist or cannot be read, a policy "
            "folder that does not load, a bad --examples; or " + _USAGE,
        ),
    ),
    "diff": (
        (OK, "the differences are printed; with --exit-code: nothing changes"),
        (
            FINDINGS,
            "with --exit-code: something changes (consequences, grades, the policy's definitions); or " + _WRITE,
        ),
        (BAD_INPUT, "bad input: a policy folder that does not load, bad facts, a bad --units; or " + _USAGE),
    ),
    "sample": (
        (OK, "the plan is printed"),
        (OUTPUT_FAILED, _WRITE),
        (BAD_INPUT, "bad input: the facts, --month, --policy; nothing on stdout; or " + _USAGE),
    ),
    "rank": (
        (OK, "the league tables are printed"),
        (OUTPUT_FAILED, _WRITE),
        (
            BAD_INPUT,
            "bad input: the facts (FILE:LINE:COLUMN: message lines on stderr), a --period that is no period or "
            "holds no ranking, --param, --policy, --engine, a policy that ranks nothing; nothing on stdout; or "
            + _USAGE,
        ),
    ),
    "bulletin": (
        (OK, "the month's bulletin is printed"),
        (OUTPUT_FAILED, _WRITE),
        (
            BAD_INPUT,
            "bad input: the facts (FILE:LINE:COLUMN: message lines on stderr), a --month that is not YYYY-MM, "
            "--param, --policy, --engine; nothing on stdout; or " + _USAGE,
        ),
    ),
    "calendar": (
        (OK, "the year's calendar of duties is printed"),
        (OUTPUT_FAILED, _WRITE),
        (
            BAD_INPUT,
            "bad input: the facts (FILE:LINE:COLUMN: message lines on stderr), a --year outside 1000..9999, "
            "--param, --policy; nothing on stdout; or " + _USAGE,
        ),
    ),
    "schema": (
        (OK, "the schema is printed"),
        (OUTPUT_FAILED, _WRITE),
        (BAD_INPUT, "a policy folder (--policy) that does not load; or " + _USAGE),
    ),
}
"""What each exit code of each subcommand means (``civpolicy``: of the command as a whole), for ``--help``."""

ENGINE_HELP = (
    "rule engine: compiled (the default: the rules as generated Python), native (the reference interpreter)"
    " or durable (durable-rules, only where it is installed)"
)
LANGUAGE_HELP = "language of the reasons: en (the default) or zh (中文, where the policy's sentences have it)"
POLICY_HELP = "policy folder (default: the shipped policy)"
PARAM_HELP = (
    "override a parameter of the policy (repeatable; a parameter with values by date takes this one value "
    "at every date); the names are in policy/*.yaml under parameters:"
)
IGNORE_HELP = (
    "leave out, with a warning on stderr, the facts of periods that end before the policy is in force "
    "(its in_force date); without it such a fact is an error"
)


def exit_status(command: str) -> str:
    """The end of a subcommand's ``--help``: what each of its exit codes means."""
    meanings = EXIT_STATUS.get(command, ())
    if not meanings:
        return ""
    lines = ["exit status:"]
    for code, meaning in meanings:
        lines.append(textwrap.fill(meaning, 78, initial_indent=f"  {code:<3} ", subsequent_indent=" " * 6))
    return "\n".join(lines) + "\n"


def add_run_options(command: argparse.ArgumentParser) -> None:
    """``--policy``, ``--param``, ``--engine``, ``--language``: how the policy of a run is loaded."""
    command.add_argument("--policy", help=POLICY_HELP)
    command.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help=PARAM_HELP)
    command.add_argument("--engine", choices=ENGINES, help=ENGINE_HELP)
    command.add_argument("--language", choices=LANGUAGES, default="en", help=LANGUAGE_HELP)
    command.add_argument("--ignore-out-of-force", action="store_true", help=IGNORE_HELP)


def policy_of(args: argparse.Namespace) -> Policy:
    """The policy a run's options name."""
    return load_policy(
        args.policy,
        params=params_of(args.param),
        engine=args.engine,
        language=args.language,
        ignore_out_of_force=getattr(args, "ignore_out_of_force", False),
    )


def params_of(pairs: list[str]) -> dict[str, Any]:
    """``--param NAME=VALUE`` pairs as overrides."""
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
