"""What comes out: consequences and report rows with their provenance, and their rendering for people."""

from civpolicy.decision.values import Consequence, Decision, Evidence, ReportRow

__all__ = ["Consequence", "Decision", "Evidence", "ReportRow"]
