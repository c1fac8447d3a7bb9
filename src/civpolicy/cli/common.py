"""What the subcommands share: exit codes, the options of a policy run, reading ``--param``."""

from __future__ import annotations

import argparse
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

ENGINE_HELP = "rule engine: native (the default) or durable (only where durable-rules is installed)"
LANGUAGE_HELP = "language of the reasons: en (the default) or zh (中文, where the policy's sentences have it)"
POLICY_HELP = "policy folder (default: the shipped policy)"
PARAM_HELP = "override a parameter (repeatable), e.g. --param review_deduction_points=7"


def add_run_options(command: argparse.ArgumentParser) -> None:
    """``--policy``, ``--param``, ``--engine``, ``--language``: how the policy of a run is loaded."""
    command.add_argument("--policy", help=POLICY_HELP)
    command.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help=PARAM_HELP)
    command.add_argument("--engine", choices=ENGINES, help=ENGINE_HELP)
    command.add_argument("--language", choices=LANGUAGES, default="en", help=LANGUAGE_HELP)


def policy_of(args: argparse.Namespace) -> Policy:
    """The policy a run's options name."""
    return load_policy(args.policy, params=params_of(args.param), engine=args.engine, language=args.language)


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
