"""The civpolicy command (contract section 6): check, evaluate and explain, their output and exit codes."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import civpolicy
from civpolicy.cli import main
from civpolicy.cli.common import param_value
from civpolicy.errors import CivpolicyError, ParameterError, UnknownRuleError
from policy_copies import copy_policy

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = str(ROOT / "examples" / "county-2022.yaml")
LOCATED = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<column>\d+): (?P<rest>.+)$")
CONSEQUENCE_KEYS = [
    "unit",
    "kind",
    "period",
    "params",
    "rule",
    "source",
    "because",
    "discretionary",
    "provisional",
    "responsible",
]


def example_warnings(name: str = EXAMPLE) -> str:
    """What evaluate and explain print on stderr after their output for the example (reading 20).

    The example's accepted facts that no rule uses: a civilized-unit withholding (only a city-bonus one
    changes a consequence) and a passed rectification of a unit that is not vertically managed.
    """
    return (
        f"civpolicy: warning: {name}:320:5: withholdings[1]: market-regulation-bureau: the civilized_unit bonus"
        " of 2022 is already withheld: not used: only a civilized-city withholding changes a consequence, and"
        " only in a year the unit (a civilized unit the county pays) is graded poor for the year (二（四）2)\n"
        f"civpolicy: warning: {name}:327:5: rectifications[3]: panhe-street: deadline rectification of 2022"
        " passed yes: not used: a failed rectification moves a civilized unit's sanction ladder; a passed one"
        " only ends the recommendation to stop a vertically managed civilized unit's bonus after an annual"
        " poor of that year (二（四）1, 二（四） last paragraph)\n"
    )


@pytest.fixture(scope="module")
def example_json() -> str:
    return civpolicy.load_policy().evaluate(EXAMPLE).to_json()


@pytest.fixture(scope="module")
def example_stdin_json() -> str:
    """The example's decision when its text is read from standard input: its warnings name ``<stdin>``."""
    policy = civpolicy.load_policy()
    return policy.evaluate(policy.read_facts_text(Path(EXAMPLE).read_text(encoding="utf-8"), "<stdin>")).to_json()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "facts.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def broken_policy(tmp_path: Path) -> Path:
    """A copy of the shipped policy with two problems in linkages.yaml."""
    folder = tmp_path / "policy"
    shutil.copytree(ROOT / "policy", folder)
    path = folder / "linkages.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("points: $params.review_deduction_points", "points: $params.x")
    text = text.replace(
        "{period_kind: year, grade: good}\n    then:\n      consequence: civilized_unit.priority",
        "{period_kind: year, grades: good}\n    then:\n      consequence: civilized_unit.priority",
    )
    path.write_text(text, encoding="utf-8")
    return folder


# -- check -------------------------------------------------------------------------------


def test_check_the_shipped_policy(capsys: pytest.CaptureFixture[str]) -> None:
    expected = (0, "ok: 69 rules, 37 derived facts, 22 parameters in 9 files\n", "")
    assert expected == run(capsys, "check")


def test_check_a_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert 0 == run(capsys, "check", str(ROOT / "policy"))[0]


