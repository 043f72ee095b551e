"""Domain errors of the waste-bank package.

Each class has a stable snake_case ``code`` used as the ``type`` of the API error envelope.
HTTP status codes are chosen in :mod:`wastebank.errors`, never here.
"""

from __future__ import annotations


class WasteBankError(Exception):
    """Base class of every waste-bank domain error."""

    code = "waste_bank_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: the input field the error is about, if any (becomes ``errors[field]``)
        self.field = field


# -- not found family (404) ------------------------------------------------------------
class NotFound(WasteBankError):
    """A resource does not exist, or exists outside what the user may see."""

    code = "not_found"


class BankNotFound(NotFound):
    code = "bank_not_found"


class MemberNotFound(NotFound):
    code = "member_not_found"


class CardNotFound(NotFound):
    code = "card_not_found"


class UserNotFound(NotFound):
    code = "user_not_found"


# -- gone (410) ------------------------------------------------------------------------
class CardRevoked(WasteBankError):
    """The scanned card was replaced by a newer one (lost card reissued)."""

    code = "card_revoked"


# -- invalid input that passed the schema (422) ---------------------------------------
class InvalidReference(WasteBankError):
    """The request names something (a bank, a city) that does not exist."""

    code = "invalid_reference"


class InvalidValue(WasteBankError):
    """A value breaks a domain rule that a schema cannot check (e.g. an unknown zone)."""

    code = "invalid_value"


class WeakPassword(InvalidValue):
    """A new password breaks the password rules (too short, common, the username).

    ``msgid`` and ``params`` let a page say it in the reader's language.
    """

    code = "weak_password"

    def __init__(
        self, msgid: str, params: dict[str, int], *, field: str = "password"
    ) -> None:
        super().__init__(msgid % params if params else msgid, field=field)
        self.msgid = msgid
        self.params = params


class WrongPassword(InvalidValue):
    """The current password given to change it is not the user's password."""

    code = "wrong_password"


# -- conflict / rule family (409) ----------------------------------------------------
class Conflict(WasteBankError):
    """The request conflicts with the current state."""

    code = "conflict"


class SelfDeactivation(Conflict):
    """An admin may not deactivate their own account (nobody would be left to undo it)."""

    code = "self_deactivation"


class DuplicateCode(Conflict):
    code = "duplicate_code"


class DuplicateUsername(Conflict):
    code = "duplicate_username"


class InvalidHierarchy(Conflict):
    """A unit's parent must be an induk; an induk has no parent."""

    code = "invalid_hierarchy"


class MemberInactive(Conflict):
    code = "member_inactive"


class CategoryNotFound(NotFound):
    code = "category_not_found"


class DepositNotFound(NotFound):
    code = "deposit_not_found"


class WithdrawalNotFound(NotFound):
    code = "withdrawal_not_found"


class NoPrice(InvalidValue):
    """A category has no buying price in force at the bank (nor at its induk)."""

    code = "no_price"


class PriceOutOfBounds(InvalidValue):
    """A unit's price lies outside its induk's floor and ceiling."""

    code = "price_out_of_bounds"


class PriceAboveMaximum(InvalidValue):
    """A price per unit above the category's ceiling (``max_price_rp``): a typing error."""

    code = "price_above_maximum"

    def __init__(self, message: str, *, field: str, max_price_rp: int) -> None:
        super().__init__(message, field=field)
        #: the ceiling, for forms that word the error themselves
        self.max_price_rp = max_price_rp


class IdempotencyKeyReused(Conflict):
    """The Idempotency-Key was used before with a different request body."""

    code = "idempotency_key_reused"


class InsufficientBalance(Conflict):
    """The member's available balance is less than what the command needs."""

    code = "insufficient_balance"


class BelowMinimumWithdrawal(InvalidValue):
    code = "below_minimum_withdrawal"


class NothingLeftAfterFee(InvalidValue):
    """The withdrawal fee takes the whole amount: nothing would be paid out."""

    code = "nothing_left_after_fee"


class InvalidTransition(Conflict):
    """The record is not in a state that allows this step (e.g. paying a rejected request)."""

    code = "invalid_transition"


class SameApproverAndPayer(Conflict):
    """The bank requires a different person to pay than the one who approved."""

    code = "same_approver_and_payer"


class AlreadyReversed(Conflict):
    code = "already_reversed"


# -- back office ------------------------------------------------------------------------
class InsufficientStock(Conflict):
    """A sale, shipment, reversal or adjustment would take more than is on hand."""

    code = "insufficient_stock"


class BuyerNotFound(NotFound):
    code = "buyer_not_found"


class SaleNotFound(NotFound):
    code = "sale_not_found"


class ShipmentNotFound(NotFound):
    code = "shipment_not_found"


# -- member notifications --------------------------------------------------------------
class NotificationChannelNotFound(NotFound):
    """The bank has no WhatsApp or SMS gateway configured."""

    code = "notification_channel_not_found"


class NotificationNotFound(NotFound):
    code = "notification_not_found"


class ChannelDisabled(Conflict):
    """A message cannot be retried while the bank has no enabled gateway."""

    code = "channel_disabled"


# -- diversion report: cities' waste flows ---------------------------------------------
class CityNotFound(NotFound):
    """No city with that code, or not one the user's role reaches (404)."""

    code = "city_not_found"


class TpaDeliveryNotFound(NotFound):
    code = "tpa_delivery_not_found"


class TreatmentInputNotFound(NotFound):
    code = "treatment_input_not_found"


class DuplicateTicket(Conflict):
    """The city's weighbridge ticket number was recorded before with other data."""

    code = "duplicate_ticket"


class StillReferenced(Conflict):
    """A record other records point to (a driver's report of a TPA delivery) (409)."""

    code = "still_referenced"


class DuplicateTreatmentInput(Conflict):
    """The facility's input of that day, pathway and material differs from the one sent."""

    code = "duplicate_treatment_input"


class InvalidPeriod(InvalidValue):
    """A report period runs backwards or does not lie within one calendar year."""

    code = "invalid_period"


# -- authentication / authorisation --------------------------------------------------
class AuthenticationFailed(WasteBankError):
    """Wrong username or password, or a missing/expired token (401)."""

    code = "authentication_failed"


class TokenExpired(AuthenticationFailed):
    """The bearer token is past its expiry; log in again (401)."""

    code = "token_expired"


class TooManyAttempts(WasteBankError):
    """Too many failed logins for one user in the window (429)."""

    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class PermissionDenied(WasteBankError):
    """The user is known but their role does not allow the action (403)."""

    code = "permission_denied"
