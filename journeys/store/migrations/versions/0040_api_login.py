"""The API's login role: journeys_api may log in, and finds API keys through one function

Revision ID: 0040_api_login
Revises: 0040_privacy
Create Date: 2026-11-30 17:20:00

On PostgreSQL the API connects as ``journeys_api`` itself (``api_database_url``)
rather than as the owner dropping to it with ``SET LOCAL ROLE``: a role that is
a member of no other role cannot become anything else, so an injected
``RESET ROLE`` or ``SET ROLE`` escapes nothing. Row-level security hides every
API key from it outside a request's organisation, so key lookup goes through a
``SECURITY DEFINER`` function that returns one key by id and nothing else.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0040_api_login"
down_revision: str | Sequence[str] | None = "0040_privacy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIND_API_KEY = """
CREATE OR REPLACE FUNCTION journeys_find_api_key(wanted text)
RETURNS TABLE(key_id text, org_id text, name text, key_hash text, disabled boolean,
              created_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
  SELECT k.key_id::text, k.org_id::text, k.name::text, k.key_hash::text, k.disabled,
         k.created_at
  FROM api_keys k WHERE k.key_id = wanted
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER ROLE journeys_api LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION")
    op.execute(FIND_API_KEY)
    op.execute("REVOKE ALL ON FUNCTION journeys_find_api_key(text) FROM PUBLIC")
    op.execute("GRANT EXECUTE ON FUNCTION journeys_find_api_key(text) TO journeys_api")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS journeys_find_api_key(text)")
    op.execute("ALTER ROLE journeys_api NOLOGIN")