def test_check_a_broken_copy(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = broken_policy(tmp_path)
    code, out, err = run(capsys, "check", str(folder))
    located = [LOCATED.match(line) for line in err.splitlines()]
    file = str(folder / "linkages.yaml")
    expected = [
        (file, "civilized_unit.priority.when[0].grades: grade has no field 'grades' (did you mean 'grade'?)"),
        (file, "civilized_unit.review_deduction.then.params.points: no parameter 'x'"),
    ]
    assert (1, "") == (code, out)
    assert expected == [m and (m["file"], m["rest"]) for m in located]


def test_check_a_missing_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    expected = (1, "", f"{tmp_path / 'none'}:1:1: no such policy folder\n")
    assert expected == run(capsys, "check", str(tmp_path / "none"))


# -- evaluate ------------------------------------------------------------------------------


def test_evaluate_json_is_the_contract_document(capsys: pytest.CaptureFixture[str], example_json: str) -> None:
    code, out, err = run(capsys, "evaluate", EXAMPLE, "--format", "json")
    document = json.loads(out)
    assert (0, example_warnings(), example_json) == (code, err, out)
    keys = (list(document), list(document["policy"]))
    assert (["policy", "consequences", "findings", "grades", "warnings"], ["digest"]) == keys
    assert [(EXAMPLE, 320, "withholdings[1]"), (EXAMPLE, 327, "rectifications[3]")] == [
        (w["file"], w["line"], w["field"]) for w in document["warnings"]
    ]
    assert civpolicy.load_policy().digest == document["policy"]["digest"]


def test_evaluate_json_consequences(capsys: pytest.CaptureFixture[str]) -> None:
    consequences = json.loads(run(capsys, "evaluate", EXAMPLE)[1])["consequences"]
    assert {tuple(CONSEQUENCE_KEYS)} == {tuple(c) for c in consequences}
    withheld = [c for c in consequences if c["kind"] == "civilized_unit_bonus.withhold_year"]
    expected = [
        {
            "unit": "fushou-community",
            "kind": "civilized_unit_bonus.withhold_year",
            "period": "2023",
            "params": {},
            "rule": "civilized_unit_bonus.withhold_year",
            "source": "二（四）2",
            "because": [
                "unit fushou-community: category community, civilized unit yes, vertically managed no",
                "fushou-community: the poor streak reaches 3 quarters in 2023-Q1, so the bonus of 2023 is withheld",
            ],
            "discretionary": False,
            "provisional": False,
            # 福寿社区: 赵向龙 in charge (附件3), 赊店镇's contact leaders (附件2), the groups acting on a bonus
            "responsible": [
                {"name": "赵向龙", "role": "community_leader", "source": "附件3"},
                {"name": "邱国彦", "role": "contact_leader", "source": "附件2"},
                {"name": "王承磊", "role": "contact_leader", "source": "附件2"},
                {"name": "文献充", "role": "contact_leader", "source": "附件2"},
                {"name": "郭映伦", "role": "supervision_group_leader", "source": "附件1 二（二）"},
                {"name": "张伟斌", "role": "funding_group_leader", "source": "附件1 二（七）"},
            ],
        },
    ]
    assert expected == [c for c in withheld if c["unit"] == "fushou-community"]
    assert (141, 16) == (len(consequences), len({c["kind"] for c in consequences}))


def test_evaluate_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "evaluate", EXAMPLE, "--format", "table")
    lines = out.splitlines()
    digest = civpolicy.load_policy().digest
    assert (0, example_warnings()) == (code, err)
    assert ["unit", "period", "consequence", "params", "note", "rule", "clause"] == lines[0].split()
    summary = lines.index(f"141 consequence(s); policy {digest}")
    assert (set("- "), "", 141 + 3) == (set(lines[1]), lines[summary - 1], summary)
    decision = civpolicy.load_policy().evaluate(EXAMPLE)
    grades = decision.reports["grades"]
    assert ["", "grades:", "unit period grade basis category score rank size provisional"] == [
        " ".join(line.split()) for line in lines[summary + 1 : summary + 4]
    ]
    assert summary + 5 + len(grades) == len(lines)
    assert ["agri-bank", "2022", "civilized_unit.review_deduction", "points=5"] == lines[2].split()[:4]
    # the note column says which consequences are recommendations to weigh (reading 21) or not final (19)
    note = slice(lines[0].index("note"), lines[0].index("rule"))
    flags = ("discretionary", "provisional")
    notes = [" ".join(flag for flag in flags if getattr(c, flag)) for c in decision.consequences]
    assert notes == [line[note].strip() for line in lines[2 : summary - 1]]
    assert 0 < notes.count("discretionary") < len(notes)
    assert ["discretionary"] == [line[note].strip() for line in lines if "vertical.recommend_bonus_stop" in line]


def test_param_changes_the_output(capsys: pytest.CaptureFixture[str]) -> None:
    def withheld(*extra: str) -> tuple[str, list[tuple[str, str]]]:
        document = json.loads(run(capsys, "evaluate", EXAMPLE, *extra)[1])
        rows = [(c["unit"], c["period"]) for c in document["consequences"] if c["kind"].endswith(".withhold_year")]
        return document["policy"]["digest"], rows

    default_digest, default = withheld()
    changed_digest, changed = withheld("--param", "year_withhold_streak=2")
    # one year per streak (reading 15): the year of the quarter where the streak reaches the number, so
    # market-regulation-bureau's 2022-Q2…2023-Q1 withholds 2022 only, and fushou's 2022-Q3…2023-Q1 2023 only
    expected_default = [
        ("fushou-community", "2023"),
        ("market-regulation-bureau", "2022"),
        ("urban-management-bureau", "2022"),
    ]
    assert expected_default == default
    # with 2 a streak reaches the number a quarter earlier: fushou's in 2022-Q4, panhe-street's 2022-Q1, Q2
    expected = [
        ("fushou-community", "2022"),
        ("market-regulation-bureau", "2022"),
        ("panhe-street", "2022"),
        ("urban-management-bureau", "2022"),
    ]
    assert (expected, True) == (changed, default_digest != changed_digest)


