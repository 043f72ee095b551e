"""Back office: stock, buyers, sales and shipments, cash book.

Revision ID: c7a3e2f4d9b3
Revises: b6f2d1e3c8a2
Create Date: 2026-12-03 15:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7a3e2f4d9b3'
down_revision = 'b6f2d1e3c8a2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('buyers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('induk_bank_id', sa.Integer(), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('address', sa.String(length=255), nullable=True),
    sa.Column('nib', sa.String(length=20), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(kind = 'induk') = (induk_bank_id IS NOT NULL)", name=op.f('ck_buyers_induk_has_bank')),
    sa.CheckConstraint("kind IN ('pengepul', 'industry', 'induk')", name=op.f('ck_buyers_kind')),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_buyers_bank_id_banks')),
    sa.ForeignKeyConstraint(['induk_bank_id'], ['banks.id'], name=op.f('fk_buyers_induk_bank_id_banks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_buyers')),
    sa.UniqueConstraint('bank_id', 'name', name=op.f('uq_buyers_bank_id_name'))
    )
    with op.batch_alter_table('buyers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_buyers_bank_id'), ['bank_id'], unique=False)

    op.create_table('stock_levels',
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('value_rp', sa.BigInteger(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity >= 0', name=op.f('ck_stock_levels_quantity_not_negative')),
    sa.CheckConstraint('value_rp >= 0', name=op.f('ck_stock_levels_value_not_negative')),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_stock_levels_bank_id_banks')),
    sa.ForeignKeyConstraint(['category_id'], ['waste_categories.id'], name=op.f('fk_stock_levels_category_id_waste_categories')),
    sa.PrimaryKeyConstraint('bank_id', 'category_id', name=op.f('pk_stock_levels'))
    )
    op.create_table('sales',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('buyer_id', sa.Integer(), nullable=False),
    sa.Column('shipped_to_bank_id', sa.Integer(), nullable=True),
    sa.Column('receipt_no', sa.String(length=40), nullable=False),
    sa.Column('total_rp', sa.BigInteger(), nullable=False),
    sa.Column('cost_rp', sa.BigInteger(), nullable=False),
    sa.Column('total_weight_kg', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('note', sa.String(length=255), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=80), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.CheckConstraint('cost_rp >= 0', name=op.f('ck_sales_cost_not_negative')),
    sa.CheckConstraint('total_rp >= 0', name=op.f('ck_sales_total_not_negative')),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_sales_bank_id_banks')),
    sa.ForeignKeyConstraint(['buyer_id'], ['buyers.id'], name=op.f('fk_sales_buyer_id_buyers')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_sales_created_by_id_users')),
    sa.ForeignKeyConstraint(['shipped_to_bank_id'], ['banks.id'], name=op.f('fk_sales_shipped_to_bank_id_banks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales')),
    sa.UniqueConstraint('bank_id', 'idempotency_key', name=op.f('uq_sales_bank_id_idempotency_key')),
    sa.UniqueConstraint('receipt_no', name=op.f('uq_sales_receipt_no'))
    )
    with op.batch_alter_table('sales', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_bank_id'), ['bank_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_occurred_at'), ['occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_shipped_to_bank_id'), ['shipped_to_bank_id'], unique=False)

    op.create_table('stock_adjustments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('value_rp', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=255), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=80), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.CheckConstraint('quantity <> 0', name=op.f('ck_stock_adjustments_quantity_not_zero')),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_stock_adjustments_bank_id_banks')),
    sa.ForeignKeyConstraint(['category_id'], ['waste_categories.id'], name=op.f('fk_stock_adjustments_category_id_waste_categories')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_stock_adjustments_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_adjustments')),
    sa.UniqueConstraint('bank_id', 'idempotency_key', name=op.f('uq_stock_adjustments_bank_id_idempotency_key'))
    )
    with op.batch_alter_table('stock_adjustments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_adjustments_bank_id'), ['bank_id'], unique=False)

    op.create_table('cash_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=3), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('amount_rp', sa.BigInteger(), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('sale_id', sa.Integer(), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=80), nullable=True),
    sa.Column('request_hash', sa.String(length=64), nullable=True),
    sa.CheckConstraint("category IN ('operations', 'transport', 'honorarium', 'equipment', 'rent', 'other', 'grant', 'other_income', 'sale', 'purchase')", name=op.f('ck_cash_entries_category')),
    sa.CheckConstraint("direction IN ('in', 'out')", name=op.f('ck_cash_entries_direction')),
    sa.CheckConstraint('amount_rp > 0', name=op.f('ck_cash_entries_amount_positive')),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_cash_entries_bank_id_banks')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_cash_entries_created_by_id_users')),
    sa.ForeignKeyConstraint(['sale_id'], ['sales.id'], name=op.f('fk_cash_entries_sale_id_sales')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cash_entries')),
    sa.UniqueConstraint('bank_id', 'idempotency_key', name=op.f('uq_cash_entries_bank_id_idempotency_key'))
    )
    with op.batch_alter_table('cash_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cash_entries_bank_id'), ['bank_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cash_entries_occurred_at'), ['occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cash_entries_sale_id'), ['sale_id'], unique=False)

    op.create_table('sale_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sale_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('category_code', sa.String(length=16), nullable=False),
    sa.Column('category_name', sa.String(length=120), nullable=False),
    sa.Column('material', sa.String(length=20), nullable=False),
    sa.Column('unit', sa.String(length=8), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('price_rp', sa.BigInteger(), nullable=True),
    sa.Column('amount_rp', sa.BigInteger(), nullable=False),
    sa.Column('cost_rp', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount_rp >= 0', name=op.f('ck_sale_lines_amount_not_negative')),
    sa.CheckConstraint('cost_rp >= 0', name=op.f('ck_sale_lines_cost_not_negative')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_sale_lines_quantity_positive')),
    sa.ForeignKeyConstraint(['category_id'], ['waste_categories.id'], name=op.f('fk_sale_lines_category_id_waste_categories')),
    sa.ForeignKeyConstraint(['sale_id'], ['sales.id'], name=op.f('fk_sale_lines_sale_id_sales')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sale_lines'))
    )
    with op.batch_alter_table('sale_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sale_lines_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sale_lines_sale_id'), ['sale_id'], unique=False)

    op.create_table('stock_movements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('value_rp', sa.BigInteger(), nullable=False),
    sa.Column('deposit_id', sa.Integer(), nullable=True),
    sa.Column('sale_id', sa.Integer(), nullable=True),
    sa.Column('adjustment_id', sa.Integer(), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('deposit', 'deposit_reversal', 'sale', 'shipment_in', 'adjustment')", name=op.f('ck_stock_movements_kind')),
    sa.CheckConstraint('quantity <> 0', name=op.f('ck_stock_movements_quantity_not_zero')),
    sa.ForeignKeyConstraint(['adjustment_id'], ['stock_adjustments.id'], name=op.f('fk_stock_movements_adjustment_id_stock_adjustments')),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_stock_movements_bank_id_banks')),
    sa.ForeignKeyConstraint(['category_id'], ['waste_categories.id'], name=op.f('fk_stock_movements_category_id_waste_categories')),
    sa.ForeignKeyConstraint(['deposit_id'], ['deposits.id'], name=op.f('fk_stock_movements_deposit_id_deposits')),
    sa.ForeignKeyConstraint(['sale_id'], ['sales.id'], name=op.f('fk_stock_movements_sale_id_sales')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_movements'))
    )
    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_movements_bank_id'), ['bank_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_movements_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_movements_deposit_id'), ['deposit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_movements_occurred_at'), ['occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_movements_sale_id'), ['sale_id'], unique=False)


def downgrade():
    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_movements_sale_id'))
        batch_op.drop_index(batch_op.f('ix_stock_movements_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_stock_movements_deposit_id'))
        batch_op.drop_index(batch_op.f('ix_stock_movements_category_id'))
        batch_op.drop_index(batch_op.f('ix_stock_movements_bank_id'))

    op.drop_table('stock_movements')
    with op.batch_alter_table('sale_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sale_lines_sale_id'))
        batch_op.drop_index(batch_op.f('ix_sale_lines_category_id'))

    op.drop_table('sale_lines')
    with op.batch_alter_table('cash_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cash_entries_sale_id'))
        batch_op.drop_index(batch_op.f('ix_cash_entries_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_cash_entries_bank_id'))

    op.drop_table('cash_entries')
    with op.batch_alter_table('stock_adjustments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_adjustments_bank_id'))

    op.drop_table('stock_adjustments')
    with op.batch_alter_table('sales', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_shipped_to_bank_id'))
        batch_op.drop_index(batch_op.f('ix_sales_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_sales_buyer_id'))
        batch_op.drop_index(batch_op.f('ix_sales_bank_id'))

    op.drop_table('sales')
    op.drop_table('stock_levels')
    with op.batch_alter_table('buyers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_buyers_bank_id'))

    op.drop_table('buyers')
