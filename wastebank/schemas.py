"""Marshmallow schemas: shape and ranges only; existence and permissions are service rules.

HTML forms load through the same input schemas as the API, so there is one validation path.
"""

from __future__ import annotations

from typing import Any

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates_schema,
)

from wastebank.extensions import MAX_ID
from wastebank.fields import BoundedDate, DecimalNumber, JsonBoolean, Name, Pattern
from wastebank.models import (
    BANK_KINDS,
    DEPOSIT_MODES,
    MATERIALS,
    MEMBER_KINDS,
    UNITS,
    WEEKDAYS,
    WITHDRAWAL_METHODS,
    WITHDRAWAL_STATUSES,
)

_CODE = Pattern(
    r"^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$", error="1-16 letters, digits, - or _."
)
#: A record id in a request body: primary keys are 32-bit integers on PostgreSQL, and a
#: larger number would reach the database driver and fail there (a 500, not a 422).
_ID = validate.Range(min=1, max=MAX_ID, error="Not a valid id.")


class StrippedSchema(Schema):
    """Input people type.

    With ``as_form=True`` (HTML forms, spreadsheets, the command line) strings are
    trimmed and empty optional values dropped, as those sources send them. The API
    takes values as sent, as the OpenAPI document describes them (``" 0812..."`` is
    refused naming the field rather than changed behind the client's back); only the
    spaces around a name are trimmed there too, since no name begins or ends with one.
    """

    def __init__(self, *args: Any, as_form: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.as_form = as_form

    @pre_load
    def _strip(self, data: Any, **kwargs: Any) -> Any:
        if not isinstance(data, dict):
            return data  # marshmallow reports the wrong type itself
        cleaned = {}
        for key, value in data.items():
            field = self.fields.get(key)
            if isinstance(value, str) and self.as_form:
                value = value.strip()
                if value == "" and field is not None and not field.required:
                    continue
            elif isinstance(value, str) and isinstance(field, Name):
                value = value.strip(" ")
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
    district = fields.String(
        allow_none=True, metadata={"description": "the kecamatan; null if not set"}
    )
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    timezone = fields.String(required=True)
    opening_days = fields.List(fields.String(), attribute="opening_days_list")
    active = fields.Boolean()
    withdrawal_rules = fields.Nested(
        "WithdrawalRulesSchema", attribute="counter_settings", allow_none=True
    )


class BankCreateSchema(StrippedSchema):
    """Input for creating a bank (CLI and API share it)."""

    code = fields.String(required=True, validate=_CODE)
    name = Name(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(BANK_KINDS))
    parent = fields.String(load_default=None, validate=_CODE)
    city = fields.String(load_default=None, validate=_CODE)
    address = fields.String(load_default=None, validate=validate.Length(max=255))
    district = Name(
        load_default=None,
        validate=validate.Length(max=120),
        metadata={"description": "the kecamatan, spelled as on the city's bins"},
    )
    latitude = fields.Float(load_default=None, validate=validate.Range(-90, 90))
    longitude = fields.Float(load_default=None, validate=validate.Range(-180, 180))
    timezone = fields.String(load_default=None, validate=validate.Length(max=64))
    opening_days = fields.List(
        fields.String(validate=validate.OneOf(WEEKDAYS)), load_default=list
    )


# -- members ---------------------------------------------------------------------------
_PHONE = Pattern(
    r"^\+?[0-9][0-9 -]{6,18}$", error="A phone number: digits, + - and spaces."
)
_RT_RW = Pattern(r"^[0-9]{1,3}$", error="1 to 3 digits.")
_NIK = Pattern(r"^[0-9]{16}$", error="A NIK is exactly 16 digits.")


class MemberFieldsMixin(StrippedSchema):
    phone = fields.String(load_default=None, validate=_PHONE)
    address = fields.String(load_default=None, validate=validate.Length(max=255))
    rt = fields.String(load_default=None, validate=_RT_RW)
    rw = fields.String(load_default=None, validate=_RT_RW)
    kelurahan = Name(load_default=None, validate=validate.Length(max=80))
    nik = fields.String(load_default=None, validate=_NIK)


class MemberCreateSchema(MemberFieldsMixin):
    """A new member of ``bank`` (the bank's code)."""

    bank = fields.String(required=True, validate=_CODE)
    name = Name(required=True, validate=validate.Length(min=1, max=120))
    kind = fields.String(load_default="person", validate=validate.OneOf(MEMBER_KINDS))


class MemberUpdateSchema(MemberFieldsMixin):
    """A partial update; ``active: false`` deactivates (members are never deleted)."""

    name = Name(validate=validate.Length(min=1, max=120))
    kind = fields.String(validate=validate.OneOf(MEMBER_KINDS))
    active = JsonBoolean()

    # Every field is optional: absent means "leave as is", unlike creation.
    phone = fields.String(allow_none=True, validate=_PHONE)
    address = fields.String(allow_none=True, validate=validate.Length(max=255))
    rt = fields.String(allow_none=True, validate=_RT_RW)
    rw = fields.String(allow_none=True, validate=_RT_RW)
    kelurahan = Name(allow_none=True, validate=validate.Length(max=80))
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
    balance_rp = fields.Function(
        lambda m: m.position.balance_rp if hasattr(m, "position") else None
    )
    available_rp = fields.Function(
        lambda m: m.position.available_rp if hasattr(m, "position") else None,
        metadata={"description": "balance minus amounts held for pending withdrawals"},
    )


class MemberQueryArgsSchema(StrippedSchema):
    bank = fields.String(load_default=None, validate=_CODE)
    q = fields.String(load_default=None, validate=validate.Length(max=120))
    active = fields.Boolean(load_default=None)


class CardSchema(Schema):
    token = fields.String(required=True)
    issued_at = fields.AwareDateTime(required=True)
    member = fields.Nested(MemberSchema, required=True)


class CardLookupSchema(Schema):
    """A scanned card token, in the body: a URL would put it in access logs."""

    token = fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"example": "7ZK3M9QW2XH4PD8R1TB6NVC5YJ"},
    )


