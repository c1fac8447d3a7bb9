"""The duties' calendar and findings: occurrences, due days, spans, the calendar command, and what is refused."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import civpolicy
from civpolicy.errors import FactsError, PolicyError
from civpolicy.facts.occurrences import checked_span, occurrences
from civpolicy.source import model as m
from civpolicy.source.expressions import Const
from command_runs import run, write_facts
from policy_copies import copy_policy, edit

POLICY = civpolicy.load_policy()
DAY = datetime.date


def _duty(every: str, **schedule: object) -> m.Duty:
    return m.Duty(
        id="d",
        name=m.Text("", ""),
        citation=m.Citation("", ""),
        schedule=m.Schedule(every=every, **schedule),  # type: ignore[arg-type]
        who=m.Text("", ""),
    )


def test_weeks_run_monday_to_sunday_and_only_whole_weeks_of_the_span_count() -> None:
    found = occurrences(_duty("week"), DAY(2023, 5, 1), DAY(2023, 5, 31), {})
    assert [o.label for o in found] == ["2023-W18", "2023-W19", "2023-W20", "2023-W21"]
    assert (found[0].opens, found[0].closes) == (DAY(2023, 5, 1), DAY(2023, 5, 7))


def test_a_weekday_is_the_only_day_due() -> None:
    friday = occurrences(_duty("week", weekday=5), DAY(2023, 5, 8), DAY(2023, 5, 14), {})
    assert [(o.due_from, o.due_to) for o in friday] == [(DAY(2023, 5, 12), DAY(2023, 5, 12))]


def test_days_of_the_month_come_from_parameters_and_stop_at_the_month_end() -> None:
    duty = _duty("month", days=(Const(1), m_ref("last")))
    found = occurrences(duty, DAY(2023, 2, 1), DAY(2023, 2, 28), {"last": 31})
    assert [(o.label, o.due_from, o.due_to, o.closes) for o in found] == [
        ("2023-02", DAY(2023, 2, 1), DAY(2023, 2, 28), DAY(2023, 2, 28))
    ]


def m_ref(name: str) -> object:
    from civpolicy.source.expressions import Ref

    return Ref("params", name)


def test_quarters_years_and_listed_months() -> None:
    year = (DAY(2023, 1, 1), DAY(2023, 12, 31))
    assert [o.label for o in occurrences(_duty("quarter"), *year, {})] == ["2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4"]
    assert [o.label for o in occurrences(_duty("year"), *year, {})] == ["2023"]
    listed = occurrences(_duty("year", months=(4, 9)), *year, {})
    assert [(o.label, o.closes) for o in listed] == [("2023-04", DAY(2023, 4, 30)), ("2023-09", DAY(2023, 9, 30))]
    assert occurrences(_duty("standing"), *year, {}) == []


def test_the_span_is_the_periods_given_else_the_months_of_the_activities() -> None:
    facts = POLICY.read_facts(
        {"units": [{"id": "a"}], "activities": [{"duty": "self_evaluation", "who": "a", "date": "2023-05-12"}]}
    )
    assert checked_span(POLICY.model, facts.all()) == (DAY(2023, 5, 1), DAY(2023, 5, 31))
    given = POLICY.read_facts({"units": [{"id": "a"}], "duty_periods": [{"period": "2023-Q2"}]})
    assert checked_span(POLICY.model, given.all()) == (DAY(2023, 4, 1), DAY(2023, 6, 30))
    assert checked_span(POLICY.model, POLICY.read_facts({"units": [{"id": "a"}]}).all()) is None


def test_no_activities_no_findings_and_findings_are_never_consequences() -> None:
    quiet = POLICY.evaluate({"units": [{"id": "a", "category": "township"}]})
    assert quiet.findings == ()
    checked = POLICY.evaluate({"units": [{"id": "a", "category": "township"}], "duty_periods": [{"period": "2023-05"}]})
    assert checked.findings
    assert checked.consequences == ()
    assert {f.kind for f in checked.findings} == {"duty.missed"}


def test_a_date_that_is_no_day_is_a_facts_error_with_its_place(tmp_path: Path) -> None:
    path = write_facts(
        tmp_path, "units: [{id: a}]\nactivities:\n  - {duty: self_evaluation, who: a, date: 2023-02-30}\n"
    )
    with pytest.raises(FactsError) as caught:
        POLICY.read_facts(path)
    problem = caught.value.problems[0]
    assert (problem.line, problem.path) == (3, "activities[0].date")
    assert "no day of the calendar" in problem.message


def test_an_activity_before_the_policy_is_in_force_is_refused() -> None:
    with pytest.raises(FactsError, match="before the policy is in force"):
        POLICY.read_facts(
            {"units": [{"id": "a"}], "activities": [{"duty": "self_evaluation", "who": "a", "date": "2022-02-10"}]}
        )


def test_an_unknown_schedule_is_a_located_policy_error(tmp_path: Path) -> None:
    folder = copy_policy(tmp_path / "policy")
    edit(folder, "duties.yaml", "every: week\n    weekday: 5", "every: fortnight\n    weekday: 5")
    with pytest.raises(PolicyError) as caught:
        civpolicy.load_policy(str(folder))
    assert any("every" in p.path and "fortnight" in p.message for p in caught.value.problems)


def test_calendar_json_ics_and_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "calendar", "--year", "2023", "--who", "县公安局", "--format", "json")
    rows = json.loads(out)["duties"]
    assert code == 0
    assert [(r["duty"], r["start"], r["end"]) for r in rows] == [
        ("traffic_order_month", "2023-04-01", "2023-04-30"),
        ("traffic_order_month", "2023-09-01", "2023-09-30"),
    ]
    assert rows[0]["lead"] == ["县公安局"] and rows[0]["source"] == "三（一）"
    code, first, _ = run(capsys, "calendar", "--year", "2023", "--who", "李哲", "--format", "ics")
    _, again, _ = run(capsys, "calendar", "--year", "2023", "--who", "李哲", "--format", "ics")
    assert code == 0 and first == again
    assert first.count("BEGIN:VEVENT") == 24  # 郝寨镇 and 东裕社区, every month
    assert "DTSTART;VALUE=DATE:20230101" in first and "DTEND;VALUE=DATE:20230111" in first
    code, table, _ = run(capsys, "calendar", "--year", "2023", "--language", "zh")
    assert code == 0 and "常设" in table and "适时" in table


def test_calendar_with_facts_lists_each_units_weekly_duties(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write_facts(tmp_path, "units:\n  - {id: dongyu, name: 东裕社区, category: community}\n")
    code, out, _ = run(capsys, "calendar", path, "--year", "2023", "--who", "dongyu", "--format", "json")
    duties = {r["duty"] for r in json.loads(out)["duties"]}
    assert code == 0 and duties == {"self_evaluation", "civic_school_class"}


def test_group_by_responsible_prints_one_table_per_person(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = (
        "units:\n  - {id: dongyu, name: 东裕社区, category: community}\n"
        "evaluations:\n  - {unit: dongyu, period: 2023-Q2, grade: poor}\n"
    )
    path = write_facts(tmp_path, text)
    code, out, _ = run(capsys, "evaluate", path, "--format", "table", "--group-by", "responsible")
    assert code == 0
    assert "李哲 (community_leader, 附件3):" in out and "郭映伦 (supervision_group_leader, 附件1 二（二）):" in out


@settings(max_examples=30, deadline=None)
@given(day=st.integers(min_value=1, max_value=31), month=st.integers(min_value=1, max_value=12))
def test_one_site_visit_is_on_time_late_or_missing_by_its_day(day: int, month: int) -> None:
    """Property: a visit on day 1..site_visit_last_day is on time; later in the month late; never both."""
    last = (DAY(2023 + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1)).day
    date = DAY(2023, month, min(day, last))
    facts = {
        "units": [{"id": "a"}],
        "activities": [{"duty": "leader_site_visit", "who": "李哲", "place": "郝寨镇", "date": date.isoformat()}],
    }
    findings = [f for f in POLICY.evaluate(facts).findings or () if f.who == "李哲" and f.params["place"] == "郝寨镇"]
    due = POLICY.params["site_visit_last_day"]
    expected = [] if date.day <= due else ["duty.late"]
    assert [f.kind for f in findings] == expected
