"""The side-by-side table of issue 16: every engine, the plain computation and CLIPS, in one run.

Usage::

    python benchmarks/truth.py                      # (a) 2,000 units, (b) a county, CLIPS: best of 3
    python benchmarks/truth.py --units 300 --runs 1 # a quick look
    python benchmarks/truth.py --agree 100000       # and the 100,000-unit run: every engine, plain and the oracle agree
    python benchmarks/truth.py --country            # and the country (2,800 counties of 120 units) through the batch path
    python benchmarks/truth.py --no-floors          # without section (c), the floors

The baseline is ``benchmarks/plain.py``: the fastest honest plain-Python computation of
the same consequences, checked first against ``tests/oracle.py`` (the independent
reading) on several populations. Everything in process is timed alike by
``timing.best_of``: a full collection before each run, the collector off inside, best of
``--runs``, all in this one process. Populations are ``generate_facts(seed, units)``
(valid facts, two years). Every engine of ``civpolicy.engine.registry.ENGINES`` runs; one
that cannot load here (``ImportError``, e.g. durable-rules on Python 3.13) gets a row that
says so. CLIPS (``benchmarks/peer_clips.py``) runs if clipspy is installed. The machine's
load is printed before and after. Nothing is asserted about time; the exit status is 1
if any two answers differ.

Section (c), the floors, times what any implementation of the contract must do besides
computing the consequences, on the population of (a): check the facts (the contract
refuses bad facts with file, line and field) and write the decision's JSON (these exact
bytes, whatever computed them) with the fastest writer here. No engine can be faster than
plain plus these, so they bound what the targets of issue 16 can ask.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import importlib.metadata
import os
from collections.abc import Callable, Iterator
from typing import Any

import msgspec
import peer_clips
import scale
from common import consequences, default_engine, fact_count, load_engines, oracle, population
from plain import plain
from timing import DEFAULT_RUNS, best_of, machine

import civpolicy
from civpolicy import batch

CHECK_SEEDS = (1, 2, 3, 4, 5)
CHECK_UNITS = 300


def evaluate_to_json(policy: civpolicy.Policy, facts: dict[str, Any]) -> str:
    """The decision's JSON: every reason rendered."""
    return policy.evaluate(facts).to_json()


def _ratio(seconds: float, base: float) -> str:
    return f"{seconds / base:.1f}×" if base else "—"


def _yes(agree: bool) -> str:
    return "yes" if agree else "NO"


def check_plain(units: int, seed: int) -> tuple[bool, str]:
    """Plain against the oracle on several generated populations, and on the measured one."""
    populations = [(s, CHECK_UNITS) for s in CHECK_SEEDS] + [(seed, units)]
    wrong = [f"seed {s} × {n}" for s, n in populations if plain(population(s, n)) != oracle(population(s, n))]
    told = f"seeds {CHECK_SEEDS[0]}-{CHECK_SEEDS[-1]} × {CHECK_UNITS} units, and seed {seed} × {units:,} units"
    return not wrong, f"plain = oracle on {len(populations)} populations ({told}): " + (
        "yes" if not wrong else "NO: " + ", ".join(wrong)
    )


def side_by_side(units: int, seed: int, runs: int, clips_router: bool) -> bool:
    """Section (a): one document of ``units`` units; every contestant against plain."""
    facts = population(seed, units)
    expected = oracle(facts)
    print(
        f"\n(a) {units:,} generated units, two years, one document (seed {seed}: {fact_count(facts):,} facts, "
        f"{len(expected):,} consequences); seconds, best of {runs}"
    )
    print()
    print("| contestant | timed | s | × plain | agrees |")
    print("|---|---|---|---|---|")
    plain_seconds, computed = best_of(lambda: plain(facts), runs)
    agree_all = computed == expected
    del computed
    print(f"| plain (benchmarks/plain.py) | the consequences | {plain_seconds:.3f} | 1.0× | {_yes(agree_all)} |")
    oracle_seconds, _ = best_of(lambda: oracle(facts), runs)
    print(
        f"| oracle (tests/oracle.py) | the consequences | {oracle_seconds:.3f} | {_ratio(oracle_seconds, plain_seconds)} | (reference) |"
    )
    for label, seconds, rendered, agree in engine_timings(facts, expected, runs):
        agree_all = agree_all and agree
        print(f"| {label} | `evaluate` | {seconds:.3f} | {_ratio(seconds, plain_seconds)} | {_yes(agree)} |")
        print(f"| {label} | `evaluate` + `to_json` | {rendered:.3f} | {_ratio(rendered, plain_seconds)} | |")
    agree_all = clips_rows(facts, expected, plain_seconds, runs, clips_router) and agree_all
    print()
    print(
        "plain: the consequences as dicts (unit, kind, period, params) in the engine's order; `evaluate`: "
        "Policy.evaluate(facts) from the mapping (facts checked, rules run, the decision with its reasons "
        "as the engine keeps them); `evaluate` + `to_json`: and the decision's JSON, every reason rendered; "
        "CLIPS: facts asserted, rules run, consequences read back and ordered."
    )
    return agree_all


