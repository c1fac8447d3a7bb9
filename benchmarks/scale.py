"""Scale benchmark: a county, a province and the whole country, through each engine.

Usage::

    python benchmarks/scale.py                  # county and province, both engines
    python benchmarks/scale.py --country        # and the country (2,800 counties), batch path
    python benchmarks/scale.py --agree 100000   # and a run where both engines and the oracle must agree
    python benchmarks/scale.py --floor          # and the country's floor: what any Python evaluation spends

Populations are synthetic, valid and deterministic (``generate_facts(seed, units)`` of
``civpolicy.authoring.generated``, two years; ``common.population``). A county is 120 units; a province 20,000 units (167 counties);
the country 2,800 counties of 120 units, evaluated through the batch path
(``civpolicy.batch.ordered_map``) with one process per core, each county generated
inside its worker from its seed (so the parent never holds the population). Each run
prints wall time, facts per second, peak memory (from ``getrusage``: this process's
largest resident set for runs in process, the largest worker's for batch runs, whose
parent holds one line per county in flight), the time of ``benchmarks/plain.py`` (the
plain computation of the same consequences) and of the oracle (``tests/oracle.py``) on
the same facts, and the ratio to plain. Runs in process are timed by ``timing.best_of``
(a collection before each run, the collector off inside, best of ``--runs``). Every engine
of ``civpolicy.engine.registry.ENGINES`` that loads here runs. Nothing is asserted about
time. Also printed: where the durable engine's time goes, from a profile of one county.
The side-by-side table of issue 16 is ``benchmarks/truth.py``, which uses this module for
its batch runs.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import gc
import hashlib
import json
import pstats
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from common import consequences, fact_count, load_engines, oracle, population
from plain import plain
from timing import DEFAULT_RUNS, best_of, machine

import civpolicy
from civpolicy import batch

COUNTY_UNITS = 120
PROVINCE_COUNTIES = 167  # 20,040 units
COUNTRY_COUNTIES = 2800
PHASE_COUNTIES = 20


def peak_mib() -> float:
    """This process's largest resident set so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def evaluate_all(policy: civpolicy.Policy, populations: list[dict[str, Any]]) -> list[civpolicy.Decision]:
    """Every county's decision, one after another (``evaluate_many`` in this process)."""
    return list(policy.evaluate_many(populations))


def in_process(name: str, counties: int, engines: list[str], runs: int = DEFAULT_RUNS) -> list[dict[str, Any]]:
    """Counties evaluated one after another in this process, per engine, by plain and by the oracle."""
    populations = [population(seed, COUNTY_UNITS) for seed in range(counties)]
    facts = sum(fact_count(p) for p in populations)
    oracle_seconds, expected = best_of(lambda: [oracle(p) for p in populations], runs)
    plain_seconds, computed = best_of(lambda: [plain(p) for p in populations], runs)
    plain_agrees = computed == expected
    del computed
    results = []
    for engine in engines:
        policy = civpolicy.load_policy(engine=engine)
        seconds, decisions = best_of(functools.partial(evaluate_all, policy, populations), runs)
        same = all(consequences(d) == e for d, e in zip(decisions, expected, strict=True))
        del decisions
        result = row(
            name, engine, counties * COUNTY_UNITS, facts, seconds, oracle_seconds, same and plain_agrees, 1, peak_mib()
        )
        result["plain"] = plain_seconds
        results.append(result)
    return results


def _county_task(task: tuple[int, bool]) -> tuple[int, int, float, float, bool | None, float, float, str]:
    """In a worker: build one county, evaluate it, and (if asked) check it and plain against the oracle.

    Checked, it also gives the SHA-256 of the decision's JSON (untimed), so that engines can be
    compared byte for byte, county by county.
    """
    seed, check = task
    facts = population(seed, COUNTY_UNITS)
    started = time.perf_counter()
    decision = batch._WORKER_POLICY.evaluate(facts)
    seconds = time.perf_counter() - started
    oracle_seconds, plain_seconds, agree, digest = 0.0, 0.0, None, ""
    if check:
        digest = hashlib.sha256(decision.to_json().encode()).hexdigest()
        started = time.perf_counter()
        expected = oracle(facts)
        oracle_seconds = time.perf_counter() - started
        started = time.perf_counter()
        computed = plain(facts)
        plain_seconds = time.perf_counter() - started
        agree = consequences(decision) == expected and computed == expected
    return (
        fact_count(facts),
        len(decision.consequences),
        seconds,
        oracle_seconds,
        agree,
        peak_mib(),
        plain_seconds,
        digest,
    )


