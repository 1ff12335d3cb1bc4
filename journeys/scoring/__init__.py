"""Scoring: the named scorers, their pure formulas and the predictive models.

The names are the one list a journey's decide steps may use; the formulas are
pure functions of an :class:`~journeys.scoring.formulas.ActivitySummary` (the
customer's events in a window). ``activities/scoring.py`` reads the events
from the store and serves the scorers through the ``compute_score`` activity.
"""

from journeys.scoring.formulas import (
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
