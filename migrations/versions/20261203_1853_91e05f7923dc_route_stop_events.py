"""Route stop events: drivers' reports on their stops; a bin's last collection.

Revision ID: 91e05f7923dc
Revises: e77a79449afb
Create Date: 2026-12-03 18:53:41

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '91e05f7923dc'
down_revision = 'e77a79449afb'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('route_stop_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('stop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('driver_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('ticket_no', sa.String(length=40), nullable=True),
    sa.Column('net_weight_kg', sa.Numeric(precision=12, scale=3), nullable=True),
    sa.Column('tpa_delivery_id', sa.Integer(), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('idempotency_key', sa.String(length=80), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.CheckConstraint("(kind = 'skipped' AND reason IS NOT NULL AND reason IN ('blocked', 'already_empty', 'inaccessible', 'other')) OR (kind <> 'skipped' AND reason IS NULL)", name=op.f('ck_route_stop_events_reason_for_skipped')),
    sa.CheckConstraint("(kind = 'unloaded' AND ticket_no IS NOT NULL AND net_weight_kg IS NOT NULL AND net_weight_kg > 0 AND tpa_delivery_id IS NOT NULL) OR (kind <> 'unloaded' AND ticket_no IS NULL AND net_weight_kg IS NULL AND tpa_delivery_id IS NULL)", name=op.f('ck_route_stop_events_ticket_for_unloaded')),
    sa.CheckConstraint("kind IN ('collected', 'skipped', 'unloaded')", name=op.f('ck_route_stop_events_kind')),
    sa.ForeignKeyConstraint(['driver_id'], ['users.id'], name=op.f('fk_route_stop_events_driver_id_users')),
    sa.ForeignKeyConstraint(['stop_id'], ['route_stops.id'], name=op.f('fk_route_stop_events_stop_id_route_stops')),
    sa.ForeignKeyConstraint(['tpa_delivery_id'], ['tpa_deliveries.id'], name=op.f('fk_route_stop_events_tpa_delivery_id_tpa_deliveries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_route_stop_events')),
    sa.UniqueConstraint('driver_id', 'idempotency_key', name=op.f('uq_route_stop_events_driver_id_idempotency_key'))
    )
    # A stop's reports in the order they happened: the last one is its state.
    with op.batch_alter_table('route_stop_events', schema=None) as batch_op:
        batch_op.create_index('ix_route_stop_events_stop_id_occurred_at', ['stop_id', 'occurred_at'], unique=False)

    # Batch mode: SQLite's ALTER is limited (the other migrations use it throughout).
    with op.batch_alter_table('bins', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_collected_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('bins', schema=None) as batch_op:
        batch_op.drop_column('last_collected_at')

    with op.batch_alter_table('route_stop_events', schema=None) as batch_op:
        batch_op.drop_index('ix_route_stop_events_stop_id_occurred_at')

    op.drop_table('route_stop_events')
