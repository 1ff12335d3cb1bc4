"""API keys per organisation, and the organisation scope of each request's store work.

A request authenticates with ``X-API-Key: <key>`` or ``Authorization: Bearer <key>``.
No key or an unknown key is 401; a disabled key, or a body naming another
organisation, is 403. Verified keys are trusted for ``api_key_cache_seconds``
(a key disabled meanwhile stops working when that time is up). The key's
organisation is put in a context variable that every store transaction of the
request reads: on PostgreSQL the transaction runs
as the API role with ``journeys.org_id`` set, so row-level security limits it to
that organisation's rows.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from contextvars import ContextVar
from typing import Annotated, Any

import structlog
from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection, event
from sqlalchemy.orm import Session, SessionTransaction

from journeys.api.error_responses import ApiError
from journeys.contracts.enrollment import ORG_ID_PATTERN, ORG_ID_PROBLEM
from journeys.store import Store
from journeys.store.tenancy import ApiKeyInfo, find_api_key, scope_transaction_to_org

REQUEST_ORG: ContextVar[str | None] = ContextVar("journeys_request_org", default=None)
"""The organisation of the request being served (None outside authenticated requests)."""

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key")
_bearer = HTTPBearer(auto_error=False, description="API key as a bearer token")


def _scope_to_request_org(
    session: Session, transaction: SessionTransaction, connection: Connection
) -> None:
    org_id = REQUEST_ORG.get()
    if org_id is not None and connection.dialect.name == "postgresql":
        scope_transaction_to_org(connection, org_id)


def install_org_scope() -> None:
    """Scope every store transaction begun inside an authenticated request (idempotent)."""
    if not event.contains(Session, "after_begin", _scope_to_request_org):
        event.listen(Session, "after_begin", _scope_to_request_org)


class ApiKeyCache:
    """Verified keys for a short while, so a request costs no key lookup in the store.

    Args:
        store: Where keys are looked up.
        ttl_seconds: How long a verified key is trusted (``api_key_cache_seconds``).
    """

    def __init__(self, store: Store, ttl_seconds: float):
        self.store = store
        self.ttl_seconds = ttl_seconds
        self._verified: dict[str, tuple[float, ApiKeyInfo]] = {}

    async def lookup(self, key: str) -> ApiKeyInfo | None:
        """The key's record (None for keys we never issued)."""
        digest = hashlib.sha256(key.encode()).hexdigest()
        now = time.monotonic()
        cached = self._verified.get(digest)
        if cached is not None and cached[0] > now:
            return cached[1]
        token = REQUEST_ORG.set(None)
        try:
            info = await asyncio.to_thread(self._read, key)
        finally:
            REQUEST_ORG.reset(token)
        if info is not None and self.ttl_seconds > 0:
            self._verified[digest] = (now + self.ttl_seconds, info)
        return info

    def _read(self, key: str) -> ApiKeyInfo | None:
        with self.store.transaction() as session:
            return find_api_key(session, key)


async def authenticated_org(
    request: Request,
    api_key: Annotated[str | None, Security(_api_key_header)] = None,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None,
) -> str:
    """The organisation of the request's API key; scopes the request's store work to it.

    Raises:
        ApiError: 401 without a valid key, 403 for a disabled key.
    """
    key = api_key or (bearer.credentials if bearer else None)
    if not key:
        raise ApiError(
            401, "unauthorized", "missing API key: send X-API-Key or Authorization: Bearer"
        )
    keys: ApiKeyCache = request.app.state.api_keys
    info = await keys.lookup(key)
    if info is None:
        raise ApiError(401, "unauthorized", "invalid API key")
    if info.disabled:
        raise ApiError(403, "forbidden", f"API key {info.key_id} is disabled")
    if not re.fullmatch(ORG_ID_PATTERN, info.org_id):
        # Issued before ':' was refused in organisation ids: such an id makes workflow ids
        # ambiguous, so the key serves nothing until the organisation is renamed.
        raise ApiError(403, "forbidden", f"API key {info.key_id}: organisation id {ORG_ID_PROBLEM}")
    REQUEST_ORG.set(info.org_id)
    request.state.api_key_id = info.key_id
    structlog.contextvars.bind_contextvars(org_id=info.org_id)
    return info.org_id


OrgId = Annotated[str, Depends(authenticated_org)]
"""An endpoint parameter holding the authenticated organisation."""


def require_same_org(org_id: str, claimed: Any, field: str = "org_id") -> None:
    """Refuse (403) a body that names another organisation than the key's."""
    if claimed is not None and claimed != org_id:
        raise ApiError(
            403, "forbidden", f"{field}: this API key belongs to another organisation", field
        )
