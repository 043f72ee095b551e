"""JSON API of the waste-bank domain under ``/api/v1`` (thin adapters over services)."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from wastebank import cards, services
from wastebank.auth import api_actor, authenticate_bearer, login_policy
from wastebank.exceptions import AuthenticationFailed
from wastebank.extensions import db
from wastebank.schemas import (
    BankCreateSchema,
    BankSchema,
    CardSchema,
    MemberCreateSchema,
    MemberQueryArgsSchema,
    MemberSchema,
    MemberUpdateSchema,
    TokenRequestSchema,
    TokenSchema,
)

bp = Blueprint(
    "wastebank_api",
    __name__,
    url_prefix="/api/v1",
    description="Authentication, banks, members and member cards.",
)

_PUBLIC_ENDPOINTS = {"wastebank_api.create_token"}


@bp.before_request
def _require_token() -> None:
    if request.endpoint not in _PUBLIC_ENDPOINTS:
        authenticate_bearer()


# -- auth ------------------------------------------------------------------------------
@bp.route("/auth/token", methods=["POST"])
@bp.arguments(TokenRequestSchema)
@bp.response(200, TokenSchema)
@bp.alt_response(401, description="Wrong username or password")
@bp.alt_response(
    429, description="Too many failed logins for this user; see Retry-After"
)
@bp.doc(security=[])
def create_token(args: dict[str, Any]) -> dict[str, Any]:
    """Exchange a username and password for a bearer token."""
    try:
        user = services.authenticate(
            db.session,
            username=args["username"],
            password=args["password"],
            policy=login_policy(),
        )
    except AuthenticationFailed:
        db.session.commit()  # keep the failure count that throttles guessing
        raise
    raw, token = services.issue_token(
        db.session, user, ttl_s=current_app.config["TOKEN_TTL_S"]
    )
    db.session.commit()
    return {"access_token": raw, "token_type": "Bearer", "expires_at": token.expires_at}


# -- banks -----------------------------------------------------------------------------
@bp.route("/banks")
class Banks(MethodView):
    @bp.response(200, BankSchema(many=True))
    def get(self) -> Any:
        """List the banks you can see."""
        return services.list_banks(db.session, api_actor())

    @bp.arguments(BankCreateSchema)
    @bp.response(201, BankSchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Create a bank (admin)."""
        bank = services.create_bank(
            db.session,
            api_actor(),
            code=args["code"],
            name=args["name"],
            kind=args["kind"],
            parent_code=args["parent"],
            city_code=args["city"],
            address=args["address"],
            latitude=args["latitude"],
            longitude=args["longitude"],
            timezone=args["timezone"],
            opening_days=args["opening_days"],
        )
        db.session.commit()
        return bank


@bp.route("/banks/<string:bank_code>")
@bp.response(200, BankSchema)
def get_bank(bank_code: str) -> Any:
    """One bank by its code."""
    return services.get_bank(db.session, api_actor(), bank_code)


# -- members ---------------------------------------------------------------------------
@bp.route("/members")
class Members(MethodView):
    @bp.arguments(MemberQueryArgsSchema, location="query")
    @bp.response(200, MemberSchema(many=True))
    @bp.paginate(page_size=50, max_page_size=1000)
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> Any:
        """Search members by name, member number or phone; total in X-Pagination."""
        items, total = services.search_members(
            db.session,
            api_actor(),
            bank=args["bank"],
            q=args["q"],
            active=args["active"],
            page=pagination_parameters.page,
            page_size=pagination_parameters.page_size,
        )
        pagination_parameters.item_count = total
        return items

    @bp.arguments(MemberCreateSchema)
    @bp.response(201, MemberSchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Register a member; the response has the new member number."""
        member = services.register_member(db.session, api_actor(), **args)
        db.session.commit()
        return member


@bp.route("/members/<int:member_id>")
class MemberById(MethodView):
    @bp.response(200, MemberSchema)
    def get(self, member_id: int) -> Any:
        """One member."""
        return services.get_member(db.session, api_actor(), member_id)

    @bp.arguments(MemberUpdateSchema)
    @bp.response(200, MemberSchema)
    def patch(self, args: dict[str, Any], member_id: int) -> Any:
        """Change a member's details, or deactivate with ``{"active": false}``."""
        member = services.update_member(db.session, api_actor(), member_id, args)
        db.session.commit()
        return member


# -- cards -----------------------------------------------------------------------------
@bp.route("/members/<int:member_id>/card.png")
@bp.response(200, description="The card's QR code (PNG)", content_type="image/png")
def get_card_png(member_id: int) -> Response:
    """The member card's QR code as PNG."""
    card = services.member_card(db.session, api_actor(), member_id)
    db.session.commit()
    return Response(cards.qr_png(card.token), mimetype="image/png")


@bp.route("/members/<int:member_id>/card.svg")
@bp.response(200, description="The card's QR code (SVG)", content_type="image/svg+xml")
def get_card_svg(member_id: int) -> Response:
    """The member card's QR code as SVG."""
    card = services.member_card(db.session, api_actor(), member_id)
    db.session.commit()
    return Response(cards.qr_svg(card.token), mimetype="image/svg+xml")


@bp.route("/members/<int:member_id>/card/reissue", methods=["POST"])
@bp.response(201, CardSchema)
def reissue_card(member_id: int) -> Any:
    """Issue a new card for a lost one; the old token stops resolving (410)."""
    card = services.reissue_card(db.session, api_actor(), member_id)
    db.session.commit()
    return card


@bp.route("/cards/<string:token>")
@bp.response(200, CardSchema)
@bp.alt_response(404, description="No such card (or not in your banks)")
@bp.alt_response(410, description="The card was replaced by a reissued one")
def resolve_card(token: str) -> Any:
    """Resolve a scanned card token to its member (what the counter calls after a scan)."""
    member = services.resolve_card(db.session, api_actor(), token)
    return member.active_card
