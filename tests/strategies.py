"""The project's tests use the public strategies of :mod:`civpolicy.testing`."""

from civpolicy.testing import CATEGORIES, GRADES, facts, params, units

__all__ = ["CATEGORIES", "GRADES", "facts", "params", "units"]
