"""The engine's activities: their inputs and outputs (pure pydantic) and every activity name.

Every ``*_ACTIVITY`` name is defined here and only here: workers register the
activities under them and workflows call them by them.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from journeys.contracts.enrollment import EnrollmentStatus, RolloutDirective, StepVisit
from journeys.language.channels import Channel
from journeys.language.delivery_rules import FrequencyCap, QuietHours

RECORD_ENROLLMENT_ACTIVITY = "record_enrollment"
"""Activity name: upsert an enrollment's row in the store."""

DELIVER_MESSAGE_ACTIVITY = "deliver_message"
"""Activity name: send one message on one channel, exactly once."""

COMPUTE_SCORE_ACTIVITY = "compute_score"
"""Activity name: compute a named score for a customer."""

NEXT_BEST_ACTION_ACTIVITY = "next_best_action"
"""Activity name: decide a customer's next best action (and record it)."""

CHOOSE_RETENTION_OFFER_ACTIVITY = "choose_retention_offer"
"""Activity name: choose the retention offer with the best positive expected value."""

SELECT_CHANNEL_ACTIVITY = "select_channel"
"""Activity name: choose the channel with the best urgency-adjusted engagement."""

CHECK_JOURNEY_HEALTH_ACTIVITY = "check_journey_health"
"""Activity name: evaluate seed 000's alerts for every journey, store and deliver changes."""


class EnrollmentRecord(BaseModel):
    """An enrollment's row in the store, written when it starts, rests and ends.

    Attributes:
        visits: Step visits to record (interpreter revision 2), once per visit.
        experiment_arms: Experiment -> arm, stored with the enrollment.
        final_step: At the end: the step the enrollment ended at.
    """

    org_id: str
    customer_id: str
    journey_id: str
    journey_version: int
    workflow_id: str
    enrollment_id: str
    status: EnrollmentStatus
    outcome: str | None = None
    at: datetime
    visits: list[StepVisit] = Field(default_factory=list)
    experiment_arms: dict[str, str] = Field(default_factory=dict)
    final_step: str | None = None


class SendRequest(BaseModel):
    """One message on one channel, for one visit of a send step.

    Attributes:
        step_key: Identifies the step visit independently of attempt and run
            (``welcome_email#1``); with the enrollment and channel it forms the
            send's idempotency key.
        requested_at: The workflow's time of the send (``workflow.now()``), the
            moment caps and quiet hours should be judged at (None: the wall clock).
        attempts_allowed: The retry policy's maximum attempts (0: unbounded); a
            transient failure on the last one is recorded as failed, freeing the
            cap slot, since no retry will follow.
        transactional: The message is transactional (a receipt, a password
            reset): exempt from frequency caps, and holds no cap slot.
    """

    org_id: str
    customer_id: str
    journey_id: str
    journey_version: int
    workflow_id: str
    enrollment_id: str
    step_key: str
    channel: Channel
    template: str
    data: dict[str, str] = Field(default_factory=dict)
    frequency_caps: list[FrequencyCap] = Field(default_factory=list)
    quiet_hours: QuietHours | None = None
    requested_at: datetime | None = None
    attempts_allowed: int = Field(default=0, ge=0)
    transactional: bool = False


class SendStatus(StrEnum):
    """What became of a send on one channel.

    ``SENT``: the provider accepted it. ``SUPPRESSED``: consent or a
    suppression list forbids the channel. ``CAPPED``: a frequency cap is
    full (``retry_at`` says when a slot frees). ``DEFERRED``: quiet hours
    (``retry_at`` is when they end). ``FAILED``: permanent failure.
    ``UNKNOWN``: the provider may or may not have delivered it (a crash
    between the call and its recording); never resent unless the provider
    de-duplicates by idempotency key.
    """

    SENT = "sent"
    SUPPRESSED = "suppressed"
    CAPPED = "capped"
    DEFERRED = "deferred"
    FAILED = "failed"
    UNKNOWN = "unknown"


class SendOutcome(BaseModel):
    """The result of :class:`SendRequest`.

    Attributes:
        duplicate: True when the send had already been recorded by an earlier
            attempt; the provider was not called again.
    """

    status: SendStatus
    channel: Channel
    idempotency_key: str
    message_id: int | None = None
    duplicate: bool = False
    detail: str = ""
    retry_at: datetime | None = None


RECORD_SEND_FAILURE_ACTIVITY = "record_send_failure"
"""Activity name: record a send whose last channel failed (log, count, alert)."""


class SendFailure(BaseModel):
    """A send whose last channel failed for good.

    Attributes:
        request: The last channel's request (its idempotency key names the log row).
        reason: Why it failed (the deadline passed, a permanent refusal...).
    """

    request: SendRequest
    reason: str