def _floor_task(seed: int) -> tuple[int, float, float, float, float]:
    """In a worker: what any Python evaluation of one county must spend, with no engine.

    Reading the county's JSON line (as the batch path does; the line itself is made
    first, untimed), checking the facts as every evaluation does, and the oracle's plain
    computation of the consequences.
    """
    line = json.dumps(population(seed, COUNTY_UNITS), ensure_ascii=False)
    started = time.process_time()
    facts = json.loads(line)
    read = time.process_time()
    batch._WORKER_POLICY.read_facts(facts)
    checked = time.process_time()
    oracle(facts)
    computed = time.process_time()
    return fact_count(facts), read - started, checked - read, computed - checked, peak_mib()


def country_floor(counties: int, jobs: int) -> None:
    """The country through the batch path's processes with the floor's work only (no engine)."""
    policy = civpolicy.load_policy()
    assert policy.origin is not None
    spent = [0.0, 0.0, 0.0]
    facts = 0
    started = time.perf_counter()
    for count, *seconds, _ in batch.ordered_map(_floor_task, range(counties), jobs, policy):
        facts += count
        spent = [total + s for total, s in zip(spent, seconds, strict=True)]
    wall = time.perf_counter() - started
    print(f"\nthe floor for the country ({counties:,} counties, {facts:,} facts, {jobs} processes, no engine):")
    print(f"  CPU seconds: JSON read {spent[0]:.1f}, facts checked {spent[1]:.1f}, oracle {spent[2]:.1f}")
    print(
        f"  (read + checked + oracle) / processes = {sum(spent) / jobs:.1f} s (wall {wall:.1f} s, making the lines too)"
    )


def through_batch(name: str, counties: int, engine: str, jobs: int, check: bool) -> dict[str, Any]:
    """Counties through the batch path, one worker per core, each county generated in its worker."""
    policy = civpolicy.load_policy(engine=engine)
    assert policy.origin is not None
    started = time.perf_counter()
    facts = engine_seconds = oracle_seconds = plain_seconds = 0.0
    agree = True
    worker_peak = 0.0
    digests = hashlib.sha256()
    for count, _, seconds, o_seconds, ok, peak, p_seconds, digest in batch.ordered_map(
        _county_task, ((seed, check) for seed in range(counties)), jobs, policy
    ):
        digests.update(digest.encode())
        facts += count
        engine_seconds += seconds
        oracle_seconds += o_seconds
        plain_seconds += p_seconds
        agree = agree and ok is not False
        worker_peak = max(worker_peak, peak)
    wall = time.perf_counter() - started
    result = row(
        name, engine, counties * COUNTY_UNITS, int(facts), wall, oracle_seconds / jobs, agree, jobs, worker_peak
    )
    result["plain"] = plain_seconds / jobs
    result["checked"] = check
    # Of every county's decision JSON, in order: equal for two engines when every decision is byte-identical.
    result["digest"] = digests.hexdigest() if check else ""
    result["cpu_engine_seconds"] = engine_seconds
    return result


def row(
    name: str,
    engine: str,
    units: int,
    facts: int,
    seconds: float,
    oracle_seconds: float,
    agree: bool,
    jobs: int,
    peak: float,
) -> dict[str, Any]:
    return {
        "population": name,
        "engine": engine,
        "units": units,
        "facts": facts,
        "seconds": seconds,
        "oracle": oracle_seconds,
        "agree": agree,
        "jobs": jobs,
        "peak": peak,
        "plain": 0.0,
        "checked": True,
    }


