"""Bank district: the kecamatan a waste bank is in, for the DLH dashboard by district.

Existing banks get no district (the dashboard counts them under "Tanpa kecamatan")
until their district is set.

Revision ID: b3d7e1f0a9c2
Revises: c5e8a2f1d3b4
Create Date: 2026-12-03 21:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3d7e1f0a9c2'
down_revision = 'c5e8a2f1d3b4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('banks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('district', sa.String(length=120), nullable=True))


def downgrade():
    with op.batch_alter_table('banks', schema=None) as batch_op:
        batch_op.drop_column('district')
