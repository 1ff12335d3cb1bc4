"""Tenancy: organisations' API keys (hashed at rest) and row-level security on PostgreSQL.

An API key is ``jk_<key id>_<secret>``: the key id finds the row, the SHA-256 of
the whole key is compared in constant time. Only the hash is stored; the key is
shown once, when it is created.

On PostgreSQL every table with an ``org_id`` column has row-level security for
the API's role (:data:`API_ROLE`): a transaction sees and writes only the rows
of the organisation set with :func:`scope_transaction_to_org`. Migration 0003
installs the database function ``journeys_apply_org_row_security()`` that
(re)applies the policies to every such table, so tables added by later
migrations are covered by calling :func:`apply_row_level_security` after
migrating.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session

from journeys.contracts.enrollment import check_org_id
from journeys.store.schema_lock import hold_schema_change_lock
from journeys.store.tables.base import utcnow
from journeys.store.tables.tenancy import ApiKey, Organization

API_ROLE = "journeys_api"
"""The PostgreSQL role the HTTP API's transactions run as (row-level security applies)."""

ORG_SETTING = "journeys.org_id"
"""The PostgreSQL setting naming the organisation of the current transaction."""

KEY_PREFIX = "jk"
_KEY_PATTERN = re.compile(r"^jk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")


class ApiKeyInfo(BaseModel):
    """An API key as listed (never the key itself)."""

    key_id: str
    org_id: str
    name: str
    disabled: bool
    created_at: datetime


class IssuedApiKey(ApiKeyInfo):
    """A newly created key: ``key`` is shown once and never stored."""

    key: str


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def ensure_organization(session: Session, org_id: str, name: str | None = None) -> None:
    """Create the organisation if it does not exist yet."""
    if session.get(Organization, org_id) is None:
        session.add(Organization(id=org_id, name=name or org_id, created_at=utcnow()))
        session.flush()


def create_api_key(session: Session, *, org_id: str, name: str = "") -> IssuedApiKey:
    """Issue a new random key for the organisation (created if new)."""
    check_org_id(org_id)
    ensure_organization(session, org_id)
    key_id = secrets.token_hex(8)
    key = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    row = ApiKey(
        key_id=key_id,
        org_id=org_id,
        name=name,
        key_hash=_hash(key),
        disabled=False,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return IssuedApiKey(
        key=key, key_id=key_id, org_id=org_id, name=name, disabled=False, created_at=row.created_at
    )


def find_api_key(session: Session, key: str) -> ApiKeyInfo | None:
    """The key's record when ``key`` is a key we issued (disabled or not), else None."""
    match = _KEY_PATTERN.fullmatch(key)
    if match is None:
        return None
    row: Any
    if session.get_bind().dialect.name == "postgresql":
        # Through the function: the API's login role sees no key outside an organisation.
        row = session.execute(
            text("SELECT * FROM journeys_find_api_key(:key_id)"), {"key_id": match.group(1)}
        ).first()
    else:
        row = session.get(ApiKey, match.group(1))
    if row is None or not hmac.compare_digest(row.key_hash, _hash(key)):
        return None
    return ApiKeyInfo(
        key_id=row.key_id,
        org_id=row.org_id,
        name=row.name,
        disabled=row.disabled,
        created_at=row.created_at,
    )


def list_api_keys(session: Session, *, org_id: str | None = None) -> list[ApiKeyInfo]:
    """Keys, optionally of one organisation, oldest first."""
    query = select(ApiKey).order_by(ApiKey.created_at, ApiKey.key_id)
    if org_id is not None:
        query = query.where(ApiKey.org_id == org_id)
    return [
        ApiKeyInfo(
            key_id=row.key_id,
            org_id=row.org_id,
            name=row.name,
            disabled=row.disabled,
            created_at=row.created_at,
        )
        for row in session.scalars(query)
    ]


def disable_api_key(session: Session, key_id: str) -> bool:
    """Disable a key at once; False when there is no such key."""
    row = session.get(ApiKey, key_id)
    if row is None:
        return False
    row.disabled, row.disabled_at = True, utcnow()
    return True


def scope_transaction_to_org(connection: Connection, org_id: str) -> None:
    """Run the rest of this PostgreSQL transaction as the API role, for one organisation.

    Both settings are transaction-local (``SET LOCAL`` / ``set_config(..., true)``),
    so a pooled connection never carries an organisation into the next transaction.
    """
    connection.execute(text(f"SET LOCAL ROLE {API_ROLE}"))
    connection.execute(
        text("SELECT set_config(:name, :org, true)"), {"name": ORG_SETTING, "org": org_id}
    )


def apply_row_level_security(connection: Connection) -> list[str]:
    """(Re)apply the organisation policies to every table with ``org_id`` (PostgreSQL).

    Returns the tables covered; does nothing on other databases.
    """
    if connection.dialect.name != "postgresql":
        return []
    hold_schema_change_lock(connection)
    rows = connection.execute(text("SELECT journeys_apply_org_row_security()")).scalar_one()
    return sorted(str(name) for name in rows or [])
