"""Records base tables: organisations, teams, service users, referrals, MHCT
assessments, cluster periods, reviews, discharges, care packages, audit log.

Payment and outcomes branches depend on this revision (``depends_on = "rec_0001"``).
The audit log is made append-only by triggers on both backends.

Revision ID: rec_0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'rec_0001'
down_revision = None
branch_labels = ('records',)
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=40), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.String(length=60), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_log')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_log_hash')),
    sa.UniqueConstraint('prev_hash', name=op.f('uq_audit_log_prev_hash'))
    )
    op.create_table('organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ods_code', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=12), nullable=False),
    sa.CheckConstraint("role IN ('provider', 'commissioner')", name=op.f('ck_organisations_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
    sa.UniqueConstraint('ods_code', name=op.f('uq_organisations_ods_code'))
    )
    op.create_table('reference_dataset_loads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dataset', sa.String(length=80), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('loaded_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_dataset_loads')),
    sa.UniqueConstraint('dataset', 'checksum', name=op.f('uq_reference_dataset_loads_dataset_checksum'))
    )
    op.create_table('service_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pseudo_id', sa.String(length=20), nullable=False),
    sa.Column('nhs_number', sa.String(length=10), nullable=False),
    sa.Column('birth_year', sa.SmallInteger(), nullable=True),
    sa.Column('psychosis_history', sa.Boolean(), nullable=True),
    sa.Column('settled_accommodation', sa.Boolean(), nullable=True),
    sa.Column('accommodation_recorded_on', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint('length(nhs_number) = 10', name=op.f('ck_service_users_nhs_number_length')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_users')),
    sa.UniqueConstraint('nhs_number', name=op.f('uq_service_users_nhs_number')),
    sa.UniqueConstraint('pseudo_id', name=op.f('uq_service_users_pseudo_id'))
    )
    op.create_table('teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['provider_id'], ['organisations.id'], name=op.f('fk_teams_provider_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
    sa.UniqueConstraint('code', name=op.f('uq_teams_code'))
    )
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_teams_provider_id'), ['provider_id'], unique=False)

    op.create_table('referrals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_user_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('commissioner_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['commissioner_id'], ['organisations.id'], name=op.f('fk_referrals_commissioner_id_organisations')),
    sa.ForeignKeyConstraint(['provider_id'], ['organisations.id'], name=op.f('fk_referrals_provider_id_organisations')),
    sa.ForeignKeyConstraint(['service_user_id'], ['service_users.id'], name=op.f('fk_referrals_service_user_id_service_users')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_referrals_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referrals_service_user_id'), ['service_user_id'], unique=False)

    op.create_table('assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clust_id', sa.String(length=40), nullable=False),
    sa.Column('service_user_id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('assessor', sa.String(length=40), nullable=False),
    sa.Column('assessed_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=12), nullable=False),
    sa.Column('clust_cat', sa.String(length=2), server_default='01', nullable=False),
    sa.Column('item_08_type', sa.String(length=1), nullable=True),
    sa.Column('item_01', sa.SmallInteger(), nullable=False),
    sa.Column('item_02', sa.SmallInteger(), nullable=False),
    sa.Column('item_03', sa.SmallInteger(), nullable=False),
    sa.Column('item_04', sa.SmallInteger(), nullable=False),
    sa.Column('item_05', sa.SmallInteger(), nullable=False),
    sa.Column('item_06', sa.SmallInteger(), nullable=False),
    sa.Column('item_07', sa.SmallInteger(), nullable=False),
    sa.Column('item_08', sa.SmallInteger(), nullable=False),
    sa.Column('item_09', sa.SmallInteger(), nullable=False),
    sa.Column('item_10', sa.SmallInteger(), nullable=False),
    sa.Column('item_11', sa.SmallInteger(), nullable=False),
    sa.Column('item_12', sa.SmallInteger(), nullable=False),
    sa.Column('item_13', sa.SmallInteger(), nullable=False),
    sa.Column('hist_a', sa.SmallInteger(), nullable=False),
    sa.Column('hist_b', sa.SmallInteger(), nullable=False),
    sa.Column('hist_c', sa.SmallInteger(), nullable=False),
    sa.Column('hist_d', sa.SmallInteger(), nullable=False),
    sa.Column('hist_e', sa.SmallInteger(), nullable=False),
    sa.CheckConstraint("reason IN ('initial', 'review', 'transition', 'discharge')", name=op.f('ck_assessments_reason')),
    sa.CheckConstraint('hist_a IN (0, 1, 2, 3, 4, 9)', name=op.f('ck_assessments_hist_a_rating')),
    sa.CheckConstraint('hist_b IN (0, 1, 2, 3, 4, 9)', name=op.f('ck_assessments_hist_b_rating')),
    sa.CheckConstraint('hist_c IN (0, 1, 2, 3, 4, 9)', name=op.f('ck_assessments_hist_c_rating')),
    sa.CheckConstraint('hist_d IN (0, 1, 2, 3, 4, 9)', name=op.f('ck_assessments_hist_d_rating')),
    sa.CheckConstraint('hist_e IN (0, 1, 2, 3, 4, 9)', name=op.f('ck_assessments_hist_e_rating')),
    sa.CheckConstraint('item_01 IN (0, 1, 2, 3, 4, 9)', name=op.f('ck_assessments_item_01_rating')),
    sa.CheckConstraint('item_02 IN (0, 1, 2, 3, 4, 9)', name=op.f('ck_assessments_item_02_rating')),
    sa.CheckConstraint('item_03 IN (0, 1, 2, 3, 4, 9)', name=op.f('ck_assessments_item_03_rating')),
    sa.CheckConstraint('item_04 IN (0, 1, 2, 3, 4, 9)', name=op.f('ck_assessments_item_04_rating')),
    sa.CheckConstraint('item_05 IN (0, 1, 2, 3, 4, 9)', name=op.f('ck_assessments_item_05_rating')),
    sa.CheckConstraint('item_06 IN (0, 1, 2, 3, 4, 9)', name=op.f('ck_assessments_item_06_rating')),
    sa.CheckConstraint('item_07 IN (0, 1, 2, 3, 4, 9)', name=op.f('ck_assessments_item_07_rating')),
    sa.CheckConstraint('item_08 IN (0, 1, 2, 3, 4, 9)', name=op.f('ck_assessments_item_08_rating')),
    sa.CheckConstraint('item_09 IN (0, 1, 2, 3, 4, 9)', name=op.f('ck_assessments_item_09_rating')),
    sa.CheckConstraint('item_10 IN (0, 1, 2, 3, 4, 9)', name=op.f('ck_assessments_item_10_rating')),
    sa.CheckConstraint('item_11 IN (0, 1, 2, 3, 4, 9)', name=op.f('ck_assessments_item_11_rating')),
    sa.CheckConstraint('item_12 IN (0, 1, 2, 3, 4, 9)', name=op.f('ck_assessments_item_12_rating')),
    sa.CheckConstraint('item_13 IN (0, 1, 2, 3, 4, 9)', name=op.f('ck_assessments_item_13_rating')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_assessments_referral_id_referrals')),
    sa.ForeignKeyConstraint(['service_user_id'], ['service_users.id'], name=op.f('fk_assessments_service_user_id_service_users')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_assessments_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessments')),
    sa.UniqueConstraint('clust_id', name=op.f('uq_assessments_clust_id'))
    )
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.create_index('ix_assessments_assessed_on', ['assessed_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessments_service_user_id'), ['service_user_id'], unique=False)

    op.create_table('cluster_periods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_user_id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('commissioner_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('start_on', sa.Date(), nullable=False),
    sa.Column('end_on', sa.Date(), nullable=True),
    sa.Column('suggested_cluster', sa.String(length=2), nullable=True),
    sa.Column('fit', sa.Float(), nullable=True),
    sa.Column('result_code', sa.String(length=24), nullable=True),
    sa.Column('red_rules', sa.Text(), nullable=True),
    sa.Column('red_rule_breach', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('chosen_cluster', sa.String(length=2), nullable=False),
    sa.Column('chosen_by', sa.String(length=40), nullable=False),
    sa.Column('override_reason', sa.Text(), nullable=True),
    sa.Column('transition_reason', sa.Text(), nullable=True),
    sa.Column('profile_ref', sa.String(length=120), nullable=True),
    sa.Column('review_due', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("chosen_cluster <> '09'", name=op.f('ck_cluster_periods_not_09')),
    sa.CheckConstraint('end_on IS NULL OR end_on >= start_on', name=op.f('ck_cluster_periods_end_after_start')),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_cluster_periods_assessment_id_assessments')),
    sa.ForeignKeyConstraint(['commissioner_id'], ['organisations.id'], name=op.f('fk_cluster_periods_commissioner_id_organisations')),
    sa.ForeignKeyConstraint(['provider_id'], ['organisations.id'], name=op.f('fk_cluster_periods_provider_id_organisations')),
    sa.ForeignKeyConstraint(['service_user_id'], ['service_users.id'], name=op.f('fk_cluster_periods_service_user_id_service_users')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_cluster_periods_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cluster_periods')),
    sa.UniqueConstraint('assessment_id', 'start_on', name=op.f('uq_cluster_periods_assessment_id_start_on'))
    )
    with op.batch_alter_table('cluster_periods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cluster_periods_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index('ix_cluster_periods_person_start', ['service_user_id', 'start_on'], unique=False)
        batch_op.create_index('ix_cluster_periods_provider_dates', ['provider_id', 'start_on', 'end_on'], unique=False)
        batch_op.create_index('uq_cluster_periods_one_open', ['service_user_id'], unique=True, sqlite_where=sa.text('end_on IS NULL'), postgresql_where=sa.text('end_on IS NULL'))

    op.create_table('care_package_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_user_id', sa.Integer(), nullable=False),
    sa.Column('cluster_period_id', sa.Integer(), nullable=False),
    sa.Column('package_key', sa.String(length=40), nullable=False),
    sa.Column('package_ref', sa.String(length=120), nullable=False),
    sa.Column('cost_per_cluster_day', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('start_on', sa.Date(), nullable=False),
    sa.Column('end_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['cluster_period_id'], ['cluster_periods.id'], name=op.f('fk_care_package_assignments_cluster_period_id_cluster_periods')),
    sa.ForeignKeyConstraint(['service_user_id'], ['service_users.id'], name=op.f('fk_care_package_assignments_service_user_id_service_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_package_assignments')),
    sa.UniqueConstraint('cluster_period_id', name=op.f('uq_care_package_assignments_cluster_period_id'))
    )
    with op.batch_alter_table('care_package_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_package_assignments_service_user_id'), ['service_user_id'], unique=False)

    op.create_table('discharges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_user_id', sa.Integer(), nullable=False),
    sa.Column('cluster_period_id', sa.Integer(), nullable=False),
    sa.Column('discharged_on', sa.Date(), nullable=False),
    sa.Column('discharged_by', sa.String(length=40), nullable=False),
    sa.Column('from_cluster', sa.String(length=2), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['cluster_period_id'], ['cluster_periods.id'], name=op.f('fk_discharges_cluster_period_id_cluster_periods')),
    sa.ForeignKeyConstraint(['service_user_id'], ['service_users.id'], name=op.f('fk_discharges_service_user_id_service_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_discharges')),
    sa.UniqueConstraint('cluster_period_id', name=op.f('uq_discharges_cluster_period_id'))
    )
    with op.batch_alter_table('discharges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_discharges_discharged_on'), ['discharged_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_discharges_service_user_id'), ['service_user_id'], unique=False)

    op.create_table('reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cluster_period_id', sa.Integer(), nullable=False),
    sa.Column('service_user_id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('reviewed_on', sa.Date(), nullable=False),
    sa.Column('reviewed_by', sa.String(length=40), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.CheckConstraint("outcome IN ('confirmed', 'changed', 'discharged')", name=op.f('ck_reviews_outcome')),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_reviews_assessment_id_assessments')),
    sa.ForeignKeyConstraint(['cluster_period_id'], ['cluster_periods.id'], name=op.f('fk_reviews_cluster_period_id_cluster_periods')),
    sa.ForeignKeyConstraint(['service_user_id'], ['service_users.id'], name=op.f('fk_reviews_service_user_id_service_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews')),
    sa.UniqueConstraint('cluster_period_id', name=op.f('uq_reviews_cluster_period_id'))
    )
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reviews_reviewed_on'), ['reviewed_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_reviews_service_user_id'), ['service_user_id'], unique=False)

    _audit_append_only()


AUDIT_GUARD = "audit log is append-only"


def _audit_append_only() -> None:
    """Refuse UPDATE and DELETE on audit_log (the hash chain still detects direct edits)."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                f"BEGIN SELECT RAISE(ABORT, '{AUDIT_GUARD}'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION audit_log_refuse() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{AUDIT_GUARD}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_refuse()")
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reviews_service_user_id'))
        batch_op.drop_index(batch_op.f('ix_reviews_reviewed_on'))

    op.drop_table('reviews')
    with op.batch_alter_table('discharges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_discharges_service_user_id'))
        batch_op.drop_index(batch_op.f('ix_discharges_discharged_on'))

    op.drop_table('discharges')
    with op.batch_alter_table('care_package_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_package_assignments_service_user_id'))

    op.drop_table('care_package_assignments')
    with op.batch_alter_table('cluster_periods', schema=None) as batch_op:
        batch_op.drop_index('uq_cluster_periods_one_open', sqlite_where=sa.text('end_on IS NULL'), postgresql_where=sa.text('end_on IS NULL'))
        batch_op.drop_index('ix_cluster_periods_provider_dates')
        batch_op.drop_index('ix_cluster_periods_person_start')
        batch_op.drop_index(batch_op.f('ix_cluster_periods_assessment_id'))

    op.drop_table('cluster_periods')
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessments_service_user_id'))
        batch_op.drop_index('ix_assessments_assessed_on')

    op.drop_table('assessments')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referrals_service_user_id'))

    op.drop_table('referrals')
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_teams_provider_id'))

    op.drop_table('teams')
    op.drop_table('service_users')
    op.drop_table('reference_dataset_loads')
    op.drop_table('organisations')
    op.drop_table('audit_log')
