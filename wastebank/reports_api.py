"""JSON API of the city's diversion report and the DLH inputs behind it, under ``/api/v1``.

- ``GET /reports/diversion?city=&from=&to=[&gwp=][&format=csv|xlsx]``: the report;
  the same figures as CSV or XLSX with ``format``.
- ``/tpa-deliveries``: weighbridge tickets (and DLH estimates) of loads to the TPA.
- ``/treatment-inputs``: waste fed to composting, digestion, RDF, incineration, other.
- ``/cities/{code}/waste-profile``: population, generation rate, TPA parameters.

Admin and the DLH of the city only: other roles get 403, another city's DLH 404.
Thin adapters over :mod:`wastebank.services.diversion`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response
from flask.views import MethodView

from wastebank import reports_export
from wastebank.auth import api_actor, authenticate_bearer
from wastebank.extensions import db
from wastebank.idempotency import created
from wastebank.reports_schemas import (
    DiversionReportQueryArgsSchema,
    DiversionReportSchema,
    TpaDeliveryCreateSchema,
    TpaDeliverySchema,
    TreatmentInputCreateSchema,
    TreatmentInputSchema,
    WasteFlowQueryArgsSchema,
    WasteProfileSchema,
    WasteProfileUpdateSchema,
)
from wastebank.rest import Blueprint
from wastebank.services import diversion as services

bp = Blueprint(
    "reports_api",
    __name__,
    url_prefix="/api/v1",
    description=(
        "DLH: the city's diversion report, TPA weighbridge tickets, treatment inputs "
        "and the city's waste profile."
    ),
)

# Its errors are WasteBankError (NotFound, Conflict, InvalidValue): wastebank.errors
# maps them; the report turns energy-model refusals into InvalidValue itself.

_EXPORTS = {
    "csv": (reports_export.to_csv, reports_export.CSV_CONTENT_TYPE),
    "xlsx": (reports_export.to_xlsx, reports_export.XLSX_CONTENT_TYPE),
}


@bp.before_request
def _require_token() -> None:
    authenticate_bearer()


# -- the report ------------------------------------------------------------------------------
@bp.route("/reports/diversion")
@bp.arguments(DiversionReportQueryArgsSchema, location="query")
@bp.response(200, DiversionReportSchema)
@bp.doc(
    responses={
        "200": {
            "description": (
                "The report; with format=csv a CSV file, with format=xlsx a workbook "
                "(Content-Disposition: attachment)."
            ),
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/DiversionReport"}
                },
                "text/csv": {"schema": {"type": "string"}},
                reports_export.XLSX_CONTENT_TYPE: {
                    "schema": {"type": "string", "format": "binary"}
                },
            },
        }
    }
)
@bp.alt_response(403, description="Your role may not read reports")
@bp.alt_response(404, description="No such city, or not yours")
def get_diversion_report(args: dict[str, Any]) -> Any:
    """The city's diversion figures over local dates from..to (inclusive).

    Every figure says whether it is measured or estimated, and from what.
    """
    report = services.diversion_report(
        db.session,
        api_actor(),
        city_code=args["city"],
        date_from=args["from_"],
        date_to=args["to"],
        gwp_set=args["gwp"],
    )
    export = _EXPORTS.get(args["format"])
    if export is None:
        return report
    render, content_type = export
    name = reports_export.filename(report, args["format"])
    return Response(
        render(report),
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# -- the city's profile ------------------------------------------------------------------------
@bp.route("/cities/<string:city_code>/waste-profile")
class WasteProfile(MethodView):
    @bp.response(200, WasteProfileSchema)
    def get(self, city_code: str) -> Any:
        """The city's population, generation rate and TPA parameters."""
        return services.get_waste_profile(db.session, api_actor(), city_code)

    @bp.arguments(WasteProfileUpdateSchema)
    @bp.response(200, WasteProfileSchema)
    def patch(self, args: dict[str, Any], city_code: str) -> Any:
        """Change profile fields (admin, DLH of the city); null clears one."""
        profile = services.update_waste_profile(
            db.session, api_actor(), city_code, args
        )
        db.session.commit()
        return profile


