"""Diversion: TPA deliveries, treatment inputs and city population for the diversion report.

Revision ID: b6f2d1e3c8a2
Revises: a5e1c0d2b7f1
Create Date: 2026-12-03 15:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b6f2d1e3c8a2'
down_revision = 'a5e1c0d2b7f1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('city_waste_profiles',
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.Column('population_year', sa.Integer(), nullable=True),
    sa.Column('generation_kg_per_capita_per_day', sa.Numeric(precision=6, scale=3), nullable=True),
    sa.Column('generation_source', sa.String(length=200), nullable=True),
    sa.Column('tpa_name', sa.String(length=120), nullable=True),
    sa.Column('tpa_site_type', sa.String(length=40), nullable=True),
    sa.Column('tpa_controlled', sa.Boolean(), nullable=True),
    sa.Column('tpa_remaining_airspace_m3', sa.Numeric(precision=14, scale=1), nullable=True),
    sa.Column('tpa_airspace_surveyed_on', sa.Date(), nullable=True),
    sa.Column('in_place_density_t_per_m3', sa.Numeric(precision=5, scale=3), nullable=True),
    sa.Column('cover_soil_fraction', sa.Numeric(precision=4, scale=3), nullable=True),
    sa.Column('climate_zone', sa.String(length=32), nullable=True),
    sa.Column('jakstrada_targets', sa.JSON(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('cover_soil_fraction IS NULL OR (cover_soil_fraction >= 0 AND cover_soil_fraction <= 1)', name=op.f('ck_city_waste_profiles_cover_soil')),
    sa.CheckConstraint('generation_kg_per_capita_per_day IS NULL OR generation_kg_per_capita_per_day > 0', name=op.f('ck_city_waste_profiles_generation_rate')),
    sa.CheckConstraint('in_place_density_t_per_m3 IS NULL OR in_place_density_t_per_m3 > 0', name=op.f('ck_city_waste_profiles_density')),
    sa.CheckConstraint('population IS NULL OR population > 0', name=op.f('ck_city_waste_profiles_population')),
    sa.CheckConstraint('tpa_remaining_airspace_m3 IS NULL OR tpa_remaining_airspace_m3 >= 0', name=op.f('ck_city_waste_profiles_airspace')),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_city_waste_profiles_city_id_cities')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_city_waste_profiles_updated_by_id_users')),
    sa.PrimaryKeyConstraint('city_id', name=op.f('pk_city_waste_profiles'))
    )
    op.create_table('tpa_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('facility', sa.String(length=120), nullable=False),
    sa.Column('ticket_no', sa.String(length=40), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('net_weight_kg', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('truck_code', sa.String(length=32), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=255), nullable=True),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("source IN ('weighbridge', 'estimate')", name=op.f('ck_tpa_deliveries_source')),
    sa.CheckConstraint('net_weight_kg > 0', name=op.f('ck_tpa_deliveries_net_weight_positive')),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_tpa_deliveries_city_id_cities')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_tpa_deliveries_entered_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tpa_deliveries')),
    sa.UniqueConstraint('city_id', 'ticket_no', name=op.f('uq_tpa_deliveries_city_id_ticket_no'))
    )
    with op.batch_alter_table('tpa_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_tpa_deliveries_city_id_delivered_at', ['city_id', 'delivered_at'], unique=False)

    op.create_table('treatment_inputs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('treated_on', sa.Date(), nullable=False),
    sa.Column('pathway', sa.String(length=24), nullable=False),
    sa.Column('material', sa.String(length=20), nullable=False),
    sa.Column('mass_kg', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('residue_kg', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('basis', sa.String(length=10), nullable=False),
    sa.Column('facility', sa.String(length=120), nullable=False),
    sa.Column('note', sa.String(length=255), nullable=True),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("basis IN ('measured', 'estimated')", name=op.f('ck_treatment_inputs_basis')),
    sa.CheckConstraint("pathway IN ('composting', 'anaerobic_digestion', 'rdf', 'incineration', 'other')", name=op.f('ck_treatment_inputs_pathway')),
    sa.CheckConstraint('mass_kg > 0', name=op.f('ck_treatment_inputs_mass_positive')),
    sa.CheckConstraint('residue_kg >= 0 AND residue_kg <= mass_kg', name=op.f('ck_treatment_inputs_residue_within_mass')),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_treatment_inputs_city_id_cities')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_treatment_inputs_entered_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_treatment_inputs')),
    sa.UniqueConstraint('city_id', 'facility', 'treated_on', 'pathway', 'material', name='uq_treatment_inputs_natural_key')
    )
    with op.batch_alter_table('treatment_inputs', schema=None) as batch_op:
        batch_op.create_index('ix_treatment_inputs_city_id_treated_on', ['city_id', 'treated_on'], unique=False)


def downgrade():
    with op.batch_alter_table('treatment_inputs', schema=None) as batch_op:
        batch_op.drop_index('ix_treatment_inputs_city_id_treated_on')

    op.drop_table('treatment_inputs')
    with op.batch_alter_table('tpa_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_tpa_deliveries_city_id_delivered_at')

    op.drop_table('tpa_deliveries')
    op.drop_table('city_waste_profiles')