WHOLE = "civpolicy: parameter year_withhold_streak must be a whole number (got {})\n"


@pytest.mark.parametrize(
    ("param", "message"),
    [
        ("nope=2", "civpolicy: no parameter 'nope'\n"),
        (
            "year_withold_streak=2",
            "civpolicy: no parameter 'year_withold_streak' (did you mean 'year_withhold_streak'?)\n",
        ),
        ("year_withhold_streak=x", "civpolicy: parameter year_withhold_streak must be a whole number (got 'x')\n"),
        ("year_withhold_streak=2.5", "civpolicy: parameter year_withhold_streak must be a whole number (got 2.5)\n"),
        ("year_withhold_streak=true", "civpolicy: parameter year_withhold_streak must be a whole number (got True)\n"),
        ("year_withhold_streak=0", "civpolicy: parameter year_withhold_streak must be at least 1 (got 0)\n"),
        ("year_withhold_streak", "civpolicy: --param takes NAME=VALUE (got 'year_withhold_streak')\n"),
        ("=2", "civpolicy: --param takes NAME=VALUE (got '=2')\n"),
        ("year_withhold_streak=[", "civpolicy: parameter year_withhold_streak must be a whole number (got '[')\n"),
        ("year_withhold_streak=1:30", WHOLE.format("'1:30'")),
        ("year_withhold_streak=0x2", WHOLE.format("'0x2'")),
    ],
    ids=[
        "unknown",
        "misspelt",
        "text",
        "fraction",
        "boolean",
        "below-minimum",
        "no-equals",
        "no-name",
        "bracket",
        "base-60",
        "hexadecimal",
    ],
)
def test_bad_param_exits_2(capsys: pytest.CaptureFixture[str], param: str, message: str) -> None:
    assert (2, "", message) == run(capsys, "evaluate", EXAMPLE, "--param", param)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ("x=1", "params must be a mapping of parameter names to values (got 'x=1')"),
        ([("year_withhold_streak", 2)], "params must be a mapping of parameter names to values (got [('year_"),
        (5, "params must be a mapping of parameter names to values (got 5)"),
        ({1: 2}, "params: a parameter name must be text (got 1)"),
    ],
    ids=["text", "pairs", "number", "name-not-text"],
)
def test_params_not_a_mapping_of_names_is_a_parameter_error(params: Any, message: str) -> None:
    """From Python, as from ``--param``: a ParameterError that says what params must be, not an AttributeError."""
    with pytest.raises(ParameterError) as refused:
        civpolicy.load_policy(params=params)
    assert str(refused.value).startswith(message)


def test_an_unknown_rule_is_a_civpolicy_error_and_a_key_error() -> None:
    policy = civpolicy.load_policy(engine="native")
    known = policy.model.all_rules()[0].id
    with pytest.raises(UnknownRuleError) as refused:
        policy.rule(known + "x")
    assert f"no rule '{known}x' in the policy (did you mean '{known}'?)" == str(refused.value)
    assert isinstance(refused.value, CivpolicyError)
    with pytest.raises(KeyError):
        policy.rule("nope")


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("units:\n  - {id: a, civilized_unit: maybe}\n", "2:29", "units[0].civilized_unit: must be true or false"),
        (
            "units:\n  - {id: a}\nevaluations:\n  - {unit: a, period: 2022, grade: pour}\n",
            "4:36",
            "evaluations[0].grade: must be one of good, medium, poor (got 'pour') (did you mean 'poor'?)",
        ),
        ("units: [\n", "2:1", "not valid YAML"),
        ("evaluations: []\n", "1:1", "$: missing required field 'units'"),
    ],
    ids=["wrong-type", "bad-grade", "syntax", "missing-units"],
)
def test_bad_facts_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, where: str, message: str
) -> None:
    path = write(tmp_path, text)
    code, out, err = run(capsys, "evaluate", path)
    assert (2, "", True, False) == (code, out, err.startswith(f"{path}:{where}: {message}"), "Traceback" in err)


