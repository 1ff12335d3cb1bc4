"""Promoting an experiment's winner through the versioned rollout.

Arms are declared inside one journey version (an ``experiment`` step with
weighted arms, or the journey's ``holdout_percent``), so a promotion is a new
version: the same journey with the winning arm at weight 100 (or without the
holdout). Journeys are versioned code, so that version is shipped in the
catalog as a draft; promoting then publishes it at 100% through
:class:`~journeys.routing.rollout_control.RolloutControl`, the audited path
every rollout change takes (policy ``pin``: enrollments already in an arm finish
in it, so the experiment's own data stays as it ran; ``journeys rollout
rollback`` undoes it). The promotion is stored with its evidence.

Until the catalog has such a version, promoting changes nothing and returns the
draft to ship.
"""

from __future__ import annotations

import asyncio

from pydantic import BaseModel

from journeys.analytics.experiments import (
    ExperimentResult,
    carries_promotion,
    checked_promotion,
    promoted_definition,
)
from journeys.contracts.enrollment import InflightPolicy
from journeys.errors import InvalidInputError
from journeys.language import JourneyDefinition
from journeys.language.loading import dump_definition
from journeys.routing.rollout_control import MAX_REASON, RolloutControl, RolloutResult
from journeys.store.journey_analytics import record_promotion


class PromotionRequest(BaseModel):
    """What to promote, and on which evidence settings.

    Attributes:
        version: The version whose experiment is measured (the newest by default).
        arm: The arm expected to win; with ``force``, promoted whatever the verdict.
    """

    org_id: str
    journey_id: str
    experiment: str
    min_sample_per_arm: int
    alpha: float
    metric: str | None = None
    version: int | None = None
    arm: str | None = None
    force: bool = False
    actor: str
    reason: str = ""


class Promotion(BaseModel):
    """A promotion: published as a rollout change, or the draft version to ship first.

    Attributes:
        published: The rollout change that gave the version carrying the arm every
            new entry; None when the catalog has no such version yet.
        draft_version: The version to add to the catalog when nothing was published.
        draft_yaml: That version's definition, a draft, as YAML to ship.
    """

    journey_id: str
    experiment: str
    arm: str
    measured_version: int
    forced: bool
    evidence: ExperimentResult
    published: RolloutResult | None = None
    draft_version: int | None = None
    draft_yaml: str | None = None


def _carrier(
    control: RolloutControl, measured: JourneyDefinition, experiment: str, arm: str
) -> JourneyDefinition | None:
    """The newest catalog version sending every entry of the experiment to ``arm``."""
    carriers = [
        version
        for version in control.catalog.versions(measured.id)
        if carries_promotion(version, measured, experiment, arm)
    ]
    return carriers[-1] if carriers else None


async def promote_experiment(control: RolloutControl, request: PromotionRequest) -> Promotion:
    """Check the verdict, then publish the version carrying the arm and record the promotion.

    Raises:
        UnknownJourneyError: no such journey or version.
        InvalidInputError: naming the field (see :func:`checked_promotion`), or a
            reason over :data:`MAX_REASON` characters.
        RolloutRefusedError: that version takes every new entry already.
        JourneyDefinitionError: that version is a draft failing its checks.
    """
    if len(request.reason) > MAX_REASON:
        raise InvalidInputError("reason", f"at most {MAX_REASON} characters")
    measured = control.catalog.get(request.journey_id, request.version)
    result, arm = await asyncio.to_thread(
        checked_promotion,
        control.store,
        measured,
        org_id=request.org_id,
        experiment=request.experiment,
        min_sample_per_arm=request.min_sample_per_arm,
        alpha=request.alpha,
        metric=request.metric,
        arm=request.arm,
        force=request.force,
    )
    forced = arm != result.winner
    promotion = Promotion(
        journey_id=measured.id,
        experiment=request.experiment,
        arm=arm,
        measured_version=measured.version,
        forced=forced,
        evidence=result,
    )
    carrier = _carrier(control, measured, request.experiment, arm)
    if carrier is None:
        draft = promoted_definition(control.catalog.get(measured.id), request.experiment, arm)
        promotion.draft_version, promotion.draft_yaml = draft.version, dump_definition(draft)
        return promotion
    why = f"promote {request.experiment}={arm}" + (" (forced)" if forced else "")
    reason = f"{why}: {request.reason or result.reason}"[:MAX_REASON]
    promotion.published = await control.publish(
        request.org_id,
        measured.id,
        carrier.version,
        weight=100,
        policy=InflightPolicy.PIN,
        actor=request.actor,
        reason=reason,
    )

    def record() -> None:
        with control.store.transaction() as session:
            record_promotion(
                session,
                org_id=request.org_id,
                journey_id=measured.id,
                journey_version=measured.version,
                experiment=request.experiment,
                arm=arm,
                evidence={
                    **result.model_dump(mode="json"),
                    "forced": forced,
                    "published_version": carrier.version,
                },
                promoted_by=request.actor,
            )

    await asyncio.to_thread(record)
    return promotion
