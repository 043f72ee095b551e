"""The shared fields and validators: dates, decimals, names, patterns (pure)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from marshmallow import Schema, ValidationError

from wastebank.fields import (
    DATE_RANGE_MESSAGE,
    MAX_DATE,
    MIN_DATE,
    BoundedDate,
    BoundedDateTime,
    DecimalNumber,
    JsonBoolean,
    Name,
    Pattern,
    parse_date,
)


class _Sample(Schema):
    flag = JsonBoolean()
    name = Name()
    day = BoundedDate()
    at = BoundedDateTime()
    kg = DecimalNumber()


def _error(**data: object) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        _Sample().load(data)
    messages: dict[str, list[str]] = caught.value.messages  # type: ignore[assignment]
    return messages


def test_a_pattern_matches_the_whole_value() -> None:
    """``re.match`` with ``$`` also accepted a trailing newline."""
    code = Pattern(r"^[A-Z0-9]{1,16}$")
    assert code("BSU01") == "BSU01"
    with pytest.raises(ValidationError):
        code("BSU01\n")


@pytest.mark.parametrize(
    "name",
    [
        "Ani\u202eatas",  # right-to-left override
        "Bank\u2066 Sampah\u2069",  # isolates
        "Ani\u200b",  # zero-width space
        "\ufeffAni",  # byte order mark
        "Ani\u2060Budi",  # word joiner
        "Ani\u200dBudi",  # zero-width joiner
        "Ani\nBudi",
        "Ani\tBudi",
    ],
)
def test_a_name_refuses_invisible_and_direction_characters(name: str) -> None:
    assert list(_error(name=name)) == ["name"]


def test_a_name_keeps_every_visible_letter() -> None:
    for name in ("Siti Rumra", "Bank Sampah Kudamati-Hijau", "Café Müller", "ابن"):
        assert _Sample().load({"name": name}) == {"name": name}


@pytest.mark.parametrize(
    "text", ["0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01"]
)
def test_dates_outside_the_century_are_refused(text: str) -> None:
    assert list(_error(day=text)) == ["day"]
    assert list(_error(at=f"{text}T00:00:00+09:00")) == ["at"]
    with pytest.raises(ValidationError):
        parse_date(text)


@pytest.mark.parametrize("text", ["20260105", "2026-W01-1", "2026-1-5", "2026-01-05\n"])
def test_a_date_is_written_yyyy_mm_dd(text: str) -> None:
    assert list(_error(day=text)) == ["day"]


def test_dates_within_the_century_are_read() -> None:
    data = _Sample().load({"day": "2000-01-01", "at": "2100-12-31T23:59:59-10:00"})
    assert data["day"] == dt.date(2000, 1, 1)
    assert data["at"].utcoffset() == dt.timedelta(hours=-10)
    assert parse_date("2026-02-28") == dt.date(2026, 2, 28)


@pytest.mark.parametrize(
    "value", ["1e3", " 5", "5 ", "+5", ".", "Infinity", "NaN", True]
)
def test_a_decimal_string_must_be_plain_digits(value: object) -> None:
    assert list(_error(kg=value)) == ["kg"]


def test_a_decimal_is_read_from_a_number_or_a_plain_string() -> None:
    assert _Sample().load({"kg": 0.1}) == {"kg": Decimal("0.1")}
    assert _Sample().load({"kg": "-12.500"}) == {"kg": Decimal("-12.500")}
    assert _Sample().load({"kg": 3}) == {"kg": Decimal(3)}
    # as people type them (the driver's page sends the weight as typed)
    assert _Sample().load({"kg": "812."}) == {"kg": Decimal("812")}
    assert _Sample().load({"kg": ".5"}) == {"kg": Decimal("0.5")}


def test_the_date_range_message_names_the_range() -> None:
    assert f"A date between {MIN_DATE} and {MAX_DATE}." == DATE_RANGE_MESSAGE


@pytest.mark.parametrize("value", [0, 1, "true", "yes", "on", None])
def test_a_json_boolean_is_true_or_false(value: object) -> None:
    assert list(_error(flag=value)) == ["flag"]
    assert _Sample().load({"flag": False}) == {"flag": False}
