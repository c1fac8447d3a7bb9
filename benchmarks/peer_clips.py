"""A peer production rule engine on the same facts and rules: CLIPS, through clipspy.

The consequence rules of ``tests/oracle.py`` (grades, bulletins, withholdings and
rectifications to consequences; readings 1-11, 15 and 17 of ``docs/readings.md``) are
written below as CLIPS deftemplates and defrules, in salience strata: grades a unit's
category does not take are retracted first (readings 17); then poor-quarter streaks,
bulletin runs and each bulletin's place in its year are derived; then the consequences
are asserted. Consequences are a set because CLIPS keeps one copy of identical facts.

One evaluation is three timed steps, all in this process: *assert* (each fact of the
document written as CLIPS fact text, period strings read into month numbers, and loaded
with one ``load_facts`` call, the fastest bulk route clipspy offers, with clipspy's Python
error router, which CLIPS would call for every character it reads, off for the call:
``--router`` leaves it on, as clipspy has it by default), *run* (``env.run()``)
and *collect* (every ``consequence`` fact read back into the oracle's ``{unit, kind,
period, params}`` dicts and sorted in the engine's order, readings item 5: CLIPS has no
order of its own). ``env.reset()`` empties the working memory before each evaluation,
untimed, as freeing the previous result is for the other contestants.

Left out: nothing of the rules (checked against the oracle with the tests' hypothesis
strategies, parameters overridden too, while this was written). One difference of
arithmetic: a number that is not whole (a ``base_quota`` of 12.5, a parameter given as a
float) is a CLIPS float, where the oracle uses exact fractions and writes a whole float
as an int; the generated populations and the default parameters are whole numbers, and
the check against the oracle on every run says whether the two ever differ.

Usage: ``python benchmarks/peer_clips.py [--units 2000] [--seed 0] [--runs 3]``.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Mapping
from typing import Any

import timing
from common import oracle, population
from plain import DEFAULT_PARAMS

GLOBALS = """
(defglobal
  ?*streak* = {year_withhold_streak}
  ?*points* = {review_deduction_points}
  ?*good* = {quota_delta_good}
  ?*poor* = {quota_delta_poor}
  ?*run* = {interview_consecutive_criticisms}
  ?*self* = {self_examination_criticisms})
"""

RULES = r"""
(deftemplate unit (slot id) (slot category) (slot civilized) (slot vertical) (slot base) (slot headcount))
(deftemplate grade (slot unit) (slot period) (slot start) (slot end) (slot cadence) (slot grade))
(deftemplate criticism (slot unit) (slot month))
(deftemplate withholding (slot unit) (slot bonus) (slot year))
(deftemplate rectification (slot serial) (slot unit) (slot year) (slot passed))
(deftemplate poor-quarter (slot unit) (slot n))
(deftemplate streak (slot unit) (slot n) (slot length))
(deftemplate withheld (slot unit) (slot year))
(deftemplate run (slot unit) (slot month) (slot length))
(deftemplate ordinal (slot unit) (slot month) (slot k))
(deftemplate consequence
  (slot unit) (slot kind) (slot period) (slot start) (slot end)
  (slot until) (slot rectified) (slot points) (slot step) (slot failed)
  (slot delta) (slot quota) (slot slots))

(deffunction month-text (?m)
  (bind ?n (+ (mod ?m 12) 1))
  (str-cat (div ?m 12) "-" (if (< ?n 10) then "0" else "") ?n))

(deffunction quota (?base ?delta)
  (if (eq ?base nil) then nil else (min (max (+ ?base ?delta) 0) 100)))

(deffunction slots (?base ?headcount ?delta)
  (if (or (eq ?base nil) (eq ?headcount nil)) then nil
   else (bind ?q (* ?headcount (quota ?base ?delta)))
        (if (integerp ?q) then (div ?q 100) else (integer (/ ?q 100)))))  ; q >= 0: truncation floors

