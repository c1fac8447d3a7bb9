"""Batch evaluation: many counties, in order, in processes, and through a Dask bag."""

from __future__ import annotations

import json
import pickle
import random
from pathlib import Path
from typing import Any

import pytest
import yaml

import civpolicy
from civpolicy.cli import main
from civpolicy.engine.registry import EngineUnavailableError
from civpolicy.errors import (
    CivpolicyError,
    EngineError,
    FactsError,
    LocatedError,
    ParameterError,
    PolicyError,
    Problem,
    UnknownRuleError,
)


def county(seed: int, units: int = 6) -> dict[str, Any]:
    """A small county with poor streaks, criticisms and annual grades."""
    rnd = random.Random(seed)
    grades = ("good", "medium", "poor", "poor")
    facts: dict[str, Any] = {"units": [], "evaluations": [], "criticisms": []}
    for index in range(units):
        uid = f"c{seed}-u{index}"
        facts["units"].append({"id": uid, "civilized_unit": rnd.random() < 0.7, "headcount": 30, "base_quota": 15})
        for quarter in range(1, 5):
            facts["evaluations"].append({"unit": uid, "period": f"2022-Q{quarter}", "grade": rnd.choice(grades)})
        facts["evaluations"].append({"unit": uid, "period": "2022", "grade": rnd.choice(grades)})
        for month in rnd.sample(range(3, 13), 3):  # the policy is in force from 2022-03
            facts["criticisms"].append({"unit": uid, "bulletin": f"2022-{month:02d}"})
    return facts


COUNTIES = [county(seed) for seed in range(5)]


@pytest.fixture(scope="module")
def policy() -> civpolicy.Policy:
    return civpolicy.load_policy(engine="native")


def test_evaluate_many_gives_each_county_its_own_decision_in_order(policy: civpolicy.Policy) -> None:
    expected = [policy.evaluate(facts).to_json() for facts in COUNTIES]
    assert expected == [d.to_json() for d in policy.evaluate_many(COUNTIES)]


def test_evaluate_many_in_processes_gives_the_same_decisions(policy: civpolicy.Policy) -> None:
    expected = [policy.evaluate(facts).to_json() for facts in COUNTIES]
    assert expected == [d.to_json() for d in policy.evaluate_many(COUNTIES, jobs=2)]


def test_a_policy_pickles_as_the_way_to_load_it_again() -> None:
    original = civpolicy.load_policy(params={"year_withhold_streak": 2}, engine="native")
    copy = pickle.loads(pickle.dumps(original))
    assert original.digest == copy.digest
    assert original.evaluate(COUNTIES[0]).to_json() == copy.evaluate(COUNTIES[0]).to_json()


BAD_COUNTY = {"units": [{"id": "x", "colour": 1}]}


@pytest.mark.parametrize("bad", [BAD_COUNTY, "missing.yaml"])
def test_evaluate_many_in_processes_raises_the_error_one_process_raises(
    policy: civpolicy.Policy, bad: dict[str, Any] | str
) -> None:
    """A worker's FactsError comes back as itself, not as a broken process pool."""
    with pytest.raises(FactsError) as alone:
        list(policy.evaluate_many([COUNTIES[0], bad]))
    with pytest.raises(FactsError) as in_processes:
        list(policy.evaluate_many([COUNTIES[0], bad], jobs=2))
    assert str(alone.value) == str(in_processes.value)
    assert alone.value.problems == in_processes.value.problems


@pytest.mark.parametrize(
    "error",
    [
        FactsError(
            [Problem("b.json", 2, 5, "unknown field 'colour'", "units[0].colour"), Problem("a.yaml", 1, 1, "x")]
        ),
        PolicyError([Problem("rules.yaml", 3, 4, "no parameter 'x'")]),
        LocatedError([]),
        ParameterError("no parameter 'x'"),
        EngineError("the engine failed"),
        EngineUnavailableError("durable-rules is not installed here"),
        UnknownRuleError("no rule 'x' in the policy"),
    ],
)
def test_every_civpolicy_error_pickles_with_its_problems(error: CivpolicyError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert (type(error), str(error), error.args) == (type(copy), str(copy), copy.args)
    assert getattr(error, "problems", None) == getattr(copy, "problems", None)


def write_jsonl(path: Path, documents: list[Any]) -> Path:
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in documents), encoding="utf-8")
    return path


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_batch_command_streams_one_line_per_county_in_input_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], policy: civpolicy.Policy, jobs: str
) -> None:
    source = write_jsonl(tmp_path / "counties.jsonl", COUNTIES)
    assert 0 == main(["batch", str(source), "--jobs", jobs, "--engine", "native"])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [f"{source}:{n}" for n in range(1, 6)] == [line["input"] for line in lines]
    expected = [policy.evaluate(facts).to_dict()["consequences"] for facts in COUNTIES]
    assert expected == [line["consequences"] for line in lines]


