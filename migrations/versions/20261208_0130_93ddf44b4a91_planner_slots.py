"""The planner's concurrency slots: how many route plans are computed at once.

Revision ID: 93ddf44b4a91
Revises: e4a7c2b9f1d3
Create Date: 2026-12-08 00:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '93ddf44b4a91'
down_revision = 'e4a7c2b9f1d3'
branch_labels = None
depends_on = None


def upgrade():
    # Rows are created by the app when a scope is first used (routing.services.solving).
    op.create_table('planner_slots',
    sa.Column('scope', sa.String(length=40), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=False),
    sa.Column('holder', sa.String(length=120), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expected_end_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('scope', 'slot', name=op.f('pk_planner_slots'))
    )


def downgrade():
    op.drop_table('planner_slots')
