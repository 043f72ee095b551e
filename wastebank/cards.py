"""Member card tokens and their QR codes (pure).

A card's QR code carries only a random token, never personal data. Tokens use Crockford's
base32 alphabet (digits and upper-case letters without I, L, O, U): a keyboard-wedge scanner
types them the same on any common layout, caps lock does no harm because lookups are
case-insensitive, and QR codes encode them in the compact alphanumeric mode.
"""

from __future__ import annotations

import io
import secrets

import qrcode
import qrcode.constants
import qrcode.image.svg

#: Crockford base32.
TOKEN_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # noqa: S105 - an alphabet, not a secret
#: 26 symbols x 5 bits = 130 bits of randomness (the floor is 128).
TOKEN_LENGTH = 26
_TOKEN_BITS = TOKEN_LENGTH * 5
# Crockford decoding: letters people (or scanners with the wrong case) confuse with digits.
# M (15 %) survives a scuffed, laminated card and keeps the code small.
_ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_token() -> str:
    """Return a fresh card token of :data:`TOKEN_LENGTH` symbols (130 random bits)."""
    value = secrets.randbits(_TOKEN_BITS)
    symbols = []
    for _ in range(TOKEN_LENGTH):
        value, index = divmod(value, 32)
        symbols.append(TOKEN_ALPHABET[index])
    return "".join(symbols)


def normalize_token(text: str) -> str | None:
    """Turn what a scanner or a person typed into a canonical token.

    Surrounding white space, hyphens and spaces are dropped, lower case is raised, and
    ``O``/``I``/``L`` are read as ``0``/``1``/``1`` (Crockford's rule).

    :param text: the raw scanned or typed text.
    :returns: the canonical token, or None when the text cannot be a token.
    """
    cleaned = (
        text.strip().upper().replace("-", "").replace(" ", "").translate(_CONFUSABLE)
    )
    if len(cleaned) != TOKEN_LENGTH or any(c not in TOKEN_ALPHABET for c in cleaned):
        return None
    return cleaned


def qr_png(token: str, *, box_size: int = 8) -> bytes:
    """Render ``token`` as a PNG QR code.

    :param token: the card token (the QR payload, nothing else).
    :param box_size: pixels per QR module.
    :returns: PNG bytes (about 0.5 kB).
    """
    code = qrcode.QRCode(
        error_correction=_ERROR_CORRECTION, box_size=box_size, border=4
    )
    code.add_data(token)
    image = code.make_image()
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def qr_svg(token: str) -> str:
    """Render ``token`` as an SVG QR code (a single path; scales for printing).

    :param token: the card token.
    :returns: the SVG document as text.
    """
    code = qrcode.QRCode(
        error_correction=_ERROR_CORRECTION,
        border=4,
        image_factory=qrcode.image.svg.SvgPathImage,
    )
    code.add_data(token)
    image = code.make_image()
    svg: str = image.to_string(encoding="unicode")
    return svg