# -- the list and record bodies the TPA and treatment views share ---------------------------------
# Decorators and docstrings stay on each view: they are the API's documentation and
# differ between the two in every line.
def _list_page(
    list_entries: Callable[..., tuple[list[Any], int]],
    args: dict[str, Any],
    pagination_parameters: Any,
) -> list[Any]:
    """One page of a city's entries by ``list_entries``; the total goes to X-Pagination."""
    items, total = list_entries(
        db.session,
        api_actor(),
        city_code=args["city"],
        date_from=args["from_"],
        date_to=args["to"],
        page=pagination_parameters.page,
        page_size=pagination_parameters.page_size,
    )
    pagination_parameters.item_count = total
    return items


def _record(
    record_entry: Callable[..., tuple[Any, bool]], args: dict[str, Any]
) -> tuple[Any, int, dict[str, str]]:
    """Record an entry by ``record_entry`` and commit; 201, marked when a replay."""
    city_code = args.pop("city")
    entry, replayed = record_entry(db.session, api_actor(), city_code=city_code, **args)
    db.session.commit()
    return created(entry, replayed)


# -- TPA deliveries ------------------------------------------------------------------------------
@bp.route("/tpa-deliveries")
class TpaDeliveries(MethodView):
    @bp.arguments(WasteFlowQueryArgsSchema, location="query")
    @bp.response(200, TpaDeliverySchema(many=True))
    @bp.paginate(page_size=50, max_page_size=1000)
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> Any:
        """A city's deliveries to the TPA, newest first; total in X-Pagination."""
        return _list_page(services.list_tpa_deliveries, args, pagination_parameters)

    @bp.arguments(TpaDeliveryCreateSchema)
    @bp.response(201, TpaDeliverySchema)
    @bp.alt_response(409, description="The ticket number was recorded with other data")
    def post(self, args: dict[str, Any]) -> Any:
        """Record a weighbridge ticket; the same ticket again is a replay."""
        return _record(services.record_tpa_delivery, args)


@bp.route("/tpa-deliveries/<int:delivery_id>")
class TpaDeliveryById(MethodView):
    @bp.response(200, TpaDeliverySchema)
    def get(self, delivery_id: int) -> Any:
        """One delivery."""
        return services.get_tpa_delivery(db.session, api_actor(), delivery_id)

    @bp.response(204)
    @bp.alt_response(
        409, description="A driver reported it (the message names the report)"
    )
    def delete(self, delivery_id: int) -> None:
        """Remove a mistaken delivery (the audit log keeps it).

        A delivery from a driver's unloading report stays with that report (409).
        """
        services.delete_tpa_delivery(db.session, api_actor(), delivery_id)
        db.session.commit()


# -- treatment inputs ----------------------------------------------------------------------------
@bp.route("/treatment-inputs")
class TreatmentInputs(MethodView):
    @bp.arguments(WasteFlowQueryArgsSchema, location="query")
    @bp.response(200, TreatmentInputSchema(many=True))
    @bp.paginate(page_size=50, max_page_size=1000)
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> Any:
        """A city's treatment inputs, newest first; total in X-Pagination."""
        return _list_page(services.list_treatment_inputs, args, pagination_parameters)

    @bp.arguments(TreatmentInputCreateSchema)
    @bp.response(201, TreatmentInputSchema)
    @bp.alt_response(
        409, description="That facility, day, pathway and material has other masses"
    )
    def post(self, args: dict[str, Any]) -> Any:
        """Record waste fed to a treatment; the same input again is a replay."""
        return _record(services.record_treatment_input, args)


@bp.route("/treatment-inputs/<int:input_id>")
class TreatmentInputById(MethodView):
    @bp.response(200, TreatmentInputSchema)
    def get(self, input_id: int) -> Any:
        """One treatment input."""
        return services.get_treatment_input(db.session, api_actor(), input_id)

    @bp.response(204)
    def delete(self, input_id: int) -> None:
        """Remove a mistaken input (the audit log keeps it)."""
        services.delete_treatment_input(db.session, api_actor(), input_id)
        db.session.commit()
