"""Foundation: cities, banks, users, API tokens, login throttles, members, cards, audit.

Revision ID: d084c79e765c
Revises: 
Create Date: 2026-11-23 19:12:29.156307

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd084c79e765c'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('province', sa.String(length=120), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('dlh_name', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cities')),
    sa.UniqueConstraint('code', name=op.f('uq_cities_code'))
    )
    op.create_table('login_throttles',
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('username', name=op.f('pk_login_throttles'))
    )
    op.create_table('banks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('city_id', sa.Integer(), nullable=True),
    sa.Column('address', sa.String(length=255), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('opening_days', sa.String(length=40), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('next_member_seq', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind = 'unit' OR parent_id IS NULL", name=op.f('ck_banks_induk_no_parent')),
    sa.CheckConstraint("kind IN ('unit', 'induk')", name=op.f('ck_banks_kind')),
    sa.CheckConstraint('next_member_seq >= 1', name=op.f('ck_banks_next_member_seq_positive')),
    sa.CheckConstraint('parent_id IS NULL OR parent_id <> id', name=op.f('ck_banks_not_own_parent')),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_banks_city_id_cities')),
    sa.ForeignKeyConstraint(['parent_id'], ['banks.id'], name=op.f('fk_banks_parent_id_banks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_banks')),
    sa.UniqueConstraint('code', name=op.f('uq_banks_code'))
    )
    with op.batch_alter_table('banks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_banks_city_id'), ['city_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_banks_parent_id'), ['parent_id'], unique=False)

    op.create_table('members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('member_no', sa.String(length=48), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('address', sa.String(length=255), nullable=True),
    sa.Column('rt', sa.String(length=3), nullable=True),
    sa.Column('rw', sa.String(length=3), nullable=True),
    sa.Column('kelurahan', sa.String(length=80), nullable=True),
    sa.Column('nik', sa.String(length=16), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('person', 'collective')", name=op.f('ck_members_kind')),
    sa.CheckConstraint('nik IS NULL OR length(nik) = 16', name=op.f('ck_members_nik_length')),
    sa.CheckConstraint('seq >= 1', name=op.f('ck_members_seq_positive')),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_members_bank_id_banks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_members')),
    sa.UniqueConstraint('bank_id', 'seq', name=op.f('uq_members_bank_id_seq')),
    sa.UniqueConstraint('member_no', name=op.f('uq_members_member_no'))
    )
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_members_bank_id'), ['bank_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_members_phone'), ['phone'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('full_name', sa.String(length=120), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=True),
    sa.Column('city_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("role <> 'dlh' OR city_id IS NOT NULL", name=op.f('ck_users_dlh_has_city')),
    sa.CheckConstraint("role IN ('admin', 'dlh', 'manager', 'cashier', 'driver')", name=op.f('ck_users_role')),
    sa.CheckConstraint("role NOT IN ('manager', 'cashier') OR bank_id IS NOT NULL", name=op.f('ck_users_bank_role_has_bank')),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_users_bank_id_banks')),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_users_city_id_cities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_bank_id'), ['bank_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_city_id'), ['city_id'], unique=False)

    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('audit_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.String(length=64), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_entries_actor_id_users')),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_audit_entries_bank_id_banks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries'))
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entries_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_bank_id'), ['bank_id'], unique=False)

    op.create_table('member_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_cards_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_cards')),
    sa.UniqueConstraint('token', name=op.f('uq_member_cards_token'))
    )
    with op.batch_alter_table('member_cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_cards_member_id'), ['member_id'], unique=False)



def downgrade():
    with op.batch_alter_table('member_cards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_cards_member_id'))

    op.drop_table('member_cards')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entries_bank_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entries_actor_id'))

    op.drop_table('audit_entries')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_city_id'))
        batch_op.drop_index(batch_op.f('ix_users_bank_id'))

    op.drop_table('users')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_members_phone'))
        batch_op.drop_index(batch_op.f('ix_members_bank_id'))

    op.drop_table('members')
    with op.batch_alter_table('banks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_banks_parent_id'))
        batch_op.drop_index(batch_op.f('ix_banks_city_id'))

    op.drop_table('banks')
    op.drop_table('login_throttles')
    op.drop_table('cities')
