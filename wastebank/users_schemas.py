"""Marshmallow schemas of user accounts and passwords (shape and ranges only).

Passwords are load-only. Whether a new password is good enough is a service rule
(:func:`wastebank.services.check_new_password`), answered as 422 ``weak_password``.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from wastebank.access import Role
from wastebank.fields import JsonBoolean

# Generous bounds on what is read; the password rules decide what is allowed.
_PASSWORD = validate.Length(min=1, max=1024)


class UserSchema(Schema):
    """A user account as an admin sees it: never its password hash."""

    username = fields.String(required=True)
    full_name = fields.String(allow_none=True)
    role = fields.String(required=True, metadata={"enum": [r.value for r in Role]})
    bank = fields.Function(
        lambda user: user.bank.code if user.bank else None,
        metadata={"description": "the bank's code (managers, cashiers)"},
    )
    city = fields.Function(
        lambda user: user.city.code if user.city else None,
        metadata={"description": "the city's code"},
    )
    active = fields.Boolean(required=True)
    created_at = fields.AwareDateTime(required=True)
    last_login_at = fields.AwareDateTime(allow_none=True)


class UserUpdateSchema(Schema):
    """Deactivate (``false``: every session and token ends) or reactivate a user."""

    active = JsonBoolean(required=True)


class PasswordChangeSchema(Schema):
    """A user changes their own password."""

    current_password = fields.String(required=True, load_only=True, validate=_PASSWORD)
    new_password = fields.String(
        required=True,
        load_only=True,
        validate=_PASSWORD,
        metadata={
            "description": "at least 10 characters (WASTEBANK_PASSWORD_MIN_LENGTH), "
            "not a common password, not containing the username"
        },
    )


class PasswordResetSchema(Schema):
    """An admin sets a user's new password."""

    new_password = fields.String(
        required=True,
        load_only=True,
        validate=_PASSWORD,
        metadata={"description": "the same rules as a password change"},
    )
