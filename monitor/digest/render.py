"""Render a digest as an email: HTML with inline CSS plus a plain-text part (pure).

Every text that came from a feed is escaped (Jinja2 autoescape); links are http(s) only
(:func:`monitor.ingest.urls.http_url`).
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from monitor.digest.compose import Digest
from monitor.types import Stance
from monitor.wording import MEANING, first_upper, held_by, reported_phrase

_ENV = Environment(
    loader=PackageLoader("monitor.digest", "templates"),
    # HTML templates escape everything; the text part is not HTML, nothing to escape there.
    autoescape=select_autoescape(["html"], default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_ENV.filters["capitalize_first"] = first_upper
# Badge colours: readable on white, distinct without colour too (the label says it).
STANCE_STYLE = {
    Stance.CONTRADICTS: ("#b42318", "#fef3f2", "contradicts"),
    Stance.SUPPORTS: ("#067647", "#ecfdf3", "supports"),
    Stance.MENTIONS: ("#475467", "#f2f4f7", "mentions"),
    Stance.UNRELATED: ("#475467", "#f2f4f7", "unrelated"),
}


def _local(moment: datetime | None, zone: str, fmt: str = "%d %b %H:%M") -> str:
    if moment is None:
        return "date unknown"
    return moment.astimezone(ZoneInfo(zone)).strftime(fmt)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _context(digest: Digest) -> dict[str, object]:
    return {
        "d": digest,
        "local": lambda moment, fmt="%d %b %H:%M": _local(moment, digest.timezone, fmt),
        "plural": _plural,
        "stance_style": STANCE_STYLE,
        "held_by": held_by,
        "reported_phrase": reported_phrase,
        "meaning": MEANING,
    }


def render_html(digest: Digest) -> str:
    """The digest as an HTML document with inline styles (what mail clients keep)."""
    return _ENV.get_template("digest.html").render(_context(digest))


def render_text(digest: Digest) -> str:
    """The digest as plain text (the email's text part)."""
    return _ENV.get_template("digest.txt").render(_context(digest))


def email_message(
    digest: Digest, mail_from: str, recipients: tuple[str, ...], message_id: str, now: datetime
) -> EmailMessage:
    """A multipart/alternative email (text, then HTML) ready for SMTP."""
    message = EmailMessage()
    message["Subject"] = digest.subject
    message["From"] = mail_from
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(render_text(digest))
    message.add_alternative(render_html(digest), subtype="html")
    return message
