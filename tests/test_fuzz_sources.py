"""Fuzzing (issue 5): mutated copies of the bundled sources through the engine, and property tests
for the loaders and stages that the per-parser property tests do not cover.

Already elsewhere: find_quantities / find_periods / parse_quantity never raise and keep their
invariants, the render/normalise round-trip (test_quantities_props.py); parse_document never
raises (test_parse.py). Here: whole documents through extract + normalise + detect, the registry
and vocabulary loaders on arbitrary YAML, and the quarantine test on arbitrary bytes.
"""
from __future__ import annotations

import dataclasses
import hashlib
import math
import random
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconcile import engine, registry
from reconcile.config import default_vocab_dir
from reconcile.detect import detect_conflicts
from reconcile.errors import UserError
from reconcile.schemas import ClaimsSchema, ConflictsSchema
from reconcile.vocab import load_vocabulary

REPO = Path(__file__).resolve().parents[1]
MUTANTS = 40
SEED = 20260205
BAD_FIGURES = ["$1.2.3B", "$-5B", "1e400", "$B", "~~5", "$5B–", "Q5 2026", "FY99", "−$3.2B", "~$", "±", "$1e9B",
               "| $7B |", "55,5,5", "$.5B", "2026-13-45", "$9" * 40, "\u202e$5B", "٣٤٥", "５０億ドル"]


@pytest.fixture(scope="module")
def frozen(tmp_path_factory):
    """The bundled sources and vocabularies, copied once (others may edit the originals meanwhile)."""
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(REPO / "sources", root / "sources")
    shutil.copytree(default_vocab_dir(), root / "vocab")
    vocab = load_vocabulary(root / "vocab")
    docs, _ = registry.discover(root / "sources")
    docs = [d for d in docs if d.status == "ok"]
    assert len(docs) >= 2
    baseline = {d.source_id: engine.extract_one(d, vocab)[0] for d in docs}
    return root, vocab, docs, baseline


# ------------------------------------------------------------------ mutations


def truncate(text: str, rng: random.Random) -> str:
    return text[: rng.randrange(len(text) + 1)]


def shuffle_lines(text: str, rng: random.Random) -> str:
    lines = text.splitlines(keepends=True)
    start = rng.randrange(len(lines) or 1)
    chunk = lines[start:start + rng.randint(2, 60)]
    rng.shuffle(chunk)
    return "".join(lines[:start] + chunk + lines[start + len(chunk):])


def random_bytes(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 25)):
        pos = rng.randrange(len(out) + 1)
        out[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 6)))
    return bytes(out)


def duplicate_table_rows(text: str, rng: random.Random) -> str:
    lines = text.splitlines(keepends=True)
    rows = [i for i, line in enumerate(lines) if line.lstrip().startswith("|")]
    for i in sorted(rng.sample(rows, min(len(rows), rng.randint(1, 12))), reverse=True):
        lines[i:i] = [lines[i]] * rng.randint(1, 3)
    return "".join(lines)


