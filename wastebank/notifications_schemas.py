"""Marshmallow schemas of member notifications (shape and ranges only).

The gateway's secret token is load-only: no schema ever dumps it, only whether one is set.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from wastebank.fields import JsonBoolean, Pattern
from wastebank.notify import CHANNEL_KINDS, NOTIFICATION_KINDS, NOTIFICATION_STATUSES

# RFC 9110 token characters: what a header name may consist of.
_HEADER_NAME = Pattern(
    r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$", error="A header name such as X-Api-Key."
)
# Visible ASCII and inner spaces (``Bearer abc``): nothing that could split a header.
_HEADER_VALUE = Pattern(
    r"^[\x21-\x7e]([\x20-\x7e]{0,498}[\x21-\x7e])?$",
    error="1-500 visible ASCII characters.",
)


class NotificationChannelSchema(Schema):
    """A bank's gateway as the API shows it: never the token itself."""

    bank = fields.Function(lambda channel: channel.bank.code)
    kind = fields.String()
    url = fields.String()
    auth_header = fields.String(allow_none=True)
    auth_token_set = fields.Boolean(
        metadata={"description": "whether a secret token is stored (never shown)"}
    )
    body_template = fields.Dict(allow_none=True)
    enabled = fields.Boolean()
    updated_at = fields.AwareDateTime()


class NotificationChannelUpdateSchema(Schema):
    """The whole gateway config (PUT). Leave out ``auth_token`` to keep the stored one."""

    kind = fields.String(required=True, validate=validate.OneOf(CHANNEL_KINDS))
    url = fields.String(
        required=True,
        validate=[
            validate.Length(max=500),
            validate.URL(
                schemes={"http", "https"},
                require_tld=False,
                error="An http:// or https:// URL.",
            ),
        ],
    )
    auth_header = fields.String(
        load_default=None,
        allow_none=True,
        validate=_HEADER_NAME,
        metadata={"description": "e.g. Authorization or X-Api-Key"},
    )
    auth_token = fields.String(
        allow_none=True,
        load_only=True,
        validate=_HEADER_VALUE,
        metadata={
            "description": "secret header value; omit to keep the stored one, "
            "null to remove it"
        },
    )
    body_template = fields.Dict(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "JSON object; {phone}, {phone_digits} and {message} are "
            'filled in. Default: {"phone": "{phone}", "message": "{message}"}'
        },
    )
    enabled = JsonBoolean(load_default=True)


class NotificationSchema(Schema):
    """One message of the outbox."""

    id = fields.Integer()
    bank = fields.Function(lambda n: n.bank.code)
    member = fields.Integer(attribute="member_id")
    member_no = fields.Function(lambda n: n.member.member_no)
    kind = fields.String()
    deposit = fields.Integer(attribute="deposit_id", allow_none=True)
    withdrawal = fields.Integer(attribute="withdrawal_id", allow_none=True)
    channel_kind = fields.String()
    recipient = fields.String(allow_none=True, metadata={"description": "E.164"})
    message = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    next_attempt_at = fields.AwareDateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    sent_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class NotificationQueryArgsSchema(Schema):
    status = fields.String(
        load_default=None, validate=validate.OneOf(NOTIFICATION_STATUSES)
    )
    kind = fields.String(load_default=None, validate=validate.OneOf(NOTIFICATION_KINDS))


class NotificationPreferenceSchema(Schema):
    """Whether a member receives messages."""

    member = fields.Integer()
    opted_out = fields.Boolean()
    opted_out_at = fields.AwareDateTime(allow_none=True)


class NotificationPreferenceUpdateSchema(Schema):
    opted_out = JsonBoolean(required=True)