CREATE_HUMAN_TASK_ACTIVITY = "create_human_task"
"""Activity name: create a human task (CSM call, manual review) in the store."""

RECORD_DECISION_ACTIVITY = "record_decision"
"""Activity name: write one decision to the audit trail."""


class HumanTaskRequest(BaseModel):
    """A task for a person, created by a journey step.

    Attributes:
        task_key: Identifies the step visit (like a send's step key); creating
            the same task twice returns the first one.
        kind: ``csm_call``, ``manual_review``, ``sdr_outreach``...
        due_at: When it should be done.
    """

    org_id: str
    customer_id: str
    journey_id: str
    workflow_id: str
    enrollment_id: str
    task_key: str
    kind: str
    title: str
    owner: str = ""
    due_at: datetime
    details: dict[str, str] = Field(default_factory=dict)


class HumanTaskCreated(BaseModel):
    """The stored task; its outcome later arrives as an event (``task_completed``)."""

    task_id: int
    duplicate: bool = False


class DecisionCandidate(BaseModel):
    """One option a decision weighed."""

    name: str
    score: float


class DecisionRecord(BaseModel):
    """A decision for the audit trail: inputs, model, candidates, choice and why."""

    org_id: str
    customer_id: str
    journey_id: str | None = None
    workflow_id: str | None = None
    enrollment_id: str | None = None
    step_key: str | None = None
    decision: str
    model_name: str
    model_version: str
    inputs: dict[str, Any] = Field(default_factory=dict)
    candidates: list[DecisionCandidate] = Field(default_factory=list)
    choice: str
    rationale: str
    decided_at: datetime


LOAD_CUSTOMER_PROFILE_ACTIVITY = "load_customer_profile"
"""Activity name: read a customer's profile (attributes, time zone, lifecycle stage)."""

UPDATE_CUSTOMER_PROFILE_ACTIVITY = "update_customer_profile"
"""Activity name: write attributes and/or the lifecycle stage to a profile."""

RESOLVE_WAIT_DEADLINE_ACTIVITY = "resolve_wait_deadline"
"""Activity name: the deadline of a calendar wait in the customer's time zone."""

ENROLL_IN_JOURNEY_ACTIVITY = "enroll_in_journey"
"""Activity name: enroll a customer in another journey (a transition step)."""

GET_JOURNEY_STATUS_ACTIVITY = "get_journey_status"
"""Activity name: whether a journey is paused (read when an enrollment starts)."""

BEGIN_ENROLLMENT_ACTIVITY = "begin_enrollment"
"""Activity name: record an enrollment's start and read its journey's status, in one
transaction (run as a local activity: store bookkeeping needs no task-queue round trip)."""


class ProfileRequest(BaseModel):
    """Which customer's profile to read."""

    org_id: str
    customer_id: str


class CustomerProfile(BaseModel):
    """A customer's profile as a journey step sees it (empty when unknown)."""

    attributes: dict[str, Any] = Field(default_factory=dict)
    timezone: str = "UTC"
    lifecycle_stage: str | None = None


class ProfileUpdate(BaseModel):
    """Attributes and/or a lifecycle stage to write to a profile."""

    org_id: str
    customer_id: str
    attributes: dict[str, str | int | float | bool] = Field(default_factory=dict)
    lifecycle_stage: str | None = None


class WaitDeadlineRequest(BaseModel):
    """A calendar wait: next local ``at`` on ``weekdays``, or ``attribute`` + ``offset``."""

    org_id: str
    customer_id: str
    now: datetime
    at: time | None = None
    weekdays: list[int] = Field(default_factory=lambda: list(range(7)))
    attribute: str | None = None
    offset: timedelta = timedelta(0)


class WaitDeadline(BaseModel):
    """When the wait ends; None when there is nothing to wait for."""

    until: datetime | None = None
    detail: str = ""


class TransitionRequest(BaseModel):
    """Enroll a customer in ``journey_id`` as the end of another journey."""

    org_id: str
    customer_id: str
    journey_id: str
    from_journey_id: str
    from_workflow_id: str


class TransitionResult(BaseModel):
    """Whether the target enrollment started (a refusal is an answer, not an error)."""

    enrolled: bool
    workflow_id: str | None = None
    detail: str = ""


class JourneyStatusRequest(BaseModel):
    """Which journey's status to read."""

    journey_id: str


class JourneyStatusResult(BaseModel):
    """A journey's operational status.

    Attributes:
        rollout: When the enrollment's version was retired with ``drain`` or
            ``migrate`` (it started from a process whose rollout cache was not yet
            current): the directive its running enrollments were given.
    """

    paused: bool = False
    reason: str = ""
    rollout: RolloutDirective | None = None