def test_missing_facts_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = str(tmp_path / "none.yaml")
    assert (2, "", f"{path}:1:1: no such facts file\n") == run(capsys, "evaluate", path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "1:1: the facts file is empty (it needs at least `units`)"),
        ("units:\n  - {id: a, base_quota: .nan}\n", "2:25: units[0].base_quota: must be a number (got nan)"),
    ],
    ids=["empty", "not-a-number"],
)
def test_facts_refused_before_evaluation_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, text)
    assert (2, "", f"{path}:{message}\n") == run(capsys, "evaluate", path)


# -- explain -------------------------------------------------------------------------------


def test_explain_prints_the_clause_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "explain", EXAMPLE, "--unit", "urban-management-bureau")
    lines = out.splitlines()
    assert (0, example_warnings()) == (code, err)
    assert lines[0].startswith("urban-management-bureau: ") and " consequence(s) under policy sha256:" in lines[0]
    assert "    「连续三个季度考评被评定为“差”的文明单位，扣发一年度文明单位奖金。」" in lines
    assert "  rule civilized_unit_bonus.withhold_year, clause 二（四）2:" in lines
    reached = "    - urban-management-bureau: the poor streak reaches 3 quarters in 2022-Q3, so the bonus of 2022 is"
    reached += " withheld"
    assert reached + "   [streak_withholding.reached, 二（四）2]" in lines
    streak = "      - urban-management-bureau: 3 consecutive poor quarter(s) up to 2022-Q3"
    assert streak + "   [poor_quarter_streak.extend, 二（四）2]" in lines


def test_explain_counts_the_units_consequences(capsys: pytest.CaptureFixture[str]) -> None:
    decision = civpolicy.load_policy().evaluate(EXAMPLE)
    out = run(capsys, "explain", EXAMPLE, "--unit", "agri-bank")[1]
    marks = [line for line in out.splitlines() if line.startswith("■ ") and "=" not in line.split("  ")[0]]
    assert [f"■ {c.kind}  {c.period}" for c in decision.for_unit("agri-bank")] == [m.split("  (")[0] for m in marks]


@pytest.mark.parametrize(
    ("unit", "message"),
    [
        ("nope", f"civpolicy: no unit 'nope' in {EXAMPLE}\n"),
        ("finance-bureu", f"civpolicy: no unit 'finance-bureu' in {EXAMPLE} (did you mean 'finance-bureau'?)\n"),
    ],
    ids=["unknown", "misspelt"],
)
def test_explain_unknown_unit_exits_2(capsys: pytest.CaptureFixture[str], unit: str, message: str) -> None:
    assert (2, "", message) == run(capsys, "explain", EXAMPLE, "--unit", unit)


# -- end to end ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["check"], 0),
        (["check", "BROKEN"], 1),
        (["evaluate", EXAMPLE, "--format", "table"], 0),
        (["evaluate", "BAD_FACTS"], 2),
        (["evaluate", EXAMPLE, "--param", "nope=1"], 2),
        (["explain", EXAMPLE, "--unit", "nope"], 2),
        (["evaluate", EXAMPLE, "--engine", "nope"], 2),
    ],
    ids=["check", "check-broken", "evaluate", "bad-facts", "bad-param", "unknown-unit", "argparse-error"],
)
def test_module_exit_codes_end_to_end(tmp_path: Path, args: list[str], code: int) -> None:
    names = {"BROKEN": str(broken_policy(tmp_path)), "BAD_FACTS": write(tmp_path, "units: [\n")}
    argv = [names.get(arg, arg) for arg in args]
    done = subprocess.run([sys.executable, "-m", "civpolicy", *argv], capture_output=True, text=True, check=False)
    assert (code, False) == (done.returncode, "Traceback" in done.stderr)
    assert (code == 0) == bool(done.stdout)