# -- counter: catalogue and prices ----------------------------------------------------------
_RP = validate.Range(min=0, max=10**12)
_MAX_PRICE_RP = validate.Range(min=1, max=10**12)


class CategorySchema(Schema):
    code = fields.String(required=True)
    name_id = fields.String(required=True)
    name_en = fields.String(required=True)
    material = fields.String(required=True, metadata={"enum": list(MATERIALS)})
    unit = fields.String(required=True, metadata={"enum": list(UNITS)})
    max_price_rp = fields.Integer(
        required=True,
        metadata={
            "description": "the highest price per unit any bank may set or sell at"
        },
    )
    active = fields.Boolean()


class CategoryCreateSchema(StrippedSchema):
    code = fields.String(required=True, validate=_CODE)
    name_id = Name(required=True, validate=validate.Length(min=1, max=120))
    name_en = Name(required=True, validate=validate.Length(min=1, max=120))
    material = fields.String(required=True, validate=validate.OneOf(MATERIALS))
    unit = fields.String(required=True, validate=validate.OneOf(UNITS))
    max_price_rp = fields.Integer(
        load_default=None,
        strict=True,
        validate=_MAX_PRICE_RP,
        metadata={"description": "price ceiling per unit; default: the material's"},
    )


class CategoryUpdateSchema(Schema):
    """``PATCH /categories/{code}`` (admins): the category's price ceiling."""

    max_price_rp = fields.Integer(
        required=True,
        strict=True,
        validate=_MAX_PRICE_RP,
        metadata={
            "description": "the highest price per unit any bank may set or sell at"
        },
    )


class PriceSetSchema(Schema):
    """``PUT /banks/{code}/prices/{category}``; bounds only on an induk's price."""

    price_rp = fields.Integer(required=True, strict=True, validate=_RP)
    effective_from = BoundedDate(
        load_default=None, metadata={"description": "default: today"}
    )
    floor_rp = fields.Integer(load_default=None, strict=True, validate=_RP)
    ceiling_rp = fields.Integer(load_default=None, strict=True, validate=_RP)


class PriceRuleSchema(Schema):
    bank = fields.Function(lambda rule: rule.bank.code)
    category = fields.Function(lambda rule: rule.category.code)
    price_rp = fields.Integer(required=True)
    effective_from = fields.Date(required=True)
    floor_rp = fields.Integer(allow_none=True)
    ceiling_rp = fields.Integer(allow_none=True)


class PriceQuoteSchema(Schema):
    category = fields.Nested(CategorySchema, required=True)
    price_rp = fields.Integer(required=True)
    source_bank = fields.String(attribute="source_bank_code", required=True)
    effective_from = fields.Date(required=True)
    floor_rp = fields.Integer(allow_none=True)
    ceiling_rp = fields.Integer(allow_none=True)


class PriceListQueryArgsSchema(Schema):
    on = BoundedDate(load_default=None, metadata={"description": "default: today"})


class WithdrawalRulesSchema(Schema):
    min_withdrawal_rp = fields.Integer()
    fee_kind = fields.String(metadata={"enum": ["none", "percent", "fixed"]})
    fee_value = fields.Integer(
        metadata={"description": "basis points (percent) or rupiah (fixed)"}
    )
    separate_approver_and_payer = fields.Boolean()


class BankUpdateSchema(Schema):
    """``PATCH /banks/{code}``: the bank's district and withdrawal rules."""

    district = Name(
        allow_none=True,
        validate=validate.Length(max=120),
        metadata={"description": "the kecamatan; null or blank clears it"},
    )
    min_withdrawal_rp = fields.Integer(strict=True, validate=_RP)
    fee_kind = fields.String(validate=validate.OneOf(["none", "percent", "fixed"]))
    fee_value = fields.Integer(
        strict=True,
        validate=_RP,
        metadata={"description": "a percentage in basis points, below 10000 (100 %)"},
    )
    separate_approver_and_payer = JsonBoolean(
        metadata={
            "description": "a control: changed only by an admin or, for a unit, "
            "its induk's manager"
        }
    )


