"""One canonical JSON form, for comparing and sorting values the same way everywhere."""

from __future__ import annotations

import json
from typing import Any


def canonical_json(value: Any) -> str:
    """Compact JSON with sorted keys: a canonical form for comparing and sorting."""
    return _CANONICAL.encode(value)


_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
