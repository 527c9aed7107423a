"""The stages chained for one document set, with a content-hash cache per document.

Dagster assets call these functions one stage at a time; the benchmark and the
tests call them directly. A document whose bytes, vocabulary and engine
code are unchanged is not parsed or extracted again: its claims come from
the cache. Like Dagster's `code_version`, the engine's version is a hash of
its own source files, so any edit to the engine (or to a vocabulary file)
makes every cached document be read again.

Documents that do need extracting are spread over a small process pool
(`RECONCILE_WORKERS`, default: up to 2 CPUs) when there are at least
`PARALLEL_MIN` of them; results come back in document order, so the claims
table is the same as a serial run's. Fewer documents run serially.
"""
from __future__ import annotations

import datetime as dt
import functools
import gc
import hashlib
import os
import pickle
import tempfile
import time
from collections.abc import Callable, Generator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pandas as pd
from pandera.typing.pandas import DataFrame

from .extract import Extraction, TooComplex, document_topic, extract_document
from .normalise import CLAIM_COLUMNS, claims_frame
from .parse import parse_document
from .registry import MAX_BYTES, SourceDoc, parse_published, read_capped
from .schemas import DetectClaimsSchema
from .vocab import Vocabulary, folder_digest

UNPARSED_COLUMNS = ["source_id", "location", "line", "text", "reason", "quote"]
PACKAGE_DIR = Path(__file__).resolve().parent
PARALLEL_MIN = 20    # fewer documents to extract than this: serial (a pool's start-up would dominate)
MAX_WORKERS = 2


@dataclass
class ClaimsResult:
    claims: DataFrame[DetectClaimsSchema]
    unparsed: pd.DataFrame
    extracted: list[str] = field(default_factory=list)   # source ids parsed and extracted this time
    cached: list[str] = field(default_factory=list)      # source ids served from the cache


@functools.cache
def code_version(package_dir: Path = PACKAGE_DIR) -> str:
    """Hash of every source file of the engine package (subpackages included): computed once per process."""
    return folder_digest(package_dir)[:16]


class ClaimCache:
    """Per-document claims keyed by content hash, vocabulary fingerprint and engine code version."""

    def __init__(self, folder: Path | None, code: str | None = None):
        self.folder = Path(folder) if folder else None
        self.code = code or code_version()

    def key(self, doc: SourceDoc, vocab: Vocabulary) -> str:
        raw = "|".join((doc.sha256, doc.source_id, doc.published.isoformat(), str(doc.format), vocab.fingerprint,
                        self.code))
        return hashlib.sha256(raw.encode()).hexdigest()[:32]

    def get(self, key: str) -> tuple[pd.DataFrame, pd.DataFrame] | None:
        if self.folder is None:
            return None
        path = self.folder / f"{key}.pkl"
        try:
            with path.open("rb") as fh:
                return cast(tuple[pd.DataFrame, pd.DataFrame], pickle.load(fh))  # what put() wrote
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
            return None

    def put(self, key: str, value: tuple[pd.DataFrame, pd.DataFrame]) -> None:
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, self.folder / f"{key}.pkl")


TOO_COMPLEX = "document too complex"


def doc_budget() -> float:
    """CPU seconds one document may take to read: RECONCILE_DOC_BUDGET, else DOC_BUDGET_SECONDS. The
    corpora's slowest takes 0.24 s; a text-dense legitimate document reads at about 0.2 MB per CPU second, so
    the default keeps text of ~1.2 MB (a filing's HTML is mostly markup) and ends an attack within 10 s."""
    env = os.environ.get("RECONCILE_DOC_BUDGET", "").strip()
    try:
        return float(env) if float(env) > 0 else DOC_BUDGET_SECONDS
    except ValueError:
        return DOC_BUDGET_SECONDS


# No input under 5 MB may take more than 10 s of wall time: 6 s of CPU for extraction leaves room for parsing,
# normalising and start-up.
DOC_BUDGET_SECONDS = 6.0