# -- counter: deposits, savings, withdrawals ------------------------------------------------
class IdempotencyHeaderSchema(Schema):
    idempotency_key = fields.String(
        required=True,
        data_key="Idempotency-Key",
        validate=Pattern(
            r"^[\x21-\x7e]{1,80}$",
            error="1-80 visible ASCII characters.",
        ),
    )


class DepositLineCreateSchema(Schema):
    category = fields.String(required=True, validate=_CODE)
    quantity = DecimalNumber(
        required=True,
        validate=validate.Range(min=0, min_inclusive=False, max=1000),
        metadata={
            "description": "in the category's unit (kg, pcs or litre), up to 3 decimals"
        },
    )


class DepositCreateSchema(Schema):
    member = fields.Integer(load_default=None, strict=True, validate=_ID)
    card = fields.String(load_default=None, validate=validate.Length(max=64))
    mode = fields.String(load_default="save", validate=validate.OneOf(DEPOSIT_MODES))
    lines = fields.List(
        fields.Nested(DepositLineCreateSchema),
        required=True,
        validate=validate.Length(min=1, max=50),
    )

    @validates_schema
    def _member_or_card(self, data: dict[str, Any], **kwargs: Any) -> None:
        if (data.get("member") is None) == (data.get("card") is None):
            raise ValidationError("Give either member or card.", "member")


class DepositLineSchema(Schema):
    category = fields.String(attribute="category_code")
    category_name = fields.String()
    material = fields.String()
    unit = fields.String()
    quantity = fields.Decimal(as_string=True)
    price_rp = fields.Integer(
        metadata={"description": "unit price in force, snapshotted"}
    )
    value_rp = fields.Integer()


class DepositSchema(Schema):
    id = fields.Integer()
    receipt_no = fields.String()
    bank = fields.Function(lambda deposit: deposit.bank.code)
    member = fields.Integer(attribute="member_id")
    member_no = fields.Function(lambda deposit: deposit.member.member_no)
    mode = fields.String()
    lines = fields.List(fields.Nested(DepositLineSchema))
    total_rp = fields.Integer()
    total_weight_kg = fields.Decimal(as_string=True)
    occurred_at = fields.AwareDateTime()
    reversed_at = fields.AwareDateTime(allow_none=True)
    reversal_reason = fields.String(allow_none=True)
    verify_code = fields.String()
    balance_rp = fields.Integer(metadata={"description": "the member's balance now"})


class ReasonSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=255))


class WithdrawalCreateSchema(Schema):
    member = fields.Integer(required=True, strict=True, validate=_ID)
    amount_rp = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=10**12)
    )
    method = fields.String(required=True, validate=validate.OneOf(WITHDRAWAL_METHODS))
    note = fields.String(load_default=None, validate=validate.Length(max=255))


class WithdrawalSchema(Schema):
    id = fields.Integer()
    receipt_no = fields.String()
    bank = fields.Function(lambda w: w.bank.code)
    member = fields.Integer(attribute="member_id")
    amount_rp = fields.Integer()
    fee_rp = fields.Integer()
    net_rp = fields.Integer()
    method = fields.String()
    status = fields.String(metadata={"enum": list(WITHDRAWAL_STATUSES)})
    note = fields.String(allow_none=True)
    requested_at = fields.AwareDateTime()
    decided_at = fields.AwareDateTime(allow_none=True)
    approved_by = fields.Integer(attribute="approved_by_id", allow_none=True)
    rejection_reason = fields.String(allow_none=True)
    paid_at = fields.AwareDateTime(allow_none=True)
    paid_by = fields.Integer(attribute="paid_by_id", allow_none=True)
    verify_code = fields.String()
    available_rp = fields.Integer(
        metadata={"description": "the member's available balance now"}
    )


class StatementQueryArgsSchema(Schema):
    from_ = BoundedDate(data_key="from", load_default=None)
    to = BoundedDate(
        load_default=None, metadata={"description": "inclusive, the bank's local date"}
    )


class StatementEntrySchema(Schema):
    id = fields.Integer(attribute="entry.id")
    at = fields.AwareDateTime(attribute="entry.created_at")
    kind = fields.String(attribute="entry.kind")
    description = fields.String(attribute="entry.description")
    amount_rp = fields.Integer(attribute="entry.amount_rp")
    balance_rp = fields.Integer()
    deposit = fields.Integer(attribute="entry.deposit_id", allow_none=True)
    withdrawal = fields.Integer(attribute="entry.withdrawal_id", allow_none=True)


class StatementSchema(Schema):
    member = fields.Integer(attribute="member.id")
    member_no = fields.String(attribute="member.member_no")
    opening_rp = fields.Integer()
    closing_rp = fields.Integer()
    entries = fields.List(fields.Nested(StatementEntrySchema), attribute="lines")
