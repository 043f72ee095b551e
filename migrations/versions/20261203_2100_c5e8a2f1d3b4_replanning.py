"""Re-planning during the day: a plan re-plans another; routes start where the truck is.

Revision ID: c5e8a2f1d3b4
Revises: a1c9e5d2b7f0
Create Date: 2026-12-03 21:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5e8a2f1d3b4'
down_revision = 'a1c9e5d2b7f0'
branch_labels = None
depends_on = None


def upgrade():
    # Batch mode: SQLite's ALTER is limited (the other migrations use it throughout).
    with op.batch_alter_table('route_plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replans_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.create_index(batch_op.f('ix_route_plans_replans_id'), ['replans_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_route_plans_replans_id_route_plans'), 'route_plans', ['replans_id'], ['id'])

    with op.batch_alter_table('routes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('start_lat', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('start_lon', sa.Float(), nullable=True))

    with op.batch_alter_table('route_stops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replaced_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('route_stops', schema=None) as batch_op:
        batch_op.drop_column('replaced_at')

    with op.batch_alter_table('routes', schema=None) as batch_op:
        batch_op.drop_column('start_lon')
        batch_op.drop_column('start_lat')

    with op.batch_alter_table('route_plans', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_route_plans_replans_id_route_plans'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_route_plans_replans_id'))
        batch_op.drop_column('replans_id')
