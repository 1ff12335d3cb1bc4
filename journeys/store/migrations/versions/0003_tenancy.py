"""Tenancy: API keys; on PostgreSQL the API role and row-level security by org_id

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-21 23:59:00

On PostgreSQL this creates the role ``journeys_api`` (NOLOGIN; the API switches
to it per transaction with SET LOCAL ROLE) and the function
``journeys_apply_org_row_security()``, which enables row-level security with
the policy ``journeys_org_isolation`` on every table of the schema that has an
``org_id`` column. The function is called here and again after all migrations
(``journeys.store.tenancy.apply_row_level_security``) so that tables of
other revisions are covered whatever order the heads run in.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CREATE_ROLE = """
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'journeys_api') THEN
    CREATE ROLE journeys_api NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;  -- created concurrently by another database's migration (roles are cluster-wide)
END
$$
"""

GRANT_ROLE_TO_MIGRATOR = """
DO $$
BEGIN
  EXECUTE format('GRANT journeys_api TO %I', current_user);
EXCEPTION WHEN OTHERS THEN
  NULL;  -- superusers may switch to any role without membership
END
$$
"""

APPLY_FUNCTION = r"""
CREATE OR REPLACE FUNCTION journeys_apply_org_row_security() RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
  t text;
  covered text[] := '{}';
BEGIN
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO journeys_api', current_schema());
  FOR t IN
    SELECT c.table_name
    FROM information_schema.columns c
    JOIN information_schema.tables tb
      ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name
    WHERE c.table_schema = current_schema()
      AND c.column_name = 'org_id'
      AND tb.table_type = 'BASE TABLE'
    ORDER BY c.table_name
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO journeys_api', t);
    IF NOT EXISTS (
      SELECT 1 FROM pg_policies
      WHERE schemaname = current_schema() AND tablename = t
        AND policyname = 'journeys_org_isolation'
    ) THEN
      EXECUTE format(
        'CREATE POLICY journeys_org_isolation ON %I TO journeys_api '
        'USING (org_id::text = current_setting(''journeys.org_id'', true)) '
        'WITH CHECK (org_id::text = current_setting(''journeys.org_id'', true))',
        t
      );
    END IF;
    covered := covered || t;
  END LOOP;
  EXECUTE format(
    'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO journeys_api', current_schema()
  );
  RETURN covered;
END
$$
"""

REMOVE_POLICIES = r"""
DO $$
DECLARE
  t text;
BEGIN
  FOR t IN
    SELECT tablename FROM pg_policies
    WHERE schemaname = current_schema() AND policyname = 'journeys_org_isolation'
  LOOP
    EXECUTE format('DROP POLICY journeys_org_isolation ON %I', t);
    EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', t);
    EXECUTE format('REVOKE ALL ON %I FROM journeys_api', t);
  END LOOP;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key_id"),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index("ix_api_keys_org_id", ["org_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CREATE_ROLE)
        op.execute(GRANT_ROLE_TO_MIGRATOR)
        op.execute(APPLY_FUNCTION)
        op.execute("SELECT journeys_apply_org_row_security()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(REMOVE_POLICIES)
        op.execute("DROP FUNCTION IF EXISTS journeys_apply_org_row_security()")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_api_keys_org_id")
    op.drop_table("api_keys")