; Readings 17: a grade outside the unit's cadence is not taken.
(defrule off-cadence-quarter (declare (salience 100))
  ?g <- (grade (unit ?u) (cadence quarter))
  (unit (id ?u) (category other_task))
  => (retract ?g))

(defrule off-cadence-half (declare (salience 100))
  ?g <- (grade (unit ?u) (cadence half))
  (unit (id ?u) (category community|township|linked|key_task))
  => (retract ?g))

; Readings 15: streaks of poor quarters; a year is withheld where a streak reaches the number.
(defrule poor-quarter (declare (salience 60))
  (grade (unit ?u) (cadence quarter) (grade poor) (start ?s))
  => (assert (poor-quarter (unit ?u) (n (div ?s 3)))))

(defrule streak-start (declare (salience 50))
  (poor-quarter (unit ?u) (n ?n))
  (not (poor-quarter (unit ?u) (n =(- ?n 1))))
  => (assert (streak (unit ?u) (n ?n) (length 1))))

(defrule streak-next (declare (salience 50))
  (streak (unit ?u) (n ?n) (length ?l))
  (poor-quarter (unit ?u) (n =(+ ?n 1)))
  => (assert (streak (unit ?u) (n (+ ?n 1)) (length (+ ?l 1)))))

(defrule withheld (declare (salience 50))
  (streak (unit ?u) (n ?n) (length ?l&:(= ?l ?*streak*)))
  => (assert (withheld (unit ?u) (year (div ?n 4)))))

; Readings 6: runs of consecutive bulletins, and each bulletin's place in its calendar year.
(defrule run-start (declare (salience 50))
  (criticism (unit ?u) (month ?m))
  (not (criticism (unit ?u) (month =(- ?m 1))))
  => (assert (run (unit ?u) (month ?m) (length 1))))

(defrule run-next (declare (salience 50))
  (run (unit ?u) (month ?m) (length ?l))
  (criticism (unit ?u) (month =(+ ?m 1)))
  => (assert (run (unit ?u) (month (+ ?m 1)) (length (+ ?l 1)))))

(defrule ordinal-first (declare (salience 50))
  (criticism (unit ?u) (month ?m))
  (not (criticism (unit ?u) (month ?p&:(< ?p ?m)&:(= (div ?p 12) (div ?m 12)))))
  => (assert (ordinal (unit ?u) (month ?m) (k 1))))

(defrule ordinal-next (declare (salience 50))
  (ordinal (unit ?u) (month ?m) (k ?k))
  (criticism (unit ?u) (month ?n&:(> ?n ?m)&:(= (div ?n 12) (div ?m 12))))
  (not (criticism (unit ?u) (month ?b&:(> ?b ?m)&:(< ?b ?n))))
  => (assert (ordinal (unit ?u) (month ?n) (k (+ ?k 1)))))

(defrule interview
  (run (unit ?u) (month ?m) (length ?l&:(= ?l ?*run*)))
  => (assert (consequence (unit ?u) (kind accountability.interview) (period (month-text ?m)) (start ?m) (end ?m))))

(defrule written-self-examination
  (ordinal (unit ?u) (month ?m) (k ?k&:(= ?k ?*self*)))
  => (assert (consequence (unit ?u) (kind accountability.written_self_examination)
                          (period (month-text ?m)) (start ?m) (end ?m))))

; Annual good (readings 1, 3).
(defrule year-good
  (grade (unit ?u) (cadence year) (grade good) (period ?p) (start ?s) (end ?e))
  (unit (id ?u))
  => (assert (consequence (unit ?u) (kind civilized_unit.priority) (period ?p) (start ?s) (end ?e))))

(defrule year-good-county
  (grade (unit ?u) (cadence year) (grade good) (period ?p) (start ?s) (end ?e))
  (unit (id ?u) (vertical FALSE) (base ?b) (headcount ?h))
  =>
  (assert (consequence (unit ?u) (kind leadership.excellent_priority) (period ?p) (start ?s) (end ?e)))
  (assert (consequence (unit ?u) (kind excellence_quota.adjust) (period ?p) (start ?s) (end ?e)
                       (delta ?*good*) (quota (quota ?b ?*good*)) (slots (slots ?b ?h ?*good*))))
  (assert (consequence (unit ?u) (kind promotion.favored) (period ?p) (start ?s) (end ?e))))

