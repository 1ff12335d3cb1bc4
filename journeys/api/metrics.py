"""``GET /metrics``: the API's Prometheus metrics, and the store's active alerts."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from journeys.analytics.prometheus_metrics import REGISTRY, AlertStates
from journeys.store import Store

router = APIRouter(tags=["health"])


def alert_registry(store: Store) -> CollectorRegistry:
    """A registry of the active-alert gauge read from ``store`` (one per application)."""
    registry = CollectorRegistry()
    registry.register(AlertStates(store))
    return registry


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    """Events routed, and active health alerts by rule (the README's *Metrics* table).

    Not authenticated, like ``/healthz``: expose it to the Prometheus network only.
    """
    alerts: CollectorRegistry = request.app.state.alert_registry
    body = generate_latest(REGISTRY) + await asyncio.to_thread(generate_latest, alerts)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
