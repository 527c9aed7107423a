"""The console against attackers and at scale: hostile documents stay inert on every page, the sign-in limiter,
the session key file, where `reconcile serve` may listen, and an inbox of 10,000 conflicts."""
from __future__ import annotations

import os
import re
import shutil
import stat
import sys
import time

import pytest
from bs4 import BeautifulSoup
from starlette.testclient import TestClient
from typer.testing import CliRunner

from console_helpers import PASSWORD, REPO, real_run, sign_in, user_store
from reconcile.cli import app as cli_app
from reconcile.console.app import create_app
from reconcile.console.security import FailureLimiter, safe_next, session_secret
from reconcile.console.serve import check_binding, is_loopback
from reconcile.errors import UserError

sys.path.insert(0, str(REPO))
from bench.console_bench import write_synthetic_run  # noqa: E402

HOSTILE_REPORT = """\
# Valuation <script>alert('title')</script> watch

OpenAI is valued at $730 billion <img src=x onerror=alert(1)> in the latest round.

See [the filing](javascript:alert(document.cookie)) for OpenAI revenue of $13 billion in 2025.
"""
HOSTILE_BLOG = """\
<svg onload=alert(2)>Valuation</svg>

OpenAI is now valued at $900 billion <script>document.location='//evil.example'</script> per people familiar.

OpenAI revenue reached $19 billion in 2025 <a href="javascript:alert(3)" onclick="alert(4)">details</a>.
"""
HOSTILE_REGISTRY = """\
sources:
  - id: hostile-report
    path: hostile-report.md
    title: "<script>alert('registry')</script> Report"
    publisher: "<img src=x onerror=alert(5)>"
    published: 2026-02-01
  - id: hostile-blog
    path: hostile-blog.txt
    title: "Blog <b onmouseover=alert(6)>bold</b>"
    publisher: Daily
    published: 2026-02-10
  - id: nvidia-q4-fy26-techwire
    path: nvidia-q4-fy26-techwire.html
    title: Nvidia tops estimates
    publisher: TechWire
    published: 2026-02-26
    format: html
  - id: oracle-q2-fy26-release
    path: oracle-q2-fy26-release.html
    title: Oracle results
    publisher: Oracle
    published: 2025-12-10
    format: html
"""


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    sources = base / "sources"
    sources.mkdir()
    (sources / "hostile-report.md").write_text(HOSTILE_REPORT, encoding="utf-8")
    (sources / "hostile-blog.txt").write_text(HOSTILE_BLOG, encoding="utf-8")
    (sources / "sources.yaml").write_text(HOSTILE_REGISTRY, encoding="utf-8")
    for name in ("nvidia-q4-fy26-techwire.html", "oracle-q2-fy26-release.html"):
        shutil.copy(REPO / "tests" / "fixtures" / "heldout" / name, sources / name)
    return real_run(sources, base / "out", base / "run-home"), sources


@pytest.fixture
def steward():
    store = user_store()
    store.add("ana", "steward", PASSWORD)
    return store


def _inert(html: str, where: str) -> None:
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find_all("script") == [], where
    for tag in soup.find_all(True):
        assert tag.name not in ("img", "svg", "iframe", "object", "embed"), (where, str(tag)[:80])
        for attr, value in tag.attrs.items():
            assert not attr.lower().startswith("on"), (where, str(tag)[:80])
            text = " ".join(value) if isinstance(value, list) else str(value)
            assert not text.strip().lower().startswith("javascript:"), (where, str(tag)[:80])


def test_hostile_documents_stay_inert_on_every_page(hostile_run, steward):
    out, sources = hostile_run
    client = TestClient(create_app(out_dir=out, sources_dir=sources, users=steward,
                                   home=os.environ["RECONCILE_HOME"]))
    sign_in(client, "ana")
    inbox = client.get("/?status=all").text
    conflict_ids = re.findall(r'<tr data-conflict-id="(k-[0-9a-f]+)"', inbox)
    assert conflict_ids, "the hostile documents should conflict (OpenAI valuation and revenue)"
    paths = ["/", "/?status=all", "/sources", "/golden"] + [f"/conflicts/{c}" for c in conflict_ids]
    sources_page = client.get("/sources").text
    paths += re.findall(r'href="(/documents/[^"]+)"', sources_page)
    paths += [f"/golden/{n}" for n in re.findall(r'data-golden-row="(\d+)"', client.get("/golden").text)]
    pages = {path: client.get(path) for path in paths}
    for path, response in pages.items():
        assert response.status_code == 200, path
        _inert(response.text, path)
    shown = "".join(r.text for r in pages.values())
    # the hostile text is there, as text
    assert "&lt;script&gt;alert(&#39;registry&#39;)&lt;/script&gt; Report" in shown
    assert "&lt;img src=x onerror=alert(5)&gt;" in pages[f"/conflicts/{conflict_ids[0]}"].text   # a publisher
    assert "&lt;img src=x onerror=alert(1)&gt;" in pages["/documents/hostile-report"].text
    assert "javascript:alert(document.cookie)" in shown          # printed, never a link target
    assert "&lt;script&gt;document.location=" in pages["/documents/hostile-blog"].text
    # a plain-text document keeps the markup in its quotes: shown as text, the figure still marked
    quote = "<mark>$900 billion</mark> &lt;script&gt;document.location=&#39;//evil.example&#39;&lt;/script&gt;"
    assert any(quote in pages[f"/conflicts/{c}"].text for c in conflict_ids)


