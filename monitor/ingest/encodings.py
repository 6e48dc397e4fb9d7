"""Repair documents whose declared encoding does not match their bytes.

The common case in news feeds: a file declared (or defaulting to) UTF-8 that holds Windows-1252
bytes, whole or mixed into UTF-8 text pasted from elsewhere. Parsers then either fail or turn
every accented letter into mojibake; reading each stray byte as Windows-1252 recovers the text.
"""

from __future__ import annotations

import codecs
import re

_XML_DECLARATION = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_FALLBACK = "monitor-cp1252-fallback"


def _cp1252_byte(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:  # the five bytes Windows-1252 leaves undefined
        return bytes([byte]).decode("latin-1")


def _fallback(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return "".join(_cp1252_byte(byte) for byte in bad), error.end


codecs.register_error(_FALLBACK, _fallback)


def declared_encoding(data: bytes, content_type: str = "") -> str | None:
    """The encoding named by the HTTP ``charset`` (which wins) or the XML declaration."""
    header = _CHARSET.search(content_type)
    if header:
        return header.group(1)
    declaration = _XML_DECLARATION.match(data[:200])
    return declaration.group(1).decode("ascii") if declaration else None


def repaired_utf8(data: bytes, content_type: str = "") -> bytes | None:
    """``data`` as valid UTF-8 when it claims UTF-8 (or nothing) but is not; else None.

    Stray bytes are read as Windows-1252. Documents in other declared encodings, and UTF-16 or
    UTF-32 ones, are left to the parser.
    """
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or b"\x00" in data[:4]:
        return None
    declared = declared_encoding(data, content_type)
    if declared is not None and _codec_name(declared) != "utf-8":
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("utf-8", errors=_FALLBACK).encode("utf-8")
    return None


def _codec_name(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None
