"""civpolicy.facts.periods: the four period kinds, their labels, the numbers rules join on, and bad texts."""

from __future__ import annotations

import pytest

from civpolicy.facts.periods import KINDS, Period, PeriodSyntaxError, parse_period, period_sort_key

JAN_2022 = 2022 * 12
"""Month number of January 2022 (months are counted from year 0)."""


@pytest.mark.parametrize(
    ("text", "kind", "start", "months"),
    [
        ("2022", "year", JAN_2022, 12),
        (2022, "year", JAN_2022, 12),
        ("2022-H1", "half", JAN_2022, 6),
        ("2022-H2", "half", JAN_2022 + 6, 6),
        ("2022-Q1", "quarter", JAN_2022, 3),
        ("2022-Q3", "quarter", JAN_2022 + 6, 3),
        ("2022-Q4", "quarter", JAN_2022 + 9, 3),
        ("2022-01", "month", JAN_2022, 1),
        ("2022-05", "month", JAN_2022 + 4, 1),
        ("2022-12", "month", JAN_2022 + 11, 1),
    ],
    ids=["year", "year-as-int", "half-1", "half-2", "quarter-1", "quarter-3", "quarter-4", "jan", "may", "dec"],
)
def test_parse_each_kind(text: object, kind: str, start: int, months: int) -> None:
    period = parse_period(text)
    assert (Period(start, months), kind, 2022) == (period, period.kind, period.year)


@pytest.mark.parametrize(
    "label",
    ["2022", "1999", "1000", "9999", "2022-H1", "2022-H2", "2023-Q1", "2022-Q4", "2022-01", "2022-09", "2022-12"],
)
def test_labels_round_trip(label: str) -> None:
    assert label == parse_period(label).label


def test_int_year_labels_as_text() -> None:
    expected = "2022"
    assert expected == parse_period(2022).label


def test_fields_of_a_quarter() -> None:
    expected = {
        "period": "2022-Q3",
        "period_kind": "quarter",
        "year": 2022,
        "ordinal": 2022 * 4 + 2,
        "previous": 2022 * 4 + 1,
        "start": JAN_2022 + 6,
        "end": JAN_2022 + 8,
        "months": 3,
    }
    assert expected == parse_period("2022-Q3").fields()


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        ("2022-Q4", "2023-Q1"),
        ("2022-Q1", "2022-Q2"),
        ("2022-12", "2023-01"),
        ("2022-H2", "2023-H1"),
        ("2021", "2022"),
    ],
    ids=["quarter-across-years", "quarter", "month-across-years", "half-across-years", "year"],
)
def test_consecutive_periods_of_a_kind_differ_by_one_ordinal(earlier: str, later: str) -> None:
    before, after = parse_period(earlier), parse_period(later)
    assert (before.ordinal + 1, before.ordinal) == (after.ordinal, after.fields()["previous"])


def test_ordinal_counts_periods_of_its_own_kind_from_year_0() -> None:
    expected = (2022, 2022 * 2, 2022 * 4, 2022 * 12)
    assert expected == tuple(parse_period(t).ordinal for t in ("2022", "2022-H1", "2022-Q1", "2022-01"))


def test_start_and_end_line_up_across_kinds() -> None:
    year, h1, q2, june, q4 = (parse_period(t) for t in ("2022", "2022-H1", "2022-Q2", "2022-06", "2022-Q4"))
    expected = (JAN_2022, JAN_2022 + 11, JAN_2022 + 5)
    assert expected == (year.start, year.end, h1.end)
    assert (h1.end, h1.end, year.end) == (q2.end, june.start, q4.end)


def test_months_of_each_kind() -> None:
    expected = {"year": 12, "half": 6, "quarter": 3, "month": 1}
    assert expected == KINDS
    assert list(expected.values()) == [parse_period(t).months for t in ("2022", "2022-H2", "2022-Q2", "2022-02")]


def test_periods_order_by_start_then_length() -> None:
    texts = ["2022-Q2", "2022", "2022-H1", "2022-01", "2021-12", "2022-Q1", "2021"]
    expected = ["2021", "2021-12", "2022-01", "2022-Q1", "2022-H1", "2022", "2022-Q2"]
    assert expected == [p.label for p in sorted(parse_period(t) for t in texts)]


def test_a_month_is_before_the_quarter_it_starts_and_after_the_one_before() -> None:
    expected = (True, True, False)
    assert expected == (
        parse_period("2022-04") < parse_period("2022-Q2"),
        parse_period("2022-03") > parse_period("2022-Q1"),
        parse_period("2022-Q2") < parse_period("2022-04"),
    )


def test_period_sort_key_is_start_then_end() -> None:
    expected = [(JAN_2022, JAN_2022 + 11), (JAN_2022 + 3, JAN_2022 + 5)]
    assert expected == [period_sort_key("2022"), period_sort_key("2022-Q2")]


def _not_a_period(text: object) -> str:
    return f"not a period: {text!r} (expected 2022, 2022-H1, 2022-Q3 or 2022-05)"


def _not_text(text: object) -> str:
    return f"a period must be text like 2022, 2022-H1, 2022-Q3 or 2022-05 (got {text!r})"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2022-Q5", _not_a_period("2022-Q5")),
        ("2022-Q0", _not_a_period("2022-Q0")),
        ("2022-13", "not a month: '2022-13' (months are 01 to 12)"),
        ("2022-00", "not a month: '2022-00' (months are 01 to 12)"),
        ("22", _not_a_period("22")),
        (22, _not_a_period(22)),
        ("2022-H3", _not_a_period("2022-H3")),
        ("2022-H0", _not_a_period("2022-H0")),
        ("2022-5", _not_a_period("2022-5")),
        ("2022-q1", _not_a_period("2022-q1")),
        (" 2022", _not_a_period(" 2022")),
        ("2022-03-06", _not_a_period("2022-03-06")),
        ("", _not_a_period("")),
        (True, _not_text(True)),
        (False, _not_text(False)),
        (None, _not_text(None)),
        (2022.0, _not_text(2022.0)),
        (["2022"], _not_text(["2022"])),
        ("0999", _not_a_period("0999")),
        ("0000-Q1", _not_a_period("0000-Q1")),
        ("\uff12\uff10\uff12\uff12-Q1", _not_a_period("\uff12\uff10\uff12\uff12-Q1")),
        ("2022-\u0660\u0665", _not_a_period("2022-\u0660\u0665")),
    ],
    ids=[
        "quarter-5",
        "quarter-0",
        "month-13",
        "month-00",
        "two-digit-year",
        "two-digit-year-int",
        "half-3",
        "half-0",
        "one-digit-month",
        "lower-case-q",
        "leading-space",
        "date",
        "empty",
        "true",
        "false",
        "none",
        "float",
        "list",
        "year-before-1000",
        "year-0",
        "full-width-digits",
        "arabic-indic-month",
    ],
)
def test_invalid_periods_raise(text: object, message: str) -> None:
    with pytest.raises(PeriodSyntaxError) as caught:
        parse_period(text)
    assert message == str(caught.value)


def test_period_syntax_error_is_a_value_error() -> None:
    assert issubclass(PeriodSyntaxError, ValueError)


def test_trailing_newline_is_not_a_period() -> None:
    with pytest.raises(PeriodSyntaxError):
        parse_period("2022\n")
