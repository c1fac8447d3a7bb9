"""civpolicy: the Sheqi County civilized-city evaluation policy as rules that run.

>>> import civpolicy
>>> policy = civpolicy.load_policy()
>>> decision = policy.evaluate({"units": [{"id": "a"}]})
>>> decision.consequences
()
"""

__version__ = "0.1.0"

from civpolicy.decision.values import Consequence, Decision, Evidence
from civpolicy.engine.registry import EngineUnavailableError
from civpolicy.errors import (
    CivpolicyError,
    EngineError,
    FactsError,
    LocatedError,
    ParameterError,
    PolicyError,
    Problem,
    UnknownRuleError,
)
from civpolicy.policy import Policy, load_policy

__all__ = [
    "CivpolicyError",
    "Consequence",
    "Decision",
    "EngineError",
    "EngineUnavailableError",
    "Evidence",
    "FactsError",
    "LocatedError",
    "ParameterError",
    "Policy",
    "PolicyError",
    "Problem",
    "UnknownRuleError",
    "__version__",
    "load_policy",
]
