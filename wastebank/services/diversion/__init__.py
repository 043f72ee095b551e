"""Services of a city's waste flows and its diversion report.

DLH enters what the deposits cannot tell: weighbridge tickets of loads delivered to the
TPA, waste fed to composting, digestion, RDF or incineration, and the city's profile
(population, TPA airspace). :func:`diversion_report` joins them with the deposits at
the banks and the bin emptyings the sensors saw, and derives every figure with the
pure core :mod:`routing.energy`; no formula is repeated here.

**Counting once.** The city's bank tonnage is what members brought to banks (units,
induk banks and mandiri banks alike): the first point of collection. A unit's shipment
to its induk (the back office, issue 8) is an internal transfer and is never added,
which is why this module reads deposits only and never shipments or sales.

Every service takes the session first and an actor; it flushes, never commits. The
entries live in :mod:`.inputs`, the report in :mod:`.report`, the flows by district
(kecamatan) in :mod:`.districts`.
"""

from __future__ import annotations

from wastebank.services.diversion.districts import DistrictRow, district_breakdown
from wastebank.services.diversion.inputs import (
    ESTIMATED,
    MEASURED,
    NOT_AVAILABLE,
    PROFILE_FIELDS,
    delete_tpa_delivery,
    delete_treatment_input,
    get_tpa_delivery,
    get_treatment_input,
    get_waste_profile,
    list_tpa_deliveries,
    list_treatment_inputs,
    record_tpa_delivery,
    record_treatment_input,
    update_waste_profile,
)
from wastebank.services.diversion.report import (
    DiversionReport,
    Figure,
    diversion_report,
)

__all__ = [
    "ESTIMATED",
    "MEASURED",
    "NOT_AVAILABLE",
    "PROFILE_FIELDS",
    "DistrictRow",
    "DiversionReport",
    "Figure",
    "delete_tpa_delivery",
    "delete_treatment_input",
    "district_breakdown",
    "diversion_report",
    "get_tpa_delivery",
    "get_treatment_input",
    "get_waste_profile",
    "list_tpa_deliveries",
    "list_treatment_inputs",
    "record_tpa_delivery",
    "record_treatment_input",
    "update_waste_profile",
]