; Annual poor (readings 1-3, 9, 10).
(defrule year-poor-county
  (grade (unit ?u) (cadence year) (grade poor) (period ?p) (start ?s) (end ?e))
  (unit (id ?u) (vertical FALSE) (base ?b) (headcount ?h))
  =>
  (assert (consequence (unit ?u) (kind leadership.excellent_barred) (period ?p) (start ?s) (end ?e)))
  (assert (consequence (unit ?u) (kind excellence_quota.adjust) (period ?p) (start ?s) (end ?e)
                       (delta ?*poor*) (quota (quota ?b ?*poor*)) (slots (slots ?b ?h ?*poor*))))
  (assert (consequence (unit ?u) (kind accountability.admonishment) (period ?p) (start ?s) (end ?e))))

(defrule year-poor-vertical
  (grade (unit ?u) (cadence year) (grade poor) (period ?p) (start ?s) (end ?e))
  (unit (id ?u) (vertical TRUE))
  => (assert (consequence (unit ?u) (kind vertical.letter_to_superior) (period ?p) (start ?s) (end ?e))))

(defrule year-poor-vertical-rectified
  (grade (unit ?u) (cadence year) (grade poor) (period ?p) (start ?s) (end ?e))
  (unit (id ?u) (vertical TRUE) (civilized TRUE))
  (exists (rectification (unit ?u) (year =(div ?s 12)) (passed TRUE)))
  => (assert (consequence (unit ?u) (kind vertical.recommend_bonus_stop) (period ?p) (start ?s) (end ?e)
                          (rectified TRUE))))

(defrule year-poor-vertical-unrectified
  (grade (unit ?u) (cadence year) (grade poor) (period ?p) (start ?s) (end ?e))
  (unit (id ?u) (vertical TRUE) (civilized TRUE))
  (not (rectification (unit ?u) (year =(div ?s 12)) (passed TRUE)))
  => (assert (consequence (unit ?u) (kind vertical.recommend_bonus_stop) (period ?p) (start ?s) (end ?e)
                          (rectified FALSE))))

(defrule year-poor-civilized
  (grade (unit ?u) (cadence year) (grade poor) (period ?p) (start ?s) (end ?e))
  (unit (id ?u) (civilized TRUE))
  =>
  (assert (consequence (unit ?u) (kind civilized_unit.review_deduction) (period ?p) (start ?s) (end ?e)
                       (points ?*points*)))
  (assert (consequence (unit ?u) (kind civilized_unit.sanction) (period ?p) (start ?s) (end ?e)
                       (step notice_and_rectify) (failed 0))))

(defrule sanction-warning
  (grade (unit ?u) (cadence year) (grade poor) (period ?p) (start ?s) (end ?e))
  (unit (id ?u) (civilized TRUE))
  (rectification (unit ?u) (year =(div ?s 12)) (passed FALSE))
  => (assert (consequence (unit ?u) (kind civilized_unit.sanction) (period ?p) (start ?s) (end ?e)
                          (step warning) (failed 1))))

(defrule sanction-revoke
  (grade (unit ?u) (cadence year) (grade poor) (period ?p) (start ?s) (end ?e))
  (unit (id ?u) (civilized TRUE))
  (rectification (serial ?a) (unit ?u) (year =(div ?s 12)) (passed FALSE))
  (rectification (serial ?b&:(> ?b ?a)) (unit ?u) (year =(div ?s 12)) (passed FALSE))
  => (assert (consequence (unit ?u) (kind civilized_unit.sanction) (period ?p) (start ?s) (end ?e)
                          (step revoke) (failed 2))))

