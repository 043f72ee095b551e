"""Route dispatch: a route's driver, when it was dispatched and by whom.

Revision ID: e77a79449afb
Revises: d8b4f3a5e0c4
Create Date: 2026-12-03 18:36:15

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e77a79449afb'
down_revision = 'd8b4f3a5e0c4'
branch_labels = None
depends_on = None


def upgrade():
    # Batch mode: SQLite cannot add foreign keys or check constraints with ALTER.
    with op.batch_alter_table('routes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('driver_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('dispatched_by_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_routes_driver_id'), ['driver_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_routes_driver_id_users'), 'users', ['driver_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_routes_dispatched_by_id_users'), 'users', ['dispatched_by_id'], ['id'])
        batch_op.create_check_constraint(
            batch_op.f('ck_routes_dispatch_complete'),
            '(driver_id IS NULL) = (dispatched_at IS NULL)',
        )


def downgrade():
    with op.batch_alter_table('routes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_routes_dispatch_complete'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_routes_dispatched_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_routes_driver_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_routes_driver_id'))
        batch_op.drop_column('dispatched_by_id')
        batch_op.drop_column('dispatched_at')
        batch_op.drop_column('driver_id')
