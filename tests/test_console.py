"""The steward console on a real run of the bundled sources: reading, deciding, racing, and the CLI seeing it all.

The run is made once per module with the real `reconcile run`; each test gets its own RECONCILE_HOME (so its own
decisions and users, created through `reconcile.users.UserStore`) and its own app.
"""
from __future__ import annotations

import os
import re

import pandas as pd
import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from console_helpers import PASSWORD, REPO, SEEN, csrf_of, real_run, sign_in, user_store
from reconcile.cli import app as cli_app
from reconcile.console.app import create_app
from reconcile.decisions import DecisionStore


@pytest.fixture(scope="module")
def bundled_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("bundled")
    return real_run(REPO / "sources", base / "out", base / "run-home")


@pytest.fixture
def users():
    store = user_store()
    store.add("ana", "steward", PASSWORD)
    store.add("ben", "steward", PASSWORD)
    store.add("vic", "viewer", PASSWORD)
    store.add("adam", "admin", PASSWORD)
    return store


@pytest.fixture
def console(bundled_run, users):
    return create_app(out_dir=bundled_run, sources_dir=REPO / "sources", users=users,
                      home=os.environ["RECONCILE_HOME"])


def client_as(console, name: str) -> TestClient:
    client = TestClient(console)
    sign_in(client, name)
    return client


def conflicts_of(out) -> pd.DataFrame:
    return pd.read_csv(out / "conflicts.csv", dtype=str, keep_default_na=False)


def valuation_conflict(out) -> pd.Series:
    """The OpenAI valuation value conflict of the bundled sources (report ~$730B vs blog $830B)."""
    conflicts = conflicts_of(out)
    found = conflicts[(conflicts["kind"] == "value") & (conflicts["entity"] == "OpenAI")
                      & (conflicts["metric"] == "valuation")]
    assert len(found), "the bundled sources' OpenAI valuation conflict is missing"
    return found.iloc[0]


def decide(client: TestClient, conflict_id: str, action: str, reason: str, page: str | None = None, **fields):
    page = page if page is not None else client.get(f"/conflicts/{conflict_id}").text
    seen = SEEN.search(page)
    data = {"csrf": csrf_of(page), "action": action, "reason": reason,
            "seen": seen.group(1) if seen else "", **fields}
    return client.post(f"/conflicts/{conflict_id}/decide", data=data)