def clips_rows(
    facts: dict[str, Any], expected: list[dict[str, Any]], plain_seconds: float, runs: int, router: bool
) -> bool:
    """The CLIPS rows of section (a); True unless CLIPS ran and disagreed."""
    try:
        peer_clips.clips_module()
    except ImportError:
        print("| CLIPS (clipspy) | not run here: clipspy is not installed (pip install clipspy) | — | — | — |")
        return True
    version = importlib.metadata.version("clipspy")
    settings = [(f"CLIPS (clipspy {version})", True)] + (
        [("CLIPS, clipspy's error router on", False)] if router else []
    )
    agree_all = True
    for label, quiet in settings:
        measured = peer_clips.measure(facts, runs, quiet_load=quiet)
        step = measured["seconds"]
        agree = measured["consequences"] == expected
        agree_all = agree_all and agree
        print(
            f"| {label} | assert + run + collect ({step['assert']:.3f} + {step['run']:.3f} + {step['collect']:.3f}) "
            f"| {step['total']:.3f} | {_ratio(step['total'], plain_seconds)} | {_yes(agree)} |"
        )
    return agree_all


def county(units: int, seed: int, runs: int) -> bool:
    """Section (b): one county; evaluate, and evaluate + to_json, in milliseconds per engine."""
    facts = population(seed, units)
    expected = oracle(facts)
    plain_seconds, _ = best_of(lambda: plain(facts), runs)
    print(
        f"\n(b) a county of {units} units (seed {seed}: {fact_count(facts):,} facts, {len(expected):,} consequences); "
        f"ms, best of {runs}; plain {1000 * plain_seconds:.1f} ms"
    )
    print()
    print("| engine | `evaluate` ms | `evaluate` + `to_json` ms | (with `to_json`) × plain | agrees |")
    print("|---|---|---|---|---|")
    agree_all = True
    for label, seconds, rendered, agree in engine_timings(facts, expected, runs):
        agree_all = agree_all and agree
        print(
            f"| {label} | {1000 * seconds:.1f} | {1000 * rendered:.1f} | {_ratio(rendered, plain_seconds)} | {_yes(agree)} |"
        )
    return agree_all


def engine_timings(
    facts: dict[str, Any], expected: list[dict[str, Any]], runs: int
) -> Iterator[tuple[str, float, float, bool]]:
    """Per engine: its label, `evaluate` and `evaluate` + `to_json` seconds, and whether it agrees.

    An engine that cannot run here gets a row saying why, printed as it comes.
    """
    default = default_engine()
    for name, policy, why in load_engines():
        label = f"{name} (default)" if name == default else name
        if policy is None:
            print(f"| {label} | not run here: {why} | — | — | — |")
            continue
        seconds, decision = best_of(functools.partial(policy.evaluate, facts), runs)
        agree = consequences(decision) == expected
        del decision
        rendered, _ = best_of(functools.partial(evaluate_to_json, policy, facts), runs)
        yield label, seconds, rendered, agree


def floors(units: int, seed: int, runs: int) -> bool:
    """Section (c): what every implementation must do besides the consequences, timed as (a) is."""
    facts = population(seed, units)
    policy = civpolicy.load_policy()
    plain_seconds, _ = best_of(lambda: plain(facts), runs)
    checked_seconds, checked = best_of(lambda: policy.read_facts(facts), runs)
    decision = policy.evaluate(checked)
    document = decision._document()
    text = decision.to_json()
    written_seconds, written = best_of(lambda: _written(document), runs)
    compact_seconds, _ = best_of(lambda: msgspec.json.encode(document), runs)
    same = written == text
    del decision, checked, written
    print(
        f"\n(c) the floors, on the population of (a) ({units:,} units, seed {seed}); seconds, best of {runs}; "
        f"the decision's JSON is {len(text.encode()) / 2**20:.1f} MiB"
    )
    print()
    print("| what every implementation does | s | × plain |")
    print("|---|---|---|")
    rows = [
        ("plain: the consequences computed (1)", plain_seconds),
        ("the facts checked, from the mapping (2): `Policy.read_facts`", checked_seconds),
        ("the decision's JSON written, its document already built (3): msgspec's C writer, indented", written_seconds),
        ("(the same document, compact: msgspec, not the decision's bytes)", compact_seconds),
        ("floor of `evaluate`: (1) + (2)", plain_seconds + checked_seconds),
        ("floor of `evaluate` + `to_json`: (1) + (2) + (3)", plain_seconds + checked_seconds + written_seconds),
    ]
    for label, seconds in rows:
        print(f"| {label} | {seconds:.3f} | {_ratio(seconds, plain_seconds)} |")
    print()
    print(
        "No report row, finding, reason or provenance is in these floors: only what the contract asks of "
        f"any implementation. The writer's text is the decision's own, byte for byte: {_yes(same)}."
    )
    return same


