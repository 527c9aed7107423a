"""Ingest stage: the sources folder and its `sources.yaml` registry → the documents table.

A broken registry is a configuration error: it fails the run before anything
is written. A bad *document* is not: it is quarantined with its reason and the
other documents are still reconciled.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pandas as pd
import yaml

from .errors import UserError
from .metadata import read_metadata
from .parse import sniff_format
from .safe_yaml import compose_file

if TYPE_CHECKING:   # pandera loads only when a frame is built
    from pandera.typing.pandas import DataFrame

    from .schemas import DocumentsSchema

REGISTRY_NAME = "sources.yaml"
FORMATS = ("markdown", "text", "html")
ENTRY_KEYS = {"id", "path", "title", "publisher", "published", "format", "primary"}
MAX_BYTES = 20 * 1024 * 1024
DOCUMENT_SUFFIXES = {".md", ".markdown", ".txt", ".text", ".html", ".htm"}
IGNORED_NAMES = {REGISTRY_NAME, ".gitkeep", ".DS_Store"}


def readable_name(path: Path | str) -> str:
    """A path as text that any UTF-8 writer accepts: bytes of a name that is not UTF-8 are shown as `\\xe9`."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


@dataclass
class SourceDoc:
    source_id: str
    path: Path
    title: str
    publisher: str
    published: dt.date
    format: str | None
    primary: bool = False
    registered: bool = True
    text: str = ""
    sha256: str = ""
    bytes: int = 0
    status: str = "ok"
    reason: str = ""
    missing: list[str] = field(default_factory=list)
    title_from: str = "title"          # where the title was read: title, front matter, or '' (only the file name)

    def row(self, root: Path) -> dict[str, Any]:
        try:
            shown = readable_name(self.path.relative_to(root))
        except ValueError:
            shown = readable_name(self.path)
        return {"source_id": self.source_id, "path": shown, "title": self.title, "publisher": self.publisher,
                "published": self.published.isoformat(), "format": self.format, "primary": self.primary,
                "registered": self.registered, "sha256": self.sha256, "bytes": self.bytes,
                "status": self.status, "reason": self.reason}


# An as-of date outside these years is a typo or an attack, and the date arithmetic of relative periods
# ("next year", "last quarter") would leave the calendar at 0001 and 9999.
PUBLISHED_RANGE = (dt.date(1900, 1, 1), dt.date(2199, 12, 31))


def plausible_published(day: dt.date) -> bool:
    return PUBLISHED_RANGE[0] <= day <= PUBLISHED_RANGE[1]


