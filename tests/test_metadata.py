"""Document metadata read from the document itself (front matter, <meta>, <time>, datelines), and the
registry's rule that a sources.yaml entry wins over it."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from reconcile import registry
from reconcile.metadata import read_metadata

CASES = yaml.safe_load((Path(__file__).parent / "fixtures" / "document_metadata.yaml").read_text(encoding="utf-8"))
REAL_DEV = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "real-dev" / "sources"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_metadata_cases(case):
    meta = read_metadata(case["text"], case["format"])
    expect = case["expect"]
    for name in ("title", "publisher", "published"):
        if name in expect:
            assert getattr(meta, name) == (expect[name] or ("" if name != "published" else None)), name
    if "published_from" in expect:
        assert meta.found_in["published"] == expect["published_from"]


def test_a_registry_entry_wins_and_gaps_are_filled(tmp_path):
    (tmp_path / "a.md").write_text("---\ntitle: From the text\npublished: 2026-02-11\n---\n"
                                   "OpenAI is valued at $500B.\n")
    (tmp_path / "sources.yaml").write_text("sources:\n  - id: a\n    path: a.md\n    published: 2026-01-05\n")
    docs, _ = registry.discover(tmp_path)
    assert docs[0].published == dt.date(2026, 1, 5)   # the entry's date, not the document's
    assert docs[0].title == "From the text"             # the entry left the title out


@pytest.mark.skipif(not REAL_DEV.is_dir(), reason="needs ../shared/corpus/real-dev beside the checkout")
def test_real_documents_unregistered_are_dated_as_their_registry_says(tmp_path):
    """Every dev-corpus document that states its date gets it (within a day: timestamps are UTC)
    without sources.yaml."""
    listed = {e["path"]: e for e in yaml.safe_load((REAL_DEV / "sources.yaml").read_text())["sources"]}
    for name in listed:
        shutil.copy(REAL_DEV / name, tmp_path / name)
    docs, _ = registry.discover(tmp_path)
    dated = {d.path.name: d.published for d in docs if "published" not in d.missing}
    assert len(dated) >= 12, sorted(set(listed) - set(dated))
    for name, published in dated.items():
        want = listed[name]["published"]
        assert abs((published - want).days) <= 1, name
