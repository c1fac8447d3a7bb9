"""``civpolicy test``: scenario tests and invariants against any policy folder, with coverage.

A policy's own scenario tests live in its folder, in ``scenarios/`` (the policy is read
from the ``*.yaml`` files at the top of the folder only), so that they travel with it: in
the wheel, and in an author's copy (``cp -r policy my-policy``). The scenarios need only
civpolicy; the invariants need hypothesis (``civpolicy[authoring]``), imported when the
first is checked.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from civpolicy.authoring.coverage import coverage, fired_rules
from civpolicy.authoring.scenarios import read_scenarios, report, run_scenario, scenario_files
from civpolicy.errors import CivpolicyError, ParameterError
from civpolicy.policy import Policy, load_policy, shipped_policy_dir
from civpolicy.source.strict_yaml import load_yaml

FAILED = 1
SCENARIOS = "scenarios"
"""The folder of a policy folder that holds its scenario tests."""


def add_test_command(commands: Any) -> None:
    """The ``test`` subcommand."""
    test = commands.add_parser("test", help="run scenario tests and the policy's invariants against a policy folder")
    test.add_argument("policy", nargs="?", help="policy folder (default: the shipped policy)")
    test.add_argument("tests", nargs="*", help=f"scenario files or folders (default: the policy folder's {SCENARIOS}/)")
    test.add_argument(
        "--coverage",
        action="store_true",
        help="report rules, aggregates and clauses no test fires, and how each clause of the document is encoded",
    )
    test.add_argument("--no-invariants", action="store_true", help="skip the invariants")
    test.add_argument("--examples", type=int, default=100, help="generated populations per invariant")
    test.set_defaults(run=run_tests)


def run_tests(args: argparse.Namespace) -> int:
    """Run the scenarios, then the invariants; print failures in the clause's words."""
    if args.policy and _holds_scenarios(Path(args.policy)):  # `civpolicy test policy/scenarios`
        args.tests, args.policy = [args.policy, *args.tests], None
    folder = Path(args.policy) if args.policy else shipped_policy_dir()
    paths = [Path(p) for p in args.tests]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise CivpolicyError(f"no such scenario file or folder: {', '.join(missing)}")
    if args.examples < 1:
        raise ParameterError(f"--examples must be a whole number of at least 1 (got {args.examples})")

    @functools.lru_cache(maxsize=32)
    def policy_with(params: tuple[tuple[str, Any], ...]) -> Policy:
        return load_policy(folder, params=dict(params))

    policy_with(())  # a policy folder that is not one is told once, not as every scenario failing
    (passed, failed), fired = _scenarios(paths or [_own_scenarios(folder)], policy_with)
    print(f"scenarios of {folder}: {passed} passed, {failed} failed")
    broken = 0
    unchecked: CivpolicyError | None = None
    if not args.no_invariants:
        from civpolicy.authoring.invariants import HypothesisMissingError

        try:
            broken = _invariants(policy_with(()), args.examples)
        except HypothesisMissingError as error:  # the scenarios ran; coverage is told; then what to install
            unchecked = error
    if args.coverage:
        print(coverage(policy_with(()).model, fired).report(), end="")
    if unchecked is not None:
        sys.stdout.flush()
        raise CivpolicyError(f"{unchecked} (the scenarios ran without it; --no-invariants skips the invariants)")
    return FAILED if failed or broken else 0


def _scenarios(paths: list[Path], policy_with: Callable[..., Policy]) -> tuple[tuple[int, int], set[str]]:
    """Run the scenarios of these files and folders, printing each failure: (passed, failed) and the rules fired."""
    passed = failed = 0
    fired: set[str] = set()
    for path in scenario_files(paths):
        for scenario in read_scenarios(path):
            outcome = run_scenario(scenario, lambda params: policy_with(tuple(sorted(params.items()))))
            if outcome.decision is not None:
                fired |= fired_rules(outcome.decision)
            if outcome.passed:
                passed += 1
            else:
                failed += 1
                print(report(outcome), end="\n\n")
    return (passed, failed), fired


def _own_scenarios(folder: Path) -> Path:
    """The scenario tests a policy folder carries: its ``scenarios/`` folder."""
    own = folder / SCENARIOS
    if not own.is_dir():
        raise CivpolicyError(
            f"no such scenario folder: {own} (a policy's scenario tests go in its {SCENARIOS}/ folder;"
            " or name scenario files or folders after the policy folder)"
        )
    return own


def _holds_scenarios(path: Path) -> bool:
    """Whether a path is a scenario file, or a folder of them, rather than a policy folder."""
    files = [path] if path.is_file() else sorted(path.glob("*.yaml"))
    for file in files:
        try:
            data, _ = load_yaml(file.read_text(encoding="utf-8"), str(file))
        except (OSError, UnicodeDecodeError):
            continue
        if isinstance(data, dict) and "tests" in data:
            return True
    return False


def _invariants(policy: Policy, examples: int) -> int:
    """Check the policy's invariants and print each; the number broken (HypothesisMissingError without hypothesis)."""
    from civpolicy.authoring.invariants import check_invariants

    if not policy.model.invariants:
        print("invariants: the policy declares none (invariants: in its files), so none was checked")
    broken = 0
    for result in check_invariants(policy, examples):
        invariant = result.invariant
        if result.holds:
            print(f"invariant {invariant.id}: holds on {result.examples} generated populations")
            continue
        broken += 1
        print(f"invariant {invariant.id} FAILS ({invariant.source}): {invariant.says.en}")
        print(f"  {invariant.says.zh}")
        for problem in result.problems:
            print(f"  - {problem}")
        example = result.counterexample or {}
        documents = (
            [(f"{name} the change", example[name]) for name in ("before", "after")]
            if "before" in example
            else [("", example)]
        )
        for label, document in documents:
            heading = f" ({label})" if label else ""
            print(f"  smallest counterexample{heading}, a facts file you can run with civpolicy evaluate:")
            text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)
            print("".join(f"    {line}\n" for line in text.splitlines()), end="")
    sys.stdout.flush()
    return broken