def parse_published(value: object) -> dt.date | None:
    """`2026-02-01`, `2026-02` (first of month) or `2026` (Jan 1); None when unreadable."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%Y-%m", "%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


# A registry of thousands of documents is well under this; a larger file is a mistake or an attack.
REGISTRY_MAX_BYTES = 2_000_000


def load_registry(sources_dir: Path) -> list[SourceDoc]:
    """Validated registry entries (files not yet read). Raises UserError on any registry problem."""
    path = sources_dir / REGISTRY_NAME
    if not path.exists():
        return []
    if not path.is_file():
        raise UserError("the registry is not a regular file", file=path,
                        hint=f"make {REGISTRY_NAME} a YAML file listing the sources, or remove it")
    try:
        root = compose_file(path, max_bytes=REGISTRY_MAX_BYTES,
                            hint_too_large="keep titles and notes short; "
                                           "a registry lists documents, it does not hold them")
    except OSError as exc:
        raise UserError(f"cannot be read ({exc.strerror})", file=path,
                        hint="check the file's permissions") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise UserError(f"not valid YAML ({_one_line(exc)})", file=path,
                        line=mark.line + 1 if mark else None,
                        hint="check the indentation and quoting; each entry starts with '- id:'") from None
    except UnicodeDecodeError:
        raise UserError("not UTF-8 text", file=path, hint="save the registry as UTF-8") from None
    if root is None:
        return []
    entries = _entries_node(root, path)
    docs: list[SourceDoc] = []
    seen: dict[str, int] = {}
    seen_paths: dict[str, int] = {}
    for node in entries.value:
        doc = _entry(node, path, sources_dir)
        line = node.start_mark.line + 1
        if doc.source_id in seen:
            raise UserError(f"duplicate source id '{doc.source_id}' (first at line {seen[doc.source_id]})",
                            file=path, line=line, hint="give each source a unique id")
        seen[doc.source_id] = line
        key = doc.path.as_posix()
        if key in seen_paths:
            raise UserError(f"path '{key}' is listed twice (first at line {seen_paths[key]})", file=path,
                            line=line, hint="list each document once; remove or merge the second entry")
        seen_paths[key] = line
        docs.append(doc)
    return docs


def _entries_node(root: yaml.Node, path: Path) -> yaml.SequenceNode:
    if not isinstance(root, yaml.MappingNode):
        raise UserError("expected a mapping with a 'sources:' list", file=path, line=root.start_mark.line + 1,
                        hint="start the file with 'sources:' followed by '- id: ...' entries")
    for key, value in root.value:
        if key.value == "sources":
            if isinstance(value, yaml.ScalarNode) and value.value in ("", "~", "null"):
                return yaml.SequenceNode(tag="tag:yaml.org,2002:seq", value=[])
            if not isinstance(value, yaml.SequenceNode):
                raise UserError("'sources' must be a list of entries", file=path, line=value.start_mark.line + 1,
                                hint="write each entry as '- id: ...'")
            return value
        raise UserError(f"unknown top-level key '{key.value}'", file=path, line=key.start_mark.line + 1,
                        hint="the registry holds only 'sources:'")
    raise UserError("missing 'sources:'", file=path, line=1, hint="start the file with 'sources:'")


def _entry(node: yaml.Node, path: Path, sources_dir: Path) -> SourceDoc:
    line = node.start_mark.line + 1
    if not isinstance(node, yaml.MappingNode):
        raise UserError("each source entry must be a mapping", file=path, line=line,
                        hint="write it as '- id: ...' with 'path:', 'title:' ... below")
    values: dict[str, object] = {}
    lines: dict[str, int] = {}
    for key, value in node.value:
        if key.value not in ENTRY_KEYS:
            raise UserError(f"unknown key '{key.value}' in a source entry", file=path, line=key.start_mark.line + 1,
                            hint=f"use only: {', '.join(sorted(ENTRY_KEYS))}")
        if key.value in lines:
            raise UserError(f"key '{key.value}' appears twice in one source entry (first at line {lines[key.value]})",
                            file=path, line=key.start_mark.line + 1, hint="keep one of them")
        values[key.value] = _scalar_value(key.value, value, path)
        lines[key.value] = value.start_mark.line + 1
    for required in ("id", "path"):
        if not values.get(required):
            raise UserError(f"source entry has no '{required}'", file=path, line=line,
                            hint=f"add '{required}:' to the entry")
    source_id = str(values["id"])
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", source_id):
        raise UserError(f"source id '{source_id}' has characters other than letters, digits, '.', '_' and '-'",
                        file=path, line=lines["id"], hint="use a slug such as 'acme-10k-2025'")
    published = parse_published(values.get("published", "")) if "published" in values else None
    if "published" in values and published is None:
        raise UserError(f"bad date '{values['published']}' for 'published'", file=path, line=lines["published"],
                        hint="write it as YYYY-MM-DD or YYYY-MM")
    if published is not None and not plausible_published(published):
        raise UserError(f"'published: {values['published']}' is outside {PUBLISHED_RANGE[0].year}–"
                        f"{PUBLISHED_RANGE[1].year}", file=path, line=lines["published"],
                        hint="write the date the document was published, as YYYY-MM-DD")
    fmt = values.get("format")
    if fmt is not None and fmt not in FORMATS:
        raise UserError(f"unknown format '{fmt}'", file=path, line=lines["format"],
                        hint=f"use one of {', '.join(FORMATS)}, or leave it out to detect it")
    primary = values.get("primary", False)
    if not isinstance(primary, bool):
        raise UserError(f"'primary' must be true or false, not {primary!r}", file=path, line=lines["primary"])
    doc = SourceDoc(source_id=source_id, path=Path(str(values["path"])), title=str(values.get("title") or source_id),
                    publisher=str(values.get("publisher") or ""), published=published or dt.date.today(),
                    format=fmt, primary=primary, title_from="title" if values.get("title") else "")
    doc.missing = [k for k in ("title", "publisher", "published") if k not in values]  # the format is detected
    return doc


_STR_TAG = "tag:yaml.org,2002:str"


def _scalar_value(key: str, node: yaml.Node, path: Path) -> object:
    """The Python value of one entry field; YAML that cannot be constructed is a UserError, not a traceback."""
    if not isinstance(node, yaml.ScalarNode):
        raise UserError(f"'{key}' must be a single value, not a list or a mapping", file=path,
                        line=node.start_mark.line + 1, hint=f"write it as '{key}: value'")
    if node.tag == _STR_TAG:
        return node.value   # what serialising and reloading a text node gives, without the 60 µs round trip
    try:
        # the safe loader's own constructor on the node: what reloading it gives, 30 times faster
        return yaml.constructor.SafeConstructor().construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:timestamp":
            return node.value  # e.g. 2026-13-45: looks like a date, is not one; reported as a bad date below
        raise UserError(f"the value of '{key}' cannot be read ({_one_line(exc)})", file=path,
                        line=node.start_mark.line + 1,
                        hint="write it as plain text, quoted if it holds ':' or '#'") from None


def discover(sources_dir: Path) -> tuple[list[SourceDoc], list[str]]:
    """Registry entries plus unregistered files, each read or quarantined; and the warnings to show."""
    sources_dir = Path(sources_dir)
    if not sources_dir.is_dir():
        raise UserError("sources folder not found", file=sources_dir,
                        hint="pass --sources DIR pointing at a folder of documents")
    root = sources_dir.resolve()
    docs = load_registry(sources_dir)
    warnings: list[str] = []
    registered_paths = set()
    for doc in docs:
        as_listed = root / doc.path  # a listed symlink that escapes is reported once, under its entry
        _resolve_registered(doc, root)
        registered_paths |= {doc.path, as_listed}
    taken = {d.source_id for d in docs}
    for file in candidate_files(root):
        if file in registered_paths or file.name in IGNORED_NAMES:
            continue
        doc = _unregistered(file, root, taken)
        taken.add(doc.source_id)
        docs.append(doc)
    for doc in docs:
        if doc.status == "ok":
            _read(doc)
        dated_from = _fill_from_content(doc) if doc.status == "ok" and doc.missing else ""
        if doc.registered and doc.missing and doc.status == "ok":
            warnings.append(f"{sources_dir / REGISTRY_NAME}: source '{doc.source_id}' has no "
                            f"{', '.join(doc.missing)}; using defaults")
        if not doc.registered and doc.status == "ok":
            as_of = (f"as-of {doc.published.isoformat()} read from its {dated_from}" if dated_from else
                     f"as-of {doc.published.isoformat()} taken from the file's modification time, so its "
                     f"undated figures are compared as of that day")
            warnings.append(f"{doc.path}: not in {REGISTRY_NAME}; read as '{doc.source_id}' ({doc.format}) with "
                            f"{_missing_words(doc)}, {as_of}. Add an entry with 'published:' to "
                            f"{sources_dir / REGISTRY_NAME} to set them")
    return docs, warnings


def _missing_words(doc: SourceDoc) -> str:
    gaps = [k for k in ("title", "publisher") if k in doc.missing]
    return f"no {' or '.join(gaps)}" if gaps else f"title '{doc.title}' from its text"


# What reconcile itself writes: an output set (out/, each generation under out.d/) and the state folders
# (RECONCILE_HOME, DAGSTER_HOME). Read as sources, a run would reconcile its own report again and again.
OUTPUT_SIGNATURE = {"claims.csv", "conflicts.csv", "report.html"}
STATE_SIGNATURES = ({"decisions.db"}, {"reconcile.duckdb"}, {"dagster.yaml", "storage"}, {"dagster.yaml", "history"})


def is_reconcile_output(folder: Path) -> bool:
    """A folder written by reconcile or Dagster, never a folder of documents."""
    try:
        names = set(os.listdir(folder))
    except OSError:
        return False
    return OUTPUT_SIGNATURE <= names or any(sig <= names for sig in STATE_SIGNATURES)


def candidate_files(root: Path) -> list[Path]:
    """Every file or symlink under `root`, sorted, except hidden ones and reconcile's own output and state."""
    found = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        linked = [d for d in dirs if (here / d).is_symlink()]  # listed (and quarantined), never followed
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in linked and not is_reconcile_output(here / d)]
        for name in linked + files:
            path = here / name
            if name.startswith(".") or (path.is_symlink() and is_reconcile_output(path)):  # `out` -> out.d/<gen>
                continue
            found.append(path)
    return sorted(found)