(defrule city-bonus-suspend
  (grade (unit ?u) (cadence year) (grade poor) (period ?p) (start ?s) (end ?e))
  (unit (id ?u) (civilized TRUE) (vertical FALSE))
  (not (withholding (unit ?u) (bonus civilized_city) (year =(div ?s 12))))
  => (assert (consequence (unit ?u) (kind civilized_city_bonus.suspend) (period ?p) (start ?s) (end ?e))))

; Readings 8: a freeze on each poor year and quarter, until the first later evaluation not poor
; (the earliest end, then the shorter period).
(defrule freeze-until
  (grade (unit ?u) (cadence year|quarter) (grade poor) (period ?p) (start ?s) (end ?e))
  (unit (id ?u) (vertical FALSE))
  (grade (unit ?u) (grade ~poor) (period ?q) (start ?s2) (end ?e2&:(> ?e2 ?e)))
  (not (grade (unit ?u) (grade ~poor) (start ?s3)
              (end ?e3&:(> ?e3 ?e)&:(or (< ?e3 ?e2) (and (= ?e3 ?e2) (> ?s3 ?s2))))))
  => (assert (consequence (unit ?u) (kind promotion.freeze) (period ?p) (start ?s) (end ?e) (until ?q))))

(defrule freeze-open
  (grade (unit ?u) (cadence year|quarter) (grade poor) (period ?p) (start ?s) (end ?e))
  (unit (id ?u) (vertical FALSE))
  (not (grade (unit ?u) (grade ~poor) (end ?e2&:(> ?e2 ?e))))
  => (assert (consequence (unit ?u) (kind promotion.freeze) (period ?p) (start ?s) (end ?e) (until nil))))

; Readings 15: a poor quarter's unit bonus is suspended unless its year is withheld.
(defrule quarter-bonus-suspend
  (grade (unit ?u) (cadence quarter) (grade poor) (period ?p) (start ?s) (end ?e))
  (unit (id ?u) (civilized TRUE) (vertical FALSE))
  (not (withheld (unit ?u) (year =(div ?s 12))))
  => (assert (consequence (unit ?u) (kind civilized_unit_bonus.suspend) (period ?p) (start ?s) (end ?e))))

(defrule withhold-year
  (withheld (unit ?u) (year ?y))
  (unit (id ?u) (civilized TRUE) (vertical FALSE))
  => (assert (consequence (unit ?u) (kind civilized_unit_bonus.withhold_year) (period (str-cat ?y))
                          (start (* ?y 12)) (end (+ (* ?y 12) 11)))))
