"""Bad input through the real CLI on real files (issue 5): quarantine, injection, config errors, orphans.

One scenario, as a new user would meet it: the bundled sources are reconciled once (with a planted
document whose conflict a steward dismisses); then the planted document goes away and binary, empty,
invalid-UTF-8, unknown-format, 50 MB, hostile and ragged documents, plus registry entries that are
missing or escape the folder, are dropped in. The second run must still reconcile the good sources
and report every bad one by name. Then broken configurations must fail with one clear line, exit 2,
and leave the previous out/ byte-for-byte unchanged.
"""
from __future__ import annotations

import csv
import hashlib
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup
from markdown_it import MarkdownIt

from reconcile.outputs import needs_escape, read_csv_safe

REPO = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).parent / "reconcile")
BUNDLED = ("infra-race-r1", "ai-weekly-2026-w05")
PINNED_MTIME = 1769904000  # 2026-02-01: unregistered files take their as-of date from the file time
CANARY = "CANARY-7f3a9c-outside-the-sources-folder"

HOSTILE_MD = """\
# Oracle `<script>alert('heading')</script>` briefing

Oracle reported total revenue of $39.8B for FY2018 `<script>alert(1)</script>` per the deck.

Later in the call, Oracle put FY2018 revenue at $45B `<img src=x onerror=alert(1)>` &lt;b onmouseover=alert(2)&gt;.

=HYPERLINK("http://evil.example","x") Oracle revenue was $39.5B for FY2018.

@SUM(1) Oracle's FY2018 revenue came to $39.7B, see [the filing](javascript:alert(1)).

| Company | FY2018 Revenue | Note |
|---|---|---|
| Oracle | $39.8B | <script>alert('cell')</script> |
| =HYPERLINK("http://evil","x") | $5B | @SUM(1) |
| Oracle `code` \\| pipe | $41B | `<a href="javascript:alert(3)">x</a>` |
"""

HOSTILE_TXT = """\
Oracle memo <script>alert('txt')</script>

Oracle put FY2018 revenue at $45B <img src=x onerror=alert(4)> and [x](javascript:alert(5)) | a | `b`.
"""

HOSTILE_HTML = """\
<!DOCTYPE html><html><head><title>Oracle <script>alert('t')</script></title>
<meta http-equiv="refresh" content="0;url=javascript:alert(1)"><base href="javascript:alert(2)//"></head>
<body onload="alert(3)"><h1>Oracle desk <img src=x onerror=alert(8)></h1>
<p onclick="alert(4)">Oracle FY2018 revenue was $44B &lt;img src=x onerror=alert(7)&gt; says
<a href="javascript:alert(5)">the desk</a>.</p>
<iframe src="javascript:alert(6)"></iframe><svg onload="alert(9)"></svg>
<table><tr><th>Company</th><th>FY2018 Revenue</th></tr>
<tr><td>Oracle<script>alert(10)</script></td><td>$44B</td></tr></table>
</body></html>
"""

ODD_MD = """\
# Ünïcödé 📈 报告 \u200fمرحبا\u200f e\u0301\u0301 — ﬁnance

Oracle revenue was $10.9B in FY2001 📈 (甲骨文 收入), said Zoë Ñúñez \u200e\u202bשלום\u202c.
"""

BAD_NUMBERS = ("$1.2.3B", "$-5B", "1e400", "$B", "~~5")
RAGGED_MD = """\
# Ragged `<script>alert('ragged')</script>` capex

| Company | Capex 2025 | Capex 2026 |
|---|---|
| Microsoft | $1.2.3B | $-5B | extra | cells |
| Meta | 1e400 |
| Amazon | $B | ~~5 |
| Google |

| broken
|---|---|
Figures: Meta capex $1.2.3B and Amazon $-5B, Google 1e400 and $B or ~~5 in 2026.
"""

PLANTED_TXT = """\
Oracle Results
Oracle reported total revenue of $57.4B for FY2025.
Later in the call, Oracle put FY2025 revenue at $61B.
"""