def test_batch_reports_a_bad_county_with_file_and_line_and_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_jsonl(tmp_path / "counties.jsonl", [COUNTIES[0], {"units": [{"id": "x", "colour": 1}]}])
    with (tmp_path / "counties.jsonl").open("a", encoding="utf-8") as stream:
        stream.write("{not json\n")
    assert 2 == main(["batch", str(source), "--jobs", "1", "--engine", "native"])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert "consequences" in lines[0]
    assert [f"{source}:2:24: units[0].colour: unknown field 'colour'"] == lines[1]["errors"]
    assert lines[2]["errors"][0].startswith(f"{source}:3:")


def test_batch_tells_every_kind_of_bad_line_and_goes_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Lines json refuses past its syntax (too many digits, too deep) and lone surrogates are located too."""
    source = tmp_path / "counties.jsonl"
    lines = [
        '{"units": [{"id": "a", "headcount": ' + "9" * 5000 + "}]}",
        '{"units": [{"id": "a", "name": ' + "[" * 100000 + "]" * 100000 + "}]}",
        '{"units": [{"id": "a\\ud83d"}]}',
        '{"units": [{"id": "a", "headcount": NaN}]}',
        json.dumps(COUNTIES[0]),
    ]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert 2 == main(["batch", str(source), "--jobs", "1", "--engine", "native"])
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [f"{source}:{n}:" for n in (1, 2, 3, 4)] == [line["errors"][0][: len(f"{source}:1:")] for line in out[:4]]
    assert "digits" in out[0]["errors"][0]
    assert "nested too deeply" in out[1]["errors"][0]
    assert "lone UTF-16 surrogate" in out[2]["errors"][0]
    assert [f"{source}:4:37: not valid JSON: NaN is not a JSON value"] == out[3]["errors"]
    assert "consequences" in out[4]


def test_batch_refuses_a_key_given_twice_in_a_line_as_a_facts_file_would(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """json.loads would keep the last of two keys silently; a line is as strict as a .json file."""
    source = tmp_path / "counties.jsonl"
    twice = '{"units": [{"id": "a", "category": "community", "category": "township"}]}'
    source.write_text(json.dumps(COUNTIES[0]) + "\n" + twice + "\n", encoding="utf-8")
    assert 2 == main(["batch", str(source), "--jobs", "1", "--engine", "native"])
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert "consequences" in out[0]
    assert [f"{source}:2:49: units[0].category: duplicate key (first at column 24)"] == out[1]["errors"]


def test_batch_takes_a_facts_file_per_county_yaml_or_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], policy: civpolicy.Policy
) -> None:
    as_json = tmp_path / "one.json"
    as_json.write_text(json.dumps(COUNTIES[0], indent=2), encoding="utf-8")
    as_yaml = tmp_path / "two.yaml"
    as_yaml.write_text(yaml.safe_dump(COUNTIES[1], allow_unicode=True), encoding="utf-8")
    bad = tmp_path / "three.json"
    bad.write_text('{\n  "units": [{"id": "x", "colour": 1}]\n}\n', encoding="utf-8")
    assert 2 == main(["batch", str(as_json), str(as_yaml), str(bad), "--jobs", "1", "--engine", "native"])
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [str(as_json), str(as_yaml), str(bad)] == [line["input"] for line in out]
    expected = [policy.evaluate(facts).to_dict()["consequences"] for facts in COUNTIES[:2]]
    assert expected == [line["consequences"] for line in out[:2]]
    assert [f"{bad}:2:25: units[0].colour: unknown field 'colour'"] == out[2]["errors"]


def test_batch_output_file_is_written_whole(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "counties.jsonl", COUNTIES[:2])
    target = tmp_path / "out.jsonl"
    assert 0 == main(["batch", str(source), "--jobs", "1", "--engine", "native", "--output", str(target)])
    assert 2 == len(target.read_text(encoding="utf-8").splitlines())
    assert not (tmp_path / "out.jsonl.partial").exists()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_batch_line_errors_have_the_column_a_json_file_would_give(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], jobs: str
) -> None:
    text = '{"units": [{"id": "a"}], "evaluations": [{"unit": "a", "period": "2022", "grade": "pour"}]}'
    alone = tmp_path / "alone.json"
    alone.write_text(text + "\n", encoding="utf-8")
    assert 2 == main(["evaluate", str(alone)])
    as_file = capsys.readouterr().err.splitlines()
    source = tmp_path / "counties.jsonl"
    source.write_text(json.dumps(COUNTIES[0]) + "\n\n" + text + "\n", encoding="utf-8")
    assert 2 == main(["batch", str(source), "--jobs", jobs, "--engine", "native"])
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    message = "evaluations[0].grade: must be one of good, medium, poor (got 'pour') (did you mean 'poor'?)"
    assert [f"{alone}:1:83: {message}"] == as_file
    assert {"input": f"{source}:3", "errors": [f"{source}:3:83: {message}"]} == out[1]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_batch_gives_an_unreadable_or_missing_input_an_error_line_and_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], policy: civpolicy.Policy, jobs: str
) -> None:
    binary_lines, binary_yaml = tmp_path / "bin.jsonl", tmp_path / "bin.yaml"
    binary_lines.write_bytes(b"\xff\n")
    binary_yaml.write_bytes(b"\xff\n")
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_bytes(json.dumps(COUNTIES[0]).encode() + b"\n{\xfe}\n" + json.dumps(COUNTIES[1]).encode() + b"\n")
    missing = tmp_path / "missing.yaml"
    names = [str(p) for p in (binary_lines, binary_yaml, missing, mixed, tmp_path)]
    assert 2 == main(["batch", *names, "--jobs", jobs, "--engine", "native"])
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    undecodable = "cannot read the facts file: 'utf-8' codec can't decode byte"
    assert [f"{binary_lines}:1", str(binary_yaml), str(missing)] == [line["input"] for line in out[:3]]
    assert out[0]["errors"][0].startswith(f"{binary_lines}:1:1: {undecodable} 0xff")
    assert out[1]["errors"][0].startswith(f"{binary_yaml}:1:1: {undecodable} 0xff")
    assert [f"{missing}:1:1: no such facts file"] == out[2]["errors"]
    assert [f"{mixed}:1", f"{mixed}:2", f"{mixed}:3"] == [line["input"] for line in out[3:6]]
    assert out[4]["errors"][0].startswith(f"{mixed}:2:1: {undecodable} 0xfe")
    expected = [policy.evaluate(facts).to_dict()["consequences"] for facts in COUNTIES[:2]]
    assert expected == [out[3]["consequences"], out[5]["consequences"]]
    assert out[6]["errors"][0].startswith(f"{tmp_path}:1:1: cannot read the facts file: ")
    assert 7 == len(out)


@pytest.mark.parametrize("where", ["missing-folder", "a-folder"])
def test_batch_output_that_cannot_be_written_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    source = write_jsonl(tmp_path / "counties.jsonl", COUNTIES[:1])
    target = tmp_path / "none" / "out.jsonl" if where == "missing-folder" else tmp_path
    before = sorted(tmp_path.rglob("*"))
    assert 2 == main(["batch", str(source), "--jobs", "1", "--engine", "native", "--output", str(target)])
    reason = "No such file or directory" if where == "missing-folder" else "it is a folder"
    assert ("", f"civpolicy: cannot write {target}: {reason}\n") == capsys.readouterr()
    assert before == sorted(tmp_path.rglob("*"))


def test_batch_output_is_removed_when_the_run_fails_part_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from civpolicy import batch

    evaluate_document = batch.evaluate_document

    def fail_on_the_second(policy: civpolicy.Policy, document: batch.Document) -> tuple[str, bool]:
        if document.line == 2:
            raise RuntimeError("the machine broke")
        return evaluate_document(policy, document)

    monkeypatch.setattr(batch, "evaluate_document", fail_on_the_second)
    source = write_jsonl(tmp_path / "counties.jsonl", COUNTIES[:3])
    target = tmp_path / "out.jsonl"
    with pytest.raises(RuntimeError, match="the machine broke"):
        main(["batch", str(source), "--jobs", "1", "--engine", "native", "--output", str(target)])
    assert [source] == list(tmp_path.iterdir())


def test_a_dask_bag_gives_the_same_decisions_as_one_process(policy: civpolicy.Policy) -> None:
    bag_module = pytest.importorskip("dask.bag")

    def evaluate_partition(part: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [decision.to_dict() for decision in policy.evaluate_many(part)]

    bag = bag_module.from_sequence(COUNTIES, npartitions=3)
    got = bag.map_partitions(evaluate_partition).compute(scheduler="processes", num_workers=2)
    assert [policy.evaluate(facts).to_dict() for facts in COUNTIES] == got


def test_a_conflict_within_a_line_is_told_by_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "counties.jsonl"
    source.write_text(json.dumps(COUNTIES[0]) + '\n{"units": [{"id": "a"}, {"id": "a"}]}\n', encoding="utf-8")
    assert 2 == main(["batch", str(source), "--jobs", "1", "--engine", "native"])
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [f"{source}:2:25: units[1]: unit a is given twice (first at column 12)"] == out[1]["errors"]


def test_a_worker_stops_on_sigterm_as_a_worker_does() -> None:
    """A forked worker inherits the command's SIGTERM handler (which raises SystemExit); it must not keep it."""
    import signal

    from civpolicy import batch

    previous = signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        batch._start_worker(civpolicy.Policy.reopen, (None, {}, "native", "en", False))
        assert signal.SIG_DFL == signal.getsignal(signal.SIGTERM)
    finally:
        signal.signal(signal.SIGTERM, previous)
        batch._WORKER_POLICY = None
