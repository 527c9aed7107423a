"""The steward console in a real browser: Playwright drives Debian's Chromium against the real `reconcile serve`.

One run per module: the bundled sources plus the hostile documents of test_console_security, copied into tmp
(so a test may edit one), read by `reconcile run` with its own RECONCILE_HOME. One server (the CLI, in a
subprocess on a free loopback port) and one browser serve every test; each steward gets a browser context.
The tests that re-run the pipeline come last: they change the run the others read.
"""
from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml

from browser_helpers import ServedConsole, add_users, launch_chromium, reconcile, require_chromium, sign_in
from console_helpers import PASSWORD, REPO
from reconcile.config import Settings
from reconcile.decisions import DecisionStore
from test_console_security import HOSTILE_BLOG, HOSTILE_REGISTRY, HOSTILE_REPORT

USERS = {"ana": "steward", "ben": "steward", "vic": "viewer"}
NARROW = {"width": 420, "height": 900}
# The bundled report's Microsoft Q4 capex row; editing it changes the evidence of that conflict.
CAPEX_ROW = "| **Quarterly CapEx** | $37.5B (+66% YoY) |"
CAPEX_ROW_EDITED = "| **Quarterly CapEx** | $37.9B (+66% YoY) |"
REPORT = "agentic-ai-infrastructure-race-r1.0.md"


@dataclass
class Run:
    sources: Path
    out: Path
    home: Path

    def conflicts(self) -> pd.DataFrame:
        return pd.read_csv(self.out / "conflicts.csv", dtype=str, keep_default_na=False)

    def conflict(self, entity: str, metric: str) -> pd.Series:
        conflicts = self.conflicts()
        found = conflicts[(conflicts["entity"] == entity) & (conflicts["metric"] == metric)]
        assert len(found) == 1, f"expected one {entity} {metric} conflict in the run, found {len(found)}"
        return found.iloc[0]

    def history(self, conflict_id: str) -> list:
        return DecisionStore(Settings.from_env({"RECONCILE_HOME": str(self.home)}).db_url).history(conflict_id)

    def rerun(self) -> None:
        reconcile(self.home, "run", "--sources", str(self.sources), "--out", str(self.out))


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    require_chromium()
    base = tmp_path_factory.mktemp("browser")
    sources = base / "sources"
    shutil.copytree(REPO / "sources", sources)
    (sources / "hostile-report.md").write_text(HOSTILE_REPORT, encoding="utf-8")
    (sources / "hostile-blog.txt").write_text(HOSTILE_BLOG, encoding="utf-8")
    registry = yaml.safe_load((sources / "sources.yaml").read_text(encoding="utf-8"))
    registry["sources"] += [s for s in yaml.safe_load(HOSTILE_REGISTRY)["sources"] if s["id"].startswith("hostile")]
    (sources / "sources.yaml").write_text(yaml.safe_dump(registry, sort_keys=False), encoding="utf-8")
    made = Run(sources, base / "out", base / "home")
    made.rerun()
    add_users(made.home, USERS, PASSWORD)
    return made


@pytest.fixture(scope="module")
def served(run, tmp_path_factory) -> Iterator[ServedConsole]:
    with ServedConsole(run.out, run.sources, run.home, tmp_path_factory.mktemp("serve") / "serve.log") as server:
        yield server


@pytest.fixture(scope="module")
def browser(served):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


class Watched:
    """A browser context and what its pages did that a page of the console never should."""

    def __init__(self, context):
        self.context, self.dialogs, self.errors = context, [], []
        context.on("dialog", self._dialog)
        context.on("console", self._console)
        context.on("weberror", lambda error: self.errors.append(f"uncaught: {error.error}"))

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _console(self, message) -> None:
        # Chromium asks every site for /favicon.ico; the console has none, and that 404 is harmless.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            self.errors.append(message.text)

    def page(self):
        return self.context.new_page()