def print_table(results: list[dict[str, Any]]) -> None:
    header = f"{'population':<14} {'engine':<8} {'jobs':>4} {'units':>9} {'facts':>11} {'wall s':>9} {'facts/s':>10} {'peak MiB':>9} {'plain s':>8} {'oracle s':>9} {'x plain':>8} agree"
    print(header)
    print("-" * len(header))
    for r in results:
        rate = r["facts"] / r["seconds"] if r["seconds"] else 0
        ratio = f"{r['seconds'] / r['plain']:.1f}x" if r["plain"] else "-"
        oracle_s = f"{r['oracle']:.2f}" if r["oracle"] else "-"
        plain_s = f"{r['plain']:.2f}" if r["plain"] else "-"
        agree = ("yes" if r["agree"] else "NO") if r["checked"] else "-"
        print(
            f"{r['population']:<14} {r['engine']:<8} {r['jobs']:>4} {r['units']:>9,} {r['facts']:>11,} {r['seconds']:>9.2f} "
            f"{rate:>10,.0f} {r['peak']:>9.0f} {plain_s:>8} {oracle_s:>9} {ratio:>8} {agree}"
        )


def phases(counties: int, engines: list[str]) -> None:
    """Where each engine's time goes, by step of the flow, beside the oracle (CPU seconds)."""
    from civpolicy.decision.provenance import DecisionBuilder

    populations = [population(seed, COUNTY_UNITS) for seed in range(counties)]
    oracle_seconds, _ = best_of(lambda: [oracle(p) for p in populations], 1)
    plain_seconds, _ = best_of(lambda: [plain(p) for p in populations], 1)
    print(
        f"\nwhere the time goes ({counties} counties of {COUNTY_UNITS} units, CPU seconds, one run; "
        f"plain {plain_seconds:.2f} s, oracle {oracle_seconds:.2f} s, wall):"
    )
    print(f"  {'engine':<8} {'facts checked':>14} {'rules run':>10} {'decision':>9} {'total':>7} {'x plain':>8}")
    for engine in engines:
        policy = civpolicy.load_policy(engine=engine)
        spent = [0.0, 0.0, 0.0]
        gc.collect()
        gc.disable()  # as Policy.evaluate does while it runs
        for county in populations:
            started = time.process_time()
            facts = policy.read_facts(county)
            checked = time.process_time()
            space = policy.engine.run(tuple(fact for unit in facts.units for fact in facts.by_unit[unit]))
            ran = time.process_time()
            builder = DecisionBuilder(policy.model, policy.digest)
            builder.add(space)
            builder.decision()
            done = time.process_time()
            for i, seconds in enumerate((checked - started, ran - checked, done - ran)):
                spent[i] += seconds
        gc.enable()
        total = sum(spent)
        print(
            f"  {engine:<8} {spent[0]:>14.2f} {spent[1]:>10.2f} {spent[2]:>9.2f} {total:>7.2f} "
            f"{total / plain_seconds:>7.1f}x"
        )
    print("  facts checked: read_facts; rules run: engine.run; decision: consequences, reasons and reports")


def file_reading(runs: int = DEFAULT_RUNS) -> None:
    """What reading one county's facts file costs, by format, beside a mapping already in memory."""
    policy = civpolicy.load_policy()
    county = population(0, COUNTY_UNITS)
    with tempfile.TemporaryDirectory() as folder:
        as_json = Path(folder) / "county.json"
        as_json.write_text(json.dumps(county, ensure_ascii=False), encoding="utf-8")
        as_yaml = Path(folder) / "county.yaml"
        as_yaml.write_text(yaml.safe_dump(county, allow_unicode=True), encoding="utf-8")
        print(
            f"\nreading one county's facts ({COUNTY_UNITS} units, {fact_count(county):,} facts), seconds, best of {runs}:"
        )
        sources: tuple[tuple[str, dict[str, Any] | Path], ...] = (
            ("mapping", county),
            ("JSON file", as_json),
            ("YAML file", as_yaml),
        )
        for name, source in sources:
            seconds, _ = best_of(functools.partial(policy.read_facts, source), runs)
            print(f"  {name:<10} {seconds:>6.3f}")


