"""Calendar periods of the document: years, half-years, quarters and months.

A period is written ``YYYY``, ``YYYY-Hn``, ``YYYY-Qn`` or ``YYYY-MM`` (a year from 1000
to 9999, in ASCII digits). Rules compare
periods only by equality, so each period is described by whole numbers that make
"the previous quarter", "the same year" or "ends later" an equality or an order on
integers: months are counted from year 0 (``year * 12 + month - 1``).
"""

from __future__ import annotations

import functools
import re

import attrs

KINDS: dict[str, int] = {"year": 12, "half": 6, "quarter": 3, "month": 1}
"""Each period kind and its length in months."""
_KIND_OF = {length: name for name, length in KINDS.items()}

_PATTERN = re.compile(r"(?P<year>[1-9][0-9]{3})(?:-(?:H(?P<half>[12])|Q(?P<quarter>[1-4])|(?P<month>[0-9]{2})))?")
"""Years 1000 to 9999 (as a year field), in ASCII digits."""


class PeriodSyntaxError(ValueError):
    """A text that is not a period of the four kinds."""


@attrs.frozen(order=True)
class Period:
    """One calendar period, ordered by start, then length."""

    start: int
    """First month, counted as ``year * 12 + month - 1``."""
    months: int
    """Length in months: 12, 6, 3 or 1."""

    @property
    def kind(self) -> str:
        """``year``, ``half``, ``quarter`` or ``month``."""
        return _KIND_OF[self.months]

    @property
    def year(self) -> int:
        """The calendar year the period lies in."""
        return self.start // 12

    @property
    def end(self) -> int:
        """Last month, counted like :attr:`start`."""
        return self.start + self.months - 1

    @property
    def ordinal(self) -> int:
        """Index among periods of the same kind: consecutive periods differ by one."""
        return self.start // self.months

    @property
    def label(self) -> str:
        """The period as written in facts: ``2022``, ``2022-H1``, ``2022-Q3``, ``2022-05``."""
        index = (self.start % 12) // self.months + 1
        suffix = {"year": "", "half": f"-H{index}", "quarter": f"-Q{index}", "month": f"-{index:02d}"}
        return f"{self.year:04d}{suffix[self.kind]}"

    def fields(self) -> dict[str, int | str]:
        """The numbers rules join on, as fact fields."""
        return {
            "period": self.label,
            "period_kind": self.kind,
            "year": self.year,
            "ordinal": self.ordinal,
            "previous": self.ordinal - 1,
            "start": self.start,
            "end": self.end,
            "months": self.months,
        }


@functools.lru_cache(maxsize=8192)
def period_fields(text: str | int) -> dict[str, int | str]:
    """The fields of a period written as text (cached: periods repeat); do not mutate."""
    return parse_period(text).fields()


def parse_period(text: object) -> Period:
    """Read ``YYYY``, ``YYYY-Hn``, ``YYYY-Qn`` or ``YYYY-MM`` (a bare year may be an int)."""
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        raise PeriodSyntaxError(f"a period must be text like 2022, 2022-H1, 2022-Q3 or 2022-05 (got {text!r})")
    match = _PATTERN.fullmatch(str(text))
    if match is None:
        raise PeriodSyntaxError(f"not a period: {text!r} (expected 2022, 2022-H1, 2022-Q3 or 2022-05)")
    year = int(match["year"])
    if match["half"]:
        return Period(year * 12 + (int(match["half"]) - 1) * 6, 6)
    if match["quarter"]:
        return Period(year * 12 + (int(match["quarter"]) - 1) * 3, 3)
    if match["month"]:
        month = int(match["month"])
        if not 1 <= month <= 12:
            raise PeriodSyntaxError(f"not a month: {text!r} (months are 01 to 12)")
        return Period(year * 12 + month - 1, 1)
    return Period(year * 12, 12)


def period_sort_key(label: str) -> tuple[int, int]:
    """Sort key of a period label: start month, then end month."""
    period = parse_period(label)
    return (period.start, period.end)