def extract_one(doc: SourceDoc, vocab: Vocabulary, budget: float | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse, extract and normalise one readable document; one that takes longer than `budget` CPU seconds
    (doc_budget()) is quarantined: no claims, and one unparsed row naming the place reading had reached."""
    budget = doc_budget() if budget is None else budget
    deadline = time.thread_time() + budget
    blocks = parse_document(doc.text, doc.format or "text")
    topic = document_topic(vocab, doc.title, doc.publisher, doc.title_from, doc.published)
    try:
        found: Extraction = extract_document(blocks, doc.source_id, doc.published, vocab, topic=topic,
                                             deadline=deadline)
    except TooComplex as stop:
        reason = (f"{TOO_COMPLEX}: reading it took more than {budget:g} s of CPU time and stopped at line "
                  f"{stop.line} ({stop.location}); split the document there, or raise RECONCILE_DOC_BUDGET")
        row = {"source_id": doc.source_id, "location": stop.location, "line": stop.line,
               "text": doc.path.name or doc.source_id, "reason": reason, "quote": ""}
        return pd.DataFrame(columns=CLAIM_COLUMNS), pd.DataFrame([row], columns=UNPARSED_COLUMNS)
    claims = claims_frame(found.mentions, {doc.source_id: doc.published}, vocab)
    return claims, unparsed_frame(found)


def unparsed_frame(found: Extraction) -> pd.DataFrame:
    """The unreadable figures of one document as a table."""
    if not found.unparsed:
        return _no_unparsed().copy()  # most documents: an empty table costs ~1.5 ms to build, a copy ~0.03 ms
    return pd.DataFrame([u.__dict__ for u in found.unparsed], columns=UNPARSED_COLUMNS)


@functools.lru_cache(maxsize=1)
def _no_unparsed() -> pd.DataFrame:
    return pd.DataFrame([], columns=UNPARSED_COLUMNS)


EXTRACTION_FAILED = "document could not be extracted"


def extract_one_guarded(doc: SourceDoc, vocab: Vocabulary) -> tuple[pd.DataFrame, pd.DataFrame]:
    """extract_one, except that a document the engine cannot handle (a bug) never stops the others:
    it gives no claims and one unparsed row that says why, so the run still reconciles the rest."""
    try:
        return extract_one(doc, vocab)
    except Exception as exc:  # noqa: BLE001 - isolate one document's failure, report it, carry on
        reason = f"{EXTRACTION_FAILED} ({type(exc).__name__}: {' '.join(str(exc).split())[:300]}); please report it"
        row = {"source_id": doc.source_id, "location": "whole document", "line": 0,
               "text": doc.path.name or doc.source_id, "reason": reason, "quote": ""}
        return pd.DataFrame(columns=CLAIM_COLUMNS), pd.DataFrame([row], columns=UNPARSED_COLUMNS)


def _failed(part: tuple[pd.DataFrame, pd.DataFrame]) -> str | None:
    """Why a document gave nothing (it failed, or ran out of time), or None; neither is cached: a later run,
    a fixed engine or a larger budget tries again."""
    reasons = part[1]["reason"].astype(str) if len(part[1]) else pd.Series([], dtype=str)
    for why in (EXTRACTION_FAILED, TOO_COMPLEX):
        if reasons.str.startswith(why).any():
            return why
    return None


def workers_for(n_docs: int, workers: int | None = None) -> int:
    """How many processes extract `n_docs` documents: 1 below PARALLEL_MIN, else RECONCILE_WORKERS or the CPUs
    (at most MAX_WORKERS unless RECONCILE_WORKERS says more)."""
    if n_docs < PARALLEL_MIN:
        return 1
    if workers is None:
        env = os.environ.get("RECONCILE_WORKERS", "").strip()
        workers = int(env) if env.isdigit() and int(env) > 0 else min(MAX_WORKERS, os.cpu_count() or 1)
    return max(1, min(workers, n_docs))


_WORKER_VOCAB: Vocabulary | None = None

# Reading fills per-text memos (tens of thousands of figures, periods, matches) that the cyclic collector walks
# at each full collection: at the default gen-0 threshold of 700 allocations that was ~7% of a worker's CPU
# over 500 bench documents (12 full collections), at 10,000 under 2% (none). Nothing read depends on it.
READING_GC_THRESHOLD = (10_000, 10, 10)


def _init_worker(vocab: Vocabulary) -> None:
    global _WORKER_VOCAB
    _WORKER_VOCAB = vocab
    gc.set_threshold(*READING_GC_THRESHOLD)  # a pool worker only reads documents


def _extract_in_worker(doc: SourceDoc) -> tuple[pd.DataFrame, pd.DataFrame]:
    assert _WORKER_VOCAB is not None
    return extract_one_guarded(doc, _WORKER_VOCAB)


def _extracted(todo: list[SourceDoc], vocab: Vocabulary,
               workers: int | None) -> Generator[tuple[pd.DataFrame, pd.DataFrame], None, None]:
    """extract_one over `todo`, in order: serially, or on a process pool for many documents."""
    n = workers_for(len(todo), workers)
    if n <= 1:
        before = gc.get_threshold()
        gc.set_threshold(*READING_GC_THRESHOLD)
        try:
            for doc in todo:
                yield extract_one_guarded(doc, vocab)
        finally:
            gc.set_threshold(*before)
        return
    import multiprocessing as mp
    from concurrent.futures.process import BrokenProcessPool
    # fork: workers share the loaded engine and vocabulary and never re-import the caller's main module.
    # A pool that cannot start or breaks leaves the remaining documents to the serial path.
    done = 0
    try:
        with ProcessPoolExecutor(max_workers=n, mp_context=mp.get_context("fork"),
                                 initializer=_init_worker, initargs=(vocab,)) as pool:
            for part in pool.map(_extract_in_worker, todo, chunksize=max(1, min(8, len(todo) // (n * 8)))):
                done += 1
                yield part
    except (BrokenProcessPool, OSError):
        for doc in todo[done:]:
            yield extract_one_guarded(doc, vocab)


def extract_claims(docs: list[SourceDoc], vocab: Vocabulary, cache: ClaimCache | None = None,
                   progress: Callable[[str], None] | None = None, workers: int | None = None) -> ClaimsResult:
    cache = cache or ClaimCache(None)
    claim_parts, unparsed_parts = [], []
    result = ClaimsResult(cast(DataFrame[DetectClaimsSchema], pd.DataFrame()), pd.DataFrame())
    readable = [d for d in docs if d.status == "ok"]
    keys = [cache.key(doc, vocab) for doc in readable]
    hits = [cache.get(key) for key in keys]
    fresh = _extracted([d for d, h in zip(readable, hits, strict=False) if h is None], vocab, workers)
    for n, (doc, key, hit) in enumerate(zip(readable, keys, hits, strict=False), 1):
        if hit is None:
            hit = next(fresh)
            why = _failed(hit)
            if why is None:
                cache.put(key, hit)
            result.extracted.append(doc.source_id)
            state = "extracted" if why is None else f"{why}, see unparsed_figures.csv"
        else:
            result.cached.append(doc.source_id)
            state = "unchanged, from cache"
        claim_parts.append(hit[0])
        unparsed_parts.append(hit[1])
        if progress:
            progress(f"[{n}/{len(readable)}] {doc.source_id}: {len(hit[0])} claims ({state})")
    fresh.close()   # shuts the pool down
    unparsed_parts.append(reread_failures(docs))
    result.claims = cast(DataFrame[DetectClaimsSchema], _concat(claim_parts))  # claims_frame's parts
    result.unparsed = _concat(unparsed_parts, UNPARSED_COLUMNS)
    return result


def _concat(parts: list[pd.DataFrame], columns: list[str] | None = None) -> pd.DataFrame:
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=columns or CLAIM_COLUMNS)
    return pd.concat(parts, ignore_index=True)


REREAD_FAILED = "not read: changed on disk after the documents step"


def reload_documents(documents: pd.DataFrame, sources_root: Path) -> list[SourceDoc]:
    """The readable documents of a documents table, with their text read again from disk.

    The bytes must be the ones the documents step hashed and sized: a file swapped in between
    (a bigger one, past the size limit, or an edit) is quarantined, never extracted."""
    docs = []
    root = Path(sources_root).resolve()
    row: Any  # a documents row: its columns as attributes, of the schema's types
    for row in documents.itertuples():
        doc = SourceDoc(source_id=row.source_id, path=root / row.path, title=row.title, publisher=row.publisher,
                        published=parse_published(row.published) or dt.date.today(), format=row.format,
                        primary=bool(row.primary), registered=bool(row.registered), sha256=row.sha256,
                        bytes=int(row.bytes), status=row.status, reason=row.reason)
        if doc.status == "ok":
            _reread(doc)
        docs.append(doc)
    return docs


def _reread(doc: SourceDoc) -> None:
    try:
        data = read_capped(doc.path)
    except OSError as exc:
        doc.status, doc.reason = "rejected", f"{REREAD_FAILED} (it could not be read again: {exc.strerror})"
        return
    digest = hashlib.sha256(data).hexdigest()
    if digest != doc.sha256:
        now = f"over {MAX_BYTES // 2**20} MB" if len(data) > MAX_BYTES else f"{len(data)} bytes"
        doc.status, doc.reason = "rejected", (f"{REREAD_FAILED} ({doc.bytes} bytes with sha256 {doc.sha256[:12]} "
                                              f"then, {now} with sha256 {digest[:12]} now); run again")
        return
    doc.text = data.decode("utf-8-sig")


def reread_failures(docs: list[SourceDoc]) -> pd.DataFrame:
    """One unparsed row per document quarantined on its second read, so the run says why it has no claims."""
    rows = [{"source_id": d.source_id, "location": "whole document", "line": 0, "text": d.path.name,
             "reason": d.reason, "quote": ""} for d in docs if d.reason.startswith(REREAD_FAILED)]
    return pd.DataFrame(rows, columns=UNPARSED_COLUMNS)
