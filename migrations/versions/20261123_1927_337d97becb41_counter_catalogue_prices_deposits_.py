"""Counter: waste categories, price rules, deposits and lines, savings ledger, withdrawals.

Revision ID: 337d97becb41
Revises: d084c79e765c
Create Date: 2026-11-23 19:27:24.537010

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '337d97becb41'
down_revision = 'd084c79e765c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('waste_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name_id', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('material', sa.String(length=20), nullable=False),
    sa.Column('unit', sa.String(length=8), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("material IN ('plastic', 'paper', 'metal', 'glass', 'rubber_leather', 'textile', 'organic', 'used_cooking_oil', 'e_waste', 'other')", name=op.f('ck_waste_categories_material')),
    sa.CheckConstraint("unit IN ('kg', 'pcs', 'litre')", name=op.f('ck_waste_categories_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waste_categories')),
    sa.UniqueConstraint('code', name=op.f('uq_waste_categories_code'))
    )
    op.create_table('bank_counter_settings',
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('min_withdrawal_rp', sa.BigInteger(), nullable=False),
    sa.Column('fee_kind', sa.String(length=8), nullable=False),
    sa.Column('fee_value', sa.BigInteger(), nullable=False),
    sa.Column('separate_approver_and_payer', sa.Boolean(), nullable=False),
    sa.Column('next_receipt_seq', sa.Integer(), nullable=False),
    sa.CheckConstraint("fee_kind IN ('none', 'percent', 'fixed')", name=op.f('ck_bank_counter_settings_fee_kind')),
    sa.CheckConstraint('fee_value >= 0', name=op.f('ck_bank_counter_settings_fee_not_negative')),
    sa.CheckConstraint('min_withdrawal_rp >= 0', name=op.f('ck_bank_counter_settings_min_not_negative')),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_bank_counter_settings_bank_id_banks')),
    sa.PrimaryKeyConstraint('bank_id', name=op.f('pk_bank_counter_settings'))
    )
    op.create_table('deposits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('receipt_no', sa.String(length=40), nullable=False),
    sa.Column('verify_code', sa.String(length=32), nullable=False),
    sa.Column('mode', sa.String(length=8), nullable=False),
    sa.Column('total_rp', sa.BigInteger(), nullable=False),
    sa.Column('total_weight_kg', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=80), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('reversed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reversed_by_id', sa.Integer(), nullable=True),
    sa.Column('reversal_reason', sa.String(length=255), nullable=True),
    sa.CheckConstraint("mode IN ('save', 'cash')", name=op.f('ck_deposits_mode')),
    sa.CheckConstraint('total_rp >= 0', name=op.f('ck_deposits_total_not_negative')),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_deposits_bank_id_banks')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_deposits_created_by_id_users')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_deposits_member_id_members')),
    sa.ForeignKeyConstraint(['reversed_by_id'], ['users.id'], name=op.f('fk_deposits_reversed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deposits')),
    sa.UniqueConstraint('bank_id', 'idempotency_key', name=op.f('uq_deposits_bank_id_idempotency_key')),
    sa.UniqueConstraint('receipt_no', name=op.f('uq_deposits_receipt_no')),
    sa.UniqueConstraint('verify_code', name=op.f('uq_deposits_verify_code'))
    )
    with op.batch_alter_table('deposits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deposits_bank_id'), ['bank_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deposits_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deposits_occurred_at'), ['occurred_at'], unique=False)

    op.create_table('price_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('price_rp', sa.BigInteger(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('floor_rp', sa.BigInteger(), nullable=True),
    sa.Column('ceiling_rp', sa.BigInteger(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('floor_rp IS NULL OR ceiling_rp IS NULL OR floor_rp <= ceiling_rp', name=op.f('ck_price_rules_floor_below_ceiling')),
    sa.CheckConstraint('price_rp >= 0', name=op.f('ck_price_rules_price_not_negative')),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_price_rules_bank_id_banks')),
    sa.ForeignKeyConstraint(['category_id'], ['waste_categories.id'], name=op.f('fk_price_rules_category_id_waste_categories')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_price_rules_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_price_rules')),
    sa.UniqueConstraint('bank_id', 'category_id', 'effective_from', name=op.f('uq_price_rules_bank_id_category_id_effective_from'))
    )
    with op.batch_alter_table('price_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_price_rules_bank_id'), ['bank_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_price_rules_category_id'), ['category_id'], unique=False)

    op.create_table('withdrawals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('receipt_no', sa.String(length=40), nullable=False),
    sa.Column('verify_code', sa.String(length=32), nullable=False),
    sa.Column('amount_rp', sa.BigInteger(), nullable=False),
    sa.Column('fee_rp', sa.BigInteger(), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('note', sa.String(length=255), nullable=True),
    sa.Column('idempotency_key', sa.String(length=80), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('rejected_by_id', sa.Integer(), nullable=True),
    sa.Column('rejection_reason', sa.String(length=255), nullable=True),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paid_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("method IN ('cash', 'transfer', 'ewallet')", name=op.f('ck_withdrawals_method')),
    sa.CheckConstraint("status IN ('requested', 'approved', 'paid', 'rejected')", name=op.f('ck_withdrawals_status')),
    sa.CheckConstraint('amount_rp > 0', name=op.f('ck_withdrawals_amount_positive')),
    sa.CheckConstraint('fee_rp >= 0 AND fee_rp <= amount_rp', name=op.f('ck_withdrawals_fee_within_amount')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_withdrawals_approved_by_id_users')),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_withdrawals_bank_id_banks')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_withdrawals_member_id_members')),
    sa.ForeignKeyConstraint(['paid_by_id'], ['users.id'], name=op.f('fk_withdrawals_paid_by_id_users')),
    sa.ForeignKeyConstraint(['rejected_by_id'], ['users.id'], name=op.f('fk_withdrawals_rejected_by_id_users')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_withdrawals_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_withdrawals')),
    sa.UniqueConstraint('bank_id', 'idempotency_key', name=op.f('uq_withdrawals_bank_id_idempotency_key')),
    sa.UniqueConstraint('receipt_no', name=op.f('uq_withdrawals_receipt_no')),
    sa.UniqueConstraint('verify_code', name=op.f('uq_withdrawals_verify_code'))
    )
    with op.batch_alter_table('withdrawals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_withdrawals_bank_id'), ['bank_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_withdrawals_member_id'), ['member_id'], unique=False)

    op.create_table('deposit_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deposit_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('category_code', sa.String(length=16), nullable=False),
    sa.Column('category_name', sa.String(length=120), nullable=False),
    sa.Column('material', sa.String(length=20), nullable=False),
    sa.Column('unit', sa.String(length=8), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('price_rp', sa.BigInteger(), nullable=False),
    sa.Column('value_rp', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('price_rp >= 0', name=op.f('ck_deposit_lines_price_not_negative')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_deposit_lines_quantity_positive')),
    sa.ForeignKeyConstraint(['category_id'], ['waste_categories.id'], name=op.f('fk_deposit_lines_category_id_waste_categories')),
    sa.ForeignKeyConstraint(['deposit_id'], ['deposits.id'], name=op.f('fk_deposit_lines_deposit_id_deposits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deposit_lines'))
    )
    with op.batch_alter_table('deposit_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deposit_lines_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deposit_lines_deposit_id'), ['deposit_id'], unique=False)

    op.create_table('ledger_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('amount_rp', sa.BigInteger(), nullable=False),
    sa.Column('deposit_id', sa.Integer(), nullable=True),
    sa.Column('withdrawal_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('deposit', 'reversal', 'withdrawal')", name=op.f('ck_ledger_entries_kind')),
    sa.CheckConstraint('amount_rp <> 0', name=op.f('ck_ledger_entries_amount_not_zero')),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_ledger_entries_bank_id_banks')),
    sa.ForeignKeyConstraint(['deposit_id'], ['deposits.id'], name=op.f('fk_ledger_entries_deposit_id_deposits')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_ledger_entries_member_id_members')),
    sa.ForeignKeyConstraint(['withdrawal_id'], ['withdrawals.id'], name=op.f('fk_ledger_entries_withdrawal_id_withdrawals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries')),
    sa.UniqueConstraint('kind', 'deposit_id', name=op.f('uq_ledger_entries_kind_deposit_id')),
    sa.UniqueConstraint('kind', 'withdrawal_id', name=op.f('uq_ledger_entries_kind_withdrawal_id'))
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_entries_bank_id'), ['bank_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_member_id'), ['member_id'], unique=False)

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ledger_version', sa.Integer(), server_default='0', nullable=False))



def downgrade():
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('ledger_version')

    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_entries_member_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_entries_created_at'))
        batch_op.drop_index(batch_op.f('ix_ledger_entries_bank_id'))

    op.drop_table('ledger_entries')
    with op.batch_alter_table('deposit_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deposit_lines_deposit_id'))
        batch_op.drop_index(batch_op.f('ix_deposit_lines_category_id'))

    op.drop_table('deposit_lines')
    with op.batch_alter_table('withdrawals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_withdrawals_member_id'))
        batch_op.drop_index(batch_op.f('ix_withdrawals_bank_id'))

    op.drop_table('withdrawals')
    with op.batch_alter_table('price_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_price_rules_category_id'))
        batch_op.drop_index(batch_op.f('ix_price_rules_bank_id'))

    op.drop_table('price_rules')
    with op.batch_alter_table('deposits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deposits_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_deposits_member_id'))
        batch_op.drop_index(batch_op.f('ix_deposits_bank_id'))

    op.drop_table('deposits')
    op.drop_table('bank_counter_settings')
    op.drop_table('waste_categories')