def test_batch_end_to_end_tells_unreadable_inputs_and_outputs_without_a_traceback(tmp_path: Path) -> None:
    binary = tmp_path / "bin.jsonl"
    binary.write_bytes(b"\xff\n")
    command = [sys.executable, "-m", "civpolicy", "batch", str(binary), str(tmp_path / "none.yaml"), EXAMPLE]
    done = subprocess.run([*command, "--jobs", "1"], capture_output=True, text=True, check=False)
    assert (2, "") == (done.returncode, done.stderr)
    inputs = [json.loads(line)["input"] for line in done.stdout.splitlines()]
    assert [f"{binary}:1", str(tmp_path / "none.yaml"), EXAMPLE] == inputs
    target = tmp_path / "no-folder" / "out.jsonl"
    done = subprocess.run([*command, "--output", str(target)], capture_output=True, text=True, check=False)
    expected = (2, "", f"civpolicy: cannot write {target}: No such file or directory\n")
    assert expected == (done.returncode, done.stdout, done.stderr)


def test_console_script_end_to_end(example_json: str) -> None:
    script = shutil.which("civpolicy", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("the civpolicy console script is not installed beside this Python")
    done = subprocess.run([script, "evaluate", EXAMPLE], capture_output=True, text=True, check=False)
    assert (0, example_json, example_warnings()) == (done.returncode, done.stdout, done.stderr)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("012", 12),
        ("-3", -3),
        ("2.5", 2.5),
        ("1e3", 1000.0),
        ("true", True),
        ("false", False),
        (" 7 ", 7),
        ("yes", "yes"),
    ],
)
def test_a_param_value_reads_as_one_writes_a_number(text: str, value: Any) -> None:
    """Not YAML 1.1's reading, where 012 is 10 and yes is true."""
    read = param_value(text)
    assert (value, value.__class__) == (read, read.__class__)


def test_a_whole_number_written_with_a_point_is_a_whole_number_parameter() -> None:
    assert 3 == civpolicy.load_policy(params={"year_withhold_streak": 3.0}).params["year_withhold_streak"]


def _many_counties(folder: Path, count: int) -> Path:
    from test_batch import county

    source = folder / "counties.jsonl"
    source.write_text("".join(json.dumps(county(seed, 30)) + "\n" for seed in range(count)), encoding="utf-8")
    return source


def test_a_reader_that_stops_early_ends_the_batch_quietly(tmp_path: Path) -> None:
    """`civpolicy batch … | head`: no BrokenPipeError traceback."""
    command = [sys.executable, "-m", "civpolicy", "batch", str(_many_counties(tmp_path, 40)), "--jobs", "1"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.readline()
        process.stdout.close()  # as head does after its lines
        errors = process.stderr.read().decode()
        code = process.wait(timeout=120)
    assert (1, "") == (code, errors)


def test_a_terminated_batch_leaves_no_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    partial = tmp_path / "out.jsonl.partial"
    command = [sys.executable, "-m", "civpolicy", "batch", str(_many_counties(tmp_path, 150)), "--jobs", "1"]
    with subprocess.Popen([*command, "--output", str(target)], stderr=subprocess.PIPE) as process:
        deadline = time.monotonic() + 60
        while not partial.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert partial.exists()
        process.terminate()
        code = process.wait(timeout=60)
    assert (128 + signal.SIGTERM, False, False) == (code, partial.exists(), target.exists())


def test_testing_a_folder_that_is_no_policy_says_so_once(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "nothing"
    assert (2, "", f"{missing}:1:1: no such policy folder\n") == run(capsys, "test", str(missing))


def test_a_param_of_more_digits_than_python_reads_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "evaluate", EXAMPLE, "--param", "year_withhold_streak=" + "9" * 5000)
    assert (2, "", "civpolicy: --param value of 5000 characters is not a number that can be read\n") == (code, out, err)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'a: "\\U00110000"\n', "not valid YAML: cannot read the text here"),
        (b"a: \xff\n", "not UTF-8 text"),
    ],
    ids=["escape-past-unicode", "not-utf-8"],
)
def test_testing_a_policy_folder_with_an_unreadable_file_names_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes, message: str
) -> None:
    """Telling a policy folder from a folder of scenarios reads every file: none may raise."""
    folder = tmp_path / "policy"
    shutil.copytree(ROOT / "policy", folder)
    (folder / "extra.yaml").write_bytes(content)
    code, out, err = run(capsys, "test", str(folder))
    assert (2, "") == (code, out)
    assert err.startswith(f"{folder / 'extra.yaml'}:1:") and message in err


FULL = Path("/dev/full")


