"""Time civpolicy's engine against the plain computation and the oracle on generated populations.

Usage: ``python benchmarks/bench.py [--units 1000 10000] [--seed 0] [--runs 3] [--engine NAME]``.

Each population is ``generate_facts(seed, units)`` (``civpolicy.authoring.generated``: valid
facts, two years), evaluated with ``civpolicy.load_policy().evaluate(facts)``, computed by
``benchmarks/plain.py`` and by ``tests/oracle.py``; all three must agree (exit status 1 if
not). Each side is timed by ``timing.best_of`` (a collection before each run, the collector
off inside, best of ``--runs``). Each population runs in its own child process so that the
reported peak memory, ``getrusage(RUSAGE_SELF).ru_maxrss``, belongs to that population
alone; it is the whole process's peak resident set, facts included. Nothing is asserted
about time. The side-by-side table of every engine is ``benchmarks/truth.py``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

from common import consequences, fact_count, oracle, population
from plain import plain
from timing import DEFAULT_RUNS, best_of

import civpolicy

SHOWN_DIFFERENCES = 5


def _row(row: dict[str, Any]) -> tuple[str, str, str, str]:
    """A comparable identity of one consequence."""
    return row["unit"], row["kind"], row["period"], json.dumps(row["params"], sort_keys=True, ensure_ascii=False)


def _peak_rss_mib() -> float:
    """Return this process's peak resident set size in MiB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(units: int, seed: int, engine: str | None = None, runs: int = DEFAULT_RUNS) -> dict[str, Any]:
    """Make one population, time the engine, plain and the oracle on it, and compare their answers."""
    facts = population(seed, units)
    load_seconds, policy = best_of(
        lambda: civpolicy.load_policy(engine=engine) if engine else civpolicy.load_policy(), 1
    )
    rss_before = _peak_rss_mib()
    engine_seconds, decision = best_of(lambda: policy.evaluate(facts), runs)
    peak_rss = _peak_rss_mib()
    engine_rows = [_row(r) for r in consequences(decision)]
    del decision
    plain_seconds, computed = best_of(lambda: plain(facts), runs)
    oracle_seconds, expected = best_of(lambda: oracle(facts), runs)
    oracle_rows = [_row(r) for r in expected]
    return {
        "population": f"generated-{units}-s{seed}",
        "engine": policy.engine.name,
        "units": units,
        "facts": fact_count(facts),
        "facts_per_unit": fact_count(facts) / units,
        "consequences": len(engine_rows),
        "load_seconds": load_seconds,
        "engine_seconds": engine_seconds,
        "rss_before_mib": rss_before,
        "peak_rss_mib": peak_rss,
        "plain_seconds": plain_seconds,
        "oracle_seconds": oracle_seconds,
        "agree": engine_rows == oracle_rows and computed == expected,
        "plain_agrees": computed == expected,
        "missing": sorted(set(oracle_rows) - set(engine_rows))[:SHOWN_DIFFERENCES],
        "extra": sorted(set(engine_rows) - set(oracle_rows))[:SHOWN_DIFFERENCES],
    }


def _in_child(units: int, seed: int, engine: str | None = None, runs: int = DEFAULT_RUNS) -> dict[str, Any]:
    """Run :func:`measure` in a fresh interpreter; a crash becomes a result with ``error``."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--one",
        str(units),
        "--seed",
        str(seed),
        "--runs",
        str(runs),
    ]
    if engine:
        command += ["--engine", engine]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        last = done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        return {"population": f"generated-{units}-s{seed}", "units": units, "error": last[0]}
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def _print_table(results: list[dict[str, Any]], runs: int) -> None:
    """One line per population."""
    header = (
        f"{'population':<22} {'engine':<8} {'units':>7} {'facts':>9} {'engine s':>9} {'facts/s':>10} "
        f"{'peak RSS MiB':>12} {'plain s':>8} {'oracle s':>9} {'x plain':>8} {'agree':>5}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        if "error" in r:
            print(f"{r['population']:<22} {'':<8} {r['units']:>7}  FAILED: {r['error'][:150]}")
            continue
        rate = r["facts"] / r["engine_seconds"] if r["engine_seconds"] else float("inf")
        ratio = r["engine_seconds"] / r["plain_seconds"] if r["plain_seconds"] else float("inf")
        print(
            f"{r['population']:<22} {r['engine']:<8} {r['units']:>7} {r['facts']:>9} {r['engine_seconds']:>9.3f} "
            f"{rate:>10.0f} {r['peak_rss_mib']:>12.1f} {r['plain_seconds']:>8.3f} {r['oracle_seconds']:>9.3f} "
            f"{ratio:>7.1f}x {'yes' if r['agree'] else 'NO':>5}"
        )
    print()
    print(
        "facts: records in units + evaluations + criticisms + withholdings + rectifications; "
        f"engine s: evaluate() only (policy load excluded); each side best of {runs}, collector off inside, "
        "a collection before each run; plain: benchmarks/plain.py; oracle: tests/oracle.py; "
        "x plain: engine s / plain s; agree: engine = oracle = plain."
    )
    print(
        "peak RSS: resource.getrusage(RUSAGE_SELF).ru_maxrss of the child process that made "
        "the population and ran all three (whole process, facts included)."
    )
    for r in results:
        if "error" in r:
            continue
        print(
            f"{r['population']} ({r['engine']} engine): {r['facts_per_unit']:.1f} facts per unit, "
            f"{r['consequences']} consequences, "
            f"policy load {r['load_seconds']:.2f} s, "
            f"RSS before evaluate {r['rss_before_mib']:.1f} MiB"
        )
        if not r["plain_agrees"]:
            print("  plain and the oracle DISAGREE")
        for item in r["missing"]:
            print(f"  oracle only: {item}")
        for item in r["extra"]:
            print(f"  engine only: {item}")


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run every population, print the table; 1 if any disagreement."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--engine", help="load_policy(engine=...); default: the policy's own")
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS, help="best of N for each side (default 3)")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run every population in this process (peak RSS then accumulates)",
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one is not None:
        print(json.dumps(measure(args.one, args.seed, args.engine, args.runs)))
        return 0
    run = measure if args.in_process else _in_child
    results = [run(units, args.seed, args.engine, args.runs) for units in args.units]
    _print_table(results, args.runs)
    return 0 if all(r.get("agree") for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
