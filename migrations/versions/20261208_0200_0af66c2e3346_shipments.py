"""Shipments from a unit to its induk, received (weighed and priced) by the induk.

A sale to a buyer of kind ``induk`` used to move the stock into the induk at the unit's
amount and write the induk's purchase at once. Shipments are now their own records: the
unit dispatches quantities, the induk receives them at its prices. Existing sales to an
induk become *received* shipments with the same id, number, quantities, amounts, costs
and times, and their stock movements and cash entries are re-linked to them, so no book
changes (the unit's sales book, cash book and P&L, the induk's cash book and stock, city
totals and SIPSN read the same figures).

Revision ID: 0af66c2e3346
Revises: 93ddf44b4a91
Create Date: 2026-12-08 00:23:16.345687

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0af66c2e3346'
down_revision = '93ddf44b4a91'
branch_labels = None
depends_on = None

OLD_MOVEMENT_KINDS = "kind IN ('deposit', 'deposit_reversal', 'sale', 'shipment_in', 'adjustment')"
NEW_MOVEMENT_KINDS = (
    "kind IN ('deposit', 'deposit_reversal', 'sale', 'shipment_out', "
    "'shipment_return', 'shipment_in', 'adjustment')"
)
#: the sales that were shipments to an induk
SHIPPED_SALES = "SELECT id FROM sales WHERE shipped_to_bank_id IS NOT NULL"


def upgrade():
    op.create_table('shipments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('induk_bank_id', sa.Integer(), nullable=False),
    sa.Column('receipt_no', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('total_weight_kg', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('cost_rp', sa.BigInteger(), nullable=False),
    sa.Column('note', sa.String(length=255), nullable=True),
    sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('dispatched_by_id', sa.Integer(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=80), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_by_id', sa.Integer(), nullable=True),
    sa.Column('received_weight_kg', sa.Numeric(precision=12, scale=3), nullable=True),
    sa.Column('value_rp', sa.BigInteger(), nullable=True),
    sa.Column('receive_note', sa.String(length=255), nullable=True),
    sa.Column('receive_idempotency_key', sa.String(length=80), nullable=True),
    sa.Column('receive_request_hash', sa.String(length=64), nullable=True),
    sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('returned_by_id', sa.Integer(), nullable=True),
    sa.Column('return_reason', sa.String(length=255), nullable=True),
    sa.CheckConstraint("(status = 'received') = (received_at IS NOT NULL AND value_rp IS NOT NULL)", name=op.f('ck_shipments_received_has_value')),
    sa.CheckConstraint("(status IN ('rejected', 'cancelled')) = (returned_at IS NOT NULL)", name=op.f('ck_shipments_returned_has_time')),
    sa.CheckConstraint("status IN ('in_transit', 'received', 'rejected', 'cancelled')", name=op.f('ck_shipments_status')),
    sa.CheckConstraint('cost_rp >= 0', name=op.f('ck_shipments_cost_not_negative')),
    sa.CheckConstraint('value_rp IS NULL OR value_rp >= 0', name=op.f('ck_shipments_value_not_negative')),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_shipments_bank_id_banks')),
    sa.ForeignKeyConstraint(['dispatched_by_id'], ['users.id'], name=op.f('fk_shipments_dispatched_by_id_users')),
    sa.ForeignKeyConstraint(['induk_bank_id'], ['banks.id'], name=op.f('fk_shipments_induk_bank_id_banks')),
    sa.ForeignKeyConstraint(['received_by_id'], ['users.id'], name=op.f('fk_shipments_received_by_id_users')),
    sa.ForeignKeyConstraint(['returned_by_id'], ['users.id'], name=op.f('fk_shipments_returned_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipments')),
    sa.UniqueConstraint('bank_id', 'idempotency_key', name=op.f('uq_shipments_bank_id_idempotency_key')),
    sa.UniqueConstraint('induk_bank_id', 'receive_idempotency_key', name=op.f('uq_shipments_induk_bank_id_receive_idempotency_key')),
    sa.UniqueConstraint('receipt_no', name=op.f('uq_shipments_receipt_no'))
    )
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipments_bank_id'), ['bank_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipments_dispatched_at'), ['dispatched_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipments_induk_bank_id'), ['induk_bank_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipments_received_at'), ['received_at'], unique=False)

    op.create_table('shipment_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('category_code', sa.String(length=16), nullable=False),
    sa.Column('category_name', sa.String(length=120), nullable=False),
    sa.Column('material', sa.String(length=20), nullable=False),
    sa.Column('unit', sa.String(length=8), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('cost_rp', sa.BigInteger(), nullable=False),
    sa.Column('received_quantity', sa.Numeric(precision=12, scale=3), nullable=True),
    sa.Column('price_rp', sa.BigInteger(), nullable=True),
    sa.Column('amount_rp', sa.BigInteger(), nullable=True),
    sa.CheckConstraint('amount_rp IS NULL OR amount_rp >= 0', name=op.f('ck_shipment_lines_amount_not_negative')),
    sa.CheckConstraint('cost_rp >= 0', name=op.f('ck_shipment_lines_cost_not_negative')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_shipment_lines_quantity_positive')),
    sa.CheckConstraint('received_quantity IS NULL OR received_quantity >= 0', name=op.f('ck_shipment_lines_received_not_negative')),
    sa.ForeignKeyConstraint(['category_id'], ['waste_categories.id'], name=op.f('fk_shipment_lines_category_id_waste_categories')),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_shipment_lines_shipment_id_shipments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipment_lines'))
    )
    with op.batch_alter_table('shipment_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipment_lines_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipment_lines_shipment_id'), ['shipment_id'], unique=False)

    with op.batch_alter_table('cash_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shipment_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_cash_entries_shipment_id'), ['shipment_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_cash_entries_shipment_id_shipments'), 'shipments', ['shipment_id'], ['id'])

    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shipment_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_stock_movements_shipment_id'), ['shipment_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_stock_movements_shipment_id_shipments'), 'shipments', ['shipment_id'], ['id'])
        batch_op.drop_constraint(batch_op.f('ck_stock_movements_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_stock_movements_kind'), NEW_MOVEMENT_KINDS)

    _sales_to_received_shipments()

    with op.batch_alter_table('sales', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_shipped_to_bank_id'))
        batch_op.drop_constraint(batch_op.f('fk_sales_shipped_to_bank_id_banks'), type_='foreignkey')
        batch_op.drop_column('shipped_to_bank_id')


def _sales_to_received_shipments():
    """Each sale to an induk becomes a received shipment with the same id and figures."""
    op.execute(f"""
        INSERT INTO shipments (
            id, bank_id, induk_bank_id, receipt_no, status, total_weight_kg, cost_rp,
            note, dispatched_at, dispatched_by_id, idempotency_key, request_hash,
            received_at, received_by_id, received_weight_kg, value_rp
        )
        SELECT id, bank_id, shipped_to_bank_id, receipt_no, 'received', total_weight_kg,
            cost_rp, note, occurred_at, created_by_id, idempotency_key, request_hash,
            occurred_at, created_by_id, total_weight_kg, total_rp
        FROM sales WHERE id IN ({SHIPPED_SALES})
    """)
    op.execute(f"""
        INSERT INTO shipment_lines (
            shipment_id, category_id, category_code, category_name, material, unit,
            quantity, cost_rp, received_quantity, price_rp, amount_rp
        )
        SELECT sale_id, category_id, category_code, category_name, material, unit,
            quantity, cost_rp, quantity, price_rp, amount_rp
        FROM sale_lines WHERE sale_id IN ({SHIPPED_SALES}) ORDER BY id
    """)
    # The unit's stock left as a "sale"; it now left as a shipment. The induk's
    # "shipment_in" movements keep their kind.
    op.execute(f"""
        UPDATE stock_movements
        SET shipment_id = sale_id, sale_id = NULL,
            kind = CASE WHEN kind = 'sale' THEN 'shipment_out' ELSE kind END
        WHERE sale_id IN ({SHIPPED_SALES})
    """)
    op.execute(f"""
        UPDATE cash_entries SET shipment_id = sale_id, sale_id = NULL
        WHERE sale_id IN ({SHIPPED_SALES})
    """)
    op.execute(f"DELETE FROM sale_lines WHERE sale_id IN ({SHIPPED_SALES})")
    op.execute("DELETE FROM sales WHERE shipped_to_bank_id IS NOT NULL")
    if op.get_bind().dialect.name == "postgresql":
        # The ids were copied: start the sequence after them.
        op.execute(
            "SELECT setval(pg_get_serial_sequence('shipments', 'id'), "
            "COALESCE((SELECT MAX(id) FROM shipments), 0) + 1, false)"
        )



def downgrade():
    _refuse_open_shipments()
    with op.batch_alter_table('sales', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shipped_to_bank_id', sa.INTEGER(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_sales_shipped_to_bank_id_banks'), 'banks', ['shipped_to_bank_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_sales_shipped_to_bank_id'), ['shipped_to_bank_id'], unique=False)

    _received_shipments_to_sales()

    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_stock_movements_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_stock_movements_kind'), OLD_MOVEMENT_KINDS)
        batch_op.drop_constraint(batch_op.f('fk_stock_movements_shipment_id_shipments'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_stock_movements_shipment_id'))
        batch_op.drop_column('shipment_id')

    with op.batch_alter_table('cash_entries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cash_entries_shipment_id_shipments'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_cash_entries_shipment_id'))
        batch_op.drop_column('shipment_id')

    with op.batch_alter_table('shipment_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shipment_lines_shipment_id'))
        batch_op.drop_index(batch_op.f('ix_shipment_lines_category_id'))

    op.drop_table('shipment_lines')
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shipments_received_at'))
        batch_op.drop_index(batch_op.f('ix_shipments_induk_bank_id'))
        batch_op.drop_index(batch_op.f('ix_shipments_dispatched_at'))
        batch_op.drop_index(batch_op.f('ix_shipments_bank_id'))

    op.drop_table('shipments')


def _refuse_open_shipments():
    """The old schema cannot hold a shipment in transit: it must be decided first."""
    open_count = op.get_bind().execute(
        sa.text("SELECT COUNT(*) FROM shipments WHERE status = 'in_transit'")
    ).scalar()
    if open_count:
        raise RuntimeError(
            f"{open_count} shipments are in transit: receive, reject or cancel them "
            "before downgrading."
        )


def _received_shipments_to_sales():
    """Received shipments become sales to the unit's induk buyer again (one is created
    where the unit has none); rejected and cancelled ones leave no trace but their
    movements, which cancel out and are dropped. The received quantities of the old
    schema were the dispatched ones: a variance stays only in the induk's stock."""
    op.execute("""
        INSERT INTO buyers (bank_id, name, kind, induk_bank_id, active, created_at)
        SELECT DISTINCT s.bank_id, 'Induk ' || b.code, 'induk', s.induk_bank_id,
            true, CURRENT_TIMESTAMP
        FROM shipments s JOIN banks b ON b.id = s.induk_bank_id
        WHERE s.status = 'received' AND NOT EXISTS (
            SELECT 1 FROM buyers x
            WHERE x.bank_id = s.bank_id AND x.kind = 'induk'
                AND x.induk_bank_id = s.induk_bank_id
        )
    """)
    op.execute("""
        INSERT INTO sales (
            bank_id, buyer_id, shipped_to_bank_id, receipt_no, total_rp, cost_rp,
            total_weight_kg, note, occurred_at, created_by_id, idempotency_key,
            request_hash
        )
        SELECT s.bank_id,
            (SELECT MIN(x.id) FROM buyers x WHERE x.bank_id = s.bank_id
                AND x.kind = 'induk' AND x.induk_bank_id = s.induk_bank_id),
            s.induk_bank_id, s.receipt_no, s.value_rp, s.cost_rp, s.total_weight_kg,
            s.note, s.received_at, s.dispatched_by_id,
            'shipment-' || s.id, s.request_hash
        FROM shipments s WHERE s.status = 'received' ORDER BY s.id
    """)
    sale_of = (
        "(SELECT sales.id FROM sales JOIN shipments ON sales.receipt_no = "
        "shipments.receipt_no WHERE shipments.id = {table}.shipment_id)"
    )
    op.execute(f"""
        INSERT INTO sale_lines (
            sale_id, category_id, category_code, category_name, material, unit,
            quantity, price_rp, amount_rp, cost_rp
        )
        SELECT {sale_of.format(table='shipment_lines')}, category_id, category_code,
            category_name, material, unit, quantity, price_rp, amount_rp, cost_rp
        FROM shipment_lines
        WHERE shipment_id IN (SELECT id FROM shipments WHERE status = 'received')
        ORDER BY id
    """)
    op.execute("""
        DELETE FROM stock_movements WHERE shipment_id IN (
            SELECT id FROM shipments WHERE status IN ('rejected', 'cancelled'))
    """)
    op.execute(f"""
        UPDATE stock_movements
        SET sale_id = {sale_of.format(table='stock_movements')},
            kind = CASE WHEN kind = 'shipment_out' THEN 'sale' ELSE kind END
        WHERE shipment_id IS NOT NULL
    """)
    op.execute(f"""
        UPDATE cash_entries SET sale_id = {sale_of.format(table='cash_entries')}
        WHERE shipment_id IS NOT NULL
    """)
