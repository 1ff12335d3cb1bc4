"""Inputs and outputs of the scheduled journey health check (workflow and activity)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

HEALTH_CHECK_WORKFLOW = "JourneyHealthCheckWorkflow"
"""Workflow type the health-check Temporal Schedule starts."""


class HealthCheckRequest(BaseModel):
    """Evaluate the alerts as of ``now`` (the scheduled run's workflow time)."""

    now: datetime


class AlertChange(BaseModel):
    """An alert raised or resolved by one check."""

    org_id: str
    journey_id: str
    rule: str
    severity: str
    change: str
    message: str


class HealthCheckResult(BaseModel):
    """What one check changed: raised and resolved alerts, and those still firing."""

    changes: list[AlertChange] = Field(default_factory=list)
    firing: int = 0
    delivery_failures: int = 0
