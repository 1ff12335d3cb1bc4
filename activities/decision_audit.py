"""The decision audit activity: a journey's decide step records its decision here."""

from __future__ import annotations

from temporalio import activity

from journeys.contracts.activities import RECORD_DECISION_ACTIVITY, DecisionRecord
from journeys.store import Store
from journeys.store.decision_audit import record_decision


class DecisionAuditActivities:
    """Writes decisions to the audit trail, once per enrollment, step visit and decision.

    Args:
        store: The store.
    """

    def __init__(self, store: Store):
        self._store = store

    @activity.defn(name=RECORD_DECISION_ACTIVITY)
    def record_decision(self, record: DecisionRecord) -> bool:
        """Store the decision; False when a retry finds it already stored."""
        with self._store.transaction() as session:
            return record_decision(session, record)
