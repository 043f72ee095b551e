"""Routing: depots, facilities, trucks, route plans, routes and visits.

The fleet registry (depots, facilities, trucks and the facilities each truck may
unload at) and stored route plans (route_plans -> routes -> route_stops, plus the bins
left out or skipped in route_plan_skips).

Revision ID: a5e1c0d2b7f1
Revises: 87cab9455d30
Create Date: 2026-12-03 15:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a5e1c0d2b7f1'
down_revision = '87cab9455d30'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('depots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('address', sa.String(length=255), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('lat BETWEEN -90 AND 90', name=op.f('ck_depots_lat_range')),
    sa.CheckConstraint('lon BETWEEN -180 AND 180', name=op.f('ck_depots_lon_range')),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_depots_city_id_cities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_depots')),
    sa.UniqueConstraint('code', name=op.f('uq_depots_code'))
    )
    with op.batch_alter_table('depots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_depots_city_id'), ['city_id'], unique=False)

    op.create_table('facilities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('address', sa.String(length=255), nullable=True),
    sa.Column('opening_hours', sa.JSON(), nullable=False),
    sa.Column('unload_time_s', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('tpa', 'transfer_station', 'rdf_plant', 'composting_plant')", name=op.f('ck_facilities_kind')),
    sa.CheckConstraint('lat BETWEEN -90 AND 90', name=op.f('ck_facilities_lat_range')),
    sa.CheckConstraint('lon BETWEEN -180 AND 180', name=op.f('ck_facilities_lon_range')),
    sa.CheckConstraint('unload_time_s >= 0', name=op.f('ck_facilities_unload_time')),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_facilities_city_id_cities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facilities')),
    sa.UniqueConstraint('code', name=op.f('uq_facilities_code'))
    )
    with op.batch_alter_table('facilities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_facilities_city_id'), ['city_id'], unique=False)

    op.create_table('trucks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('plate_no', sa.String(length=16), nullable=True),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('depot_id', sa.Integer(), nullable=False),
    sa.Column('capacity_kg', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('capacity_m3', sa.Numeric(precision=10, scale=3), nullable=False),
    sa.Column('shift_start_s', sa.Integer(), nullable=False),
    sa.Column('shift_end_s', sa.Integer(), nullable=False),
    sa.Column('break_earliest_start_s', sa.Integer(), nullable=True),
    sa.Column('break_latest_start_s', sa.Integer(), nullable=True),
    sa.Column('break_duration_s', sa.Integer(), nullable=True),
    sa.Column('speed_factor', sa.Float(), nullable=False),
    sa.Column('cost_rp_per_km', sa.BigInteger(), nullable=False),
    sa.Column('cost_rp_per_hour', sa.BigInteger(), nullable=False),
    sa.Column('fixed_cost_rp', sa.BigInteger(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('dump_truck', 'arm_roll', 'compactor', 'pickup', 'motor_cart')", name=op.f('ck_trucks_kind')),
    sa.CheckConstraint('(break_earliest_start_s IS NULL) = (break_latest_start_s IS NULL) AND (break_earliest_start_s IS NULL) = (break_duration_s IS NULL)', name=op.f('ck_trucks_break_complete')),
    sa.CheckConstraint('break_earliest_start_s IS NULL OR (break_earliest_start_s >= shift_start_s AND break_latest_start_s >= break_earliest_start_s AND break_duration_s >= 0 AND break_latest_start_s + break_duration_s <= shift_end_s)', name=op.f('ck_trucks_break_in_shift')),
    sa.CheckConstraint('capacity_kg > 0 AND capacity_m3 > 0', name=op.f('ck_trucks_capacity')),
    sa.CheckConstraint('cost_rp_per_km >= 0 AND cost_rp_per_hour >= 0 AND fixed_cost_rp >= 0', name=op.f('ck_trucks_costs')),
    sa.CheckConstraint('shift_start_s >= 0 AND shift_end_s > shift_start_s', name=op.f('ck_trucks_shift')),
    sa.CheckConstraint('speed_factor > 0', name=op.f('ck_trucks_speed_factor')),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_trucks_city_id_cities')),
    sa.ForeignKeyConstraint(['depot_id'], ['depots.id'], name=op.f('fk_trucks_depot_id_depots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trucks')),
    sa.UniqueConstraint('code', name=op.f('uq_trucks_code'))
    )
    with op.batch_alter_table('trucks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trucks_city_id'), ['city_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trucks_depot_id'), ['depot_id'], unique=False)

    op.create_table('route_plans',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('service_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('threshold_pct', sa.Float(), nullable=True),
    sa.Column('time_limit_s', sa.Float(), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('problem', sa.JSON(), nullable=False),
    sa.Column('distance_m', sa.BigInteger(), nullable=False),
    sa.Column('duration_s', sa.BigInteger(), nullable=False),
    sa.Column('collected_kg', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('collected_m3', sa.Numeric(precision=12, scale=4), nullable=False),
    sa.Column('trips', sa.Integer(), nullable=False),
    sa.Column('cost_rp', sa.BigInteger(), nullable=False),
    sa.Column('penalty_rp', sa.BigInteger(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('planned', 'dispatched', 'completed', 'cancelled')", name=op.f('ck_route_plans_status')),
    sa.CheckConstraint('distance_m >= 0 AND duration_s >= 0 AND trips >= 0', name=op.f('ck_route_plans_totals')),
    sa.CheckConstraint('threshold_pct IS NULL OR (threshold_pct > 0 AND threshold_pct <= 100)', name=op.f('ck_route_plans_threshold_range')),
    sa.CheckConstraint('time_limit_s > 0', name=op.f('ck_route_plans_time_limit')),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_route_plans_city_id_cities')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_route_plans_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_route_plans'))
    )
    with op.batch_alter_table('route_plans', schema=None) as batch_op:
        batch_op.create_index('ix_route_plans_city_id_service_date', ['city_id', 'service_date'], unique=False)

    op.create_table('truck_facilities',
    sa.Column('truck_id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_truck_facilities_facility_id_facilities')),
    sa.ForeignKeyConstraint(['truck_id'], ['trucks.id'], name=op.f('fk_truck_facilities_truck_id_trucks')),
    sa.PrimaryKeyConstraint('truck_id', 'facility_id', name=op.f('pk_truck_facilities'))
    )
    op.create_table('route_plan_skips',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('plan_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('bin_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.String(length=255), nullable=False),
    sa.Column('expected_fill_pct', sa.Float(), nullable=True),
    sa.Column('days_to_full', sa.Float(), nullable=True),
    sa.Column('penalty_rp', sa.BigInteger(), nullable=True),
    sa.CheckConstraint("kind IN ('skipped', 'left_out')", name=op.f('ck_route_plan_skips_kind')),
    sa.ForeignKeyConstraint(['bin_id'], ['bins.id'], name=op.f('fk_route_plan_skips_bin_id_bins')),
    sa.ForeignKeyConstraint(['plan_id'], ['route_plans.id'], name=op.f('fk_route_plan_skips_plan_id_route_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_route_plan_skips')),
    sa.UniqueConstraint('plan_id', 'bin_id', name=op.f('uq_route_plan_skips_plan_id_bin_id'))
    )
    op.create_table('routes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('plan_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('truck_id', sa.Integer(), nullable=False),
    sa.Column('depot_id', sa.Integer(), nullable=False),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('break_start_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('distance_m', sa.BigInteger(), nullable=False),
    sa.Column('return_distance_m', sa.BigInteger(), nullable=False),
    sa.Column('duration_s', sa.Integer(), nullable=False),
    sa.Column('collected_kg', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('collected_m3', sa.Numeric(precision=12, scale=4), nullable=False),
    sa.Column('trips', sa.Integer(), nullable=False),
    sa.Column('cost_rp', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('end_at >= start_at', name=op.f('ck_routes_times')),
    sa.ForeignKeyConstraint(['depot_id'], ['depots.id'], name=op.f('fk_routes_depot_id_depots')),
    sa.ForeignKeyConstraint(['plan_id'], ['route_plans.id'], name=op.f('fk_routes_plan_id_route_plans')),
    sa.ForeignKeyConstraint(['truck_id'], ['trucks.id'], name=op.f('fk_routes_truck_id_trucks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routes')),
    sa.UniqueConstraint('plan_id', 'truck_id', name=op.f('uq_routes_plan_id_truck_id'))
    )
    with op.batch_alter_table('routes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_routes_truck_id'), ['truck_id'], unique=False)

    op.create_table('route_stops',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('route_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('bin_id', sa.Integer(), nullable=True),
    sa.Column('facility_id', sa.Integer(), nullable=True),
    sa.Column('arrival_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('departure_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('distance_m', sa.Integer(), nullable=False),
    sa.Column('travel_s', sa.Integer(), nullable=False),
    sa.Column('load_after_kg', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('load_after_m3', sa.Numeric(precision=12, scale=4), nullable=False),
    sa.Column('expected_fill_pct', sa.Float(), nullable=True),
    sa.Column('demand_kg', sa.Numeric(precision=12, scale=3), nullable=True),
    sa.Column('demand_m3', sa.Numeric(precision=12, scale=4), nullable=True),
    sa.Column('priority', sa.String(length=8), nullable=True),
    sa.CheckConstraint("(kind = 'stop' AND bin_id IS NOT NULL AND facility_id IS NULL AND demand_kg IS NOT NULL AND demand_m3 IS NOT NULL AND priority IS NOT NULL) OR (kind = 'unload' AND facility_id IS NOT NULL AND bin_id IS NULL)", name=op.f('ck_route_stops_place')),
    sa.CheckConstraint("kind IN ('stop', 'unload')", name=op.f('ck_route_stops_kind')),
    sa.CheckConstraint("priority IS NULL OR priority IN ('must', 'optional')", name=op.f('ck_route_stops_priority')),
    sa.CheckConstraint('arrival_at <= start_at AND start_at <= departure_at', name=op.f('ck_route_stops_times')),
    sa.CheckConstraint('seq >= 1', name=op.f('ck_route_stops_seq_positive')),
    sa.ForeignKeyConstraint(['bin_id'], ['bins.id'], name=op.f('fk_route_stops_bin_id_bins')),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_route_stops_facility_id_facilities')),
    sa.ForeignKeyConstraint(['route_id'], ['routes.id'], name=op.f('fk_route_stops_route_id_routes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_route_stops')),
    sa.UniqueConstraint('route_id', 'seq', name=op.f('uq_route_stops_route_id_seq'))
    )
    with op.batch_alter_table('route_stops', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_route_stops_bin_id'), ['bin_id'], unique=False)


def downgrade():
    with op.batch_alter_table('route_stops', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_route_stops_bin_id'))

    op.drop_table('route_stops')
    with op.batch_alter_table('routes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_routes_truck_id'))

    op.drop_table('routes')
    op.drop_table('route_plan_skips')
    op.drop_table('truck_facilities')
    with op.batch_alter_table('route_plans', schema=None) as batch_op:
        batch_op.drop_index('ix_route_plans_city_id_service_date')

    op.drop_table('route_plans')
    with op.batch_alter_table('trucks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trucks_depot_id'))
        batch_op.drop_index(batch_op.f('ix_trucks_city_id'))

    op.drop_table('trucks')
    with op.batch_alter_table('facilities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_facilities_city_id'))

    op.drop_table('facilities')
    with op.batch_alter_table('depots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_depots_city_id'))

    op.drop_table('depots')