def cli(*args: str) -> str:
    result = CliRunner().invoke(cli_app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


# -- signing in ------------------------------------------------------------------------------------

def test_pages_need_a_sign_in_and_sign_out_ends_the_session(console):
    client = TestClient(console)
    for path in ("/", "/golden", "/sources", "/conflicts/k-000000000000", "/users"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/signin?next=")
    sign_in(client, "ana")
    inbox = client.get("/")
    assert inbox.status_code == 200 and 'data-conflict-id="k-' in inbox.text and "ana (steward)" in inbox.text
    client.post("/signout", data={"csrf": csrf_of(inbox.text)})
    assert client.get("/", follow_redirects=False).status_code == 303


def test_wrong_password_and_unknown_user_are_refused_alike(console):
    client = TestClient(console)
    wrong = sign_in(client, "ana", "not the password", expect=401)
    unknown = sign_in(client, "nobody", PASSWORD, expect=401)
    assert "Wrong user name or password" in wrong.text and "Wrong user name or password" in unknown.text
    assert client.get("/", follow_redirects=False).status_code == 303


def test_failed_sign_ins_are_rate_limited_with_retry_after(console):
    client = TestClient(console)
    for _ in range(5):
        sign_in(client, "ana", "guess", expect=401)
    limited = sign_in(client, "ana", PASSWORD, expect=429)      # even the right password waits now
    assert int(limited.headers["retry-after"]) > 0 and "Too many failed sign-ins" in limited.text
    sign_in(client, "ben", PASSWORD, expect=429)                # the same client, another name


def test_a_disabled_user_or_a_changed_password_ends_the_session(console, users):
    client = client_as(console, "ana")
    users.disable("ana")
    assert client.get("/", follow_redirects=False).status_code == 303
    users.enable("ana")
    sign_in(client, "ana")
    users.reset_password("ana", "a brand new password")
    assert client.get("/", follow_redirects=False).status_code == 303
    sign_in(client, "ana", "a brand new password")
    assert client.get("/").status_code == 200


def test_the_session_cookie_is_signed_httponly_samesite_with_an_expiry(console):
    client = TestClient(console)
    response = client.get("/signin")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "max-age=28800" in cookie
    forged = TestClient(console, cookies={"reconcile_session": "eyJ1c2VyIjogImFkYW0ifQ==.forged.sig"})
    assert forged.get("/users", follow_redirects=False).status_code == 303


# -- CSRF and roles --------------------------------------------------------------------------------

def test_every_post_without_a_valid_csrf_token_is_403(console, bundled_run):
    conflict_id = valuation_conflict(bundled_run)["conflict_id"]
    client = client_as(console, "adam")
    posts = {f"/conflicts/{conflict_id}/decide": {"action": "dismiss", "reason": "x"},
             "/users/ana/disable": {}, "/signout": {}, "/signin": {"username": "ana", "password": PASSWORD}}
    for path, data in posts.items():
        assert client.post(path, data=data).status_code == 403, path
        assert client.post(path, data=data | {"csrf": "forged"}).status_code == 403, path
    assert DecisionStore.from_settings().history() == []
    assert user_store().get("ana").disabled is False


def test_a_viewer_reads_but_cannot_decide_and_only_an_admin_manages_users(console, bundled_run, users):
    conflict_id = valuation_conflict(bundled_run)["conflict_id"]
    viewer = client_as(console, "vic")
    page = viewer.get(f"/conflicts/{conflict_id}")
    assert page.status_code == 200 and 'id="form-dismiss"' not in page.text and "can read, not decide" in page.text
    refused = decide(viewer, conflict_id, "dismiss", "not allowed", page=page.text)
    assert refused.status_code == 403 and DecisionStore.from_settings().history() == []
    assert viewer.get("/users").status_code == 403
    steward = client_as(console, "ana")
    assert steward.get("/users").status_code == 403 and 'id="nav-users"' not in steward.get("/").text
    admin = client_as(console, "adam")
    listing = admin.get("/users")
    assert listing.status_code == 200 and 'data-user="vic"' in listing.text
    admin.post("/users/vic/disable", data={"csrf": csrf_of(listing.text)})
    assert users.get("vic").disabled and viewer.get("/", follow_redirects=False).status_code == 303


# -- deciding --------------------------------------------------------------------------------------

def test_approve_with_a_reason_shows_in_the_cli_at_once_and_in_the_next_run(console, bundled_run, tmp_path):
    conflict = valuation_conflict(bundled_run)
    conflict_id, claim_id = conflict["conflict_id"], conflict["claim_ids"].split(";")[-1]
    client = client_as(console, "ana")
    done = decide(client, conflict_id, "approve-claim", "Term sheet confirms the round", claim=claim_id)
    assert done.status_code == 200 and "Recorded decision #1: approve" in done.text
    assert 'id="conflict-status">resolved' in done.text and "Term sheet confirms the round" in done.text
    history = cli("history", "--out", str(bundled_run))
    assert conflict_id in history and "ana" in history and "Term sheet" in history
    assert re.search(rf"{conflict_id}\s.*resolved", cli("conflicts", "--all", "--out", str(bundled_run)))
    assert 'data-conflict-id="' + conflict_id not in client.get("/").text       # left the queue
    rerun = real_run(REPO / "sources", tmp_path / "out2", os.environ["RECONCILE_HOME"])
    golden = pd.read_csv(rerun / "resolved_claims.csv", dtype=str, keep_default_na=False)
    decided = golden[golden["conflict_ids"].str.contains(conflict_id)]
    assert list(decided["status"]) == ["approved"] and list(decided["decided_by"]) == ["ana"]
    assert conflicts_of(rerun).set_index("conflict_id").loc[conflict_id, "status"] == "resolved"


def test_a_decision_needs_a_reason_and_a_readable_value_and_is_refused_with_the_clis_words(console, bundled_run):
    conflict_id = valuation_conflict(bundled_run)["conflict_id"]
    client = client_as(console, "ana")
    blank = decide(client, conflict_id, "dismiss", "   ")
    assert blank.status_code == 400 and "--reason is blank" in blank.text
    scale = decide(client, conflict_id, "approve-value", "confirmed", value="830")
    assert scale.status_code == 400 and "did you mean $830B?" in scale.text
    assert 'value="830"' in scale.text                      # the form keeps what was typed
    assert DecisionStore.from_settings().history() == []


def test_two_stewards_on_one_conflict_the_second_is_told_and_nothing_is_lost(console, bundled_run):
    conflict = valuation_conflict(bundled_run)
    conflict_id = conflict["conflict_id"]
    ana, ben = client_as(console, "ana"), client_as(console, "ben")
    ana_page, ben_page = ana.get(f"/conflicts/{conflict_id}").text, ben.get(f"/conflicts/{conflict_id}").text
    first = decide(ana, conflict_id, "dismiss", "different share classes", page=ana_page)
    assert first.status_code == 200 and 'id="decision-raced"' not in first.text
    second = decide(ben, conflict_id, "approve-claim", "the blog is newer", page=ben_page,
                    claim=conflict["claim_ids"].split(";")[0])
    assert second.status_code == 200 and 'id="decision-raced"' in second.text
    assert "decision #1 (dismiss" in second.text and "by ana" in second.text
    assert "different share classes" in second.text
    history = DecisionStore.from_settings().history(conflict_id)
    assert [(d.action, d.decided_by, d.supersedes) for d in history] == [("dismiss", "ana", None),
                                                                         ("approve", "ben", 1)]


def test_reopen_and_repeat_follow_the_cli_rules(console, bundled_run):
    conflict_id = valuation_conflict(bundled_run)["conflict_id"]
    client = client_as(console, "ana")
    page = client.get(f"/conflicts/{conflict_id}").text
    assert 'id="form-reopen"' not in page                   # an open conflict has nothing to reopen
    refused = decide(client, conflict_id, "reopen", "why not", page=page)
    assert refused.status_code == 400 and "is already open" in refused.text
    decide(client, conflict_id, "dismiss", "not comparable")
    again = decide(client, conflict_id, "dismiss", "still not comparable")
    assert again.status_code == 400 and "already dismissed by decision #1" in again.text
    reopened = decide(client, conflict_id, "reopen", "new filing")
    assert reopened.status_code == 200 and 'id="conflict-status">open' in reopened.text


# -- reading ---------------------------------------------------------------------------------------

def test_the_inbox_is_the_clis_queue_in_its_order_with_filters_and_counts(console, bundled_run):
    client = client_as(console, "vic")
    page = client.get("/").text
    shown = re.findall(r'data-conflict-id="(k-[0-9a-f]+)"', page)
    listed = re.findall(r"k-[0-9a-f]{12}", cli("conflicts", "--out", str(bundled_run)))
    assert shown == list(dict.fromkeys(listed)) and shown
    conflicts = conflicts_of(bundled_run)
    for kind, n in conflicts["kind"].value_counts().items():
        assert f'<option value="{kind}">{kind} ({n})</option>' in page
        assert len(re.findall(r'data-conflict-id="', client.get(f"/?kind={kind}").text)) == n
    needs = (conflicts["assumed"] != "").sum()
    assert len(re.findall(r'<tr data-conflict-id="', client.get("/?needs_checking=1").text)) == needs
    source = conflicts["source_ids"].iloc[0].split(";")[0]
    by_source = client.get("/", params={"source": source}).text
    assert len(re.findall(r'<tr data-conflict-id="', by_source)) == conflicts["source_ids"].str.contains(source).sum()
    for label in ("filter-kind", "filter-severity", "filter-status", "filter-entity", "filter-source",
                  "filter-needs-checking"):
        assert f'<label for="{label}"' in page and f'id="{label}"' in page


def test_the_conflict_page_sets_quotes_side_by_side_with_the_figure_marked_and_links_to_context(console, bundled_run):
    conflict = valuation_conflict(bundled_run)
    client = client_as(console, "ana")
    page = client.get(f"/conflicts/{conflict['conflict_id']}").text
    claims = pd.read_csv(bundled_run / "claims.csv", dtype=str, keep_default_na=False).set_index("claim_id")
    for claim_id in conflict["claim_ids"].split(";"):
        claim = claims.loc[claim_id]
        assert f'data-claim-id="{claim_id}"' in page
        assert f"<mark>{claim['value_text'].replace('&', '&amp;')}</mark>" in page
        assert f'href="/documents/{claim["source_id"]}?line={claim["line"]}#L{claim["line"]}"' in page
    assert conflict["rule"] in page and "Suggestion" in page and "Golden value it feeds" in page
    for form in ("form-approve-claim", "form-approve-value", "form-dismiss"):
        assert f'id="{form}"' in page
    context = client.get(f"/documents/{claims.loc[conflict['claim_ids'].split(';')[0], 'source_id']}",
                         params={"line": claims.loc[conflict["claim_ids"].split(";")[0], "line"]})
    assert context.status_code == 200 and 'class="target"' in context.text
    assert client.get("/conflicts/k-ffffffffffff").status_code == 404


def test_golden_record_explain_and_sources(console, bundled_run):
    client = client_as(console, "vic")
    golden = pd.read_csv(bundled_run / "resolved_claims.csv", dtype=str, keep_default_na=False)
    page = client.get("/golden").text
    assert page.count("data-golden-row=") == min(len(golden), 100) and f"{len(golden)} value(s)" in page
    pages = -(-len(golden) // 100)
    last = client.get("/golden", params={"page": pages}).text
    assert f"Page {pages} of {pages}" in last and last.count("data-golden-row=") == len(golden) - 100 * (pages - 1)
    openai = client.get("/golden", params={"entity": "OpenAI"}).text
    assert openai.count("data-golden-row=") == (golden["entity"] == "OpenAI").sum()
    disputed = int(golden.index[golden["conflict_ids"] != ""][0])
    explain = client.get(f"/golden/{disputed}").text
    for claim_id in golden.loc[disputed, "claim_ids"].split(";"):
        assert f'data-claim-id="{claim_id}"' in explain
    for conflict_id in golden.loc[disputed, "conflict_ids"].split(";"):
        assert f'href="/conflicts/{conflict_id}"' in explain
    assert client.get("/golden/999999").status_code == 404
    sources = client.get("/sources").text
    for source_id in pd.read_csv(bundled_run / "documents.csv", dtype=str)["source_id"]:
        assert f'href="/documents/{source_id}"' in sources
    assert client.get("/documents/no-such-source").status_code == 404


def test_security_headers_on_every_response(console, bundled_run):
    client = client_as(console, "vic")
    conflict_id = valuation_conflict(bundled_run)["conflict_id"]
    responses = [client.get("/"), client.get("/signin"), client.get("/static/console.css"),
                 client.get("/nowhere"), client.get("/users"), client.get(f"/conflicts/{conflict_id}"),
                 client.post("/signout", data={})]
    for response in responses:
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "same-origin"
    assert [r.status_code for r in responses] == [200, 200, 200, 404, 403, 200, 403]


def test_a_misread_claim_is_recorded_like_reconcile_misread(console, bundled_run):
    conflict = valuation_conflict(bundled_run)
    claim_id = conflict["claim_ids"].split(";")[0]
    client = client_as(console, "ana")
    page = client.get(f"/conflicts/{conflict['conflict_id']}").text
    form = {"csrf": csrf_of(page), "conflict": conflict["conflict_id"], "reason": "a shopping-deal price"}
    done = client.post(f"/claims/{claim_id}/misread", data=form)
    assert done.status_code == 200 and f"Recorded misread #1 for {claim_id}" in done.text
    again = client.post(f"/claims/{claim_id}/misread", data=form)
    assert "already marked as misread (#1)" in again.text
    misreads = DecisionStore.from_settings().misreads()
    assert list(misreads["claim_id"]) == [claim_id] and list(misreads["decided_by"]) == ["ana"]
    viewer = client_as(console, "vic")
    token = csrf_of(viewer.get(f"/conflicts/{conflict['conflict_id']}").text)
    assert viewer.post(f"/claims/{claim_id}/misread", data=form | {"csrf": token}).status_code == 403


def test_a_stale_decision_is_shown_with_what_changed_and_heads_the_queue(console, bundled_run):
    from reconcile.decisions import NewDecision
    conflict = valuation_conflict(bundled_run)
    conflict_id = conflict["conflict_id"]
    seen_claims = ";".join(conflict["claim_ids"].split(";")[:-1])       # taken before the last claim existed
    DecisionStore.from_settings().record(NewDecision(
        conflict_id=conflict_id, action="dismiss", decided_by="ben", reason="only two sources then",
        fingerprint="0" * 16, claim_ids=seen_claims), seen=None)
    client = client_as(console, "ana")
    inbox = client.get("/").text
    assert re.findall(r'<tr data-conflict-id="(k-[0-9a-f]+)"', inbox)[0] == conflict_id
    page = client.get(f"/conflicts/{conflict_id}").text
    assert 'id="conflict-status">stale' in page and 'id="stale-decision"' in page
    assert "only two sources then" in page and "The evidence changed after it was taken" in page
    assert f"new since then: {conflict['claim_ids'].split(';')[-1]}" in page
    assert 'id="form-reopen"' in page and 'name="seen" value="1"' in page


def test_without_a_run_the_pages_say_how_to_make_one(users, tmp_path):
    client = client_as(create_app(out_dir=tmp_path / "out", sources_dir=tmp_path, users=users,
                                  home=os.environ["RECONCILE_HOME"]), "ana")
    response = client.get("/")
    assert response.status_code == 503 and "run `reconcile run` first" in response.text


@pytest.fixture
def on_postgresql(postgres_server, monkeypatch):
    """Decisions and users in a fresh database on the session's real PostgreSQL server."""
    from reconcile.store import dispose_engines
    monkeypatch.setenv("RECONCILE_DB_URL", postgres_server.fresh_database())
    yield
    dispose_engines()


def test_on_postgresql_two_stewards_race_and_the_cli_sees_both_decisions(on_postgresql, bundled_run):
    store = user_store()
    store.add("ana", "steward", PASSWORD)
    store.add("ben", "steward", PASSWORD)
    console = create_app(out_dir=bundled_run, sources_dir=REPO / "sources", users=store,
                         home=os.environ["RECONCILE_HOME"])
    conflict = valuation_conflict(bundled_run)
    conflict_id = conflict["conflict_id"]
    ana, ben = client_as(console, "ana"), client_as(console, "ben")
    ana_page, ben_page = ana.get(f"/conflicts/{conflict_id}").text, ben.get(f"/conflicts/{conflict_id}").text
    assert decide(ana, conflict_id, "dismiss", "different share classes", page=ana_page).status_code == 200
    second = decide(ben, conflict_id, "approve-value", "the blog is newer", page=ben_page, value="$830B")
    assert second.status_code == 200 and 'id="decision-raced"' in second.text and "by ana" in second.text
    history = DecisionStore.from_settings().history(conflict_id)
    assert [(d.action, d.decided_by) for d in history] == [("dismiss", "ana"), ("approve", "ben")]
    assert history[1].supersedes == history[0].id
    shown = cli("history", conflict_id, "--out", str(bundled_run))
    assert "ana" in shown and "ben" in shown and "different share classes" in shown