def durable_profile() -> None:
    """Where the durable engine's time goes on one county, by layer."""
    policy = civpolicy.load_policy(engine="durable")
    facts = policy.read_facts(population(0, COUNTY_UNITS))
    policy.evaluate(facts)
    profiler = cProfile.Profile()
    profiler.enable()
    policy.evaluate(facts)
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    layers = {
        "durable C engine": 0.0,
        "JSON encode/decode": 0.0,
        "durable Python wrapper": 0.0,
        "civpolicy": 0.0,
        "other": 0.0,
    }
    for (filename, _, function), (_, _, own, _, _) in stats.items():
        if "durable_rules_engine" in function or (filename == "~" and "durable_rules_engine" in function):
            layers["durable C engine"] += own
        elif "/json/" in filename:
            layers["JSON encode/decode"] += own
        elif "/durable/" in filename:
            layers["durable Python wrapper"] += own
        elif "/civpolicy/" in filename:
            layers["civpolicy"] += own
        else:
            layers["other"] += own
    total = sum(layers.values()) or 1
    print(f"\nwhere the durable engine's time goes (one county of {COUNTY_UNITS} units, profiled):")
    for layer, seconds in sorted(layers.items(), key=lambda item: -item[1]):
        print(f"  {layer:<24} {100 * seconds / total:5.1f}%")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--country", action="store_true", help="also the country, 2,800 counties")
    parser.add_argument(
        "--country-engines",
        default="",
        help="engines for the country run (comma-separated; default: the default engine)",
    )
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS, help="best of N for runs in process (default 3)")
    parser.add_argument(
        "--agree",
        type=int,
        default=0,
        help="also N units through the batch path, where every engine, plain and the oracle must agree",
    )
    parser.add_argument("--jobs", type=int, default=batch.default_jobs())
    parser.add_argument(
        "--floor", action="store_true", help="also the country's floor: facts read, checked and the oracle, no engine"
    )
    parser.add_argument("--skip-province", action="store_true", help="leave out the county and province runs")
    parser.add_argument(
        "--counties",
        type=int,
        default=PROVINCE_COUNTIES,
        help=f"counties of the province (default {PROVINCE_COUNTIES})",
    )
    parser.add_argument(
        "--phase-counties",
        type=int,
        default=PHASE_COUNTIES,
        help=f"counties of the time split (default {PHASE_COUNTIES})",
    )
    args = parser.parse_args(argv)
    print(machine())
    engines = []
    for name, policy, why in load_engines():
        if policy is None:
            print(f"engine {name}: not run here ({why})")
        else:
            engines.append(name)
    results = []
    if not args.skip_province:
        results += in_process("county", 1, engines, args.runs)
        results += in_process("province", args.counties, engines, args.runs)
    if args.agree:
        counties = -(-args.agree // COUNTY_UNITS)
        results += [through_batch(f"agree-{args.agree:,}", counties, engine, args.jobs, True) for engine in engines]
    if args.country:
        for engine in (args.country_engines or civpolicy.load_policy().engine.name).split(","):
            results.append(through_batch("country", COUNTRY_COUNTIES, engine, args.jobs, False))
    print_table(results)
    print(
        f"\nwall s: evaluate_many (in process, best of {args.runs}) or the batch path with `jobs` processes; plain s: "
        "benchmarks/plain.py, oracle s: tests/oracle.py, on the same facts (per process for batch runs);"
    )
    print("x plain: wall / plain s; peak: max RSS (of a worker, for batch runs); agree: engine = oracle = plain.")
    if args.floor:
        country_floor(COUNTRY_COUNTIES, args.jobs)
    phases(args.phase_counties, engines)
    file_reading(args.runs)
    if "durable" in engines:
        durable_profile()
    return 0 if all(r["agree"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