# (source id, path in documents.csv, reason pattern) for every file the second run must quarantine.
QUARANTINED = [
    ("blob", "blob.bin", r"binary file"),
    ("empty", "empty.md", r"empty file"),
    ("blank", "blank.txt", r"empty file"),
    ("bom-only", "bom-only.md", r"empty file \(only blank or invisible characters\)"),
    ("latin1", "latin1.txt", r"invalid UTF-8 at byte 3 \(line 1\)"),
    ("deck", "deck.pdf", r"unknown format '\.pdf'"),
    ("memo", "memo.docx", r"binary file|unknown format"),
    ("huge", "huge.md", r"too large \(50\.0 MB > 20 MB limit"),
    ("control", "control.txt", r"binary file \(control characters\)"),
    ("sneaky-unregistered", "sneaky-unregistered.md", r"symbolic link"),
    ("missing-doc", "not-there.md", r"does not exist"),
    ("escape-up", "../outside/secret.md", r"escapes the sources folder"),
    ("escape-fifo", "ABSOLUTE_FIFO", r"escapes the sources folder"),
    ("escape-passwd", "/etc/passwd", r"escapes the sources folder"),
    ("escape-link", "sneaky.md", r"escapes the sources folder"),
]

REGISTRY_EXTRA = """\
  - id: hostile-md
    path: hostile.md
    title: "<script>alert('title')</script> =HYPERLINK(\\"http://evil\\",\\"t\\")"
    publisher: "<img src=x onerror=alert('publisher')>"
    published: 2026-02-01
    format: markdown
  - id: hostile-txt
    path: hostile.txt
    title: "@SUM(1) [t](javascript:alert(6))"
    publisher: "+1+1 | `tick`"
    published: 2026-02-01
    format: text
  - id: missing-doc
    path: not-there.md
    title: A document nobody saved
  - id: escape-up
    path: ../outside/secret.md
  - id: escape-fifo
    path: {fifo}
  - id: escape-passwd
    path: /etc/passwd
  - id: escape-link
    path: sneaky.md
"""


def cli_env(work: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, RECONCILE_HOME=str(work / "home"), RECONCILE_VOCAB=str(work / "vocab"))
    for name in ("DAGSTER_HOME", "RECONCILE_DB_URL", "RECONCILE_OUT", "RECONCILE_SOURCES"):
        env.pop(name, None)
    env.update(extra)
    return env


def cli(work: Path, *args: str, timeout: float = 240, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], cwd=work, env=cli_env(work, **extra), capture_output=True, text=True,
                          timeout=timeout)


def run(work: Path, sources: str = "sources", **extra: str) -> subprocess.CompletedProcess:
    return cli(work, "run", "--sources", sources, "--out", "out", **extra)