"""

NO_PARAMS = frozenset(
    {
        "accountability.admonishment",
        "accountability.interview",
        "accountability.written_self_examination",
        "civilized_city_bonus.suspend",
        "civilized_unit.priority",
        "civilized_unit_bonus.suspend",
        "civilized_unit_bonus.withhold_year",
        "leadership.excellent_barred",
        "leadership.excellent_priority",
        "promotion.favored",
        "vertical.letter_to_superior",
    }
)


def clips_module() -> Any:
    """The clips package (clipspy), or ImportError; typed loosely, as clipspy ships no types."""
    return importlib.import_module("clips")


def _string(value: object) -> str:
    """A CLIPS string literal."""
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _number(value: object) -> str:
    """A CLIPS number, or nil."""
    return "nil" if value is None else repr(value)


def _span(text: str) -> tuple[int, int, str]:
    """First and last month (counted from year 0) and cadence of a period string."""
    base = int(text[:4]) * 12
    if len(text) == 4:
        return base, base + 11, "year"
    tag = text[5]
    if tag == "Q":
        first = base + 3 * int(text[6]) - 3
        return first, first + 2, "quarter"
    if tag == "H":
        first = base + 6 * int(text[6]) - 6
        return first, first + 5, "half"
    month = base + int(text[5:]) - 1
    return month, month, "month"


def _symbol_value(value: Any) -> Any:
    """A slot value as the oracle has it: nil is None, TRUE and FALSE are booleans, a symbol a str."""
    if isinstance(value, str):
        if value == "nil":
            return None
        if value == "TRUE":
            return True
        if value == "FALSE":
            return False
        return str(value)
    return value


class Clips:
    """One CLIPS environment holding the rules, evaluating one facts document at a time."""

    def __init__(self, params: Mapping[str, Any] | None = None, *, quiet_load: bool = True) -> None:
        merged = dict(DEFAULT_PARAMS)
        merged.update(params or {})
        clips = clips_module()
        self.env = clips.Environment()
        self.env.build(GLOBALS.format(**merged).strip())
        for construct in _constructs(RULES):
            self.env.build(construct)
        self.consequence = self.env.find_template("consequence")
        self.routers = list(self.env.routers())
        self.quiet_load = quiet_load

    def assert_facts(self, facts: Mapping[str, Any]) -> None:
        """Every fact of the document, as CLIPS facts, loaded in one call."""
        lines: list[str] = []
        add = lines.append
        spans: dict[str, tuple[int, int, str]] = {}
        for unit in facts["units"]:
            category = unit.get("category") or "nil"
            civilized = "TRUE" if unit.get("civilized_unit", False) else "FALSE"
            vertical = "TRUE" if unit.get("vertically_managed", False) else "FALSE"
            add(
                f"(unit (id {_string(unit['id'])}) (category {category}) (civilized {civilized}) "
                f"(vertical {vertical}) (base {_number(unit.get('base_quota'))}) "
                f"(headcount {_number(unit.get('headcount'))}))"
            )
        for evaluation in facts.get("evaluations") or ():
            text = str(evaluation["period"])
            span = spans.get(text)
            if span is None:
                span = spans[text] = _span(text)
            add(
                f"(grade (unit {_string(evaluation['unit'])}) (period {_string(text)}) (start {span[0]}) "
                f"(end {span[1]}) (cadence {span[2]}) (grade {evaluation['grade']}))"
            )
        for criticism in facts.get("criticisms") or ():
            text = str(criticism["bulletin"])
            span = spans.get(text)
            if span is None:
                span = spans[text] = _span(text)
            add(f"(criticism (unit {_string(criticism['unit'])}) (month {span[0]}))")
        for withholding in facts.get("withholdings") or ():
            add(
                f"(withholding (unit {_string(withholding['unit'])}) (bonus {withholding['bonus']}) "
                f"(year {int(withholding['year'])}))"
            )
        for serial, record in enumerate(facts.get("rectifications") or ()):
            passed = "TRUE" if record["passed"] else "FALSE"
            add(
                f"(rectification (serial {serial}) (unit {_string(record['unit'])}) "
                f"(year {int(record['year'])}) (passed {passed}))"
            )
        text = "\n".join(lines)
        if not self.quiet_load:
            self.env.load_facts(text)
            return
        # clipspy's error router is a Python callback CLIPS queries for each character it
        # reads; off while the facts load, and on again to tell what went wrong if it fails.
        for router in self.routers:
            router.deactivate()
        try:
            self.env.load_facts(text)
        except Exception:
            for router in self.routers:
                router.activate()
            self.env.reset()
            self.env.load_facts(text)
            raise
        for router in self.routers:
            router.activate()

    def run(self) -> int:
        """Fire the rules to quiescence; the number of rules fired."""
        fired: int = self.env.run()
        return fired

    def collect(self) -> list[dict[str, Any]]:
        """The consequence facts as the oracle's dicts, in the engine's order (readings item 5)."""
        keyed: list[tuple[str, int, str, int, int, dict[str, Any]]] = []
        add = keyed.append
        for fact in self.consequence.facts():
            # Slot by slot: only the slots a kind has (dict(fact) reads all thirteen, at twice the cost).
            kind = str(fact["kind"])
            params: dict[str, Any]
            if kind in NO_PARAMS:
                params = {}
            elif kind == "promotion.freeze":
                params = {"until": _symbol_value(fact["until"])}
            elif kind == "excellence_quota.adjust":
                params = {
                    "delta": fact["delta"],
                    "quota": _symbol_value(fact["quota"]),
                    "slots": _symbol_value(fact["slots"]),
                }
            elif kind == "civilized_unit.sanction":
                failed = fact["failed"]
                params = {"step": str(fact["step"]), "failed_rectifications": failed}
            elif kind == "civilized_unit.review_deduction":
                params = {"points": fact["points"]}
            else:  # vertical.recommend_bonus_stop
                params = {"rectified": _symbol_value(fact["rectified"])}
            unit = str(fact["unit"])
            row = {"unit": unit, "kind": kind, "period": str(fact["period"]), "params": params}
            # Within a unit, period start, kind and end name one consequence, except the
            # sanction ladder's rows of one period, which failed_rectifications orders.
            tie = failed if kind == "civilized_unit.sanction" else 0
            add((unit, fact["start"], kind, fact["end"], tie, row))
        keyed.sort(key=lambda item: item[:5])
        return [item[5] for item in keyed]

    def reset(self) -> None:
        """An empty working memory."""
        self.env.reset()

    def evaluate(self, facts: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Assert, run, collect: the consequences of one document (the memory must be empty)."""
        self.assert_facts(facts)
        self.run()
        return self.collect()


