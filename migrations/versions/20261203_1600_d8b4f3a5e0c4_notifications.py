"""Notifications: each bank's WhatsApp/SMS gateway, the outbox of messages, opt-outs.

Revision ID: d8b4f3a5e0c4
Revises: c7a3e2f4d9b3
Create Date: 2026-12-03 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd8b4f3a5e0c4'
down_revision = 'c7a3e2f4d9b3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('bank_notification_channels',
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('auth_header', sa.String(length=64), nullable=True),
    sa.Column('auth_token', sa.String(length=500), nullable=True),
    sa.Column('body_template', sa.JSON(), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('whatsapp_http', 'sms_http')", name=op.f('ck_bank_notification_channels_kind')),
    sa.CheckConstraint("url LIKE 'http://%' OR url LIKE 'https://%'", name=op.f('ck_bank_notification_channels_url_http')),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_bank_notification_channels_bank_id_banks')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_bank_notification_channels_updated_by_id_users')),
    sa.PrimaryKeyConstraint('bank_id', name=op.f('pk_bank_notification_channels'))
    )
    op.create_table('notification_opt_outs',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('opted_out_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_notification_opt_outs_member_id_members')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_notification_opt_outs_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_notification_opt_outs'))
    )
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('deposit_id', sa.Integer(), nullable=True),
    sa.Column('withdrawal_id', sa.Integer(), nullable=True),
    sa.Column('channel_kind', sa.String(length=16), nullable=False),
    sa.Column('recipient', sa.String(length=20), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(kind = 'deposit' AND deposit_id IS NOT NULL AND withdrawal_id IS NULL) OR (kind = 'payout' AND withdrawal_id IS NOT NULL AND deposit_id IS NULL)", name=op.f('ck_notifications_one_source')),
    sa.CheckConstraint("kind IN ('deposit', 'payout')", name=op.f('ck_notifications_kind')),
    sa.CheckConstraint("status IN ('pending', 'sent', 'failed', 'skipped')", name=op.f('ck_notifications_status')),
    sa.CheckConstraint("status NOT IN ('pending', 'sent') OR recipient IS NOT NULL", name=op.f('ck_notifications_sendable_has_recipient')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_notifications_attempts_not_negative')),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_notifications_bank_id_banks')),
    sa.ForeignKeyConstraint(['deposit_id'], ['deposits.id'], name=op.f('fk_notifications_deposit_id_deposits')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_notifications_member_id_members')),
    sa.ForeignKeyConstraint(['withdrawal_id'], ['withdrawals.id'], name=op.f('fk_notifications_withdrawal_id_withdrawals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('deposit_id', name=op.f('uq_notifications_deposit_id')),
    sa.UniqueConstraint('withdrawal_id', name=op.f('uq_notifications_withdrawal_id'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_bank_id'), ['bank_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_member_id'), ['member_id'], unique=False)
        batch_op.create_index('ix_notifications_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_status_next_attempt_at')
        batch_op.drop_index(batch_op.f('ix_notifications_member_id'))
        batch_op.drop_index(batch_op.f('ix_notifications_created_at'))
        batch_op.drop_index(batch_op.f('ix_notifications_bank_id'))

    op.drop_table('notifications')
    op.drop_table('notification_opt_outs')
    op.drop_table('bank_notification_channels')
