"""custom domains are verified: status, a token per domain, expiry and the last check

Domains claimed before this revision were never proved: they become pending,
with a fresh token and the usual week to prove them. A claim no longer holds
its name: only a verified domain is unique.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 08:20:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('tenant_domains', sa.Column(
        'status', sa.Enum('pending', 'verified', 'expired', name='domain_status', native_enum=False,
                          create_constraint=True, length=20),
        server_default='pending', nullable=False), schema='platform')
    op.add_column('tenant_domains', sa.Column('verification_token', sa.String(length=64), nullable=True),
                  schema='platform')
    op.add_column('tenant_domains', sa.Column('verification_expires_at', sa.DateTime(timezone=True), nullable=True),
                  schema='platform')
    op.add_column('tenant_domains', sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
                  schema='platform')
    op.add_column('tenant_domains', sa.Column('last_checked_at', sa.DateTime(timezone=True), nullable=True),
                  schema='platform')
    op.add_column('tenant_domains', sa.Column('last_check_result', sa.String(length=500), nullable=True),
                  schema='platform')
    op.execute("UPDATE platform.tenant_domains SET "
               "verification_token = md5(random()::text || clock_timestamp()::text || id::text), "
               "verification_expires_at = now() + interval '7 days'")
    op.alter_column('tenant_domains', 'verification_token', nullable=False, schema='platform')
    op.alter_column('tenant_domains', 'verification_expires_at', nullable=False, schema='platform')
    op.create_index('ix_tenant_domains_pending', 'tenant_domains', ['id'], unique=False, schema='platform',
                    postgresql_where=sa.text("status = 'pending'"))
    # Claims no longer block each other: only a verified domain is unique.
    op.drop_constraint('uq_tenant_domains_hostname', 'tenant_domains', type_='unique', schema='platform')
    op.create_index('ix_tenant_domains_hostname', 'tenant_domains', ['hostname'], unique=False, schema='platform')
    op.create_index('uq_tenant_domains_verified_hostname', 'tenant_domains', ['hostname'], unique=True,
                    schema='platform', postgresql_where=sa.text("status = 'verified'"))


def downgrade() -> None:
    op.drop_index('uq_tenant_domains_verified_hostname', table_name='tenant_domains', schema='platform')
    op.drop_index('ix_tenant_domains_hostname', table_name='tenant_domains', schema='platform')
    # Of each name claimed by several sellers, the verified claim (else the oldest) keeps it.
    op.execute("DELETE FROM platform.tenant_domains d USING platform.tenant_domains keeper "
               "WHERE d.hostname = keeper.hostname AND d.id <> keeper.id "
               "AND (keeper.status = 'verified' OR (d.status <> 'verified' AND keeper.id < d.id))")
    op.create_unique_constraint('uq_tenant_domains_hostname', 'tenant_domains', ['hostname'], schema='platform')
    op.drop_index('ix_tenant_domains_pending', table_name='tenant_domains', schema='platform')
    for column in ('last_check_result', 'last_checked_at', 'verified_at', 'verification_expires_at',
                   'verification_token', 'status'):
        op.drop_column('tenant_domains', column, schema='platform')