def tree_hashes(*roots: Path) -> dict[str, str]:
    """Every file and symlink under the roots (following nothing), by path, with its content hash."""
    seen = {}
    for root in roots:
        if root.is_symlink():
            seen[str(root)] = "link:" + os.readlink(root)
            root = root.resolve()
        for path in sorted(root.rglob("*")):
            if path.is_symlink():
                seen[str(path)] = "link:" + os.readlink(path)
            elif path.is_file():
                seen[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                seen[str(path)] = "dir"
    return seen


def raw_csv_cells(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as fh:
        return [cell for row in csv.reader(fh) for cell in row]


def conflict_keys(conflicts: pd.DataFrame) -> set[tuple[str, str, str, str]]:
    return {(r.kind, str(r.entity), str(r.metric), str(r.period)) for r in conflicts.itertuples()}


@dataclass
class Scenario:
    work: Path
    first: subprocess.CompletedProcess
    second: subprocess.CompletedProcess
    claims1: pd.DataFrame
    conflicts1: pd.DataFrame
    planted_conflict: str
    fifo: Path

    @property
    def out(self) -> Path:
        return self.work / "out"

    def table(self, name: str) -> pd.DataFrame:
        return read_csv_safe(self.out / name, dtype=str, keep_default_na=False)

    def html(self) -> str:
        return (self.out / "report.html").read_text(encoding="utf-8")


def write_bad_inputs(work: Path) -> Path:
    src = work / "sources"
    outside = work / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text(f"# Secret\n\nOpenAI was valued at $999B in February 2026. {CANARY}\n")
    fifo = outside / "pipe.md"
    os.mkfifo(fifo)  # opening it for reading would block the run: proof that an escaping path is never read
    (src / "sneaky.md").symlink_to(outside / "secret.md")
    (src / "sneaky-unregistered.md").symlink_to(outside / "secret.md")

    (src / "blob.bin").write_bytes(bytes(range(256)) * 40)
    (src / "empty.md").write_bytes(b"")
    (src / "blank.txt").write_bytes(b"  \n\t\n")
    (src / "bom-only.md").write_bytes("\ufeff\u200b\u00a0\u3000\n".encode("utf-8"))
    (src / "latin1.txt").write_bytes("Caf\xe9 revenue was $5B in 2025".encode("latin-1"))
    (src / "deck.pdf").write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n%%EOF\n")
    (src / "memo.docx").write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + bytes(300)
                                    + b"word/document.xml")
    (src / "control.txt").write_bytes(b"Revenue \x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0e $5B " * 20)
    line = b"Filler paragraph of a very long document that nobody should have to read in full.\n"
    with open(src / "huge.md", "wb") as fh:
        fh.write(line * (50 * 2**20 // len(line)))
        fh.write(b"x" * (50 * 2**20 - fh.tell()))
    (src / "hostile.md").write_text(HOSTILE_MD, encoding="utf-8")
    (src / "hostile.txt").write_text(HOSTILE_TXT, encoding="utf-8")
    (src / "hostile-page.html").write_text(HOSTILE_HTML, encoding="utf-8")
    (src / "odd-unicode.md").write_text(ODD_MD, encoding="utf-8")
    (src / "ragged.md").write_text(RAGGED_MD, encoding="utf-8")
    for path in src.iterdir():
        if not path.is_symlink():
            os.utime(path, (PINNED_MTIME, PINNED_MTIME))
    with open(src / "sources.yaml", "a", encoding="utf-8") as fh:
        fh.write(REGISTRY_EXTRA.format(fifo=fifo))
    return fifo


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Scenario:
    work = tmp_path_factory.mktemp("bad-input")
    shutil.copytree(REPO / "sources", work / "sources")
    shutil.copytree(REPO / "vocab", work / "vocab")  # frozen: vocabularies may be edited while the tests run
    planted = work / "sources" / "planted.txt"
    planted.write_text(PLANTED_TXT)
    os.utime(planted, (PINNED_MTIME, PINNED_MTIME))

    first = run(work)
    assert first.returncode == 0, first.stdout + first.stderr
    claims1 = read_csv_safe(work / "out" / "claims.csv", dtype=str, keep_default_na=False)
    conflicts1 = read_csv_safe(work / "out" / "conflicts.csv", dtype=str, keep_default_na=False)
    planted_rows = conflicts1[conflicts1["source_ids"] == "planted"]
    assert len(planted_rows) == 1, conflicts1[["kind", "entity", "metric", "period", "source_ids"]]
    planted_id = planted_rows.iloc[0]["conflict_id"]
    dismissed = cli(work, "dismiss", planted_id, "--by", "qa", "--reason", "planted <b>for</b> the orphan test",
                    RECONCILE_OUT=str(work / "out"))
    assert dismissed.returncode == 0, dismissed.stdout + dismissed.stderr

    planted.unlink()
    fifo = write_bad_inputs(work)
    second = run(work)
    return Scenario(work, first, second, claims1, conflicts1, planted_id, fifo)


# ------------------------------------------------------------------ the good sources still reconcile


def test_run_succeeds_and_the_good_sources_are_reconciled_as_before(scenario):
    assert scenario.second.returncode == 0, scenario.second.stdout + scenario.second.stderr
    assert "Traceback" not in scenario.second.stdout + scenario.second.stderr
    claims = scenario.table("claims.csv")
    for source in BUNDLED:
        before = set(scenario.claims1.loc[scenario.claims1["source_id"] == source, "claim_id"])
        after = set(claims.loc[claims["source_id"] == source, "claim_id"])
        assert before and after == before, source
    conflicts = scenario.table("conflicts.csv")
    bundled_before = scenario.conflicts1[scenario.conflicts1["conflict_id"] != scenario.planted_conflict]
    assert len(bundled_before) >= 5
    assert conflict_keys(bundled_before) <= conflict_keys(conflicts)
    kinds = set(bundled_before["kind"])
    assert kinds <= set(conflicts["kind"])


def test_hostile_documents_are_read_and_their_conflict_found(scenario):
    documents = scenario.table("documents.csv").set_index("source_id")
    for source_id in ("hostile-md", "hostile-txt", "hostile-page"):
        assert documents.loc[source_id, "status"] == "ok", source_id
    conflicts = scenario.table("conflicts.csv")
    oracle = conflicts[(conflicts["entity"] == "Oracle") & (conflicts["period"] == "FY2018")]
    assert "value" in set(oracle["kind"])
    assert {"hostile-md", "hostile-txt", "hostile-page"} <= set(";".join(oracle["source_ids"]).split(";"))


def test_valid_utf8_with_odd_characters_is_read_not_rejected(scenario):
    documents = scenario.table("documents.csv").set_index("source_id")
    assert documents.loc["odd-unicode", "status"] == "ok", documents.loc["odd-unicode", "reason"]
    claims = scenario.table("claims.csv")
    odd = claims[claims["source_id"] == "odd-unicode"]
    assert len(odd) >= 1
    assert any("📈" in q and "甲骨文" in q for q in odd["quote"])
    assert any("\u0301" in loc and "报告" in loc for loc in odd["location"])


# ------------------------------------------------------------------ quarantine


@pytest.mark.parametrize("source_id,path,reason", QUARANTINED, ids=[q[0] for q in QUARANTINED])
def test_bad_file_is_quarantined_by_name_with_its_reason(scenario, source_id, path, reason):
    path = str(scenario.fifo) if path == "ABSOLUTE_FIFO" else path
    rejected = scenario.table("rejected_sources.csv")
    row = rejected[rejected["source_id"] == source_id]
    assert len(row) == 1, rejected
    assert row.iloc[0]["path"] == path
    assert re.search(reason, row.iloc[0]["reason"]), row.iloc[0]["reason"]
    documents = scenario.table("documents.csv").set_index("source_id")
    assert documents.loc[source_id, "status"] == "rejected"
    claims = scenario.table("claims.csv")
    assert source_id not in set(claims["source_id"])
    # The report lists it by name, with the path and the reason, in the rejected-sources table.
    section = BeautifulSoup(scenario.html(), "html.parser").find(id="rejected-sources")
    rows = [[td.get_text() for td in tr.find_all("td")] for tr in section.find_all("tr")]
    assert [source_id, path, row.iloc[0]["reason"]] in rows
    assert f"{len(rejected)} rejected" in scenario.html()


def test_nothing_else_is_quarantined_and_the_cli_names_each_bad_file(scenario):
    rejected = scenario.table("rejected_sources.csv")
    assert sorted(rejected["source_id"]) == sorted(q[0] for q in QUARANTINED)
    output = scenario.second.stdout
    for source_id, _, _ in QUARANTINED:
        assert f"quarantined {source_id}:" in output
    # A quarantined file is never announced as read.
    assert "read as 'blob'" not in output and "read as 'huge'" not in output


def test_paths_escaping_the_folder_are_never_read(scenario):
    secret = (scenario.work / "outside" / "secret.md").read_text()
    passwd = Path("/etc/passwd").read_text(errors="replace").splitlines()[0] if Path("/etc/passwd").exists() else ""
    everything = scenario.second.stdout + scenario.second.stderr
    for path in sorted(p for p in scenario.out.resolve().rglob("*") if p.is_file()):
        everything += path.read_bytes().decode("utf-8", errors="replace")
    assert CANARY not in everything and "$999B" not in everything
    assert CANARY in secret  # the canary is real: the file was there to be read
    if passwd:
        assert passwd not in everything
    documents = scenario.table("documents.csv").set_index("source_id")
    for source_id in ("escape-up", "escape-passwd", "escape-fifo", "escape-link", "sneaky-unregistered"):
        assert documents.loc[source_id, "sha256"] == "", source_id  # no byte of it was hashed
        assert "never" in documents.loc[source_id, "reason"]


# ------------------------------------------------------------------ no live markup anywhere


def assert_no_live_markup(soup: BeautifulSoup) -> None:
    assert soup.find_all("script") == []
    assert soup.find_all(["img", "iframe", "object", "embed", "form", "svg", "base", "link"]) == []
    for tag in soup.find_all(True):
        assert not [a for a in tag.attrs if a.lower().startswith("on")], tag
        for attr in ("href", "src", "action", "formaction", "xlink:href"):
            value = re.sub(r"\s", "", str(tag.get(attr, ""))).lower()
            assert not value.startswith(("javascript:", "data:", "vbscript:")), tag


def test_report_html_has_no_live_markup_from_any_source(scenario):
    page = scenario.html()
    soup = BeautifulSoup(page, "html.parser")
    assert_no_live_markup(soup)
    assert [m.get("http-equiv") for m in soup.find_all("meta") if m.get("http-equiv")] == ["Content-Security-Policy"]
    assert all(a["href"].startswith("#") for a in soup.find_all("a", href=True))
    text = soup.get_text()
    # Hostile source text is shown, as text: titles, publishers, quotes, headings in locations.
    for shown in ("<script>alert('title')</script>", "<img src=x onerror=alert('publisher')>",
                  "<img src=x onerror=alert(4)>", "[x](javascript:alert(5))", "<script>alert(1)</script>",
                  "<script>alert('ragged')</script>", "@SUM(1) [t](javascript:alert(6))",
                  "<img src=x onerror=alert(7)>"):
        assert shown in text, shown
    assert page.rstrip().endswith("</html>")


def test_report_md_has_no_live_markup_when_rendered(scenario):
    markdown = (scenario.out / "report.md").read_text(encoding="utf-8")
    assert "<script" not in markdown and "<img" not in markdown
    rendered = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    soup = BeautifulSoup(rendered, "html.parser")
    assert_no_live_markup(soup)
    assert all(a["href"].startswith("#") for a in soup.find_all("a", href=True))
    text = soup.get_text()
    for shown in ("<script>alert('title')</script>", "<img src=x onerror=alert(4)>", "[x](javascript:alert(5))"):
        assert shown in text, shown


def test_every_csv_cell_is_formula_neutralised(scenario):
    escaped = {}
    for path in sorted(scenario.out.glob("*.csv")):
        cells = raw_csv_cells(path)
        live = [c for c in cells if c[:1] != "'" and needs_escape(c)]
        assert not live, (path.name, live[:5])
        escaped[path.name] = [c for c in cells if c.startswith("'")]
    # The hostile titles, publishers and quotes did reach the CSVs, neutralised.
    assert any(c.startswith("'@SUM(1)") for c in escaped["documents.csv"])
    assert any(c.startswith("'+1+1") for c in escaped["documents.csv"])
    assert any(c.startswith("'=HYPERLINK") for c in escaped["claims.csv"]), "no hostile quote reached claims.csv"
    assert any(c.startswith("'@SUM(1)") for c in escaped["claims.csv"])
    # And they read back as the original text.
    claims = scenario.table("claims.csv")
    assert any(q.startswith("=HYPERLINK(") for q in claims["quote"])


# ------------------------------------------------------------------ bad numbers, ragged tables


def test_unreadable_figures_are_listed_with_location_and_counted(scenario):
    unparsed = scenario.table("unparsed_figures.csv")
    ragged = unparsed[unparsed["source_id"] == "ragged"]
    for token in BAD_NUMBERS:
        rows = ragged[ragged["text"] == token]
        assert len(rows) >= 2, (token, ragged)  # once in the table, once in the prose
        assert rows["reason"].str.len().gt(0).all()
        assert rows["location"].str.contains("table 1").any() and rows["location"].str.contains("paragraph").any()
        assert rows["line"].astype(int).gt(0).all()
    html = scenario.html()
    assert f"{len(unparsed)} unparsed figure" in html
    assert f"{len(unparsed)} figure{'s' if len(unparsed) != 1 else ''} could not be read" in html
    section = BeautifulSoup(html, "html.parser").find(id="unparsed-figures")
    assert len(section.find_all("tr")) == len(unparsed) + 1
    assert f"{len(unparsed)} figure" in (scenario.out / "report.md").read_text(encoding="utf-8")


def test_unreadable_figures_never_become_numbers(scenario):
    claims = read_csv_safe(scenario.out / "claims.csv", keep_default_na=False, na_values=[""])
    ragged = claims[claims["source_id"] == "ragged"]
    assert not set(ragged["value_text"].astype(str)) & set(BAD_NUMBERS)
    # No piece of a bad figure was read as a number either ("1.2" of "$1.2.3B", "5" of "~~5" ...).
    pieces = [str(t) for t in ragged["value_text"] if any(str(t) in bad for bad in BAD_NUMBERS)]
    assert not pieces, ragged[["quote", "value_text", "value"]]
    values = pd.to_numeric(claims["value"], errors="coerce")
    assert values.notna().any() and values.dropna().abs().lt(float("inf")).all()


# ------------------------------------------------------------------ orphaned decisions


def test_decision_for_a_conflict_that_no_longer_exists_is_kept_and_reported(scenario):
    conflicts = scenario.table("conflicts.csv")
    assert scenario.planted_conflict not in set(conflicts["conflict_id"])
    orphans = scenario.table("orphaned_decisions.csv")
    row = orphans[orphans["conflict_id"] == scenario.planted_conflict]
    assert len(row) == 1 and row.iloc[0]["action"] == "dismiss" and row.iloc[0]["decided_by"] == "qa"
    section = BeautifulSoup(scenario.html(), "html.parser").find(id="orphaned-decisions")
    assert section is not None and scenario.planted_conflict in section.get_text()
    assert "planted <b>for</b> the orphan test" in section.get_text()
    assert "Orphaned decisions" in (scenario.out / "report.md").read_text(encoding="utf-8")
    history = cli(scenario.work, "history", RECONCILE_OUT=str(scenario.out))
    assert history.returncode == 0, history.stderr
    assert scenario.planted_conflict in history.stdout and "orphaned" in history.stdout


# ------------------------------------------------------------------ configuration errors: fail fast, write nothing

REGISTRY_ERRORS = {
    "bad-yaml": ("sources:\n  - id: a\n    path: a.md\n   title: [unclosed\n", 4, r"not valid YAML"),
    "duplicate-id": ("sources:\n  - id: a\n    path: a.md\n  - id: a\n    path: b.md\n", 4, r"duplicate source id 'a'"),
    "unknown-key": ("sources:\n  - id: a\n    path: a.md\n    pubished: 2026-02-01\n", 4, r"unknown key 'pubished'"),
    "bad-date": ("sources:\n  - id: a\n    path: a.md\n    published: 2026-13-45\n", 4, r"bad date '2026-13-45'"),
    "bad-date-text": ("sources:\n  - id: a\n    path: a.md\n    published: last Tuesday\n", 4, r"bad date"),
    "duplicate-key": ("sources:\n  - id: a\n    path: a.md\n    path: b.md\n", 4, r"'path' appears twice"),
    "not-a-list": ("sources: a.md\n", 1, r"must be a list"),
    "python-tag": ("sources:\n  - id: a\n    path: !!python/object:os.system ls\n", 3, r"cannot be read"),
}


def assert_clean_config_error(proc: subprocess.CompletedProcess, file: Path, line: int, message: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"error: {file}:{line}: "), lines[0]
    assert re.search(message, lines[0]), lines[0]
    assert " Fix: " in lines[0]


@pytest.mark.parametrize("case", sorted(REGISTRY_ERRORS))
def test_malformed_registry_fails_fast_with_one_line_and_leaves_out_untouched(scenario, case):
    text, line, message = REGISTRY_ERRORS[case]
    work = scenario.work
    broken = work / f"broken-{case}"
    broken.mkdir()
    (broken / "a.md").write_text("# A\n\nOracle revenue was $1B in FY2010.\n")
    (broken / "sources.yaml").write_text(text)
    before = tree_hashes(work / "out", work / "out.d", work / "home")
    proc = run(work, sources=broken.name)
    assert_clean_config_error(proc, (broken / "sources.yaml").resolve(), line, message)
    assert tree_hashes(work / "out", work / "out.d", work / "home") == before


def broken_vocab(work: Path, case: str) -> tuple[Path, int, str]:
    folder = work / f"vocab-{case}"
    shutil.copytree(work / "vocab", folder)
    if case == "duplicate-alias":
        path = folder / "entities.yaml"
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        at = next(i for i, text in enumerate(lines) if re.match(r"  \w[^:]*:\s*\{.*aliases: \[", text))
        alias = re.search(r"aliases: \[([^,\]]+)", lines[at]).group(1).strip()
        lines.insert(at, f"  Zz Duplicate Holdings: {{kind: company, aliases: [{alias}]}}\n")
        path.write_text("".join(lines), encoding="utf-8")
        return path, at + 2, rf"duplicate entity alias '{re.escape(alias)}'|duplicate entity alias"
    if case == "unknown-unit-kind":
        path = folder / "metrics.yaml"
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        at = next(i for i, text in enumerate(lines) if re.match(r"\s+unit: \[\w+", text))
        lines[at] = re.sub(r"unit: \[\w+", "unit: [furlongs", lines[at])
        path.write_text("".join(lines), encoding="utf-8")
        return path, at + 1, r"unknown unit kind 'furlongs'"
    if case == "duplicate-entity":
        path = folder / "entities.yaml"
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        at = next(i for i, text in enumerate(lines) if re.match(r"  \w[^:]*:\s*\{", text))
        lines.insert(at + 1, lines[at])
        path.write_text("".join(lines), encoding="utf-8")
        return path, at + 2, r"appears twice"
    if case == "empty-unit-spelling":
        path = folder / "units.yaml"
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        at = lines.index("    GW: GW\n")
        lines[at] = '    GW: ""\n'
        path.write_text("".join(lines), encoding="utf-8")
        return path, at + 1, r"spelling 'GW' needs a unit name"
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["duplicate-alias", "unknown-unit-kind", "duplicate-entity", "empty-unit-spelling"])
def test_malformed_vocabulary_fails_fast_with_one_line_and_leaves_out_untouched(scenario, case):
    work = scenario.work
    path, line, message = broken_vocab(work, case)
    before = tree_hashes(work / "out", work / "out.d", work / "home")
    proc = run(work, RECONCILE_VOCAB=str(path.parent))
    assert_clean_config_error(proc, path, line, message)
    assert tree_hashes(work / "out", work / "out.d", work / "home") == before


# ------------------------------------------------------------------ Dagster: the asset check warns, metadata is inert


def test_rejected_sources_asset_check_warns_and_its_metadata_is_inert(scenario):
    from pipelines import checks
    from pipelines.metadata import conflict_metadata, markdown_table
    from pipelines.resources import ReconcileSettings

    documents = scenario.table("documents.csv")
    result = checks.rejected_sources(ReconcileSettings(out_dir=str(scenario.out)), documents)
    assert result.passed is False and result.severity.name == "WARN"
    assert result.metadata["rejected"].value == len(QUARANTINED)
    tables = [result.metadata["rejected_sources"].value,
              markdown_table(scenario.table("claims.csv").query("source_id.str.startswith('hostile')"),
                             ["claim_id", "quote", "location", "entity"], limit=100),
              markdown_table(documents, ["source_id", "title", "publisher", "reason"], limit=100),
              conflict_metadata(scenario.table("conflicts.csv"))["open_preview"].value]
    for md_text in tables:
        soup = BeautifulSoup(MarkdownIt("commonmark", {"html": True}).enable("table").render(md_text), "html.parser")
        assert_no_live_markup(soup)
        assert not soup.find_all("a")
    shown = BeautifulSoup(MarkdownIt("commonmark", {"html": True}).enable("table").render(tables[2]),
                          "html.parser").get_text()
    assert "<script>alert('title')</script>" in shown and "<img src=x onerror=alert('publisher')>" in shown
