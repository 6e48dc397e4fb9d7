"""Plain text from the HTML found inside feeds and pages."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIP = {"script", "style", "noscript", "template", "iframe", "object", "svg", "head"}
_BLOCK = {
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "blockquote",
    "section",
    "article",
    "header",
    "footer",
    "table",
    "pre",
    "hr",
}
_SPACES = re.compile(r"[ \t\u00a0\u200b]+")
_BLANKS = re.compile(r"\s*\n\s*")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skipping += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self._skipping:
            self._skipping -= 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment: tags and scripts dropped, paragraphs kept as lines."""
    if "<" not in html and "&" not in html:
        return normalise_space(html)
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return normalise_space("".join(extractor.parts))


def normalise_space(text: str) -> str:
    """Collapse runs of spaces; keep single line breaks between paragraphs."""
    return _BLANKS.sub("\n", _SPACES.sub(" ", text)).strip()