@pytest.mark.skipif(not FULL.exists(), reason="no /dev/full on this system")
@pytest.mark.parametrize("argv", [["evaluate", EXAMPLE], ["explain", EXAMPLE, "--unit", "finance-bureau"], ["check"]])
def test_an_output_that_cannot_be_written_is_told_in_one_line(argv: list[str]) -> None:
    """A full disk (here /dev/full): one line on stderr and exit 1, no traceback, large output or small."""
    with FULL.open("w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "civpolicy", *argv], stdout=full, stderr=subprocess.PIPE, text=True, check=False
        )
    assert (1, "civpolicy: cannot write the output: No space left on device\n") == (done.returncode, done.stderr)


def test_a_closed_standard_output_is_told_in_one_line() -> None:
    """`civpolicy check >&-`: the output has nowhere to go, and the command says so."""
    done = subprocess.run(
        [sys.executable, "-m", "civpolicy", "check"],
        stdout=None,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
        close_fds=True,
        preexec_fn=lambda: os.close(1),
    )
    assert (1, "civpolicy: cannot write the output: standard output is closed\n") == (done.returncode, done.stderr)


def test_a_policy_file_that_cannot_be_read_is_a_located_problem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A folder named like a policy file is no file to write: it is a problem of the policy, where it is."""
    folder = copy_policy(tmp_path / "policy")
    (folder / "extra.yaml").mkdir()
    codes = (main(["check", str(folder)]), main(["evaluate", EXAMPLE, "--policy", str(folder)]))
    expected = f"{folder / 'extra.yaml'}:1:1: cannot read this policy file: Is a directory\n"
    assert ((1, 2), expected * 2) == (codes, capsys.readouterr().err)


def test_a_scenario_file_that_cannot_be_read_is_a_located_problem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "a.yaml").mkdir()
    assert 2 == main(["test", str(ROOT / "policy"), str(tmp_path)])
    assert f"{tmp_path / 'a.yaml'}:1:1: cannot read this scenario file: Is a directory\n" == capsys.readouterr().err


def test_a_full_disk_under_a_batch_output_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.jsonl"

    opened = Path.open

    class Full(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError(28, "No space left on device")

    def open_full(path: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "w" not in mode:
            return opened(path, mode, *args, **kwargs)
        opened(path, mode, *args, **kwargs).close()  # the file is made; writing to it fails
        return Full()

    monkeypatch.setattr(Path, "open", open_full)
    code = main(["batch", EXAMPLE, "--jobs", "1", "--output", str(target)])
    assert (1, []) == (code, sorted(p.name for p in tmp_path.iterdir()))


# -- the doorstep: version, standard input, JSON Lines, a facts folder, exit codes, usage ----------------


def test_the_version_is_the_package_s(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert (0, f"civpolicy {civpolicy.__version__}\n", "") == (done.value.code, *capsys.readouterr())
    assert "0.1.0" == civpolicy.__version__
    assert "__version__" in civpolicy.__all__


def test_the_version_end_to_end() -> None:
    done = subprocess.run([sys.executable, "-m", "civpolicy", "--version"], capture_output=True, text=True, check=False)
    assert (0, "civpolicy 0.1.0\n", "") == (done.returncode, done.stdout, done.stderr)


def stdin_of(monkeypatch: pytest.MonkeyPatch, content: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(content), encoding="utf-8"))


def test_evaluate_reads_yaml_from_standard_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, example_json: str, example_stdin_json: str
) -> None:
    stdin_of(monkeypatch, Path(EXAMPLE).read_bytes())
    assert (0, example_stdin_json, example_warnings("<stdin>")) == run(capsys, "evaluate", "-")
    # the same decision as from the file, but for where its warnings point
    assert example_json.replace(json.dumps(EXAMPLE), '"<stdin>"') == example_stdin_json != example_json


def test_evaluate_reads_json_from_standard_input_as_a_json_file_is_read(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    text = json.dumps(
        {
            "units": [{"id": "a", "civilized_unit": True}],
            "evaluations": [{"unit": "a", "period": "2022-Q1", "grade": "poor"}],
        }
    )
    path = tmp_path / "facts.json"
    path.write_text(text, encoding="utf-8")
    expected = run(capsys, "evaluate", str(path))
    stdin_of(monkeypatch, text.encode())
    assert (0, expected[1], "") == run(capsys, "evaluate", "-")
    assert "civilized_unit_bonus.suspend" in expected[1]
    stdin_of(monkeypatch, b'{"units": [{"id": "a", "base_quota": NaN}]}')
    assert (2, "", "<stdin>:1:38: not valid JSON: NaN is not a JSON value\n") == run(capsys, "evaluate", "-")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"units:\n  - {id: a, civilized_unit: maybe}\n",
            "<stdin>:2:29: units[0].civilized_unit: must be true or false",
        ),
        (b'{"units": [{"id": "a", "headcount": "x"}]}', "<stdin>:1:37: units[0].headcount: must be a whole number"),
        (b"", "<stdin>:1:1: the facts file is empty"),
        (b"\xff", "<stdin>:1:1: cannot read standard input: 'utf-8' codec can't decode byte 0xff"),
    ],
    ids=["yaml", "json", "empty", "not-utf-8"],
)
def test_bad_facts_on_standard_input_are_located_there(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, content: bytes, message: str
) -> None:
    stdin_of(monkeypatch, content)
    code, out, err = run(capsys, "evaluate", "-")
    assert (2, "", True, 1) == (code, out, err.startswith(message), len(err.splitlines()))


def test_explain_reads_standard_input_too(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run(capsys, "explain", EXAMPLE, "--unit", "agri-bank")
    assert (0, example_warnings()) == (code, err)
    stdin_of(monkeypatch, Path(EXAMPLE).read_bytes())
    assert (0, out, example_warnings("<stdin>")) == run(capsys, "explain", "-", "--unit", "agri-bank")
    stdin_of(monkeypatch, Path(EXAMPLE).read_bytes())
    assert (2, "", "civpolicy: no unit 'nope' in <stdin>\n") == run(capsys, "explain", "-", "--unit", "nope")


def test_standard_input_end_to_end(example_stdin_json: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "civpolicy", "evaluate", "-"],
        input=Path(EXAMPLE).read_text(encoding="utf-8"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert (0, example_stdin_json, example_warnings("<stdin>")) == (done.returncode, done.stdout, done.stderr)
    closed = subprocess.run(
        [sys.executable, "-m", "civpolicy", "evaluate", "-"],
        capture_output=True,
        text=True,
        check=False,
        close_fds=True,
        preexec_fn=lambda: os.close(0),
    )
    assert (2, "", "<stdin>:1:1: standard input is closed\n") == (closed.returncode, closed.stdout, closed.stderr)


@pytest.mark.parametrize("command", [["evaluate"], ["explain", "--unit", "a"]])
def test_json_lines_are_batch_s_input(capsys: pytest.CaptureFixture[str], tmp_path: Path, command: list[str]) -> None:
    counties = tmp_path / "counties.jsonl"
    counties.write_text('{"units": [{"id": "a"}]}\n{"units": [{"id": "b"}]}\n', encoding="utf-8")
    code, out, err = run(capsys, command[0], str(counties), *command[1:])
    assert (2, "", 1) == (code, out, len(err.splitlines()))
    assert err.startswith(
        f"civpolicy: {counties} is JSON Lines (one county's facts per line): civpolicy batch {counties}"
    )


def test_checking_a_folder_of_facts_says_so_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    folder = str(ROOT / "examples")
    code, out, err = run(capsys, "check", folder)
    expected = f"{folder}:1:1: a folder of facts files, not a policy folder: its files hold units: and none of"
    assert (1, "", True, 1) == (code, out, err.startswith(expected), len(err.splitlines()))
    assert f"(civpolicy evaluate {folder}/county-2022-scores.yaml evaluates one)" in err


def test_a_facts_file_inside_a_policy_folder_is_told_where_it_is(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Only a folder all of facts is taken for one: a policy folder's problems stay located."""
    folder = copy_policy(tmp_path / "policy")
    shutil.copy(EXAMPLE, folder / "county.yaml")
    code, out, err = run(capsys, "check", str(folder))
    assert (1, "") == (code, out)
    assert f"{folder / 'county.yaml'}:19:1: $.units: unknown field 'units'" in err.splitlines()
    assert "a folder of facts files" not in err


