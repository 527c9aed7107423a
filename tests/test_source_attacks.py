"""The sources folder under attack (issue 12, items 15, 17, 22 and 23), with the attacker's own inputs.

- 15: a 47-byte document swapped for a 21 MB one between the `documents` and `claims` steps;
- 17: `--out` inside `--sources`, and earlier outputs / state folders lying inside the sources folder;
- 22: a file name that is not valid UTF-8 (`report-\\xe9t\\xe9.md`);
- 23: `published: 9999-12-31`, and `0001-01-01` with "last year".
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from reconcile import engine, registry
from reconcile.errors import UserError
from reconcile.outputs import read_csv_safe

REPO = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).parent / "reconcile")
SMALL = "# Note\n\nOpenAI was valued at $300B.\n"


def _cli(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, RECONCILE_HOME=str(home), COLUMNS="200")
    env.pop("DAGSTER_HOME", None)
    return subprocess.run([CLI, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


# --- item 15: a file changed between the two reads ------------------------------------------------------------

def _documents_step(tmp_path: Path, text: str) -> tuple[Path, pd.DataFrame]:
    """One document `a.md` in a fresh sources folder, through the documents step: (folder, documents table)."""
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "a.md").write_text(text, encoding="utf-8")
    docs, _ = registry.discover(sources)
    return sources, registry.documents_frame(docs, sources)


def test_a_document_swapped_after_the_documents_step_is_quarantined_not_read(tmp_path, vocab):
    small = "# Note\n\nOpenAI was valued at $300B last March.\n"
    assert len(small.encode()) == 47
    sources, documents = _documents_step(tmp_path, small)
    assert documents.loc[0, "bytes"] == 47
    # the swap: 21 MB of figures, past the 20 MB limit
    line = "OpenAI was valued at $999B in March 2026.\n"
    big = "# Swapped\n\n" + line * (21 * 2**20 // len(line) + 1)
    (sources / "a.md").write_text(big, encoding="utf-8")
    reread = engine.reload_documents(documents, sources)
    result = engine.extract_claims(reread, vocab)
    assert result.claims.empty, "claims came from the swapped file"
    [why] = result.unparsed["reason"].tolist()
    assert "changed on disk" in why and "47 bytes" in why
    assert reread[0].status == "rejected"


def test_a_same_size_edit_after_the_documents_step_is_caught_by_the_hash(tmp_path, vocab):
    sources, documents = _documents_step(tmp_path, "# Note\n\nOpenAI was valued at $300B.\n")
    (sources / "a.md").write_text("# Note\n\nOpenAI was valued at $900B.\n", encoding="utf-8")
    result = engine.extract_claims(engine.reload_documents(documents, sources), vocab)
    assert result.claims.empty
    assert result.unparsed["reason"].str.contains("changed on disk").all()


def test_an_unchanged_document_is_read_again_as_before(tmp_path, vocab):
    sources, documents = _documents_step(tmp_path, "# Note\n\nOpenAI was valued at $300B in March 2026.\n")
    result = engine.extract_claims(engine.reload_documents(documents, sources), vocab)
    assert len(result.claims) == 1 and result.unparsed.empty


# --- item 17: outputs inside the sources folder ---------------------------------------------------------------

def test_out_inside_sources_is_refused_with_one_line_and_exit_2(tmp_path):
    sources = tmp_path / "src"
    sources.mkdir()
    (sources / "a.md").write_text(SMALL, encoding="utf-8")
    done = _cli("run", "--sources", "src", "--out", "src/out", cwd=tmp_path, home=tmp_path / "home")
    assert done.returncode == 2, done.stdout + done.stderr
    lines = [ln for ln in (done.stdout + done.stderr).splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    assert "inside" in lines[0] and "--out" in lines[0] and "Fix:" in lines[0]
    assert "Traceback" not in done.stderr
    assert not (sources / "out").exists() and not (sources / "out.d").exists()


def test_earlier_outputs_and_state_folders_inside_sources_are_never_read(tmp_path):
    sources = tmp_path / "src"
    sources.mkdir()
    (sources / "a.md").write_text(SMALL, encoding="utf-8")
    home = tmp_path / "home"
    # the attacker's setup, as an older version allowed it: out/ written inside the sources folder
    first = _cli("run", "--sources", "src", "--out", str(tmp_path / "out"), cwd=tmp_path, home=home)
    assert first.returncode == 0, first.stderr
    shutil.copytree(tmp_path / "out", sources / "out", symlinks=False)
    shutil.copytree(tmp_path / "out.d", sources / "out.d", symlinks=True)
    shutil.copytree(home, sources / "state")  # a RECONCILE_HOME: decisions.db, reconcile.duckdb, cache/
    (sources / "out-link").symlink_to(os.readlink(tmp_path / "out"))  # the `out` symlink, into out.d/
    for state in (".reconcile", ".dagster_home"):
        (sources / state).mkdir()
        (sources / state / "notes.md").write_text(SMALL, encoding="utf-8")
    docs, _ = registry.discover(sources)
    assert [d.source_id for d in docs] == ["a"], [(d.source_id, str(d.path)) for d in docs]


# --- item 22: a file name that is not valid UTF-8 -------------------------------------------------------------

def test_a_non_utf8_file_name_is_quarantined_and_the_rest_reconciled(tmp_path):
    sources = tmp_path / "src"
    sources.mkdir()
    (sources / "a.md").write_text(SMALL, encoding="utf-8")
    bad = os.path.join(os.fsencode(sources), b"report-\xe9t\xe9.md")
    with open(bad, "wb") as fh:
        fh.write(b"# Report\n\nAnthropic was valued at $61.5B.\n")
    done = _cli("run", "--sources", "src", "--out", "out", cwd=tmp_path, home=tmp_path / "home")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    claims = read_csv_safe(tmp_path / "out" / "claims.csv")
    assert set(claims["source_id"]) == {"a"}
    rejected = read_csv_safe(tmp_path / "out" / "rejected_sources.csv")
    [row] = rejected.to_dict("records")
    assert row["path"] == "report-\\xe9t\\xe9.md"
    assert "UTF-8" in row["reason"] and "rename" in row["reason"]
    assert "report-\\xe9t\\xe9.md" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")


# --- item 23: extreme published dates --------------------------------------------------------------------------

@pytest.mark.parametrize("published", ["9999-12-31", "0001-01-01", "1066-10-14", "2500-01"])
def test_an_extreme_published_date_is_refused_with_file_line_and_fix(tmp_path, published):
    sources = tmp_path / "src"
    sources.mkdir()
    (sources / "a.md").write_text(SMALL, encoding="utf-8")
    (sources / "sources.yaml").write_text(
        f"sources:\n  - id: a\n    path: a.md\n    title: A\n    published: {published}\n", encoding="utf-8")
    with pytest.raises(UserError) as err:
        registry.load_registry(sources)
    assert err.value.line == 5 and err.value.file == str(sources / "sources.yaml")
    assert published in err.value.message and err.value.hint


def test_the_cli_refuses_an_extreme_date_before_writing_anything(tmp_path):
    sources = tmp_path / "src"
    sources.mkdir()
    (sources / "a.md").write_text("# N\n\nOpenAI will IPO next year.\n", encoding="utf-8")
    (sources / "sources.yaml").write_text(
        "sources:\n  - id: a\n    path: a.md\n    title: A\n    published: 9999-12-31\n", encoding="utf-8")
    done = _cli("run", "--sources", "src", "--out", "out", cwd=tmp_path, home=tmp_path / "home")
    assert done.returncode == 2
    assert f"{sources / 'sources.yaml'}:5:" in done.stdout + done.stderr
    assert not (tmp_path / "out").exists()


def test_an_extreme_date_in_an_unregistered_document_is_not_taken_as_its_as_of_date(tmp_path):
    sources = tmp_path / "src"
    sources.mkdir()
    (sources / "a.md").write_text("Published January 1, 0001\n\nOpenAI was valued at $300B last year.\n",
                                  encoding="utf-8")
    os.utime(sources / "a.md", (1769904000, 1769904000))  # 2026-02-01
    docs, _ = registry.discover(sources)
    assert docs[0].published == dt.date(2026, 2, 1)


EDGE_TEXTS = ["OpenAI was valued at $300B last year.", "OpenAI will IPO next year.",
              "OpenAI revenue of $3B this quarter.", "Meta capex was $70B last quarter, up 20% year over year.",
              "OpenAI revenue was $13B in 2025, and $10B next year.", "OpenAI was valued at $300B last December.",
              "OpenAI was valued at $300B next January."]


@pytest.mark.parametrize("as_of", [dt.date(9999, 12, 31), dt.date(1, 1, 1)])
@pytest.mark.parametrize("text", EDGE_TEXTS)
def test_date_arithmetic_at_the_edges_of_the_calendar_loses_no_figure(vocab, as_of, text):
    doc = registry.SourceDoc("a", Path("a.md"), "A", "", as_of, "markdown", text=f"# N\n\n{text}\n")
    claims, unparsed = engine.extract_one(doc, vocab)
    dollars = text.count("$")
    assert len(claims) >= dollars
    assert not unparsed["reason"].str.contains("could not be extracted").any()
