"""JSON API of member notifications under ``/api/v1``: gateways, outbox, retries, opt-out.

Thin adapters over :mod:`wastebank.services.notifications`. A bank's managers (and
admins) configure its gateway and read its messages; cashiers record a member's opt-out.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView

from wastebank import notify
from wastebank.auth import api_actor, authenticate_bearer
from wastebank.extensions import db
from wastebank.notifications_schemas import (
    NotificationChannelSchema,
    NotificationChannelUpdateSchema,
    NotificationPreferenceSchema,
    NotificationPreferenceUpdateSchema,
    NotificationQueryArgsSchema,
    NotificationSchema,
)
from wastebank.rest import Blueprint
from wastebank.services import notifications

bp = Blueprint(
    "notifications_api",
    __name__,
    url_prefix="/api/v1",
    description="WhatsApp / SMS messages to members after deposits and payouts.",
)


@bp.before_request
def _require_token() -> None:
    authenticate_bearer()


@bp.route("/banks/<string:bank_code>/notification-channel")
class NotificationChannel(MethodView):
    @bp.response(200, NotificationChannelSchema)
    def get(self, bank_code: str) -> Any:
        """The bank's gateway; the secret token is never shown, only ``auth_token_set``."""
        return notifications.get_channel(db.session, api_actor(), bank_code)

    @bp.arguments(NotificationChannelUpdateSchema)
    @bp.response(200, NotificationChannelSchema)
    def put(self, args: dict[str, Any], bank_code: str) -> Any:
        """Set the bank's gateway (manager); omit ``auth_token`` to keep the stored one."""
        channel = notifications.set_channel(
            db.session,
            api_actor(),
            bank_code,
            kind=args["kind"],
            url=args["url"],
            auth_header=args["auth_header"],
            auth_token=args.get("auth_token", notifications.KEEP),
            body_template=args["body_template"],
            enabled=args["enabled"],
            allowed_hosts=notify.allowed_hosts(
                current_app.config["NOTIFY_ALLOWED_HOSTS"]
            ),
        )
        db.session.commit()
        return channel


@bp.route("/banks/<string:bank_code>/notifications")
@bp.arguments(NotificationQueryArgsSchema, location="query")
@bp.response(200, NotificationSchema(many=True))
@bp.paginate(page_size=50, max_page_size=1000)
def list_notifications(
    args: dict[str, Any], bank_code: str, pagination_parameters: Any
) -> Any:
    """The bank's messages, newest first, with their status; total in X-Pagination."""
    items, total = notifications.list_notifications(
        db.session,
        api_actor(),
        bank_code,
        status=args["status"],
        kind=args["kind"],
        page=pagination_parameters.page,
        page_size=pagination_parameters.page_size,
    )
    pagination_parameters.item_count = total
    return items


@bp.route("/notifications/<int:notification_id>/retry", methods=["POST"])
@bp.response(200, NotificationSchema)
@bp.alt_response(409, description="The message is not failed, or the gateway is off")
def retry_notification(notification_id: int) -> Any:
    """Queue a failed message again, with a fresh round of attempts."""
    notification = notifications.retry_notification(
        db.session, api_actor(), notification_id
    )
    db.session.commit()
    return notification


@bp.route("/members/<int:member_id>/notification-preference")
class NotificationPreference(MethodView):
    @bp.response(200, NotificationPreferenceSchema)
    def get(self, member_id: int) -> Any:
        """Whether the member receives WhatsApp / SMS messages."""
        at = notifications.opted_out_at(db.session, api_actor(), member_id)
        return {"member": member_id, "opted_out": at is not None, "opted_out_at": at}

    @bp.arguments(NotificationPreferenceUpdateSchema)
    @bp.response(200, NotificationPreferenceSchema)
    def put(self, args: dict[str, Any], member_id: int) -> Any:
        """Record that the member wants (``opted_out: false``) or refuses messages."""
        at = notifications.set_opt_out(
            db.session, api_actor(), member_id, opted_out=args["opted_out"]
        )
        db.session.commit()
        return {"member": member_id, "opted_out": at is not None, "opted_out_at": at}
