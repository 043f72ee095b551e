"""Marshmallow fields and validators every package's schemas share.

One definition each, so that the API, the HTML forms (which load through the same
schemas) and the OpenAPI document agree on what a date, a decimal, a name or a pattern
is:

* :class:`BoundedDate` and :class:`BoundedDateTime`: calendar dates and instants between
  :data:`MIN_DATE` and :data:`MAX_DATE`. Python's own range (years 1 to 9999) is not
  enough: the first or last day of it, moved into a bank's zone or extended to the end
  of the day, leaves that range and raises ``OverflowError`` deep in a service.
* :class:`DecimalNumber`: a decimal from a JSON number or a plain decimal string;
  :class:`JsonBoolean`: ``true`` or ``false`` and nothing else in a JSON body.
* :class:`Name`: a name people read on screens and receipts, without the invisible
  characters that make one name look like another.
* :class:`Pattern`: ``validate.Regexp`` matching the whole value, with a pattern the
  OpenAPI document can publish as it is (ECMA 262 syntax).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any, cast

from marshmallow import ValidationError, fields, validate

from wastebank.extensions import MAX_ID
from wastebank.messages import N_

#: The first and last calendar day any request may name. Records of a waste bank start
#: in this century; a wider range only lets typing errors reach the books.
MIN_DATE = dt.date(2000, 1, 1)
MAX_DATE = dt.date(2100, 12, 31)
DATE_RANGE_MESSAGE = N_("A date between 2000-01-01 and 2100-12-31.")
DATE_FORMAT_MESSAGE = N_("Not a valid date (YYYY-MM-DD).")
#: A date as the API writes it (RFC 3339 ``full-date``); Python would also read
#: ``20260105`` or ``2026-W01-1``, which the OpenAPI ``date`` format does not allow.
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

#: The last page a paginated list may be asked for (with 1,000 items a page, a billion
#: items: more than any list here holds, and far below the database's OFFSET limit).
MAX_PAGE = 1_000_000

#: How a decimal looks in the API's answers: digits, at most one point with digits after
#: it, an optional minus; no exponent, no spaces.
DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
#: How it may look in a request: also ``"12."`` or ``".5"``, as people type them (the
#: driver's page sends the weight as typed), never an exponent, spaces or "Infinity".
DECIMAL_INPUT_PATTERN = r"^-?([0-9]+(\.[0-9]*)?|\.[0-9]+)$"
_DECIMAL = re.compile(DECIMAL_INPUT_PATTERN)

#: Characters a name may not contain: C0 controls and DEL (tab and newline included),
#: zero-width characters (U+200B-U+200D, U+2060, U+FEFF) and the bidirectional
#: embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), which let a
#: name look like another or reorder the text shown after it (CVE-2021-42574).
NAME_PATTERN = (
    "^[^\\x00-\\x1f\\x7f\\u200b-\\u200d\\u2060\\ufeff\\u202a-\\u202e\\u2066-\\u2069]*$"
)
NAME_MESSAGE = N_("No control, zero-width or text-direction characters.")


class Pattern(validate.Regexp):
    """``validate.Regexp`` that matches the whole value (``re.fullmatch``).

    ``re.match`` with ``$`` also accepts a trailing newline, so ``"BSU01\\n"`` passed as
    a code. Write patterns in the common subset of Python and ECMA 262 (``^...$``, no
    ``\\Z``, named groups or inline flags): the OpenAPI document publishes them.
    """

    def __call__(self, value: Any) -> Any:
        """Return ``value`` when the pattern matches all of it."""
        regex = cast("re.Pattern[str]", self.regex)  # compiled from a str
        if not isinstance(value, str) or regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


class Name(fields.String):
    """A name (member, bank, bin, truck, depot, facility, category, buyer, person).

    Refuses the characters of :data:`NAME_PATTERN`, naming the field (422 in the API,
    the message next to the field in a form); other validators (a length) come on top.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.append(Pattern(NAME_PATTERN, error=NAME_MESSAGE))


def check_date(day: dt.date) -> dt.date:
    """``day`` itself, if it lies between :data:`MIN_DATE` and :data:`MAX_DATE`.

    :raises ValidationError: outside that range.
    """
    if not MIN_DATE <= day <= MAX_DATE:
        raise ValidationError(DATE_RANGE_MESSAGE)
    return day


def parse_date(text: str) -> dt.date:
    """A ``YYYY-MM-DD`` date from a query string or form, within the allowed range.

    :raises ValidationError: not such a date, or outside the range.
    """
    if _ISO_DATE.fullmatch(text) is None:
        raise ValidationError(DATE_FORMAT_MESSAGE)
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(DATE_FORMAT_MESSAGE) from None
    return check_date(day)


def _bounded_int(text: str, maximum: int) -> int:
    number = int(text)
    if not 1 <= number <= maximum:
        raise ValueError(f"{number} is not between 1 and {maximum}")
    return number


def record_id(text: str) -> int:
    """A record id from a query string (``type=`` of ``request.args.get``).

    A larger number than a table's ids reached the database driver and failed there.

    :raises ValueError: not an integer from 1 to ``MAX_ID`` (werkzeug then uses the
        default).
    """
    return _bounded_int(text, MAX_ID)


def page_number(text: str) -> int:
    """A page number from a query string (``type=``), 1 to :data:`MAX_PAGE`.

    :raises ValueError: otherwise (werkzeug then uses the default).
    """
    return _bounded_int(text, MAX_PAGE)


class BoundedDate(fields.Date):
    """A ``YYYY-MM-DD`` date between :data:`MIN_DATE` and :data:`MAX_DATE`."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = dict(kwargs.pop("metadata", None) or {})
        metadata.setdefault("x-minimum", MIN_DATE.isoformat())
        metadata.setdefault("x-maximum", MAX_DATE.isoformat())
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> Any:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        return parse_date(value)


class BoundedDateTime(fields.AwareDateTime):
    """A date-time with its UTC offset, within the dates of :class:`BoundedDate`."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = dict(kwargs.pop("metadata", None) or {})
        metadata.setdefault("x-minimum", f"{MIN_DATE.isoformat()}T00:00:00Z")
        metadata.setdefault("x-maximum", f"{MAX_DATE.isoformat()}T23:59:59Z")
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> Any:
        moment = super()._deserialize(value, attr, data, **kwargs)
        # Compare the calendar date as written (no zone conversion, which is what
        # overflows at the ends of Python's range).
        check_date(moment.date())
        return moment


class JsonBoolean(fields.Boolean):
    """``true`` or ``false`` in a JSON body, as the OpenAPI document says.

    marshmallow's Boolean also reads ``"yes"``, ``"on"``, ``1`` or ``"0"`` (made for
    query strings and forms, which keep it).
    """

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> bool:
        # Not `truthy = {True}`: 1 == True, so 1 and 0 would still pass a set.
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class DecimalNumber(fields.Decimal):
    """A decimal read from a JSON number or a string of :data:`DECIMAL_INPUT_PATTERN`.

    Answers carry decimals as strings (``"12.500"``: exact, where a JSON number would
    pass through a float in most clients). Requests may send either; a string must be
    plain digits (``"1e3"``, ``" 5"`` or ``"Infinity"`` are refused), and booleans,
    which Python counts as numbers, are refused too.
    """

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> Decimal:
        if isinstance(value, bool) or (
            isinstance(value, str) and _DECIMAL.fullmatch(value) is None
        ):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)
