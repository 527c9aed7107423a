"""What the sources folder holds, as content hashes, and what changed since the last look.

The Dagster sensor keeps a `SourcesState` as its cursor (JSON). A source is keyed by its
source id (the partition key), and carries its path and the sha256 of its bytes, plus a
short hash of the registry fields that change its claims (published date, format, status).
Comparing two states gives the sources added, changed and removed. Pure: no Dagster here.

The cursor also counts the changes seen (`generation`), and every run key names it: Dagster skips a
request whose run key an earlier run had, so a folder that returns to a state seen before (a source
deleted again, a file restored) must still get a new key, or its outputs would not be republished.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .registry import SourceDoc

CURSOR_VERSION = 1


@dataclass(frozen=True)
class SourceEntry:
    path: str      # relative to the sources folder
    sha256: str    # of the document's bytes ('' when it could not be read)
    meta: str      # hash of the registry fields that change the claims

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256, "meta": self.meta}


@dataclass(frozen=True)
class SourceChanges:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def to_process(self) -> list[str]:
        """Sources whose claims must be read again: new or changed."""
        return sorted(self.added + self.changed)

    @property
    def any(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def summary(self) -> str:
        parts = [f"{len(v)} {k}" for k, v in (("added", self.added), ("changed", self.changed),
                                               ("removed", self.removed)) if v]
        return ", ".join(parts) or "no change"


def _meta_hash(doc: SourceDoc) -> str:
    raw = "|".join((doc.published.isoformat(), str(doc.format), doc.status, doc.reason, doc.title, doc.publisher,
                    str(doc.primary)))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def state_of(docs: list[SourceDoc], root: Path) -> dict[str, SourceEntry]:
    """source id → entry, for the documents `registry.discover` returned."""
    root = Path(root).resolve()
    state = {}
    for doc in docs:
        try:
            shown = Path(doc.path).resolve().relative_to(root).as_posix()
        except ValueError:
            shown = str(doc.path)
        state[doc.source_id] = SourceEntry(path=shown, sha256=doc.sha256, meta=_meta_hash(doc))
    return state


def diff(previous: dict[str, SourceEntry], current: dict[str, SourceEntry]) -> SourceChanges:
    added = sorted(set(current) - set(previous))
    removed = sorted(set(previous) - set(current))
    common = sorted(set(current) & set(previous))
    changed = [k for k in common if (current[k].sha256, current[k].meta) != (previous[k].sha256, previous[k].meta)]
    unchanged = [k for k in common if k not in changed]
    return SourceChanges(added=added, changed=changed, removed=removed, unchanged=unchanged)


def digest(state: dict[str, SourceEntry]) -> str:
    """One hash for the whole folder: the same files and registry give the same digest."""
    raw = json.dumps({k: v.to_json() for k, v in sorted(state.items())}, sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def encode_cursor(state: dict[str, SourceEntry], generation: int = 0) -> str:
    return json.dumps({"version": CURSOR_VERSION, "generation": generation,
                       "sources": {k: v.to_json() for k, v in sorted(state.items())}},
                      sort_keys=True, separators=(",", ":"))


def cursor_generation(cursor: str | None) -> int | None:
    """The change count a cursor carries; None without a readable one."""
    try:
        return int(json.loads(cursor or "")["generation"])
    except (ValueError, KeyError, TypeError):
        return None


def next_generation(seen: int | None) -> int:
    """The number the next change's run keys carry. Without a count (the first tick, a reset sensor) it
    starts from the clock in milliseconds, so it never repeats an earlier run's key."""
    return seen + 1 if seen is not None else time.time_ns() // 1_000_000


def decode_cursor(cursor: str | None) -> dict[str, SourceEntry]:
    """The state a cursor holds; an empty, unreadable or older cursor reads as 'nothing seen yet'."""
    if not cursor:
        return {}
    try:
        data = json.loads(cursor)
        if data.get("version") != CURSOR_VERSION:
            return {}
        return {str(k): SourceEntry(path=str(v["path"]), sha256=str(v["sha256"]), meta=str(v["meta"]))
                for k, v in data["sources"].items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}
