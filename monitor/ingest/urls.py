"""Canonical URLs: the same article reached through different links gets one key."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "hsa_")
_TRACKING = {
    "fbclid",
    "gclid",
    "dclid",
    "msclkid",
    "igshid",
    "ref",
    "ref_src",
    "cmpid",
    "ocid",
    "taid",
    "smid",
    "sr_share",
    "at_medium",
    "at_campaign",
    "spm",
}


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, drop default ports, fragments and tracking parameters."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in _TRACKING and not key.lower().startswith(_TRACKING_PREFIXES)
    ]
    path = parts.path or "/"
    return urlunsplit((scheme, host, path, urlencode(query), ""))


def web_url(url: str) -> str:
    """The canonical form of an http(s) URL; "" for other schemes and URLs that cannot be
    parsed (a bad port, a broken IPv6 address), so one bad link never fails a whole feed."""
    if not url.strip().lower().startswith(("http://", "https://")):
        return ""
    try:
        return canonical_url(url)
    except ValueError:
        return ""


def http_url(value: object) -> str | None:
    """``value`` (stripped) if it is an absolute http(s) link with a host, else None: the one
    rule for which links from feeds, pages and files may be shown or followed in an alert, a
    digest or a page (never a ``javascript:`` or ``data:`` link)."""
    text = str(value or "").strip()
    try:
        parts = urlsplit(text)
    except ValueError:  # a malformed address (an unclosed IPv6 bracket)
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return None
    return text
