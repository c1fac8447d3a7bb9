"""Time civpolicy's engine against the plain-Python oracle on synthetic populations.

Usage: ``python benchmarks/bench.py [--units 1000 10000] [--years 2] [--seed 0]``.

Each population is built deterministically from ``random.Random``, evaluated once with
``civpolicy.load_policy().evaluate(facts)`` and once with ``tests/oracle.py``; the two
must agree (exit status 1 if not). Each population runs in its own child process so that
the reported peak memory, ``getrusage(RUSAGE_SELF).ru_maxrss``, belongs to that population
alone; it is the whole process's peak resident set, facts included. Nothing is asserted
about time.
"""

from __future__ import annotations

import argparse
import importlib
import json
import random
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import civpolicy

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

oracle: Callable[[dict[str, Any]], list[dict[str, Any]]] = importlib.import_module("oracle").oracle

CATEGORIES = ("community", "township", "linked", "key_task", "other_task")
FIRST_YEAR = 2022
SHOWN_DIFFERENCES = 5
# Shares of the synthetic population (probabilities per unit, unit-year or unit-month).
CIVILIZED = 0.6
VERTICAL = 0.1
SIZE_KNOWN = 0.8
MEDIUM_AMONG_NOT_POOR = 0.6
EXTRA_HALVES = 0.1
MONTH_EVALUATED = 0.95
WITHHELD = 0.05
RECTIFICATION_PASSED = 0.5


def _grade(rnd: random.Random, poor_share: float) -> str:
    """A grade, poor with probability ``poor_share``, otherwise medium or good."""
    if rnd.random() < poor_share:
        return "poor"
    return "medium" if rnd.random() < MEDIUM_AMONG_NOT_POOR else "good"


def _unit_facts(rnd: random.Random, uid: str, years: list[int], facts: dict[str, Any]) -> None:
    """Append one unit and about 25 facts per year of it to ``facts``."""
    category = rnd.choice(CATEGORIES)
    unit: dict[str, Any] = {
        "id": uid,
        "category": category,
        "civilized_unit": rnd.random() < CIVILIZED,
        "vertically_managed": rnd.random() < VERTICAL,
    }
    if rnd.random() < SIZE_KNOWN:
        unit["headcount"] = rnd.randint(5, 500)
        unit["base_quota"] = rnd.randint(5, 40)
    facts["units"].append(unit)
    poor_share = rnd.choice((0.05, 0.2, 0.5))
    criticism_share = rnd.choice((0.2, 0.5, 0.8))
    evaluations = facts["evaluations"]
    for year in years:
        periods = [f"{year}-Q{q}" for q in range(1, 5)] + [str(year)]
        if category == "other_task" or rnd.random() < EXTRA_HALVES:
            periods += [f"{year}-H1", f"{year}-H2"]
        periods += [f"{year}-{m:02d}" for m in range(1, 13) if rnd.random() < MONTH_EVALUATED]
        for period in periods:
            evaluations.append({"unit": uid, "period": period, "grade": _grade(rnd, poor_share)})
        for month in range(1, 13):
            if rnd.random() < criticism_share:
                facts["criticisms"].append({"unit": uid, "bulletin": f"{year}-{month:02d}"})
        if rnd.random() < WITHHELD:
            bonus = rnd.choice(("civilized_city", "civilized_unit"))
            facts["withholdings"].append({"unit": uid, "bonus": bonus, "year": year})
        for _ in range(rnd.choice((0, 0, 0, 1, 2))):
            facts["rectifications"].append({"unit": uid, "year": year, "passed": rnd.random() < RECTIFICATION_PASSED})


def build_population(units: int, years: int, seed: int) -> dict[str, Any]:
    """A deterministic synthetic facts document of ``units`` units over ``years`` years."""
    rnd = random.Random(seed * 1_000_003 + units * 31 + years)
    facts: dict[str, Any] = {
        "units": [],
        "evaluations": [],
        "criticisms": [],
        "withholdings": [],
        "rectifications": [],
    }
    year_list = [FIRST_YEAR + i for i in range(years)]
    for index in range(units):
        _unit_facts(rnd, f"u{index:05d}", year_list, facts)
    return facts


def _row(unit: str, kind: str, period: str, params: object) -> tuple[str, str, str, str]:
    """A comparable identity of one consequence."""
    return unit, kind, period, json.dumps(params, sort_keys=True, ensure_ascii=False)


