"""The claim cache follows the code: an edited engine module or vocabulary file reads every document again."""
from __future__ import annotations

import shutil
from pathlib import Path

from reconcile import engine, registry
from reconcile.config import default_vocab_dir
from reconcile.vocab import load_vocabulary

DOC = "# Anthropic brief\n\nAnthropic was valued at $183B in September 2025.\n"


def _docs(tmp_path: Path):
    folder = tmp_path / "sources"
    folder.mkdir()
    (folder / "brief.md").write_text(DOC, encoding="utf-8")
    docs, _ = registry.discover(folder)
    return docs


def _copy_package(tmp_path: Path) -> Path:
    return Path(shutil.copytree(engine.PACKAGE_DIR, tmp_path / "reconcile",
                                ignore=shutil.ignore_patterns("__pycache__")))


def test_an_unchanged_engine_and_vocabulary_serve_from_the_cache(tmp_path, vocab):
    docs, cache = _docs(tmp_path), engine.ClaimCache(tmp_path / "cache")
    assert engine.extract_claims(docs, vocab, cache).extracted == ["brief"]
    assert engine.extract_claims(docs, vocab, engine.ClaimCache(tmp_path / "cache")).cached == ["brief"]


def test_editing_an_engine_module_invalidates_the_cache(tmp_path, vocab):
    package = _copy_package(tmp_path)
    before = engine.code_version(package)
    assert before == engine.code_version(engine.PACKAGE_DIR)   # the same files give the same version
    module = package / "normalise.py"
    module.write_text(module.read_text(encoding="utf-8") + "\n# a changed rule\n", encoding="utf-8")
    after = engine.code_version.__wrapped__(package)            # the per-process memo, bypassed
    assert after != before

    docs = _docs(tmp_path)
    engine.extract_claims(docs, vocab, engine.ClaimCache(tmp_path / "cache", code=before))
    again = engine.extract_claims(docs, vocab, engine.ClaimCache(tmp_path / "cache", code=after))
    assert again.extracted == ["brief"] and again.cached == []


def test_a_new_module_in_a_subpackage_changes_the_code_version(tmp_path):
    package = _copy_package(tmp_path)
    before = engine.code_version.__wrapped__(package)
    (package / "extract_new").mkdir()
    (package / "extract_new" / "__init__.py").write_text("", encoding="utf-8")
    assert engine.code_version.__wrapped__(package) != before


def test_editing_or_adding_a_vocabulary_file_invalidates_the_cache(tmp_path):
    vocab_dir = Path(shutil.copytree(default_vocab_dir(), tmp_path / "vocab"))
    docs = _docs(tmp_path)

    def run():
        return engine.extract_claims(docs, load_vocabulary(vocab_dir), engine.ClaimCache(tmp_path / "cache"))

    assert run().extracted == ["brief"] and run().cached == ["brief"]
    metrics = vocab_dir / "metrics.yaml"
    metrics.write_text(metrics.read_text(encoding="utf-8") + "\n# a steward's note\n", encoding="utf-8")
    assert run().extracted == ["brief"] and run().cached == ["brief"]
    (vocab_dir / "glossary.yaml").write_text("annualised: [annualized]\n", encoding="utf-8")  # a file added later
    assert run().extracted == ["brief"] and run().cached == ["brief"]