def test_check_counts_the_rules_test_coverage_counts() -> None:
    from civpolicy.authoring.coverage import coverage

    model = civpolicy.load_policy().model
    report = coverage(model, set()).report()
    assert 69 == len(model.all_rules())
    assert "rules no test fires: 69 of 69\n" in report
    assert "aggregates no test computes: 14 of 14\n" in report


EXIT_CODES = {
    "check": (0, 1, 2),
    "evaluate": (0, 1, 2),
    "explain": (0, 1, 2),
    "batch": (0, 1, 2),
    "test": (0, 1, 2),
    "diff": (0, 1, 2),
    "sample": (0, 1, 2),
    "schema": (0, 1, 2),
    "calendar": (0, 1, 2),
}


@pytest.mark.parametrize("command", sorted(EXIT_CODES))
def test_every_subcommand_s_help_ends_with_its_exit_codes(capsys: pytest.CaptureFixture[str], command: str) -> None:
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    out = capsys.readouterr().out
    status = out[out.index("\nexit status:\n") :]
    assert 0 == done.value.code
    assert list(EXIT_CODES[command]) == [int(line.split()[0]) for line in status.splitlines()[2:] if line[2:3] != " "]


def test_the_command_s_help_ends_with_every_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    status = capsys.readouterr().out.split("\nexit status:\n")[1]
    assert [0, 1, 2, 130, 143] == [int(line.split()[0]) for line in status.splitlines() if line[2:3] != " "]


