"""The FastAPI application: routers, middleware, error handlers and the client's lifetime."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import structlog
from fastapi import FastAPI, Request, Response
from fastapi_offline import FastAPIOffline

from journeys.api import (
    analytics,
    client_journeys,
    customers,
    delivery_feedback,
    enrollments,
    human_tasks,
    ingress,
    metrics,
    rollouts,
)
from journeys.api.error_responses import RETRY_LATER, install_error_handlers
from journeys.api.payloads import Health
from journeys.api.request_context import RequestContextMiddleware
from journeys.api.tenancy import ApiKeyCache, install_org_scope
from journeys.client import JourneyClient
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.tenancy import apply_row_level_security

log = structlog.get_logger(__name__)

API_VERSION = "1.0.0"

DOCS_ASSETS_URL = "/docs/assets"
"""Where the API serves Swagger UI's and ReDoc's scripts and styles itself (no CDN)."""


READINESS_TEMPORAL_TIMEOUT = timedelta(seconds=5)
"""Longest wait for Temporal's health answer in ``/readyz``."""


def _secure_store(store: Store) -> None:
    """Cover every org-scoped table with row-level security (PostgreSQL; idempotent).

    Migration 0007 applies it once all tables exist; applying it again when the API
    starts keeps a table added by a later revision from being served unprotected.
    """
    with store.engine.begin() as connection:
        covered = apply_row_level_security(connection)
    if covered:
        log.info("row-level security applied", tables=covered)


def create_app(settings: JourneySettings) -> FastAPI:
    """The HTTP API; its JourneyClient connects to Temporal and the store at startup."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owner = Store.from_settings(settings)
        try:
            await asyncio.to_thread(_secure_store, owner)
        finally:
            owner.dispose()
        serving = settings
        if settings.api_database_url:
            serving = settings.model_copy(update={"database_url": settings.api_database_url})
        client = await JourneyClient.connect(serving)
        app.state.client = client
        app.state.store = client.store
        app.state.api_keys = ApiKeyCache(client.store, settings.api_key_cache_seconds)
        app.state.alert_registry = metrics.alert_registry(client.store)
        log.info("api ready", temporal=settings.temporal_address, task_queue=settings.task_queue)
        try:
            yield
        finally:
            await client.aclose()

    # FastAPI's own /docs and /redoc load their scripts from a CDN and are blank
    # offline; fastapi-offline ships the same assets and serves them from the app.
    app = FastAPIOffline(
        static_url=DOCS_ASSETS_URL,
        title="Journeys API",
        version=API_VERSION,
        summary="Behaviour events in, journeys out: track, enroll, inspect, consent.",
        description=(
            "Authenticate with `X-API-Key: <key>` or `Authorization: Bearer <key>` "
            "(`journeys api-key create --org ORG`). Every error is JSON "
            "`{error: {status, code, message, field, details}, request_id}`. "
            "Each answer carries `X-Request-ID` (yours, if you send a valid one)."
        ),
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_org_scope()
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.api_max_body_bytes)
    app.include_router(ingress.router)
    app.include_router(enrollments.router)
    app.include_router(customers.router)
    app.include_router(client_journeys.router)
    app.include_router(delivery_feedback.router)
    app.include_router(human_tasks.router)
    app.include_router(analytics.router)
    app.include_router(metrics.router)
    app.include_router(rollouts.router)

    @app.get("/healthz", tags=["health"], summary="Liveness")
    async def healthz() -> Health:
        """The process is up."""
        return Health(status="ok")

    @app.get(
        "/readyz",
        tags=["health"],
        summary="Readiness",
        responses={503: {"model": Health, "description": "a dependency is unavailable"}},
    )
    async def readyz(request: Request, response: Response) -> Health:
        """The store takes a write and Temporal answers, each within its bound."""
        client: JourneyClient = request.app.state.client
        checks: dict[str, str] = {}
        try:
            await asyncio.to_thread(client.store.check_writable)
            checks["store"] = "ok"
        except Exception as err:
            checks["store"] = f"unavailable: {type(err).__name__}"
        try:
            await asyncio.wait_for(
                client.temporal.service_client.check_health(timeout=READINESS_TEMPORAL_TIMEOUT),
                READINESS_TEMPORAL_TIMEOUT.total_seconds() + 1,
            )
            checks["temporal"] = "ok"
        except Exception as err:
            checks["temporal"] = f"unavailable: {type(err).__name__}"
        health = Health(
            status="ok" if all(v == "ok" for v in checks.values()) else "unavailable",
            checks=checks,
        )
        if health.status != "ok":
            response.status_code = 503
            response.headers.update(RETRY_LATER)
        return health

    return app
