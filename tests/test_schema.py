"""The JSON Schemas of facts and decisions (``civpolicy schema``), checked with a real validator.

What civpolicy accepts, the facts schema accepts; what civpolicy gives, the decision schema
accepts. The schemas are made from the policy, so a policy change shows in them.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import civpolicy
from civpolicy.cli import main
from civpolicy.errors import FactsError
from policy_copies import copy_policy, edit
from strategies import facts

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = [ROOT / "examples" / "county-2022.yaml", ROOT / "examples" / "county-2022-scores.yaml"]
POLICY = civpolicy.load_policy()
FACTS = jsonschema.Draft202012Validator(POLICY.facts_schema())
DECISION = jsonschema.Draft202012Validator(POLICY.decision_schema())


def errors(validator: Any, document: Any) -> list[str]:
    return sorted(f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(document))


def test_the_schemas_are_valid_json_schemas() -> None:
    jsonschema.Draft202012Validator.check_schema(POLICY.facts_schema())
    jsonschema.Draft202012Validator.check_schema(POLICY.decision_schema())


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_the_examples_and_their_decisions_meet_the_schemas(example: Path, language: str) -> None:
    document = yaml.safe_load(example.read_text(encoding="utf-8"))
    decision = civpolicy.load_policy(language=language).evaluate(example)
    assert ([], []) == (errors(FACTS, document), errors(DECISION, json.loads(decision.to_json())))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"evaluations": [{"unit": "a", "period": "2022-Q1", "grade": "bad"}]},
            "evaluations/0/grade: 'bad' is not one of",
        ),
        (
            {"evaluations": [{"unit": "a", "period": "2022-Q5", "grade": "poor"}]},
            "evaluations/0/period: '2022-Q5' is not valid under any of the given schemas",
        ),
        ({"criticisms": [{"unit": "a", "bulletin": "2022-Q1"}]}, "criticisms/0/bulletin: '2022-Q1' does not match"),
        ({"evaluation": []}, ": Additional properties are not allowed ('evaluation' was unexpected)"),
        ({"units": [{"id": "a", "headcount": 2.5}]}, "units/0/headcount: 2.5 is not of type 'integer'"),
        ({"units": [{"id": "a", "base_quota": 101}]}, "units/0/base_quota: 101 is greater than the maximum of 100"),
        ({"units": [{"id": " "}]}, "units/0/id: ' ' does not match '\\\\S'"),
        ({"units": [{"name": "a"}]}, "units/0: 'id' is a required property"),
        ({"withholdings": [{"unit": "a", "bonus": "civilized_city", "year": 999}]}, "withholdings/0/year: 999 is less"),
    ],
)
def test_what_the_schema_refuses_civpolicy_refuses_too(change: dict[str, Any], expected: str) -> None:
    document = {"units": [{"id": "a"}], **change}
    assert any(line.startswith(expected) for line in errors(FACTS, document)), errors(FACTS, document)
    with pytest.raises(FactsError):
        POLICY.read_facts(document)


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10_000),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["", " ", "a", "2022", "2022-Q1", "2022-H2", "2022-05", "2022-13", "poor", "civilized_city"]),
    st.text(max_size=4),
    st.lists(st.integers(), max_size=1),
)


SCORED = yaml.safe_load(EXAMPLES[1].read_text(encoding="utf-8"))
"""Scores, adjustments, links, township members and field points, which the generated facts have not."""


@settings(max_examples=300, deadline=None)
@given(st.one_of(facts(max_units=3), st.just(SCORED)), st.data())
def test_facts_civpolicy_accepts_meet_the_schema(document: dict[str, Any], data: st.DataObject) -> None:
    """One field of valid facts set to another value: whenever civpolicy still accepts, so does the schema."""
    document = copy.deepcopy(document)
    lists = [key for key, items in document.items() if items]
    key = data.draw(st.sampled_from(lists))
    item = data.draw(st.sampled_from(document[key]))
    spec = next(spec for spec in POLICY.model.inputs.values() if spec.source_key == key)
    field = data.draw(st.sampled_from([f.name for f in spec.fields]))
    item[field] = data.draw(VALUES)
    try:
        POLICY.read_facts(document)
    except FactsError:
        return
    assert [] == errors(FACTS, document)
    assert [] == errors(DECISION, json.loads(POLICY.evaluate(document).to_json()))


def test_the_schema_follows_the_policy(tmp_path: Path) -> None:
    folder = copy_policy(tmp_path / "policy")
    edit(
        folder,
        "evaluation.yaml",
        "- {id: poor, zh: 差, en: poor}",
        "- {id: poor, zh: 差, en: poor}\n    - {id: failing, zh: 不及格, en: failing}",
    )
    grade = civpolicy.load_policy(folder).facts_schema()["properties"]["evaluations"]["items"]["properties"]["grade"]
    assert ["good", "medium", "poor", "failing"] == grade["enum"]


@pytest.mark.parametrize("document", ["facts", "decision"])
def test_the_command_prints_the_schema(capsys: pytest.CaptureFixture[str], document: str) -> None:
    assert 0 == main(["schema", document])
    expected = POLICY.facts_schema() if document == "facts" else POLICY.decision_schema()
    assert expected == json.loads(capsys.readouterr().out)


def test_the_command_on_a_broken_policy_says_where(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = copy_policy(tmp_path / "policy")
    edit(folder, "evaluation.yaml", "- {id: poor, zh: 差, en: poor}", "- {id: poor, zh: 差, en: poor, colour: red}")
    assert 2 == main(["schema", "facts", "--policy", str(folder)])
    out, err = capsys.readouterr()
    assert ("", 1) == (out, err.count("evaluation.yaml:"))


def test_batch_lines_meet_the_decision_schema_once_their_input_is_set_aside(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert 0 == main(["batch", *map(str, EXAMPLES), "--jobs", "1"])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [[], []] == [errors(DECISION, {k: v for k, v in line.items() if k != "input"}) for line in lines]
