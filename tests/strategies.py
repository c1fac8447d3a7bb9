"""The project's tests use the public strategies of :mod:`civpolicy.authoring.strategies`."""

from civpolicy.authoring.strategies import CATEGORIES, GRADES, facts, params, units

__all__ = ["CATEGORIES", "GRADES", "facts", "params", "units"]