@pytest.fixture(scope="module")
def signed_in_states(browser, served) -> dict:
    return {}


@pytest.fixture
def as_user(browser, served, signed_in_states):
    """as_user(name, viewport=None): a new browser context signed in as `name` (through the form, once per user)."""
    opened: list[Watched] = []

    def open_context(name: str | None, viewport: dict | None = None) -> Watched:
        options = {"viewport": viewport} if viewport else {}
        if name is not None and name in signed_in_states:
            options["storage_state"] = signed_in_states[name]
        watched = Watched(browser.new_context(**options))
        opened.append(watched)
        if name is not None and name not in signed_in_states:
            page = watched.page()
            sign_in(page, served.url, name, PASSWORD)
            assert page.inner_text("#signed-in-as") == f"{name} ({USERS[name]})"
            signed_in_states[name] = watched.context.storage_state()
            page.close()
        return watched

    yield open_context
    for watched in opened:
        watched.context.close()


def submit(page, button: str):
    """Click a form's submit button; the response of the page it leads to."""
    with page.expect_navigation() as navigation:
        page.click(button)
    return navigation.value


def queue_rows(page) -> list[str]:
    return page.eval_on_selector_all("#inbox-table tbody tr", "rows => rows.map(r => r.dataset.conflictId)")


def tab_to(page, element_id: str, presses: int = 80) -> None:
    """Press Tab until `element_id` has the focus, as a keyboard user gets there."""
    for _ in range(presses):
        if page.evaluate("document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{presses} Tabs never reached #{element_id}")


# -- signing in ------------------------------------------------------------------------------------

def test_sign_in_through_the_form_and_back_to_the_page_asked_for(as_user, served):
    page = as_user(None).page()
    page.goto(f"{served.url}/golden")
    assert page.url.startswith(f"{served.url}/signin?next=")
    page.fill("#signin-username", "ana")
    page.fill("#signin-password", "not the password")
    assert submit(page, "#signin-button").status == 401
    assert "Wrong user name or password" in page.inner_text("#signin-error")
    assert page.input_value("#signin-username") == "ana"          # the name is kept, the password is not
    page.fill("#signin-password", PASSWORD)
    submit(page, "#signin-button")
    assert page.url == f"{served.url}/golden"
    assert page.inner_text("#signed-in-as") == "ana (steward)"
    assert page.locator("[data-golden-row]").count() > 0


def test_the_sign_in_form_works_with_the_keyboard_alone(as_user, served):
    page = as_user(None).page()
    page.goto(f"{served.url}/signin")
    tab_to(page, "signin-username", presses=3)           # the skip link first, then the form
    page.keyboard.type("ben")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "signin-password"
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{served.url}/" and page.inner_text("#signed-in-as") == "ben (steward)"


UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter(e => e.type !== 'hidden')
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
               && !(e.tagName === 'BUTTON' && e.textContent.trim()))
  .map(e => e.outerHTML.slice(0, 80))"""


def test_every_form_control_has_a_label(as_user, served, run):
    guest = as_user(None).page()
    guest.goto(f"{served.url}/signin")
    unlabelled = {"/signin": guest.evaluate(UNLABELLED)}
    page = as_user("ana").page()
    for path in ("/", f"/conflicts/{run.conflict('OpenAI', 'valuation')['conflict_id']}", "/golden", "/sources"):
        page.goto(f"{served.url}{path}")
        unlabelled[path] = page.evaluate(UNLABELLED)
    assert {path: found for path, found in unlabelled.items() if found} == {}


# -- reading ---------------------------------------------------------------------------------------

def test_filtering_the_inbox_changes_the_rows_and_the_counts(as_user, served, run):
    conflicts = run.conflicts()
    page = as_user("vic").page()
    page.goto(f"{served.url}/?status=all")
    assert len(queue_rows(page)) == len(conflicts)
    assert page.inner_text("#inbox-summary").startswith(f"{len(conflicts)} of {len(conflicts)} conflicts match")
    values = conflicts[conflicts["kind"] == "value"]
    assert page.inner_text("#filter-kind option[value=value]") == f"value ({len(values)})"

    page.select_option("#filter-kind", "value")
    submit(page, "#filter-apply")
    assert "kind=value" in page.url
    assert sorted(queue_rows(page)) == sorted(values["conflict_id"])
    assert page.inner_text("#inbox-summary").startswith(f"{len(values)} of {len(conflicts)} conflicts match")
    assert page.input_value("#filter-kind") == "value"

    errors = values[values["severity"] == "error"]
    assert 0 < len(errors) < len(values)
    page.select_option("#filter-severity", "error")
    submit(page, "#filter-apply")
    assert sorted(queue_rows(page)) == sorted(errors["conflict_id"])
    assert page.inner_text("#filter-severity option[value=error]") == f"error ({len(errors)})"
    assert page.inner_text("#inbox-summary").startswith(f"{len(errors)} of {len(conflicts)} conflicts match")

    submit(page, "#filter-clear")
    queue = re.search(r"\((\d+)\)", page.inner_text("#filter-status option[value=queue]"))
    assert page.url == f"{served.url}/" and queue and len(queue_rows(page)) == int(queue.group(1)) > len(errors)


def test_the_severity_badges_differ_only_in_colour(as_user, served):
    page = as_user("vic").page()
    page.goto(f"{served.url}/?status=all")
    badges = ", ".join(f"#inbox-table .badge.{severity}" for severity in ("error", "warning", "info"))
    boxes = page.eval_on_selector_all(badges, """badges => badges.map(b => { const s = getComputedStyle(b);
                                        return [b.textContent, s.paddingTop, s.paddingLeft, s.borderTopWidth]; })""")
    assert {box[0] for box in boxes} == {"error", "warning", "info"}
    assert len({tuple(box[1:]) for box in boxes}) == 1, sorted(set(map(tuple, boxes)))


def test_a_conflict_page_shows_the_quotes_with_the_figure_marked(as_user, served, run):
    conflict = run.conflict("Microsoft", "power_capacity")
    page = as_user("vic").page()
    page.goto(f"{served.url}/")
    with page.expect_navigation():
        page.click(f"a[href='/conflicts/{conflict['conflict_id']}']")
    for claim_id in conflict["claim_ids"].split(";"):
        quote = page.locator(f"article[data-claim-id='{claim_id}']")
        assert quote.is_visible() and quote.locator("blockquote mark").count() == 1
    assert page.inner_text("#conflict-rule") == conflict["rule"]
    with page.expect_navigation():
        page.locator("a.context").first.click()
    assert page.locator(".lines li.target").is_visible()


def test_no_horizontal_overflow_at_420_px(as_user, served, run):
    wide = run.conflict("Big Tech", "capex")["conflict_id"]           # 13 claims, long quotes
    valuation = run.conflict("OpenAI", "valuation")["conflict_id"]
    paths = ["/", "/?status=all", f"/conflicts/{wide}", f"/conflicts/{valuation}", "/golden", "/golden/0",
             "/sources", "/documents/infra-race-r1?line=223"]
    guest = as_user(None, viewport=NARROW).page()
    guest.goto(f"{served.url}/signin")
    widths = {"/signin": guest.evaluate("document.documentElement.scrollWidth")}
    watched = as_user("ana", viewport=NARROW)
    page = watched.page()
    for path in paths:
        assert page.goto(f"{served.url}{path}").status == 200, path
        widths[path] = page.evaluate("document.documentElement.scrollWidth")
    assert {path: width for path, width in widths.items() if width > NARROW["width"]} == {}
    assert watched.errors == []          # nothing the Content-Security-Policy refused (an inline style, a script)


# -- hostile documents -----------------------------------------------------------------------------

LIVE_MARKUP = """() => {
  const all = [...document.querySelectorAll('*')];
  return {
    scripts: document.scripts.length,
    embedded: document.querySelectorAll('img, svg, iframe, object, embed, video, audio').length,
    handlers: all.filter(e => [...e.attributes].some(a => a.name.toLowerCase().startsWith('on'))).length,
    javascript: all.filter(e => ['href', 'src', 'action', 'formaction'].some(
      a => (e.getAttribute(a) || '').trim().toLowerCase().startsWith('javascript:'))).length,
  };
}"""


def test_a_hostile_document_stays_inert_in_the_browser(as_user, served, run):
    conflicts = run.conflicts()
    hostile = conflicts[conflicts["source_ids"].str.contains("hostile-")]["conflict_id"].tolist()
    assert hostile, "the hostile documents should take part in conflicts (OpenAI valuation and revenue)"
    golden = pd.read_csv(run.out / "resolved_claims.csv", dtype=str, keep_default_na=False)
    claims = pd.read_csv(run.out / "claims.csv", dtype=str, keep_default_na=False)
    hostile_claims = set(claims[claims["source_id"].str.startswith("hostile-")]["claim_id"])
    explained = [n for n, ids in enumerate(golden["claim_ids"]) if hostile_claims & set(ids.split(";"))]
    paths = (["/?status=all", "/?source=hostile-blog", "/sources", "/golden?entity=OpenAI",
              "/documents/hostile-report", "/documents/hostile-blog?line=3"]
             + [f"/conflicts/{c}" for c in hostile] + [f"/golden/{n}" for n in explained])
    watched = as_user("ana")
    page = watched.page()
    text = {}
    for path in paths:
        assert page.goto(f"{served.url}{path}").status == 200, path
        assert page.evaluate(LIVE_MARKUP) == {"scripts": 0, "embedded": 0, "handlers": 0, "javascript": 0}, path
        for link in page.locator("main a").all():               # every link on the page stays on the site
            assert (link.get_attribute("href") or "").startswith(("/", "#", "?")), (path, link.inner_html())
        text[path] = page.inner_text("main")
    page.hover("main")                                           # nothing waits for a mouse either
    assert watched.dialogs == [] and watched.errors == []
    # the hostile text is on the pages, as text
    assert "<script>alert('registry')</script> Report" in text["/sources"]
    assert "<img src=x onerror=alert(1)>" in text["/documents/hostile-report"]
    assert "<script>document.location='//evil.example'</script>" in text["/documents/hostile-blog?line=3"]
    assert any("<img src=x onerror=alert(5)>" in text[f"/conflicts/{c}"] for c in hostile)   # a publisher
    assert page.url.startswith(served.url)                      # nothing navigated away


# -- who may decide --------------------------------------------------------------------------------

def test_a_viewer_sees_no_decision_forms_and_a_forged_post_is_refused(as_user, served, run):
    conflict_id = run.conflict("OpenAI", "profitability_date")["conflict_id"]
    page = as_user("vic").page()
    page.goto(f"{served.url}/conflicts/{conflict_id}")
    assert page.locator("form[action$='/decide'], form[action*='/misread']").count() == 0
    assert "you can read, not decide" in page.inner_text("#viewer-note")
    token = page.get_attribute("form.signout input[name=csrf]", "value")      # a valid token of this session
    forged = page.request.post(f"{served.url}/conflicts/{conflict_id}/decide",
                               form={"csrf": token, "action": "dismiss", "reason": "a viewer tries", "seen": ""})
    assert forged.status == 403 and "needs the steward role" in forged.text()
    # the same through a form planted in the page, as a browser extension or a devtools user could
    page.evaluate("""([id, token]) => {
      const form = document.createElement('form');
      form.method = 'post'; form.action = `/conflicts/${id}/decide`;
      for (const [name, value] of [['csrf', token], ['action', 'dismiss'], ['reason', 'planted'], ['seen', '']]) {
        const input = document.createElement('input');
        input.type = 'hidden'; input.name = name; input.value = value; form.append(input);
      }
      const button = document.createElement('button'); button.id = 'planted'; form.append(button);
      document.body.append(form);
    }""", [conflict_id, token])
    assert submit(page, "#planted").status == 403
    assert "needs the steward role" in page.inner_text("main")
    assert run.history(conflict_id) == []


def test_a_decision_without_a_valid_csrf_token_is_refused(as_user, served, run):
    conflict_id = run.conflict("OpenAI", "ipo_date")["conflict_id"]
    page = as_user("ana").page()
    url = f"{served.url}/conflicts/{conflict_id}"
    page.goto(url)
    page.evaluate("document.querySelector('#form-dismiss input[name=csrf]').remove()")
    page.fill("#dismiss-reason", "no token")
    assert submit(page, "#dismiss-button").status == 403
    assert "security token is missing or out of date" in page.inner_text("main")
    page.goto(url)
    page.evaluate("document.querySelector('#form-dismiss input[name=csrf]').value = 'forged'")
    page.fill("#dismiss-reason", "a forged token")
    assert submit(page, "#dismiss-button").status == 403
    without = page.request.post(f"{url}/decide", form={"action": "dismiss", "reason": "no token at all"})
    assert without.status == 403
    assert run.history(conflict_id) == []
    page.goto(url)                                       # the same form, untouched, is accepted
    page.fill("#dismiss-reason", "the dates are estimates of one IPO")
    assert submit(page, "#dismiss-button").status == 200
    assert page.locator("#decision-recorded").is_visible()
    assert [(d.action, d.decided_by) for d in run.history(conflict_id)] == [("dismiss", "ana")]


# -- deciding --------------------------------------------------------------------------------------

def test_a_steward_decides_with_the_keyboard_alone(as_user, served, run):
    conflict_id = run.conflict("AWS", "deal_signed_date")["conflict_id"]
    page = as_user("ana").page()
    page.goto(f"{served.url}/conflicts/{conflict_id}")
    tab_to(page, "dismiss-reason")
    page.keyboard.type("one signing, reported by two sources")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "dismiss-button"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("#decision-recorded").is_visible()
    assert [(d.action, d.decided_by) for d in run.history(conflict_id)] == [("dismiss", "ana")]


def test_two_stewards_decide_the_same_conflict_and_the_second_is_told(as_user, served, run):
    conflict = run.conflict("Microsoft", "power_capacity")
    conflict_id, claim_ids = conflict["conflict_id"], conflict["claim_ids"].split(";")
    url = f"{served.url}/conflicts/{conflict_id}"
    ana, ben = as_user("ana").page(), as_user("ben").page()
    ana.goto(url)
    ben.goto(url)
    ana.fill("#dismiss-reason", "cancelled LOIs and leased capacity are different things")
    submit(ana, "#dismiss-button")
    assert ana.locator("#decision-recorded").is_visible() and ana.locator("#decision-raced").count() == 0
    ben.select_option("#approve-claim-choice", claim_ids[-1])
    ben.fill("#approve-claim-reason", "the binding contracts are what counts")
    submit(ben, "#approve-claim-button")
    raced = ben.inner_text("#decision-raced")
    assert "by ana" in raced and "(dismiss" in raced and "cancelled LOIs and leased capacity" in raced
    assert "Recorded decision #" in ben.inner_text("#decision-recorded")
    history = ben.eval_on_selector_all("#history-table tbody tr", "rows => rows.map(r => r.innerText)")
    assert len(history) == 2 and "ana" in history[0] and "ben" in history[1] and "#" in history[1]
    decided = run.history(conflict_id)
    assert [(d.action, d.decided_by, d.supersedes) for d in decided] == [
        ("dismiss", "ana", None), ("approve", "ben", decided[0].id)]


@dataclass
class Decided:
    approved: str       # conflict ids
    dismissed: str
    approved_flash: str
    dismissed_flash: str
    approved_claim: str


@pytest.fixture(scope="module")
def decided_then_rerun(browser, served, run) -> Iterator[Decided]:
    """As ana, in the browser: approve the OpenAI valuation conflict and dismiss Microsoft's Q4 capex; then
    change the report's capex row (that conflict's evidence) and run `reconcile run` again."""
    valuation, capex = run.conflict("OpenAI", "valuation"), run.conflict("Microsoft", "capex")
    claims = pd.read_csv(run.out / "claims.csv", dtype=str, keep_default_na=False).set_index("claim_id")
    chosen = next(c for c in valuation["claim_ids"].split(";") if claims.loc[c, "source_id"] == "ai-weekly-2026-w05")
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, served.url, "ana", PASSWORD)
    page.goto(f"{served.url}/conflicts/{valuation['conflict_id']}")
    page.select_option("#approve-claim-choice", chosen)
    page.fill("#approve-claim-reason", "the term sheet confirms $830B")
    submit(page, "#approve-claim-button")
    approved_flash = page.inner_text("#decision-recorded")
    page.goto(f"{served.url}/conflicts/{capex['conflict_id']}")
    page.fill("#dismiss-reason", "a quarter of spend against a fiscal-quarter table")
    submit(page, "#dismiss-button")
    dismissed_flash = page.inner_text("#decision-recorded")
    context.close()
    report = run.sources / REPORT
    text = report.read_text(encoding="utf-8")
    assert CAPEX_ROW in text, "the bundled report changed: pick another row whose edit changes a conflict"
    report.write_text(text.replace(CAPEX_ROW, CAPEX_ROW_EDITED), encoding="utf-8")
    run.rerun()
    yield Decided(valuation["conflict_id"], capex["conflict_id"], approved_flash, dismissed_flash, chosen)


def test_approve_with_a_reason_then_the_next_run_shows_it_resolved(as_user, served, run, decided_then_rerun):
    decided = decided_then_rerun
    assert f"approve = {decided.approved_claim} $830B" in decided.approved_flash, decided.approved_flash
    page = as_user("vic").page()
    page.goto(f"{served.url}/conflicts/{decided.approved}")
    assert page.inner_text("#conflict-status") == "resolved"
    assert run.conflicts().set_index("conflict_id").loc[decided.approved, "status"] == "resolved"   # the new run
    row = page.inner_text("#history-table tbody tr")
    assert "approve" in row and "ana" in row and "the term sheet confirms $830B" in row
    page.goto(f"{served.url}/golden?entity=OpenAI&metric=valuation")
    assert "approved" in page.inner_text("#golden-table tbody")
    page.goto(f"{served.url}/")
    assert decided.approved not in queue_rows(page)
    history = reconcile(run.home, "history", decided.approved, "--out", str(run.out))
    assert decided.approved in history and "ana" in history and "the term sheet confirms" in history


def test_a_decision_whose_evidence_changed_is_shown_stale(as_user, served, run, decided_then_rerun):
    decided = decided_then_rerun
    assert "Recorded decision #" in decided.dismissed_flash and ": dismiss" in decided.dismissed_flash
    page = as_user("ana").page()
    page.goto(f"{served.url}/")
    assert decided.dismissed in queue_rows(page)                 # back in the queue
    assert page.inner_text(f"tr[data-conflict-id='{decided.dismissed}'] .status") == "stale"
    page.goto(f"{served.url}/conflicts/{decided.dismissed}")
    assert page.inner_text("#conflict-status") == "stale"
    stale = page.inner_text("#stale-decision")
    assert "dismiss" in stale and "ana" in stale and "a quarter of spend against a fiscal-quarter table" in stale
    assert "$37.9B" in page.inner_text("section[aria-labelledby=quotes-h]")
    assert page.locator("#form-reopen").is_visible()
    history = reconcile(run.home, "history", decided.dismissed, "--out", str(run.out))
    assert "stale" in history and "ana" in history
