"""What a policy change changes, for whom: two policy folders evaluated on the same facts.

The facts are a facts file, a mapping, or a population made by
:func:`~civpolicy.authoring.generated.generate_facts` (seeded, without hypothesis).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from civpolicy.authoring.diff import GENERATED, PolicyDiff, diff_decisions
from civpolicy.authoring.generated import generate_facts
from civpolicy.authoring.policy_changes import policy_changes
from civpolicy.errors import PolicyError, Problem
from civpolicy.policy import Policy, load_policy


def diff_policies(
    old_dir: str | Path,
    new_dir: str | Path,
    facts: Mapping[str, Any] | str | Path | None = None,
    *,
    seed: int = 0,
    units: int = 200,
    params: Mapping[str, Any] | None = None,
) -> PolicyDiff:
    """Load two policy folders and compare their decisions on the facts, or on a generated population."""
    old_policy, new_policy = _load_both(old_dir, new_dir, params)
    if facts is None:
        document: Mapping[str, Any] | str | Path = generate_facts(seed, units)
        label = f"{GENERATED} {units} units, seed {seed}"
    else:
        document = facts
        label = str(facts) if isinstance(facts, (str, Path)) else "<facts>"
    old_facts = old_policy.read_facts(document)
    new_facts = new_policy.read_facts(document)
    result = diff_decisions(old_policy.evaluate(old_facts), new_policy.evaluate(new_facts))
    return attrs.evolve(
        result,
        old_policy=str(old_dir),
        new_policy=str(new_dir),
        facts=label,
        evaluated=len(old_facts.units),
        policy_changes=policy_changes(old_policy.model, new_policy.model),
    )


def _load_both(old_dir: str | Path, new_dir: str | Path, params: Mapping[str, Any] | None) -> tuple[Policy, Policy]:
    """Both policies; the problems of both folders at once when either is invalid."""
    loaded: list[Policy] = []
    problems: list[Problem] = []
    for folder in (old_dir, new_dir):
        try:
            loaded.append(load_policy(folder, params=params))
        except PolicyError as error:
            problems.extend(error.problems)
    if problems:
        raise PolicyError(problems)
    return loaded[0], loaded[1]
