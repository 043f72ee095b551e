"""The password rules (pure): length, the common lists, the username."""

from __future__ import annotations

import pytest

from wastebank import passwords


def test_the_shipped_lists_hold_the_breach_corpus_and_the_indonesian_words() -> None:
    common = passwords.common_passwords()
    assert len(common) > 19_000
    # Royce Williams's list (via Django), SecLists' Indonesian top 150, our own words.
    assert {"password", "qwerty123", "iloveyou"} <= common
    assert {"sayangku", "bismillah", "rahasia", "indonesia"} <= common
    assert {"sampah123", "banksampah", "katasandi123"} <= common
    assert all(word == word.lower().strip() and word for word in common)


@pytest.mark.parametrize(
    "password",
    [
        "Bismillah123",  # common, in any case
        "PASSWORD123",
        "sampah12345",  # the demo password's kin
        "  indonesia123 ",  # spaces around do not make it new
        "katasandi123",
    ],
)
def test_common_passwords_are_refused(password: str) -> None:
    problem = passwords.password_problem(password, username="siti")
    assert problem is not None and problem.msgid == passwords.TOO_COMMON


def test_a_password_needs_the_minimum_length_and_has_a_maximum() -> None:
    short = passwords.password_problem("kopi-susu", min_length=10)
    assert short is not None and short.msgid == passwords.TOO_SHORT
    assert short.message == "A password has at least 10 characters."
    assert passwords.password_problem("kopi-susu", min_length=9) is None
    assert passwords.password_problem("x" * 9 + "-pala", min_length=15) is not None
    long = passwords.password_problem("pala" * 65)
    assert long is not None and long.message == "A password has at most 256 characters."


def test_a_password_must_not_contain_the_username() -> None:
    problem = passwords.password_problem("kasir.bsu01-2026", username="Kasir.BSU01")
    assert problem is not None and problem.msgid == passwords.HAS_USERNAME
    # A very short username may occur in a good password by chance.
    assert passwords.password_problem("kopi-susu-dingin", username="pi") is None


@pytest.mark.parametrize(
    "password",
    ["correct-horse-9", "kopi susu dingin", "Pala-Banda-1621", "rahasia-sekali"],
)
def test_long_uncommon_passwords_pass(password: str) -> None:
    assert passwords.password_problem(password, username="siti") is None
