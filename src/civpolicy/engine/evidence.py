"""The reasons for a derived fact or a consequence, as the engine records them."""

from __future__ import annotations

import attrs


@attrs.frozen
class Evidence:
    """A fact in words, with the rule that derived it and the facts it came from."""

    text: str
    rule: str | None = None
    source: str | None = None
    premises: tuple[Evidence, ...] = ()
    absent: tuple[str, ...] = ()