def remove_pipes(text: str, rng: random.Random) -> str:
    positions = [i for i, ch in enumerate(text) if ch == "|"]
    drop = set(rng.sample(positions, min(len(positions), rng.randint(1, max(1, len(positions) // 4)))))
    return "".join(ch for i, ch in enumerate(text) if i not in drop)


def insert_bad_figures(text: str, rng: random.Random) -> str:
    for _ in range(rng.randint(1, 8)):
        pos = rng.randrange(len(text) + 1)
        text = text[:pos] + f" {rng.choice(BAD_FIGURES)} " + text[pos:]
    return text


def splice(text: str, other: str, rng: random.Random) -> str:
    a, b = rng.randrange(len(text) + 1), rng.randrange(len(other) + 1)
    return text[:a] + other[b:b + rng.randint(1, 4000)] + text[a:]


TEXT_MUTATIONS = [truncate, shuffle_lines, duplicate_table_rows, remove_pipes, insert_bad_figures]


def mutant(rng: random.Random, docs: list[registry.SourceDoc]) -> tuple[registry.SourceDoc, list[str]]:
    doc = rng.choice(docs)
    text, applied = doc.text, []
    for _ in range(rng.randint(1, 3)):
        op = rng.choice(TEXT_MUTATIONS + ["random_bytes", "splice"])
        if op == "splice":
            text = splice(text, rng.choice(docs).text, rng)
        elif op == "random_bytes":
            data = random_bytes(text.encode("utf-8"), rng)
            reason = registry.rejection_reason(data)
            if reason:  # the run would quarantine it; read it anyway, to fuzz the stages too
                assert isinstance(reason, str) and reason.strip()
                text = data.decode("utf-8", errors="replace")
            else:
                text = data.decode("utf-8-sig")
        else:
            text = op(text, rng)
        applied.append(op if isinstance(op, str) else op.__name__)
    fmt = doc.format if rng.random() < 0.8 else rng.choice(["markdown", "text", "html"])
    changed = dataclasses.replace(doc, text=text, format=fmt, sha256=hashlib.sha256(text.encode("utf-8", "replace"))
                                  .hexdigest())
    return changed, applied + [f"as {fmt}"]


def check_claims(claims: pd.DataFrame, where: str) -> None:
    ClaimsSchema.validate(claims, lazy=True)
    assert claims["claim_id"].is_unique, where
    full = claims.dropna(subset=["value", "value_low", "value_high"])
    assert (full["value_low"] <= full["value"]).all() and (full["value"] <= full["value_high"]).all(), where
    # A stated value is a finite number; a bound may be open ("400,000+" has value_high = inf).
    assert claims["value"].dropna().map(math.isfinite).all(), where
    assert not (claims["value_low"] == math.inf).any() and not (claims["value_high"] == -math.inf).any(), where


def test_seeded_fuzz_of_mutated_sources_through_the_engine(frozen):
    root, vocab, docs, baseline = frozen
    rng = random.Random(SEED)
    started = time.monotonic()
    documents = registry.documents_frame(docs, root / "sources")
    for n in range(MUTANTS):
        doc, applied = mutant(rng, docs)
        where = f"mutant {n} of {doc.source_id}: {', '.join(applied)}"
        claims, unparsed = engine.extract_one(doc, vocab)
        check_claims(claims, where)
        assert set(claims["source_id"]) <= {doc.source_id}, where
        assert list(unparsed.columns) == engine.UNPARSED_COLUMNS, where
        assert unparsed["text"].astype(str).str.len().gt(0).all()
        assert unparsed["reason"].astype(str).str.len().gt(0).all()
        # Detection with the other, unmutated documents' claims beside the mutant's.
        others = [c for sid, c in baseline.items() if sid != doc.source_id]
        together = pd.concat([claims, *others], ignore_index=True)
        conflicts = detect_conflicts(together, documents)
        if len(conflicts):
            ConflictsSchema.validate(conflicts, lazy=True)
            referenced = {cid for ids in conflicts["claim_ids"] for cid in ids.split(";")}
            assert referenced <= set(together["claim_id"]), where
    assert time.monotonic() - started < 60  # the budget is fixed; this catches a pathological slowdown


def test_a_mutated_document_does_not_change_the_other_documents_claims(frozen):
    """One broken document never disturbs the reconciliation of the others (claims are per document)."""
    _, vocab, docs, baseline = frozen
    rng = random.Random(SEED + 1)
    doc, _ = mutant(rng, docs)
    extracted = engine.extract_claims([doc, *[d for d in docs if d.source_id != doc.source_id]], vocab)
    for source_id, expected in baseline.items():
        if source_id != doc.source_id:
            got = extracted.claims[extracted.claims["source_id"] == source_id]
            assert list(got["claim_id"]) == list(expected["claim_id"])


# ------------------------------------------------------------------ properties

_DOC_TOKENS = st.sampled_from([
    "# ", "## Revenue ", "| Company | Revenue 2025 | Capex 2026 |", "|---|---|---|", "| OpenAI | $13B | ~$5B |",
    "| Meta |", "|", "\n", "\n\n", "OpenAI", "Microsoft", "Meta", "Oracle", "AWS", "Nvidia", "Big Tech",
    " revenue ", " capex ", " valued at ", " raised ", " in 2025", " in Q4 2025", " FY2026", " by 2027",
    " per quarter", " run rate ", "$", "B", "$5B", "$1.2.3B", "$-5B", "1e400", "$B", "~~5", "~", "±", "%", "40%",
    "555K", "555,000+", "$115–135B", "–", "-", "—", ".", ",", "(", ")", "<p>", "</p>", "<table><tr><td>", "</td>",
    "<script>", "&amp;", "`", "*", "**", "\t", "\r\n", "\u200f", "📈", "中", "\x00", "\x0b", "   ",
])
_DOCS = st.one_of(st.text(max_size=300), st.lists(_DOC_TOKENS, max_size=50).map("".join))
_FORMATS = st.sampled_from(["markdown", "text", "html"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_DOCS, fmt=_FORMATS)
def test_extract_and_normalise_never_raise_and_keep_intervals_ordered(frozen, text, fmt):
    _, vocab, docs, _ = frozen
    doc = dataclasses.replace(docs[0], text=text, format=fmt)
    claims, unparsed = engine.extract_one(doc, vocab)
    check_claims(claims, repr(text))
    assert list(unparsed.columns) == engine.UNPARSED_COLUMNS


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=300), st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_quarantine_check_never_raises_and_accepts_exactly_decodable_text(data):
    reason = registry.rejection_reason(data)
    assert isinstance(reason, str)
    if not reason:
        text = data.decode("utf-8-sig")  # accepted bytes always decode
        assert text.strip() and "\x00" not in text[:8192]


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=30), st.dates().map(str), st.integers().map(str)))
def test_published_date_parser_never_raises(text):
    assert registry.parse_published(text) is None or registry.parse_published(text).year >= 1


_YAML_TOKENS = st.sampled_from([
    "sources:", "\n", "  - ", "    ", "id: a", "id: b", "id: ../x", "path: a.md", "path: ../x.md", "path: /etc/passwd",
    "title: ", "published: 2026-02-01", "published: 2026-13-45", "published: 2026-02-30", "published: 1e400",
    "format: html", "format: pdf", "primary: yes", "primary: 2", "unknown: 1", "!!python/object:os.system x",
    "!!binary x", "!!timestamp x", "!!int x", "&a ", "*a", "<<: *a", "? ", "{", "}", "[", "]", ":", "#", "'", '"',
    "\t", "-", "=", "~", "null", ".inf", "%YAML 1.1\n---\n", "---", "...", "\ufeff", "é", "\x85",
])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.lists(_YAML_TOKENS, max_size=40).map("".join), st.text(max_size=120)))
def test_registry_loader_raises_only_user_errors(text):
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "a.md").write_text("# A\n\nOracle revenue was $1B in FY2010.\n")
        (Path(folder) / "sources.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            docs, _ = registry.discover(Path(folder))
        except UserError as error:
            rendered = error.render()
            assert "sources.yaml" in rendered and "\n" not in rendered.strip(), rendered
        else:
            assert all(d.status in ("ok", "rejected") for d in docs)
            assert all(d.reason for d in docs if d.status == "rejected")


_VOCAB_TOKENS = st.sampled_from([
    "entities:", "metrics:", "events:", "unit_kinds:", "groups:", "approx_tolerance: 0.1", "approx_tolerance: 2",
    "\n", "  ", "    ", "Acme: {kind: company, aliases: [Acme, ACME]}", "Beta: {kind: company, aliases: [Acme]}",
    "Sub: {kind: division, parent: Acme}", "Sub: {kind: division, parent: Nope}", "kind: [a]", "parent: [x]",
    "fiscal_year_end: 13", "fiscal_year_end: 2026-13-45", "revenue: {unit: [money], aliases: [revenue]}",
    "capex: {unit: [furlongs]}", "capex: {unit: money}", "granularity: weekly", "money: [USD]", "count: [count]",
    "ipo: {aliases: [IPO], generic: maybe}", "ipo: {aliases: [IPO]}", "members: [Acme, Ghost]", "{", "[", ":", "-",
    "&a [x]", "*a", "!!python/object:os.system x", "'", "#",
])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_VOCAB_TOKENS, max_size=14).map("".join), min_size=4, max_size=4))
def test_vocabulary_loader_raises_only_user_errors(texts):
    names = ("entities.yaml", "metrics.yaml", "events.yaml", "units.yaml")
    with tempfile.TemporaryDirectory() as folder:
        for name, text in zip(names, texts, strict=False):
            (Path(folder) / name).write_text(text, encoding="utf-8")
        try:
            load_vocabulary(Path(folder))
        except UserError as error:
            rendered = error.render()
            assert any(name in rendered for name in names) and "\n" not in rendered.strip(), rendered


