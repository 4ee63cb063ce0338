"""PostgreSQL row-level security on person-level tables: a second layer under the services' scope filters.

The API sets ``openpbr.orgs`` (ODS codes), ``openpbr.person`` (a service
user's pseudonymous id) or ``openpbr.all_orgs`` for each transaction. The
policies apply to the application's login role, which must not own the
tables (see docs/records.md, database roles); the owner that runs migrations
and the local command line bypass them. With no setting a row is invisible:
the layer fails closed. SQLite has no row-level security; there the service
layer's filters are the only layer.

Revision ID: api_0002
Revises: api_0001
"""

from __future__ import annotations

from alembic import op

revision = "api_0002"
down_revision = "api_0001"
branch_labels = None
depends_on = "rec_0001"

PERSON_TABLES = ("assessments", "reviews", "discharges", "care_package_assignments")
ORG_TABLES = ("cluster_periods", "referrals")

FUNCTIONS = """
CREATE OR REPLACE FUNCTION openpbr_org_allowed(org_id integer) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT coalesce(current_setting('openpbr.all_orgs', true), '') = 'on'
      OR EXISTS (SELECT 1 FROM organisations o WHERE o.id = org_id
                 AND o.ods_code = ANY (string_to_array(coalesce(current_setting('openpbr.orgs', true), ''), ',')))
$$;
-- Sign-in of a service user: the person whose NHS number the identity provider verified.
CREATE OR REPLACE FUNCTION openpbr_person_for_nhs_number(nhs text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT pseudo_id FROM service_users WHERE nhs_number = nhs
$$;
CREATE OR REPLACE FUNCTION openpbr_person_visible(person_id integer) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT coalesce(current_setting('openpbr.all_orgs', true), '') = 'on'
      OR EXISTS (SELECT 1 FROM service_users s WHERE s.id = person_id
                 AND s.pseudo_id = nullif(current_setting('openpbr.person', true), ''))
      OR (nullif(current_setting('openpbr.orgs', true), '') IS NOT NULL AND (
          EXISTS (SELECT 1 FROM cluster_periods cp WHERE cp.service_user_id = person_id
                  AND (openpbr_org_allowed(cp.provider_id) OR openpbr_org_allowed(cp.commissioner_id)))
       OR EXISTS (SELECT 1 FROM referrals r WHERE r.service_user_id = person_id
                  AND (openpbr_org_allowed(r.provider_id) OR openpbr_org_allowed(r.commissioner_id)))))
$$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTIONS)
    op.execute("ALTER TABLE service_users ENABLE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY scope_person ON service_users USING (openpbr_person_visible(id))")
    for t in PERSON_TABLES:
        op.execute(f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY scope_person ON {t} USING (openpbr_person_visible(service_user_id))")
    for t in ORG_TABLES:
        op.execute(f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY scope_org ON {t} USING (openpbr_person_visible(service_user_id) AND "
                   f"(coalesce(current_setting('openpbr.all_orgs', true), '') = 'on' "
                   f"OR openpbr_org_allowed(provider_id) OR openpbr_org_allowed(commissioner_id) "
                   f"OR nullif(current_setting('openpbr.person', true), '') IS NOT NULL))")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for t in ("service_users", *PERSON_TABLES, *ORG_TABLES):
        op.execute(f"DROP POLICY IF EXISTS scope_person ON {t}")
        op.execute(f"DROP POLICY IF EXISTS scope_org ON {t}")
        op.execute(f"ALTER TABLE {t} DISABLE ROW LEVEL SECURITY")
    op.execute("DROP FUNCTION IF EXISTS openpbr_person_visible(integer)")
    op.execute("DROP FUNCTION IF EXISTS openpbr_org_allowed(integer)")
    op.execute("DROP FUNCTION IF EXISTS openpbr_person_for_nhs_number(text)")
