"""Category price ceilings: ``waste_categories.max_price_rp``.

Every price per unit of a category (a bank's buying price, a sale's price or lump
amount) must be at most its ceiling. Existing categories get the ceiling of the demo
catalogue's code when they have one, else their material's default: about ten times
the dearest price banks and pengepul pay (sources in ``wastebank/models/counter.py``
and ``wastebank/demo_counter.py``). Prices already in force above a ceiling stay on
record; deposits at them are refused until a manager sets a price within it.

Revision ID: e4a7c2b9f1d3
Revises: 655a692797b4
Create Date: 2026-12-04 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4a7c2b9f1d3'
down_revision = '655a692797b4'
branch_labels = None
depends_on = None

# Frozen copies of the values at the time of this migration (the models may change).
_BY_MATERIAL = {
    'plastic': 50_000,
    'paper': 25_000,
    'metal': 1_000_000,
    'glass': 10_000,
    'rubber_leather': 25_000,
    'textile': 25_000,
    'organic': 10_000,
    'used_cooking_oil': 60_000,
    'e_waste': 1_000_000,
    'other': 100_000,
}
_BY_CODE = {
    'PET': 25_000,
    'PET-WARNA': 20_000,
    'PP-GELAS': 40_000,
    'HDPE': 40_000,
    'TUTUP-BOTOL': 30_000,
    'GALON': 40_000,
    'KARDUS': 15_000,
    'HVS': 20_000,
    'KORAN': 10_000,
    'BESI': 40_000,
    'KALENG': 30_000,
    'ALUMINIUM': 150_000,
    'TEMBAGA': 750_000,
    'KUNINGAN': 400_000,
    'BOTOL-KACA': 5_000,
    'MINYAK-JELANTAH': 60_000,
}


def upgrade():
    with op.batch_alter_table('waste_categories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('max_price_rp', sa.BigInteger(), nullable=True))
    categories = sa.table(
        'waste_categories',
        sa.column('code', sa.String),
        sa.column('material', sa.String),
        sa.column('max_price_rp', sa.BigInteger),
    )
    for material, max_price_rp in _BY_MATERIAL.items():
        op.execute(
            categories.update()
            .where(categories.c.material == material)
            .values(max_price_rp=max_price_rp)
        )
    for code, max_price_rp in _BY_CODE.items():
        op.execute(
            categories.update()
            .where(categories.c.code == code)
            .values(max_price_rp=max_price_rp)
        )
    with op.batch_alter_table('waste_categories', schema=None) as batch_op:
        batch_op.alter_column(
            'max_price_rp', existing_type=sa.BigInteger(), nullable=False
        )
        batch_op.create_check_constraint(
            op.f('ck_waste_categories_max_price_positive'), 'max_price_rp > 0'
        )


def downgrade():
    with op.batch_alter_table('waste_categories', schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f('ck_waste_categories_max_price_positive'), type_='check'
        )
        batch_op.drop_column('max_price_rp')
