"""What a document says about itself: its title, publisher and publication date.

Read by an ordered list of small rules, first hit per field wins: YAML front matter, HTML `<meta>` tags,
`<time datetime>`, the first heading or `<title>`, a press-release dateline ("SANTA CLARA, Calif., Nov. 19,
2025 —"), a date alone on a line near the top, then a "Published …" phrase. A `sources.yaml` entry still wins
over all of these; the registry only fills the fields an entry leaves out (and every field of an unregistered document).

Front matter is read line by line as `key: scalar` pairs, never through a YAML loader: a document is
untrusted input, and aliases or tags in it must not cost memory or run constructors.
"""
from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlparse

from .quantities.lexicon import MONTH_RE

HEAD_CHARS = 16_000   # metadata sits at the top; never scan a multi-megabyte filing for it
_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(?P<body>.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_FM_LINE = re.compile(r"^(?P<key>[A-Za-z_][\w-]*)[ \t]*:[ \t]*(?P<value>.*?)[ \t]*$")
_META = re.compile(r"<meta\b[^>]*>", re.I)
_ATTR = re.compile(r"""(?P<name>[\w:-]+)\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s>]+))""")
_TIME = re.compile(r"""<time\b[^>]*\bdatetime\s*=\s*["']?(?P<value>[^"'\s>]+)""", re.I)
_TITLE = re.compile(r"<title\b[^>]*>(?P<value>.*?)</title>", re.I | re.S)
_MONTH = MONTH_RE   # the one month table's pattern: 'Nov', 'Nov.', 'November', 'Sept'
_WRITTEN_DATE = _MONTH + r"\.?\s+\d{1,2},?\s+\d{4}"
# "SANTA CLARA, Calif., Nov. 19, 2025 (GLOBE NEWSWIRE) --" / "NEW YORK, Feb. 26, 2026 —": a place in capitals.
_DATELINE = re.compile(r"^[ \t*_>]*[A-Z][A-Z .'-]{2,40},(?:[ \t]*[A-Z][A-Za-z.]{1,12}\.?,)?[ \t]*"
                       r"(?P<value>" + _WRITTEN_DATE + r")", re.M)
# A date alone on its own line near the top ("Oct 23, 2025", "**November 19, 2025**"): a byline's date.
_DATE_ALONE = re.compile(r"^[ \t*_>#]*(?P<value>" + _WRITTEN_DATE + r")[ \t*_]*$", re.M)
_H1 = re.compile(r"^#[ \t]+(?P<md>.+?)[ \t#]*$|<h1\b[^>]*>(?P<html>.*?)</h1>", re.M | re.I | re.S)
_PHRASE = re.compile(r"(?i)\b(?:published|posted|updated|dated?|release date)\s*(?:on\s*)?:?\s*"
                     r"(?P<value>" + _WRITTEN_DATE + r"|\d{4}-\d{2}-\d{2}|\d{1,2}\s+" + _MONTH + r"\s+\d{4})")
_META_KEYS = {
    "title": ("og:title", "twitter:title", "dc.title", "title"),
    "published": ("article:published_time", "og:published_time", "datepublished", "date", "dc.date",
                  "pubdate", "publish-date", "sailthru.date", "parsely-pub-date"),
    "publisher": ("og:site_name", "article:publisher", "dc.publisher", "publisher"),
}
_UNKNOWN = {"", "unknown", "none", "null", "n/a"}
# An SEC filing's cover page names its issuer on the line above "(Exact name of registrant as specified in its
# charter)". An inline-XBRL header (contexts, hidden facts) may push the cover far down: look further than HEAD_CHARS.
_REGISTRANT = re.compile(r"\(\s*exact\s+name\s+of\s+(?:the\s+)?registrant\b", re.I)
_FORM = re.compile(r"\bFORM\s+(10-K|10-Q|20-F|40-F|8-K|6-K|S-1|10-KT|10-QT)\b", re.I)
REGISTRANT_CHARS = 3_000_000
SIGNATURE_CHARS = 20_000   # the signature block: 'Date:' follows the heading within a page
_SIGNED = re.compile(r"\bDated?\s*:?\s*(?P<value>" + _WRITTEN_DATE + r")")


@dataclass
class DocumentMetadata:
    title: str = ""
    publisher: str = ""
    published: dt.date | None = None
    found_in: dict[str, str] = field(default_factory=dict)   # field → the rule that read it

    def offer(self, name: str, value: object, rule: str) -> None:
        """Keep the first value a rule finds for a field."""
        if value and not getattr(self, name) and name not in self.found_in:
            setattr(self, name, value)
            self.found_in[name] = rule


def read_metadata(text: str, fmt: str | None) -> DocumentMetadata:
    meta = DocumentMetadata()
    head = text[:HEAD_CHARS]
    for rule in RULES:
        rule(text if rule is _registrant else head, fmt, meta)
    return meta


def parse_date(value: str) -> dt.date | None:
    """An ISO date or timestamp, or a written date ('Nov. 19, 2025', '19 November 2025')."""
    text = " ".join(str(value).replace(",", " ").split())
    if m := re.match(r"(\d{4})-(\d{2})-(\d{2})", text):
        return _date(int(m[1]), int(m[2]), int(m[3]))
    text = re.sub(r"(?i)\b(sept)\b", "Sep", text.replace(".", ""))
    for fmt in ("%B %d %Y", "%b %d %Y", "%d %B %Y", "%d %b %Y"):
        try:
            return _sane(dt.datetime.strptime(text, fmt).date())
        except ValueError:
            continue
    return None


def _date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return _sane(dt.date(y, m, d))
    except ValueError:
        return None


def _sane(day: dt.date) -> dt.date | None:
    """Documents are dated within a plausible range; anything else is a typo or a trap for date arithmetic."""
    return day if 1900 <= day.year <= 2100 else None


def front_matter_fields(lines: list[str]) -> dict[str, tuple[str, int]]:
    """The simple `key: value` fields of front matter lines, by lower-case key: (value, index of its line)."""
    fields: dict[str, tuple[str, int]] = {}
    for n, line in enumerate(lines):
        if (kv := _FM_LINE.match(line)) and kv["key"].lower() not in fields:
            fields[kv["key"].lower()] = (_scalar(kv["value"]), n)
    return fields


def _front_matter(head: str, fmt: str | None, meta: DocumentMetadata) -> None:
    m = _FRONT_MATTER.match(head)
    if not m:
        return
    fields = {key: value for key, (value, _) in front_matter_fields(m["body"].splitlines()).items()}
    meta.offer("title", fields.get("title", ""), "front matter")
    meta.offer("published", parse_date(fields.get("published") or fields.get("date") or ""), "front matter")
    for key in ("publisher", "site", "source"):
        if fields.get(key, "").strip().lower() not in _UNKNOWN:
            meta.offer("publisher", fields[key], "front matter")
    meta.offer("publisher", _host(fields.get("url", "")), "front matter url")


def _html_meta(head: str, fmt: str | None, meta: DocumentMetadata) -> None:
    if fmt not in (None, "html"):
        return
    tags: dict[str, str] = {}
    for tag in _META.finditer(head):
        attrs = {a["name"].lower(): a["dq"] if a["dq"] is not None else a["sq"] if a["sq"] is not None else a["bare"]
                 for a in _ATTR.finditer(tag.group(0))}
        key = (attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or "").lower()
        if key and "content" in attrs:
            tags.setdefault(key, html.unescape(attrs["content"]).strip())
    for name, keys in _META_KEYS.items():
        for key in keys:
            value = parse_date(tags.get(key, "")) if name == "published" else tags.get(key, "")
            meta.offer(name, value, f"<meta {key}>")


def _html_time(head: str, fmt: str | None, meta: DocumentMetadata) -> None:
    if fmt in (None, "html") and (m := _TIME.search(head)):
        meta.offer("published", parse_date(m["value"]), "<time datetime>")


def _html_title(head: str, fmt: str | None, meta: DocumentMetadata) -> None:
    if fmt in (None, "html") and (m := _TITLE.search(head)):
        meta.offer("title", " ".join(html.unescape(re.sub(r"<[^>]+>", " ", m["value"])).split()), "<title>")


def _dateline(head: str, fmt: str | None, meta: DocumentMetadata) -> None:
    if m := _DATELINE.search(_plain(head, fmt)):
        meta.offer("published", parse_date(m["value"]), "dateline")


def _date_alone(head: str, fmt: str | None, meta: DocumentMetadata) -> None:
    plain = _plain(head, fmt)
    top = "\n".join(plain.splitlines()[:40])
    if m := _DATE_ALONE.search(top):
        meta.offer("published", parse_date(m["value"]), "date line")


def _first_heading(head: str, fmt: str | None, meta: DocumentMetadata) -> None:
    if fmt in (None, "markdown", "html") and (m := _H1.search(head)):
        meta.offer("title", " ".join(html.unescape(re.sub(r"<[^>]+>", " ", m["md"] or m["html"] or "")).split()),
                   "heading")


def _registrant(text: str, fmt: str | None, meta: DocumentMetadata) -> None:
    """A filing's cover page: 'NVIDIA CORPORATION' above '(Exact name of registrant …)' is its issuer, and with
    the form ('FORM 10-Q') its title."""
    m = _REGISTRANT.search(text, 0, REGISTRANT_CHARS)
    if not m:
        return
    before = text[max(0, m.start() - 4000):m.start()]
    if fmt in (None, "html"):
        before = html.unescape(re.sub(r"<[^>]+>", "\n", before))
    lines = [" ".join(line.split()) for line in before.splitlines()]
    name = next((line.strip("*_#> ") for line in reversed(lines) if line.strip("*_#> ")), "")
    if not name or len(name) > 120:
        return
    form = _FORM.search(before)
    meta.offer("title", f"{name} Form {form[1].upper()}" if form else name, "cover page")
    meta.offer("publisher", name, "cover page")
    meta.offer("published", _signature_date(text, fmt), "signature")


def _signature_date(text: str, fmt: str | None) -> dt.date | None:
    """The day a filing was signed ('SIGNATURES … Date: November 19, 2025'): the day it was filed, near its end."""
    at = max(text.rfind("SIGNATURE"), text.rfind("Signature"))
    if at < 0:
        return None
    tail = text[at:at + SIGNATURE_CHARS]
    if fmt in (None, "html"):
        tail = html.unescape(re.sub(r"<[^>]+>", " ", tail))
    m = _SIGNED.search(tail)
    return parse_date(m["value"]) if m else None


def _plain(head: str, fmt: str | None) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", head)) if fmt in (None, "html") else head


def _published_phrase(head: str, fmt: str | None, meta: DocumentMetadata) -> None:
    if m := _PHRASE.search(head[:4000]):
        meta.offer("published", parse_date(m["value"]), "byline")


def _scalar(raw: str) -> str:
    """A front-matter scalar as YAML writes simple ones: plain, 'single' or "double" quoted."""
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] == "'":
        return raw[1:-1].replace("''", "'")
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        return re.sub(r'\\(["\\/])', r"\1", raw[1:-1])
    return re.sub(r"\s+#.*$", "", raw)


def _host(url: str) -> str:
    try:
        host = urlparse(url.strip()).hostname or ""
    except ValueError:
        return ""
    return host[4:] if host.startswith("www.") else host


RULES: tuple[Callable[[str, str | None, DocumentMetadata], None], ...] = (
    _front_matter, _html_meta, _html_time, _registrant, _first_heading, _html_title, _dateline, _date_alone,
    _published_phrase,
)
