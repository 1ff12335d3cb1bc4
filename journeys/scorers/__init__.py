"""The named scorers of the engine and the pure formulas behind them.

The names are the one list a journey's decide steps may use; the formulas are
pure functions of an :class:`~journeys.scorers.formulas.ActivitySummary` (the
customer's events in a window). ``activities/scoring.py`` reads the events
from the store and serves the scorers through the ``compute_score`` activity.
"""

from journeys.scorers.formulas import (
    CHURN_RISK,
    CONVERSION_PROBABILITY,
    CSAT,
    ENGAGEMENT,
    FEATURE_ADOPTION,
    FORMULAS,
    NEXT_FEATURE,
    ONBOARDING_SUCCESS,
    SCORER_NAMES,
    TRIAL_ENGAGEMENT,
    UPGRADE_LIKELIHOOD,
    ActivitySummary,
    Formula,
)

__all__ = [
    "CHURN_RISK",
    "CONVERSION_PROBABILITY",
    "CSAT",
    "ENGAGEMENT",
    "FEATURE_ADOPTION",
    "FORMULAS",
    "NEXT_FEATURE",
    "ONBOARDING_SUCCESS",
    "SCORER_NAMES",
    "TRIAL_ENGAGEMENT",
    "UPGRADE_LIKELIHOOD",
    "ActivitySummary",
    "Formula",
]