def test_every_option_and_argument_has_help() -> None:
    from civpolicy.cli.main import _parser

    parser = _parser()
    assert parser.commands is not None
    parsers = [("civpolicy", parser), *parser.commands.choices.items()]
    missing = [(name, action.dest) for name, p in parsers for action in p._actions if not action.help]
    assert [] == missing


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["evalute", EXAMPLE], "civpolicy: error: argument command: invalid choice: 'evalute' "),
        (
            ["evaluate", EXAMPLE, "--fromat", "table"],
            "civpolicy evaluate: error: unrecognized arguments: --fromat table",
        ),
        (["evaluate", EXAMPLE, "--format", "tabel"], "civpolicy evaluate: error: argument --format: invalid choice: "),
        (["schema", "fact"], "civpolicy schema: error: argument document: invalid choice: 'fact' "),
        (["diff", "policy", "policy", "--exitcode"], "civpolicy diff: error: unrecognized arguments: --exitcode"),
    ],
    ids=["subcommand", "option", "choice", "positional-choice", "diff-option"],
)
def test_a_misspelt_word_is_a_usage_error_that_names_the_one_meant(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    meant = {
        "evalute": "evaluate",
        "--fromat": "--format",
        "tabel": "table",
        "fact": "facts",
        "--exitcode": "--exit-code",
    }
    with pytest.raises(SystemExit) as done:
        main(argv)
    out, err = capsys.readouterr()
    (wrong,) = [arg for arg in argv if arg in meant]
    last = err.splitlines()[-1]
    assert (2, "", True) == (done.value.code, out, last.startswith(message))
    assert last.endswith(f" (did you mean {meant[wrong]!r}?)")


def test_several_misspelt_options_are_each_named(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["evaluate", EXAMPLE, "--fromat", "table", "--polcy", "policy"])
    expected = (
        "civpolicy evaluate: error: unrecognized arguments: --fromat table --polcy policy; "
        "--fromat (did you mean '--format'?); --polcy (did you mean '--policy'?)"
    )
    assert expected == capsys.readouterr().err.splitlines()[-1]


def test_a_word_like_none_gets_no_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["zzz"])
    assert (2, False) == (done.value.code, "did you mean" in capsys.readouterr().err)


def test_an_interrupted_batch_ends_quietly_and_leaves_no_partial_file(tmp_path: Path) -> None:
    """Ctrl-C: exit 130 (128 + SIGINT), no traceback, the partial output removed."""
    target = tmp_path / "out.jsonl"
    partial = tmp_path / "out.jsonl.partial"
    command = [sys.executable, "-m", "civpolicy", "batch", str(_many_counties(tmp_path, 150)), "--jobs", "1"]
    with subprocess.Popen([*command, "--output", str(target)], stderr=subprocess.PIPE, text=True) as process:
        deadline = time.monotonic() + 60
        while not partial.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert partial.exists()
        process.send_signal(signal.SIGINT)
        assert process.stderr is not None
        errors = process.stderr.read()
        code = process.wait(timeout=60)
    assert (130, "", False, False) == (code, errors, partial.exists(), target.exists())