def _resolve_registered(doc: SourceDoc, root: Path) -> None:
    raw = doc.path
    if raw.is_absolute() or ".." in raw.parts:
        doc.status, doc.reason = "rejected", f"path '{raw}' escapes the sources folder (never read)"
        return
    full = (root / raw).resolve()
    if root not in full.parents:
        doc.status, doc.reason = "rejected", f"path '{raw}' escapes the sources folder (never read)"
        return
    doc.path = full
    if not full.is_file():
        doc.status, doc.reason = "rejected", f"file '{raw}' listed in {REGISTRY_NAME} does not exist"


def _unregistered(file: Path, root: Path, taken: set[str]) -> SourceDoc:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", file.stem).strip("-.") or "source"
    source_id, n = stem, 2
    while source_id in taken:
        source_id, n = f"{stem}-{n}", n + 1
    try:
        published = dt.datetime.fromtimestamp(file.lstat().st_mtime, tz=dt.UTC).date()
    except (ValueError, OverflowError, OSError):
        published = dt.date.today()
    if not plausible_published(published):
        published = dt.date.today()  # a forged modification time is no as-of date
    doc = SourceDoc(source_id=source_id, path=file, title=readable_name(file.name), publisher="",
                    published=published, format=None, registered=False, missing=["title", "publisher", "published"],
                    title_from="")
    shown = readable_name(file.relative_to(root))
    if shown != str(file.relative_to(root)):  # a surrogate in a name breaks every UTF-8 writer downstream
        doc.status, doc.reason = "rejected", (f"file name is not valid UTF-8 (never read): rename "
                                              f"'{shown}' to a UTF-8 name, e.g. with `mv` in a UTF-8 terminal")
    return doc


