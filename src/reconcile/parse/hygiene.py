"""Text hygiene shared by every format: newlines, odd spaces, invisible characters, NFC."""
from __future__ import annotations

import re
import unicodedata

_TRANSLATE: dict[int, str | None] = {}
for _c in "\u200b\u2060\ufeff\u00ad\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069":
    _TRANSLATE[ord(_c)] = None                  # zero-width / invisible formatting (ZWJ, ZWNJ kept: emoji, scripts)
for _c in "\u00a0\u202f\u2007\u205f\u3000\u1680" + "".join(chr(c) for c in range(0x2000, 0x200B)):
    _TRANSLATE[ord(_c)] = " "                   # exotic spaces
for _c in "\r\u2028\u2029\x85\x0b\x0c":
    _TRANSLATE[ord(_c)] = "\n"
for _code in list(range(0x00, 0x09)) + list(range(0x0E, 0x20)) + [0x7F]:
    _TRANSLATE[_code] = None                       # C0 controls except \t \n
_SURROGATE = re.compile("[\ud800-\udfff]")
# Any character _TRANSLATE changes: most texts have none, and a regex finds that far faster than translate() maps.
_TO_TRANSLATE = re.compile("[" + "".join(f"\\u{code:04x}" for code in sorted(_TRANSLATE)) + "]")


def normalize_text(text: str) -> str:
    """Document-level hygiene: newlines, NBSP/odd spaces, zero-width chars, controls, NFC.

    Keeps line count (so line numbers stay meaningful) and keeps curly quotes, ×, ~, →,
    dashes, CJK and emoji intact.
    """
    if not isinstance(text, str):
        text = bytes(text).decode("utf-8", "replace") if isinstance(text, (bytes, bytearray)) else str(text)
    text = text.replace("\r\n", "\n")
    if _TO_TRANSLATE.search(text):
        text = text.translate(_TRANSLATE)
    if _SURROGATE.search(text):
        text = _SURROGATE.sub("\ufffd", text)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text


def collapse(s: str) -> str:
    return " ".join(s.split())


def tidy(s: str) -> str:
    """Final block-text hygiene (entities may have re-introduced NBSP / zero-width chars)."""
    if not s.isascii():
        if _TO_TRANSLATE.search(s):
            s = s.translate(_TRANSLATE)
        if not unicodedata.is_normalized("NFC", s):
            s = unicodedata.normalize("NFC", s)
    return " ".join(s.split())