def test_the_limiter_counts_failures_per_key_within_its_window():
    now = [1000.0]
    limiter = FailureLimiter(limit=5, window=300, clock=lambda: now[0])
    for _ in range(4):
        limiter.failed("client:a", "user:ana")
    assert limiter.retry_after("client:a", "user:ana") == 0
    limiter.failed("client:a", "user:ana")
    assert 0 < limiter.retry_after("client:b", "user:ana") <= 301      # the user name, from any client
    assert limiter.retry_after("client:b", "user:ben") == 0
    now[0] += 301
    assert limiter.retry_after("client:a", "user:ana") == 0           # the failures left the window


def test_the_session_key_comes_from_the_environment_or_a_private_file(tmp_path):
    assert session_secret(tmp_path, {"RECONCILE_SECRET_KEY": "k" * 40}) == "k" * 40
    first = session_secret(tmp_path / "home", {})
    assert first == session_secret(tmp_path / "home", {}) and len(first) >= 32
    key = tmp_path / "home" / "console-secret"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    key.chmod(0o644)
    with pytest.raises(UserError, match="readable by other users"):
        session_secret(tmp_path / "home", {})


@pytest.mark.parametrize("host, loopback", [("127.0.0.1", True), ("localhost", True), ("::1", True),
                                            ("[::1]", True), ("127.0.0.2", True), ("0.0.0.0", False),
                                            ("192.168.1.5", False), ("::", False), ("example.org", False)])
def test_loopback_addresses(host, loopback):
    assert is_loopback(host) is loopback


def test_serve_refuses_a_public_address_while_no_user_can_sign_in(steward):
    assert check_binding(None, 0) == "127.0.0.1"
    assert check_binding("0.0.0.0", 1) == "0.0.0.0"
    steward.disable("ana")
    result = CliRunner().invoke(cli_app, ["serve", "--host", "0.0.0.0", "--port", "8765"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "refusing to listen on 0.0.0.0" in lines[0]
    assert "reconcile users add NAME --role admin" in lines[0] and "Traceback" not in result.output


def test_an_inbox_of_10000_conflicts_pages_and_filters_fast(tmp_path, steward):
    out = write_synthetic_run(tmp_path / "out", 10_000)
    client = TestClient(create_app(out_dir=out, sources_dir=tmp_path, users=steward,
                                   home=os.environ["RECONCILE_HOME"]))
    sign_in(client, "ana")
    first = client.get("/").text
    assert "10000 of 10000 conflicts match" in first and "Page 1 of 200" in first
    assert len(re.findall(r'<tr data-conflict-id="', first)) == 50
    started = time.perf_counter()
    page = client.get("/", params={"kind": "value", "severity": "error", "page": "3"}).text
    elapsed = time.perf_counter() - started
    # kinds cycle over 5 and severities over 3: every 15th conflict is a value error
    assert "667 of 10000 conflicts match" in page and "Page 3 of 14" in page
    assert '<option value="value" selected>value (667)</option>' in page
    assert len(re.findall(r'<tr data-conflict-id="', page)) == 50
    last = client.get("/", params={"kind": "value", "severity": "error", "page": "99"}).text
    assert "Page 14 of 14" in last and len(re.findall(r'<tr data-conflict-id="', last)) == 667 - 13 * 50
    assert elapsed < 2.0, f"a cached, filtered page took {elapsed:.2f} s"


@pytest.mark.parametrize("target, expect", [("/conflicts/k-0123456789ab", "/conflicts/k-0123456789ab"),
                                            ("//evil.example/x", "/"), ("https://evil.example", "/"),
                                            ("/\\evil.example", "/"), ("javascript:alert(1)", "/"), ("", "/")])
def test_sign_in_only_returns_to_a_page_of_this_site(target, expect):
    assert safe_next(target) == expect


def test_even_the_page_of_a_bug_carries_the_security_headers(tmp_path, steward, monkeypatch):
    from reconcile.console import queries

    out = write_synthetic_run(tmp_path / "out", 10)
    client = TestClient(create_app(out_dir=out, sources_dir=tmp_path, users=steward,
                                   home=os.environ["RECONCILE_HOME"]), raise_server_exceptions=False)
    sign_in(client, "ana")
    monkeypatch.setattr(queries, "inbox", lambda *a, **k: 1 / 0)
    response = client.get("/")
    assert response.status_code == 500 and "ZeroDivisionError" not in response.text
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
