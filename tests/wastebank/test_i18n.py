"""The Indonesian catalogue is complete, current and compiled."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "wastebank/translations/id/LC_MESSAGES"


def _po() -> dict[str, str]:
    with open(CATALOG / "messages.po", "rb") as handle:
        return {m.id: m.string for m in read_po(handle) if m.id}


def test_every_ui_string_in_the_code_has_an_indonesian_translation() -> None:
    with open(ROOT / "babel.cfg") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    extracted = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, *_rest in extract_from_dir(
            str(ROOT / "wastebank"), method_map, options_map
        )
    }
    translations = _po()
    assert len(extracted) > 50
    missing = sorted(
        extracted - {msgid for msgid, text in translations.items() if text}
    )
    assert missing == [], "run ./script/translations and translate these"


def test_compiled_catalog_matches_the_po_file() -> None:
    with open(CATALOG / "messages.mo", "rb") as handle:
        compiled = {m.id: m.string for m in read_mo(handle) if m.id}
    assert compiled == _po(), "run ./script/translations (it compiles messages.mo)"