# ------------------------------------------------------------------ one document the engine cannot handle


@pytest.mark.parametrize("workers", [1, 2])
def test_a_document_that_crashes_the_engine_does_not_stop_the_others(frozen, monkeypatch, tmp_path, workers):
    """Defence in depth: were a parser bug to raise on one document, the others are still reconciled
    and the failure is reported as an unparsed row (and not cached, so a fixed engine retries)."""
    _, vocab, docs, baseline = frozen
    real = engine.parse_document

    def parse_or_crash(text, fmt):
        if "CRASH-ME" in text:
            raise RecursionError("maximum recursion depth exceeded\nwhile parsing")
        return real(text, fmt)

    monkeypatch.setattr(engine, "parse_document", parse_or_crash)
    monkeypatch.setattr(engine, "PARALLEL_MIN", 2)
    bad = dataclasses.replace(docs[0], source_id="crasher", text="# CRASH-ME\n\nOracle revenue was $1B in FY2010.\n",
                              sha256="0" * 64)
    cache = engine.ClaimCache(tmp_path / "cache")
    result = engine.extract_claims([bad, *docs], vocab, cache, workers=workers)
    for source_id, expected in baseline.items():
        got = result.claims[result.claims["source_id"] == source_id]
        assert list(got["claim_id"]) == list(expected["claim_id"])
    assert "crasher" not in set(result.claims["source_id"])
    failed = result.unparsed[result.unparsed["source_id"] == "crasher"]
    assert len(failed) == 1 and failed.iloc[0]["reason"].startswith("document could not be extracted (RecursionError")
    assert "\n" not in failed.iloc[0]["reason"]
    assert cache.get(cache.key(bad, vocab)) is None
