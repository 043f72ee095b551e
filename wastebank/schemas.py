"""Marshmallow schemas: shape and ranges only; existence and permissions are service rules.

HTML forms load through the same input schemas as the API, so there is one validation path.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, pre_load, validate

from wastebank.models import BANK_KINDS, MEMBER_KINDS, WEEKDAYS

_CODE = validate.Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$", error="1-16 letters, digits, - or _."
)


class StrippedSchema(Schema):
    """Trims strings and drops empty optional values, as an HTML form sends them."""

    @pre_load
    def _strip(self, data: Any, **kwargs: Any) -> Any:
        if not isinstance(data, dict):
            return data  # marshmallow reports the wrong type itself
        cleaned = {}
        for key, value in data.items():
            if isinstance(value, str):
                value = value.strip()
                if value == "" and key in self.fields and not self.fields[key].required:
                    continue
            cleaned[key] = value
        return cleaned


# -- errors ----------------------------------------------------------------------------
class ErrorSchema(Schema):
    """The one error envelope of the API."""

    code = fields.Integer(required=True, metadata={"description": "HTTP status code"})
    status = fields.String(
        required=True, metadata={"description": "HTTP reason phrase"}
    )
    type = fields.String(
        required=True, metadata={"description": "stable snake_case error slug"}
    )
    message = fields.String(
        required=True, metadata={"description": "human-readable sentence"}
    )
    errors = fields.Dict(
        keys=fields.String(),
        required=True,
        metadata={"description": "field -> list of messages, for validation errors"},
    )


# -- auth ------------------------------------------------------------------------------
class TokenRequestSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=80))
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=256)
    )


class TokenSchema(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_at = fields.AwareDateTime(required=True)


class HealthSchema(Schema):
    status = fields.String(required=True)
    database = fields.String(required=True)


# -- banks -----------------------------------------------------------------------------
class BankSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": list(BANK_KINDS)})
    parent = fields.Function(lambda bank: bank.parent.code if bank.parent else None)
    city = fields.Function(lambda bank: bank.city.code if bank.city else None)
    address = fields.String(allow_none=True)
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    timezone = fields.String(required=True)
    opening_days = fields.List(fields.String(), attribute="opening_days_list")
    active = fields.Boolean()


class BankCreateSchema(StrippedSchema):
    """Input for creating a bank (CLI and API share it)."""

    code = fields.String(required=True, validate=_CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(BANK_KINDS))
    parent = fields.String(load_default=None, validate=_CODE)
    city = fields.String(load_default=None, validate=_CODE)
    address = fields.String(load_default=None, validate=validate.Length(max=255))
    latitude = fields.Float(load_default=None, validate=validate.Range(-90, 90))
    longitude = fields.Float(load_default=None, validate=validate.Range(-180, 180))
    timezone = fields.String(load_default=None, validate=validate.Length(max=64))
    opening_days = fields.List(
        fields.String(validate=validate.OneOf(WEEKDAYS)), load_default=list
    )


# -- members ---------------------------------------------------------------------------
_PHONE = validate.Regexp(
    r"^\+?[0-9][0-9 -]{6,18}$", error="A phone number: digits, + - and spaces."
)
_RT_RW = validate.Regexp(r"^[0-9]{1,3}$", error="1 to 3 digits.")
_NIK = validate.Regexp(r"^[0-9]{16}$", error="A NIK is exactly 16 digits.")


class MemberFieldsMixin(StrippedSchema):
    phone = fields.String(load_default=None, validate=_PHONE)
    address = fields.String(load_default=None, validate=validate.Length(max=255))
    rt = fields.String(load_default=None, validate=_RT_RW)
    rw = fields.String(load_default=None, validate=_RT_RW)
    kelurahan = fields.String(load_default=None, validate=validate.Length(max=80))
    nik = fields.String(load_default=None, validate=_NIK)


class MemberCreateSchema(MemberFieldsMixin):
    """A new member of ``bank`` (the bank's code)."""

    bank = fields.String(required=True, validate=_CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    kind = fields.String(load_default="person", validate=validate.OneOf(MEMBER_KINDS))


class MemberUpdateSchema(MemberFieldsMixin):
    """A partial update; ``active: false`` deactivates (members are never deleted)."""

    name = fields.String(validate=validate.Length(min=1, max=120))
    kind = fields.String(validate=validate.OneOf(MEMBER_KINDS))
    active = fields.Boolean()

    # Every field is optional: absent means "leave as is", unlike creation.
    phone = fields.String(allow_none=True, validate=_PHONE)
    address = fields.String(allow_none=True, validate=validate.Length(max=255))
    rt = fields.String(allow_none=True, validate=_RT_RW)
    rw = fields.String(allow_none=True, validate=_RT_RW)
    kelurahan = fields.String(allow_none=True, validate=validate.Length(max=80))
    nik = fields.String(allow_none=True, validate=_NIK)


class MemberSchema(Schema):
    id = fields.Integer(required=True)
    bank = fields.Function(lambda member: member.bank.code)
    member_no = fields.String(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)
    phone = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    rt = fields.String(allow_none=True)
    rw = fields.String(allow_none=True)
    kelurahan = fields.String(allow_none=True)
    nik = fields.String(allow_none=True)
    active = fields.Boolean(required=True)
    joined_at = fields.AwareDateTime(required=True)


class MemberQueryArgsSchema(StrippedSchema):
    bank = fields.String(load_default=None, validate=_CODE)
    q = fields.String(load_default=None, validate=validate.Length(max=120))
    active = fields.Boolean(load_default=None)


class CardSchema(Schema):
    token = fields.String(required=True)
    issued_at = fields.AwareDateTime(required=True)
    member = fields.Nested(MemberSchema, required=True)