def _written(document: dict[str, Any]) -> str:
    """The document as the decision's JSON, by msgspec's C writer (what ``to_json`` uses where it can)."""
    return msgspec.json.format(msgspec.json.encode(document), indent=2).decode() + "\n"


def through_batch(agree_units: int, country: bool, engines: str, jobs: int) -> bool:
    """Section (d): the agreement run and the country through ``civpolicy.batch.ordered_map``."""
    results: list[dict[str, Any]] = []
    runnable = [name for name, policy, _ in load_engines() if policy is not None]
    if agree_units:
        counties = -(-agree_units // scale.COUNTY_UNITS)
        for name in runnable:
            results.append(scale.through_batch(f"agree-{agree_units:,}", counties, name, jobs, True))
    if country:
        for name in (engines or default_engine()).split(","):
            results.append(scale.through_batch("country", scale.COUNTRY_COUNTIES, name, jobs, False))
    print(f"\n(d) through civpolicy.batch.ordered_map, {jobs} processes, counties of {scale.COUNTY_UNITS} units")
    print()
    print("| population | engine | counties | units | facts | wall s | peak RSS of a worker, MiB | agrees |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        agree = _yes(r["agree"]) if r["checked"] else "— (not checked)"
        print(
            f"| {r['population']} | {r['engine']} | {r['units'] // scale.COUNTY_UNITS:,} | {r['units']:,} | "
            f"{r['facts']:,} | {r['seconds']:.1f} | {r['peak']:.0f} | {agree} |"
        )
    print()
    print(
        "Each county is generated in its worker (the wall time includes making the facts); agrees: in every "
        "county the engine's consequences, plain's and the oracle's are the same."
    )
    digests = {r["digest"] for r in results if r["checked"]}
    identical = len(digests) <= 1
    if digests:
        print(f"byte-identical decisions (JSON) from every engine, county by county: {_yes(identical)}")
    return all(r["agree"] for r in results) and identical


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=2000, help="units of section (a) (default 2000)")
    parser.add_argument("--county-units", type=int, default=scale.COUNTY_UNITS, help="units of section (b) (120)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS, help="best of N, in process (default 3)")
    parser.add_argument(
        "--clips-router",
        action="store_true",
        help="also CLIPS with clipspy's Python error router left on while facts load (its default; much slower)",
    )
    parser.add_argument("--agree", type=int, default=0, help="also N units through the batch path, all must agree")
    parser.add_argument("--country", action="store_true", help="also the country, 2,800 counties, batch path")
    parser.add_argument(
        "--country-engines", default="", help="engines for the country (comma-separated; default: the default engine)"
    )
    parser.add_argument("--jobs", type=int, default=batch.default_jobs(), help="processes of the batch path")
    parser.add_argument("--no-floors", action="store_true", help="leave out section (c), the floors")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    print(f"benchmarks/truth.py, {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(machine())
    agree, told = check_plain(args.units, args.seed)
    print(told)
    sections: list[Callable[[], bool]] = [
        lambda: side_by_side(args.units, args.seed, args.runs, args.clips_router),
        lambda: county(args.county_units, args.seed, args.runs),
    ]
    # The floors before the batch path: measured in a process the workers' forks have not yet loaded.
    if not args.no_floors:
        sections.append(lambda: floors(args.units, args.seed, args.runs))
    if args.agree or args.country:
        sections.append(lambda: through_batch(args.agree, args.country, args.country_engines, args.jobs))
    for section in sections:
        agree = section() and agree
    load_after = os.getloadavg()
    print(
        "\nload average (1, 5, 15 min): before "
        + ", ".join(f"{x:.2f}" for x in load_before)
        + "; after "
        + ", ".join(f"{x:.2f}" for x in load_after)
    )
    print(f"all answers agree: {_yes(agree)}")
    return 0 if agree else 1


if __name__ == "__main__":
    raise SystemExit(main())
