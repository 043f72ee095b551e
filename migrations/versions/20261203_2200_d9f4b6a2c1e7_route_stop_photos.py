"""Photos drivers attach to their reports.

Revision ID: d9f4b6a2c1e7
Revises: b3d7e1f0a9c2
Create Date: 2026-12-03 22:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd9f4b6a2c1e7'
down_revision = 'b3d7e1f0a9c2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('route_stop_photos',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.CheckConstraint('size_bytes > 0', name=op.f('ck_route_stop_photos_size_positive')),
    sa.ForeignKeyConstraint(['event_id'], ['route_stop_events.id'], name=op.f('fk_route_stop_photos_event_id_route_stop_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_route_stop_photos')),
    sa.UniqueConstraint('event_id', name=op.f('uq_route_stop_photos_event_id'))
    )


def downgrade():
    op.drop_table('route_stop_photos')
