"""Telemetry: bins, sensors, sensor readings, rejected messages and alerts.

Revision ID: 87cab9455d30
Revises: 337d97becb41
Create Date: 2026-11-23 19:29:49.564397

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '87cab9455d30'
down_revision = '337d97becb41'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rejected_messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('topic', sa.String(length=255), nullable=True),
    sa.Column('device_id', sa.String(length=128), nullable=True),
    sa.Column('reason_code', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.CheckConstraint("source IN ('mqtt', 'modbus', 'http')", name=op.f('ck_rejected_messages_source')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rejected_messages'))
    )
    with op.batch_alter_table('rejected_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rejected_messages_received_at'), ['received_at'], unique=False)

    op.create_table('bins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('stream', sa.String(length=16), nullable=False),
    sa.Column('capacity_l', sa.Numeric(precision=10, scale=1), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=True),
    sa.Column('district', sa.String(length=120), nullable=True),
    sa.Column('address', sa.String(length=255), nullable=True),
    sa.Column('service_time_s', sa.Integer(), nullable=True),
    sa.Column('access_windows', sa.JSON(), nullable=False),
    sa.Column('fill_threshold_pct', sa.Float(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fill_pct', sa.Float(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('fill_rate_pct_per_day', sa.Float(), nullable=True),
    sa.Column('fill_rate_reliability', sa.String(length=8), nullable=True),
    sa.Column('predicted_full_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_reading_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_emptied_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('bin', 'tps', 'container')", name=op.f('ck_bins_kind')),
    sa.CheckConstraint("status IN ('ok', 'lidOpen', 'dropped', 'moved', 'burning', 'unknown')", name=op.f('ck_bins_status')),
    sa.CheckConstraint("stream IN ('residual', 'organic', 'recyclable', 'mixed')", name=op.f('ck_bins_stream')),
    sa.CheckConstraint('capacity_l > 0', name=op.f('ck_bins_capacity_positive')),
    sa.CheckConstraint('fill_pct IS NULL OR (fill_pct >= 0 AND fill_pct <= 100)', name=op.f('ck_bins_fill_range')),
    sa.CheckConstraint('fill_threshold_pct > 0 AND fill_threshold_pct <= 100', name=op.f('ck_bins_threshold_range')),
    sa.CheckConstraint('lat BETWEEN -90 AND 90', name=op.f('ck_bins_lat_range')),
    sa.CheckConstraint('lon BETWEEN -180 AND 180', name=op.f('ck_bins_lon_range')),
    sa.CheckConstraint('service_time_s IS NULL OR service_time_s >= 0', name=op.f('ck_bins_service_time')),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_bins_city_id_cities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bins')),
    sa.UniqueConstraint('code', name=op.f('uq_bins_code'))
    )
    with op.batch_alter_table('bins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bins_city_id'), ['city_id'], unique=False)

    op.create_table('alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bin_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.Column('message', sa.String(length=255), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("severity IN ('info', 'warning', 'critical')", name=op.f('ck_alerts_severity')),
    sa.ForeignKeyConstraint(['bin_id'], ['bins.id'], name=op.f('fk_alerts_bin_id_bins')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts'))
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index('ix_alerts_bin_id_closed_at', ['bin_id', 'closed_at'], unique=False)

    op.create_table('sensors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.String(length=128), nullable=False),
    sa.Column('bin_id', sa.Integer(), nullable=False),
    sa.Column('format', sa.String(length=16), nullable=False),
    sa.Column('empty_distance_mm', sa.Integer(), nullable=False),
    sa.Column('full_distance_mm', sa.Integer(), nullable=False),
    sa.Column('mounting', sa.String(length=8), nullable=False),
    sa.Column('report_interval_s', sa.Integer(), nullable=False),
    sa.Column('device_key_hash', sa.String(length=64), nullable=False),
    sa.Column('modbus_host', sa.String(length=255), nullable=True),
    sa.Column('modbus_port', sa.Integer(), nullable=True),
    sa.Column('modbus_device_id', sa.Integer(), nullable=True),
    sa.Column('modbus_address', sa.Integer(), nullable=True),
    sa.Column('modbus_function', sa.Integer(), nullable=True),
    sa.Column('modbus_count', sa.Integer(), nullable=True),
    sa.Column('modbus_scale', sa.Numeric(precision=12, scale=6), nullable=True),
    sa.Column('modbus_word_order', sa.String(length=8), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(format = 'modbus') = (modbus_host IS NOT NULL AND modbus_port IS NOT NULL AND modbus_device_id IS NOT NULL AND modbus_address IS NOT NULL AND modbus_function IS NOT NULL AND modbus_count IS NOT NULL AND modbus_scale IS NOT NULL AND modbus_word_order IS NOT NULL)", name=op.f('ck_sensors_modbus_config')),
    sa.CheckConstraint("format IN ('ttn-v3', 'chirpstack-v4', 'json', 'modbus')", name=op.f('ck_sensors_format')),
    sa.CheckConstraint("modbus_word_order IS NULL OR modbus_word_order IN ('big', 'little')", name=op.f('ck_sensors_modbus_word_order')),
    sa.CheckConstraint("mounting IN ('lid', 'wall')", name=op.f('ck_sensors_mounting')),
    sa.CheckConstraint('full_distance_mm >= 0 AND full_distance_mm < empty_distance_mm', name=op.f('ck_sensors_geometry')),
    sa.CheckConstraint('modbus_count IS NULL OR modbus_count IN (1, 2)', name=op.f('ck_sensors_modbus_count')),
    sa.CheckConstraint('modbus_function IS NULL OR modbus_function IN (3, 4)', name=op.f('ck_sensors_modbus_function')),
    sa.CheckConstraint('modbus_scale IS NULL OR modbus_scale > 0', name=op.f('ck_sensors_modbus_scale')),
    sa.CheckConstraint('report_interval_s > 0', name=op.f('ck_sensors_report_interval')),
    sa.ForeignKeyConstraint(['bin_id'], ['bins.id'], name=op.f('fk_sensors_bin_id_bins')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sensors')),
    sa.UniqueConstraint('device_id', name=op.f('uq_sensors_device_id')),
    sa.UniqueConstraint('device_key_hash', name=op.f('uq_sensors_device_key_hash'))
    )
    with op.batch_alter_table('sensors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sensors_bin_id'), ['bin_id'], unique=False)

    op.create_table('sensor_readings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('dedup_key', sa.String(length=255), nullable=False),
    sa.Column('sensor_id', sa.Integer(), nullable=False),
    sa.Column('bin_id', sa.Integer(), nullable=False),
    sa.Column('source_format', sa.String(length=16), nullable=False),
    sa.Column('measured_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('distance_mm', sa.Integer(), nullable=True),
    sa.Column('fill_pct', sa.Float(), nullable=True),
    sa.Column('quality_flag', sa.String(length=16), nullable=False),
    sa.Column('quality_status', sa.String(length=12), nullable=False),
    sa.Column('battery_pct', sa.Float(), nullable=True),
    sa.Column('battery_v', sa.Float(), nullable=True),
    sa.Column('temperature_c', sa.Float(), nullable=True),
    sa.Column('tilt', sa.Boolean(), nullable=True),
    sa.Column('fire_alarm', sa.Boolean(), nullable=True),
    sa.Column('moved', sa.Boolean(), nullable=True),
    sa.Column('sensor_fault', sa.String(length=32), nullable=True),
    sa.Column('rssi_dbm', sa.Integer(), nullable=True),
    sa.Column('snr_db', sa.Float(), nullable=True),
    sa.Column('f_cnt', sa.BigInteger(), nullable=True),
    sa.Column('f_port', sa.Integer(), nullable=True),
    sa.Column('payload_b64', sa.Text(), nullable=True),
    sa.CheckConstraint("quality_status IN ('accepted', 'suspicious', 'rejected')", name=op.f('ck_sensor_readings_quality_status')),
    sa.CheckConstraint('distance_mm IS NULL OR distance_mm >= 0', name=op.f('ck_sensor_readings_distance_positive')),
    sa.CheckConstraint('fill_pct IS NULL OR (fill_pct >= 0 AND fill_pct <= 100)', name=op.f('ck_sensor_readings_fill_range')),
    sa.ForeignKeyConstraint(['bin_id'], ['bins.id'], name=op.f('fk_sensor_readings_bin_id_bins')),
    sa.ForeignKeyConstraint(['sensor_id'], ['sensors.id'], name=op.f('fk_sensor_readings_sensor_id_sensors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sensor_readings')),
    sa.UniqueConstraint('dedup_key', name=op.f('uq_sensor_readings_dedup_key')),
    sa.UniqueConstraint('sensor_id', 'measured_at', name=op.f('uq_sensor_readings_sensor_id_measured_at'))
    )
    with op.batch_alter_table('sensor_readings', schema=None) as batch_op:
        batch_op.create_index('ix_sensor_readings_bin_id_measured_at', ['bin_id', 'measured_at'], unique=False)



def downgrade():
    with op.batch_alter_table('sensor_readings', schema=None) as batch_op:
        batch_op.drop_index('ix_sensor_readings_bin_id_measured_at')

    op.drop_table('sensor_readings')
    with op.batch_alter_table('sensors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sensors_bin_id'))

    op.drop_table('sensors')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_alerts_bin_id_closed_at')

    op.drop_table('alerts')
    with op.batch_alter_table('bins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bins_city_id'))

    op.drop_table('bins')
    with op.batch_alter_table('rejected_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rejected_messages_received_at'))

    op.drop_table('rejected_messages')