def _read(doc: SourceDoc) -> None:
    """Read one document's text, or quarantine it with the reason."""
    if doc.path.is_symlink():
        doc.status, doc.reason = "rejected", "symbolic link (never followed: it may point outside the sources folder)"
        return
    if not doc.path.is_file():
        doc.status, doc.reason = "rejected", "not a regular file"
        return
    size = doc.path.stat().st_size
    doc.bytes = size
    if size > MAX_BYTES:
        doc.status, doc.reason = "rejected", (f"too large ({size / 2**20:.1f} MB > {MAX_BYTES / 2**20:.0f} MB limit; "
                                              f"never read)")
        return
    data = read_capped(doc.path)
    doc.bytes = len(data)  # the bytes read, which the claims step checks again (the file may grow after stat)
    if len(data) > MAX_BYTES:
        doc.status, doc.reason = "rejected", f"too large (grew past the {MAX_BYTES / 2**20:.0f} MB limit while read)"
        return
    doc.sha256 = hashlib.sha256(data).hexdigest()
    reason = rejection_reason(data)
    if reason:
        doc.status, doc.reason = "rejected", reason
        return
    doc.text = data.decode("utf-8-sig")
    fmt = doc.format or sniff_format(doc.path.name, doc.text)
    if doc.format is None and doc.path.suffix.lower() not in DOCUMENT_SUFFIXES and doc.path.suffix:
        doc.status, doc.reason = "rejected", f"unknown format '{doc.path.suffix}' (expected .md, .txt or .html)"
        return
    if fmt not in FORMATS:
        doc.status, doc.reason = "rejected", "unknown format (not markdown, text or HTML)"
        return
    doc.format = fmt


def read_capped(path: Path) -> bytes:
    """A file's bytes, at most MAX_BYTES + 1 of them: enough to tell it is over the limit, never more."""
    with path.open("rb") as fh:
        return fh.read(MAX_BYTES + 1)


# Unicode whitespace (str.strip's default) plus the invisible format characters a blank file may hold.
_BLANK = "".join(ch for ch in map(chr, range(0x3000 + 1)) if ch.isspace()) + "\u200b\u200c\u200d\u2060\ufeff"


# The C0 control characters other than tab, LF, FF and CR: counted by the regex engine, not a loop per character.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")


def rejection_reason(data: bytes) -> str:
    """Why bytes cannot be read as a document, or '' when they can."""
    if not data.strip():
        return "empty file"
    if b"\x00" in data[:8192]:
        return "binary file (NUL bytes)"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return f"invalid UTF-8 at byte {exc.start} (line {line})"
    if not text.strip(_BLANK):
        return "empty file (only blank or invisible characters)"
    controls = len(_CONTROLS.findall(text[:8192]))
    if controls > 0.05 * min(len(text), 8192):
        return "binary file (control characters)"
    return ""


def documents_frame(docs: list[SourceDoc], root: Path) -> DataFrame[DocumentsSchema]:
    from .schemas import DocumentsSchema, columns_of
    rows = [d.row(Path(root).resolve()) for d in docs]
    # pandera's DataFrame[...] is a static marker: a plain frame of the model's columns is one
    return cast("DataFrame[DocumentsSchema]", pd.DataFrame(rows, columns=columns_of(DocumentsSchema)))


def _one_line(exc: BaseException) -> str:
    """An exception's message on one line (YAML errors carry a multi-line snippet after the problem)."""
    problem = getattr(exc, "problem", None)
    text = str(problem) if problem else (str(exc).splitlines() or [type(exc).__name__])[0]
    return " ".join(text.split())


def _fill_from_content(doc: SourceDoc) -> str:
    """Fill the fields a registry entry left out from what the document says about itself.

    Returns how the as-of date was found ('' when the document does not state one)."""
    meta = read_metadata(doc.text, doc.format)
    if "title" in doc.missing and meta.title:
        doc.title = meta.title
        doc.title_from = "front matter" if meta.found_in.get("title") == "front matter" else "title"
    if "publisher" in doc.missing and meta.publisher:
        doc.publisher = meta.publisher
    published = meta.published if meta.published and plausible_published(meta.published) else None
    if "published" in doc.missing and published:
        doc.published = published
    doc.missing = [k for k in doc.missing if not (published if k == "published" else getattr(meta, k))]
    return meta.found_in.get("published", "") if published else ""