def _peak_rss_mib() -> float:
    """Return this process's peak resident set size in MiB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(units: int, years: int, seed: int, engine: str | None = None) -> dict[str, Any]:
    """Build one population, time engine and oracle on it, and compare their answers."""
    facts = build_population(units, years, seed)
    fact_count = sum(len(records) for records in facts.values())
    started = time.perf_counter()
    policy = civpolicy.load_policy(engine=engine) if engine else civpolicy.load_policy()
    load_seconds = time.perf_counter() - started
    rss_before = _peak_rss_mib()
    started = time.perf_counter()
    decision = policy.evaluate(facts)
    engine_seconds = time.perf_counter() - started
    peak_rss = _peak_rss_mib()
    engine_rows = [_row(c.unit, c.kind, c.period, dict(c.params)) for c in decision.consequences]
    del decision
    started = time.perf_counter()
    expected = oracle(facts)
    oracle_seconds = time.perf_counter() - started
    oracle_rows = [_row(r["unit"], r["kind"], r["period"], r["params"]) for r in expected]
    return {
        "population": f"synthetic-{units}x{years}y-s{seed}",
        "engine": engine or "default",
        "units": units,
        "facts": fact_count,
        "facts_per_unit_year": fact_count / (units * years),
        "consequences": len(engine_rows),
        "load_seconds": load_seconds,
        "engine_seconds": engine_seconds,
        "rss_before_mib": rss_before,
        "peak_rss_mib": peak_rss,
        "oracle_seconds": oracle_seconds,
        "agree": engine_rows == oracle_rows,
        "missing": sorted(set(oracle_rows) - set(engine_rows))[:SHOWN_DIFFERENCES],
        "extra": sorted(set(engine_rows) - set(oracle_rows))[:SHOWN_DIFFERENCES],
    }


def _in_child(units: int, years: int, seed: int, engine: str | None = None) -> dict[str, Any]:
    """Run :func:`measure` in a fresh interpreter; a crash becomes a result with ``error``."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--one",
        str(units),
        "--years",
        str(years),
        "--seed",
        str(seed),
    ]
    if engine:
        command += ["--engine", engine]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        last = done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        population = f"synthetic-{units}x{years}y-s{seed}"
        return {"population": population, "units": units, "error": last[0]}
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def _print_table(results: list[dict[str, Any]]) -> None:
    """One line per population."""
    header = (
        f"{'population':<26} {'units':>7} {'facts':>9} {'engine s':>9} {'facts/s':>10} "
        f"{'peak RSS MiB':>12} {'oracle s':>9} {'ratio':>7} {'agree':>5}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        if "error" in r:
            print(f"{r['population']:<26} {r['units']:>7}  FAILED: {r['error'][:150]}")
            continue
        rate = r["facts"] / r["engine_seconds"] if r["engine_seconds"] else float("inf")
        ratio = r["engine_seconds"] / r["oracle_seconds"] if r["oracle_seconds"] else float("inf")
        print(
            f"{r['population']:<26} {r['units']:>7} {r['facts']:>9} {r['engine_seconds']:>9.2f} "
            f"{rate:>10.0f} {r['peak_rss_mib']:>12.1f} {r['oracle_seconds']:>9.2f} "
            f"{ratio:>6.1f}x {'yes' if r['agree'] else 'NO':>5}"
        )
    print()
    print(
        "facts: records in units + evaluations + criticisms + withholdings + rectifications; "
        "engine s: evaluate() only (policy load excluded); ratio: engine s / oracle s."
    )
    print(
        "peak RSS: resource.getrusage(RUSAGE_SELF).ru_maxrss of the child process that built "
        "the population and ran both (whole process, facts included)."
    )
    for r in results:
        if "error" in r:
            continue
        per = r["facts_per_unit_year"]
        print(
            f"{r['population']} ({r['engine']} engine): {per:.1f} facts per unit-year, "
            f"{r['consequences']} consequences, "
            f"policy load {r['load_seconds']:.2f} s, "
            f"RSS before evaluate {r['rss_before_mib']:.1f} MiB"
        )
        for item in r["missing"]:
            print(f"  oracle only: {item}")
        for item in r["extra"]:
            print(f"  engine only: {item}")


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run every population, print the table; 1 if any disagreement."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--engine", help="load_policy(engine=...); default: the policy's own")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run every population in this process (peak RSS then accumulates)",
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one is not None:
        print(json.dumps(measure(args.one, args.years, args.seed, args.engine)))
        return 0
    run = measure if args.in_process else _in_child
    results = [run(units, args.years, args.seed, args.engine) for units in args.units]
    _print_table(results)
    return 0 if all(r.get("agree") for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
