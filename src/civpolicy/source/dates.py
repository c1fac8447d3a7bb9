"""Calendar dates of a policy (``2022-03-06``) and the months periods start in.

Periods are month-granular (:mod:`civpolicy.facts.periods` counts months from year 0:
``year * 12 + month - 1``) and a period starts on the 1st of its first month. A date of the
policy (when a parameter's value or the policy itself comes into force) is therefore
compared with periods through two months: the month it falls in, and the first month that
starts on or after it.
"""

from __future__ import annotations

import datetime
import re

_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(text: object) -> datetime.date | None:
    """An ISO date written ``YYYY-MM-DD`` (a real one: no 2022-02-30), or None."""
    if not isinstance(text, str) or not _ISO.fullmatch(text):
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def date_problem(text: object) -> str:
    """Why a value is not an ISO date (nothing: it is one), as a problem says it."""
    if parse_date(text) is not None:
        return ""
    shown = repr(text) if len(repr(text)) <= 40 else repr(text)[:37] + "..."
    if isinstance(text, str) and _ISO.fullmatch(text):
        return f"{text} is no day of the calendar"
    return f"must be a date written YYYY-MM-DD, such as 2022-03-06 (got {shown})"


def month_of(date: datetime.date) -> int:
    """The month the date falls in, counted as periods count months."""
    return date.year * 12 + date.month - 1


def first_start_from(date: datetime.date) -> int:
    """The first month whose 1st is on or after the date: the first period start that date governs."""
    return month_of(date) + (0 if date.day == 1 else 1)


def month_label(month: int) -> str:
    """A month counted from year 0, as a facts file writes it (``2022-04``)."""
    return f"{month // 12:04d}-{month % 12 + 1:02d}"
