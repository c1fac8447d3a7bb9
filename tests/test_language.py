"""Reasons in Chinese: ``load_policy(language="zh")`` and ``--language zh``.

The decision is the same in every language: the same consequences, periods, params,
rules and clauses; only the reasons (``because``) are told in the policy's Chinese
sentences (``says: {en: …, zh: …}``), with the terms of a vocabulary by their Chinese
labels (``{grade:grades}``: 差) and booleans and null as 是, 否, 无.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import civpolicy
from civpolicy.checks.validate import load_model
from civpolicy.cli import main
from civpolicy.engine.registry import ENGINES
from civpolicy.errors import ParameterError, PolicyError
from civpolicy.source.expressions import Template
from policy_copies import copy_policy, edit

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = [ROOT / "examples" / "county-2022.yaml", ROOT / "examples" / "county-2022-scores.yaml"]
CJK = re.compile("[\u4e00-\u9fff]")


def without_reasons(decision: civpolicy.Decision) -> list[dict[str, Any]]:
    return [{k: v for k, v in c.items() if k != "because"} for c in decision.to_dict()["consequences"]]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_the_decision_is_the_same_in_chinese_but_for_its_reasons(example: Path) -> None:
    english = civpolicy.load_policy().evaluate(example)
    chinese = civpolicy.load_policy(language="zh").evaluate(example)
    assert without_reasons(english) == without_reasons(chinese)
    assert english.policy_digest == chinese.policy_digest
    reasons = [text for c in chinese.consequences for text in c.because]
    assert reasons and all(CJK.search(text) for text in reasons)
    assert not any(CJK.search(text) for c in english.consequences for text in c.because if "“" not in text)


def test_every_sentence_of_the_shipped_policy_has_its_chinese() -> None:
    model = load_model(ROOT / "policy")
    templates: list[tuple[str, Template]] = [(name, spec.says) for name, spec in model.inputs.items()]
    templates += [(name, fact.says) for name, fact in model.derived.items()]
    templates += [(name, table.says) for name, table in model.tables.items()]
    templates += [
        (rule.id, pattern.says) for rule in model.all_rules() for pattern in rule.when if pattern.says is not None
    ]
    assert [] == [name for name, template in templates if not template.zh]


def test_terms_are_told_by_their_chinese_labels_and_booleans_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    assert 0 == main(["explain", str(EXAMPLES[0]), "--unit", "agri-bank", "--language", "zh"])
    out = capsys.readouterr().out
    # a vertically managed unit: the title's review and notice, the letter and the recommendation
    # (ended: its rectification passed); nothing the county administers for its own (readings 1)
    assert out.startswith("agri-bank：4 项后果，政策 sha256:")
    assert "    - agri-bank 在 2022 的等次为 差（直接给出）   [grade.given, 二（三）2]\n" in out
    assert "    - 单位 agri-bank：类别 承担其他任务的单位，文明单位 是，垂直管理 是\n" in out
    assert "    - 限期整改未通过 0 次后，处理为 通报批评、限期整改\n" in out
    assert "    - agri-bank：2022 年度“差”之后的限期整改，通过 是\n" in out
    assert "  理由：\n" in out and "because:" not in out


def test_english_is_the_default_and_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    assert 0 == main(["explain", str(EXAMPLES[0]), "--unit", "agri-bank"])
    out = capsys.readouterr().out
    assert "    - agri-bank graded poor for 2022 (given)   [grade.given, 二（三）2]\n" in out
    assert "    - after 0 failed rectification(s) the step is notice_and_rectify\n" in out


@pytest.mark.parametrize("engine", ENGINES)
def test_both_engines_tell_the_same_chinese(engine: str) -> None:
    try:
        policy = civpolicy.load_policy(engine=engine, language="zh")
        decision = policy.evaluate(EXAMPLES[1])
    except civpolicy.EngineUnavailableError:
        pytest.skip(f"the {engine} engine is not installed here")
    assert decision.to_json() == civpolicy.load_policy(language="zh").evaluate(EXAMPLES[1]).to_json()


def test_worker_processes_tell_the_language_they_were_given() -> None:
    policy = civpolicy.load_policy(language="zh")
    alone = [d.to_json() for d in policy.evaluate_many(EXAMPLES)]
    assert alone == [d.to_json() for d in policy.evaluate_many(EXAMPLES, jobs=2)]


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ParameterError, match="no language 'fr'; choose one of en, zh"):
        civpolicy.load_policy(language="fr")


def test_a_sentence_without_chinese_is_told_in_english() -> None:
    template = Template("{unit} graded {grade:grades}")
    labels = {"grades": {"poor": "差"}}
    assert "a graded 差" == template.render({"unit": "a", "grade": "poor"}.get, "zh", labels)
    assert "a graded poor" == template.render({"unit": "a", "grade": "poor"}.get, "zh")
    both = Template("{unit}: {flag}", zh="{unit}：{flag}，{gone}")
    assert ("a: yes", "a：是，无") == (
        both.render({"unit": "a", "flag": True}.get),
        both.render({"unit": "a", "flag": True, "gone": None}.get, "zh"),
    )
    assert ["unit", "flag", "gone"] == both.names()


def test_a_term_placeholder_must_name_a_vocabulary(tmp_path: Path) -> None:
    folder = copy_policy(tmp_path / "policy")
    edit(folder, "facts.yaml", "{grade:grades}", "{grade:grade}")
    with pytest.raises(PolicyError) as caught:
        load_model(folder)
    messages = [p.message for p in caught.value.problems]
    assert ["says a term of 'grade', which is no vocabulary (did you mean 'grades'?)"] == messages


def test_a_sentence_in_two_languages_needs_its_english(tmp_path: Path) -> None:
    folder = copy_policy(tmp_path / "policy")
    edit(folder, "facts.yaml", '      en: "{unit} graded {grade} for {period}"\n', "")
    with pytest.raises(PolicyError) as caught:
        load_model(folder)
    assert ["inputs.evaluation.says"] == [p.path for p in caught.value.problems]
    assert "missing required field 'en'" == caught.value.problems[0].message


def _term_problems(folder: Path) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        load_model(folder)
    return [f"{Path(p.file).name}:{p.line}: {p.path}: {p.message}" for p in caught.value.problems]


@pytest.mark.parametrize(
    ("name", "old", "new", "expected"),
    [
        (  # an input field of another vocabulary
            "facts.yaml",
            "{unit} 在 {period} 的等次为 {grade:grades}",
            "{unit} 在 {period} 的等次为 {grade:sanction_steps}",
            "facts.yaml:{line}: inputs.evaluation.says: says {grade:sanction_steps}, but grade can be 'good', which is "
            "no term of 'sanction_steps': it would be told as written",
        ),
        (  # a derived fact's constants
            "scoring.yaml",
            '{why:poor_reasons}"',
            '{why:grade_bases}"',
            "scoring.yaml:{line}: derived.poor_mark.says: says {why:grade_bases}, but why can be 'below_cut_off', "
            "which is no term of 'grade_bases': it would be told as written",
        ),
        (  # a derived fact's field copied from an input's and from another derived fact's
            "scoring.yaml",
            "的等次为 {grade:grades}（{basis:grade_bases}）",
            "的等次为 {grade:score_bases}（{basis:grade_bases}）",
            "scoring.yaml:{line}: derived.grade.says: says {grade:score_bases}, but grade can be 'good', "
            "which is no term of 'score_bases': it would be told as written",
        ),
        (  # a table's rows
            "linkages.yaml",
            "处理为 {step:sanction_steps}",
            "处理为 {step:grades}",
            "linkages.yaml:{line}: tables.sanction_ladder.says: says {step:grades}, but step can be "
            "'notice_and_rectify', which is no term of 'grades': it would be told as written",
        ),
        (  # an absent fact's sentence in a rule, by alias
            "linkages.yaml",
            "{u.unit} {e.year} 年的文明城市奖金此前未被扣发",
            "{u.unit} {e.grade:sanction_steps} 年的文明城市奖金此前未被扣发",
            "linkages.yaml:{line}: civilized_city_bonus.suspend.when[2].says: says {e.grade:sanction_steps}, but grade "
            "can be 'good', which is no term of 'sanction_steps': it would be told as written",
        ),
    ],
)
def test_a_term_placeholder_must_hold_the_fields_values(
    tmp_path: Path, name: str, old: str, new: str, expected: str
) -> None:
    folder = copy_policy(tmp_path / "policy")
    edit(folder, name, old, new)
    # told at the `says:` of the sentence edited: the last one before it in the file
    text = (folder / name).read_text(encoding="utf-8")
    before = text[: text.index(new)].splitlines()
    line = max(n for n, written in enumerate(before, 1) if written.strip() == "says:")
    assert [expected.replace("{line}", str(line), 1)] == _term_problems(folder)


def test_a_term_placeholder_is_not_checked_where_the_values_are_not_told(tmp_path: Path) -> None:
    folder = copy_policy(tmp_path / "policy")
    # A unit id is free text: any vocabulary may hold it, so nothing can be said.
    edit(folder, name="facts.yaml", old="{unit} 在 {period} 的等次为", new="{unit:grades} 在 {period} 的等次为")
    assert load_model(folder).inputs["evaluation"].says.labelled() == [("unit", "grades"), ("grade", "grades")]