def _constructs(source: str) -> list[str]:
    """The top-level constructs of CLIPS source, one string each (comments dropped)."""
    constructs: list[str] = []
    depth = 0
    current: list[str] = []
    in_string = False
    for line in source.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith(";")):
            continue
        current.append(line)
        for index, char in enumerate(line):
            if char == '"' and (index == 0 or line[index - 1] != "\\"):
                in_string = not in_string
            elif not in_string and char == "(":
                depth += 1
            elif not in_string and char == ")":
                depth -= 1
        if depth == 0:
            constructs.append("\n".join(current))
            current = []
    return constructs


def measure(facts: Mapping[str, Any], runs: int = timing.DEFAULT_RUNS, *, quiet_load: bool = True) -> dict[str, Any]:
    """Time CLIPS on ``facts``: the run of ``runs`` whose assert + run + collect is fastest, step by step.

    Each step is timed by ``timing.timed`` (a collection before it, the collector off inside).
    """
    engine = Clips(quiet_load=quiet_load)
    best = {"assert": 0.0, "run": 0.0, "collect": 0.0, "total": float("inf")}
    result: list[dict[str, Any]] = []
    for _ in range(runs):
        engine.reset()
        result = []
        asserted, _ = timing.timed(lambda: engine.assert_facts(facts))
        ran, _ = timing.timed(engine.run)
        collected, result = timing.timed(engine.collect)
        total = asserted + ran + collected
        if total < best["total"]:
            best = {"assert": asserted, "run": ran, "collect": collected, "total": total}
    engine.reset()
    return {"seconds": best, "consequences": result}


def main(argv: list[str] | None = None) -> int:
    """Check CLIPS against the oracle on one generated population and time it."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=timing.DEFAULT_RUNS)
    parser.add_argument("--router", action="store_true", help="leave clipspy's error router on as facts load")
    args = parser.parse_args(argv)
    try:
        clips_module()
    except ImportError:
        print("clipspy is not installed: pip install clipspy")
        return 1
    facts = population(args.seed, args.units)
    measured = measure(facts, args.runs, quiet_load=not args.router)
    agree = measured["consequences"] == oracle(facts)
    seconds = measured["seconds"]
    print(timing.machine())
    print(
        f"CLIPS on {args.units} units (seed {args.seed}), best of {args.runs}: assert {seconds['assert']:.3f} s, "
        f"run {seconds['run']:.3f} s, collect {seconds['collect']:.3f} s, total {seconds['total']:.3f} s; "
        f"{len(measured['consequences'])} consequences; agrees with the oracle: {'yes' if agree else 'NO'}"
    )
    return 0 if agree else 1


if __name__ == "__main__":
    raise SystemExit(main())
