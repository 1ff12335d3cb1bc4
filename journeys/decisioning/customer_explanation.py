"""``journeys explain``: why a customer is where they are, decision by decision."""

from __future__ import annotations

from journeys.decisioning.client_journey_intelligence import DEFAULT_STAGE
from journeys.errors import UnknownCustomerError
from journeys.store import Store
from journeys.store import client_journeys as journey_records
from journeys.store.customers import find_customer
from journeys.store.decision_audit import customer_decisions

SHOWN_CANDIDATES = 5


def explain_customer(store: Store, *, org_id: str, customer_id: str) -> str:
    """A readable account of the customer's stage, journey score, and every decision.

    Raises:
        UnknownCustomerError: The store knows nothing about the customer.
    """
    with store.transaction() as session:
        customer = find_customer(session, org_id=org_id, customer_id=customer_id)
        events = journey_records.journey_events(session, org_id=org_id, client_id=customer_id)
        score = journey_records.latest_journey_score(session, org_id=org_id, client_id=customer_id)
        decisions = customer_decisions(session, org_id=org_id, customer_id=customer_id)
    if customer is None and not events and not decisions:
        raise UnknownCustomerError(f"no customer {customer_id!r} in organisation {org_id!r}")
    lines = [f"Customer {customer_id} (organisation {org_id})"]
    stage = events[-1].stage if events else DEFAULT_STAGE
    origin = (
        f"latest journey event {events[-1].event_type!r} at {events[-1].occurred_at:%Y-%m-%d %H:%M}"
        if events
        else "no journey events yet"
    )
    lines.append(f"  Lifecycle stage: {stage} ({origin})")
    if customer is not None and customer.lifecycle_stage:
        lines.append(f"  Profile lifecycle stage: {customer.lifecycle_stage}")
    if score is not None:
        actions = ", ".join(score.recommended_actions) or "none"
        lines.append(
            f"  Journey score: {score.score:g} ({score.risk_level}) at "
            f"{score.generated_at:%Y-%m-%d %H:%M}; recommended: {actions}"
        )
    if events:
        lines.append(f"  Journey events ({len(events)}):")
        lines.extend(
            f"    {event.occurred_at:%Y-%m-%d %H:%M}  {event.stage:<17} {event.event_type}"
            for event in events
        )
    lines.append(f"Decisions ({len(decisions)}), oldest first:")
    if not decisions:
        lines.append("  (none recorded)")
    for number, row in enumerate(decisions, start=1):
        where = ", ".join(
            f"{label} {value}"
            for label, value in (
                ("journey", row.journey_id),
                ("step", row.step_key),
                ("enrollment", row.enrollment_id),
            )
            if value
        )
        lines.append(
            f"  {number}. {row.decided_at:%Y-%m-%d %H:%M:%S}  {row.decision}"
            + (f"  [{where}]" if where else "")
        )
        lines.append(f"     model: {row.model_name} {row.model_version}")
        lines.append(f"     choice: {row.choice}")
        lines.append(f"     why: {row.rationale}")
        ranked = sorted(row.candidates, key=lambda item: -float(item["score"]))
        if ranked:
            shown = ", ".join(
                f"{item['name']} {float(item['score']):.2f}" for item in ranked[:SHOWN_CANDIDATES]
            )
            more = len(ranked) - SHOWN_CANDIDATES
            lines.append(f"     candidates: {shown}" + (f" (+{more} more)" if more > 0 else ""))
        if row.inputs:
            lines.append(
                "     inputs: "
                + ", ".join(f"{key}={_value(value)}" for key, value in sorted(row.inputs.items()))
            )
    return "\n".join(lines)


def _value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
