"""Changing a policy safely: scenario tests, invariants, coverage, the impact of a change, generated facts."""
