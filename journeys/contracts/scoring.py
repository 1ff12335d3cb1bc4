"""The scorer interface: how a journey's decide step asks for a score.

A scorer is named (``engagement``, ``churn_risk``...) and pluggable: the
``compute_score`` activity looks the name up in the worker's scorer registry,
and the result says which inputs drove it, so every decision can be explained.
"""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel, Field

UNAVAILABLE_MODEL_VERSION = "unavailable"
"""The model version a decide step records when its scorer kept failing (a decision error)."""


class ScoreRequest(BaseModel):
    """Ask scorer ``scorer`` about one customer.

    Attributes:
        context: Journey context (journey id, step, days since enrollment...).
    """

    scorer: str
    org_id: str
    customer_id: str
    journey_id: str | None = None
    context: dict[str, str | int | float | bool] = Field(default_factory=dict)


class ScoreResult(BaseModel):
    """A score with the inputs used to compute it.

    Attributes:
        score: The score on the scorer's own scale (0-100 for the seed formulas).
        probability: For predictive scorers, a probability in [0, 1].
        tier: A named band (``high``/``medium``/``low``), where the scorer has tiers.
        inputs: The feature values that produced the score.
        model_version: The formula or model version, for the audit trail.
    """

    scorer: str
    score: float
    probability: float | None = None
    tier: str | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    model_version: str = "formula-1"


class Scorer(Protocol):
    """A named scorer; implementations hold their own dependencies (store, model)."""

    name: str

    def score(self, request: ScoreRequest) -> ScoreResult:
        """Compute the score for the request's customer."""
        ...
