"""Pure card tokens and QR rendering."""

from __future__ import annotations

import io

import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from wastebank import cards


def test_tokens_are_26_crockford_symbols_and_unique() -> None:
    tokens = {cards.new_token() for _ in range(2000)}
    assert len(tokens) == 2000
    for token in tokens:
        assert len(token) == cards.TOKEN_LENGTH == 26
        assert set(token) <= set(cards.TOKEN_ALPHABET)
    # 26 symbols of 5 bits: at least the required 128 bits of randomness.
    assert cards.TOKEN_LENGTH * 5 >= 128
    # Every symbol position varies (a stuck position would cut the entropy).
    for position in range(cards.TOKEN_LENGTH):
        assert len({t[position] for t in tokens}) > 20


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_normalize_accepts_only_tokens(text: str) -> None:
    result = cards.normalize_token(text)
    assert result is None or (
        len(result) == 26 and set(result) <= set(cards.TOKEN_ALPHABET)
    )


def test_normalize_forgives_case_hyphens_and_confusable_letters() -> None:
    token = cards.new_token()
    assert cards.normalize_token(f"  {token.lower()}\n") == token
    assert cards.normalize_token(f"{token[:5]}-{token[5:]}") == token
    with_zero = "0" + token[1:]
    assert cards.normalize_token("o" + token[1:]) == with_zero
    assert cards.normalize_token("I" + token[1:]) == "1" + token[1:]
    assert cards.normalize_token(token[:-1]) is None
    assert cards.normalize_token(token + "U") is None


def test_png_decodes_back_to_the_token_even_scaled_down() -> None:
    token = cards.new_token()
    image = Image.open(io.BytesIO(cards.qr_png(token)))
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [token]
    small = image.convert("L").resize((image.width // 3, image.height // 3))
    assert [r.text for r in zxingcpp.read_barcodes(small)] == [token]


def test_svg_is_a_single_path_document() -> None:
    svg = cards.qr_svg(cards.new_token())
    assert svg.startswith("<svg") or svg.startswith("<?xml")
    assert svg.count("<path") == 1
