"""The `reconcile` steward commands on real out/ files and a real decisions database."""
from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from reconcile.cli import app
from reconcile.decisions import DecisionStore
from reconcile.outputs import to_csv_safe

VALUATION = "k-a1b2c3d4e5f6"
CATEGORY = "k-0f1e2d3c4b5a"
REPORT_730 = "c-111111111111"
WEEKLY_830 = "c-222222222222"
BLOG_900 = "c-333333333333"
REVENUE = "c-444444444444"
RUN_RATE = "c-555555555555"
UNRELATED = "c-666666666666"
LAUNCH = "k-0a0b0c0d0e0f"
LAUNCH_Q4 = "c-777777777777"
LAUNCH_2027 = "c-888888888888"
B = 1e9

RECONCILE = shutil.which("reconcile") or str(Path(sys.executable).parent / "reconcile")

# -- a small, realistic last run ----------------------------------------------------------------


def _claim(claim_id, source_id, line, quote, value, value_text, *, metric="valuation", period="2026-02",
           unit="USD", qualifier="exact", **extra):
    row = dict(claim_id=claim_id, source_id=source_id, location=f"{source_id} line {line}", quote=quote,
               entity="OpenAI", metric=metric, period=period, value=value, value_low=value, value_high=value,
               unit=unit, qualifier=qualifier, granularity="month", expected_granularity="",
               period_start="", period_end="", scope="", stated_metric="", stated_entity="", relation="",
               base_period="", members="", tolerance=0.0, value_text=value_text, context=quote, line=line,
               published="")
    row.update(extra)
    return row


CLAIMS = [
    _claim(REPORT_730, "infra-race-r1", 523, "| **Valuation** | ~$730B (in talks for $100B round) | February 2026 |",
           730 * B, "~$730B", qualifier="approx"),
    _claim(WEEKLY_830, "ai-weekly-2026-w05", 75, "| OpenAI Target Valuation | $830 Billion | Would make it one of "
           "the most valuable companies globally, pre-IPO. |", 830 * B, "$830 Billion"),
    _claim(REVENUE, "infra-race-r1", 512, "OpenAI revenue reached $13B in 2025", 13 * B, "$13B",
           metric="revenue", period="2025"),
    _claim(RUN_RATE, "ai-weekly-2026-w05", 30, "=OpenAI is at a $20B annualized revenue run-rate", 20 * B, "$20B",
           metric="revenue", period="2025", stated_metric="revenue_run_rate"),
    _claim(UNRELATED, "ai-weekly-2026-w05", 73, "| Big Tech Combined 2026 AI CapEx | $505 Billion |", 505 * B,
           "$505 Billion", metric="capex", period="2026", entity="Big Tech"),
]
DOCUMENTS = [
    dict(source_id="infra-race-r1", path="agentic-ai-infrastructure-race-r1.0.md",
         title="The Agentic AI Infrastructure Race (r1.0)", publisher="Strategic Insight Report",
         published="2026-01-20", format="markdown", primary=False, registered=True, sha256="a" * 64,
         bytes=30156, status="ok", reason=""),
    dict(source_id="ai-weekly-2026-w05", path="ai-weekly-2026-w05.txt",
         title="AI Weekly W5: OpenAI's $100B Round", publisher="Daily AI Blog", published="2026-02-01",
         format="text", primary=False, registered=True, sha256="b" * 64, bytes=16018, status="ok", reason=""),
]
BLOG_DOCUMENT = dict(DOCUMENTS[1], source_id="blog-2026-02-10", path="blog.md", title="Valuation Watch",
                     published="2026-02-10", sha256="c" * 64)
BLOG_CLAIM = _claim(BLOG_900, "blog-2026-02-10", 4, "OpenAI is now valued at $900 billion", 900 * B,
                    "$900 billion")


def _conflict(conflict_id, kind, claim_ids, fingerprint, *, metric="valuation", period="2026-02",
              severity="error", explanation="the sources state different figures"):
    return dict(conflict_id=conflict_id, kind=kind, severity=severity, entity="OpenAI", metric=metric,
                period=period, claim_ids=";".join(claim_ids), explanation=explanation, status="open",
                rule=f"{kind}-mismatch", source_ids="", fingerprint=fingerprint)


DATE_CLAIMS = [
    _claim(LAUNCH_Q4, "infra-race-r1", 600, "GPT-6 is expected in Q4 2026", None, "Q4 2026", metric="launch",
           period="", unit="date", value_low=20261001.0, value_high=20261231.0),
    _claim(LAUNCH_2027, "ai-weekly-2026-w05", 90, "GPT-6 will not ship before 2027", None, "2027", metric="launch",
           period="", unit="date", value_low=20270101.0, value_high=20271231.0),
]


def write_run(out: Path, *, third_valuation: bool = False, date_conflict: bool = False) -> None:
    """The out/ files of a run; `third_valuation` adds a new source with a third figure, `date_conflict` a
    conflict about when something happens."""
    claims, documents = list(CLAIMS), list(DOCUMENTS)
    valuation_claims, fingerprint = [REPORT_730, WEEKLY_830], "fp-valuation-1"
    if third_valuation:
        claims.append(BLOG_CLAIM)
        documents.append(BLOG_DOCUMENT)
        valuation_claims, fingerprint = [REPORT_730, WEEKLY_830, BLOG_900], "fp-valuation-2"
    conflicts = [
        _conflict(VALUATION, "value", valuation_claims, fingerprint),
        _conflict(CATEGORY, "category", [REVENUE, RUN_RATE], "fp-category-1", metric="revenue", period="2025",
                  severity="warning", explanation="a run-rate is compared with annual revenue"),
    ]
    if date_conflict:
        claims += DATE_CLAIMS
        conflicts.append(_conflict(LAUNCH, "date", [LAUNCH_Q4, LAUNCH_2027], "fp-launch-1", metric="launch",
                                   period=""))
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in (("claims", claims), ("documents", documents), ("conflicts", conflicts)):
        to_csv_safe(pd.DataFrame(rows), out / f"{name}.csv")


@pytest.fixture
def env(tmp_path, monkeypatch):
    home, out = tmp_path / "home", tmp_path / "out"
    monkeypatch.setenv("RECONCILE_HOME", str(home))
    monkeypatch.setenv("RECONCILE_OUT", str(out))
    monkeypatch.delenv("RECONCILE_DB_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "250")      # rich wraps at this width: keep quotes on one line
    write_run(out)
    return types.SimpleNamespace(home=home, out=out, db=home / "decisions.db", tmp=tmp_path)


def cli(*args: str):
    return CliRunner().invoke(app, list(args))


def ok(*args: str):
    result = cli(*args)
    assert result.exit_code == 0, result.stderr + result.stdout
    return result


def store() -> DecisionStore:
    return DecisionStore.from_settings()


def statuses(env) -> dict[str, str]:
    """Status per conflict id as `reconcile conflicts` prints it."""
    lines = ok("conflicts").stdout.splitlines()
    return {cid: next(s for s in ("open", "resolved", "dismissed", "stale") if f" {s} " in line)
            for line in lines for cid in (VALUATION, CATEGORY) if cid in line}


# -- conflicts / show -----------------------------------------------------------------------------


def test_conflicts_lists_status_values_and_suggestion(env):
    result = ok("conflicts")
    assert VALUATION in result.stdout and CATEGORY in result.stdout
    assert "~$730B vs $830 Billion" in result.stdout
    assert "newest-source: $830B" in result.stdout          # weekly (2026-02-01) is newer than the report
    assert "2 of 2 conflicts shown; 2 open, 0 resolved, 0 dismissed, 0 stale" in result.stdout


def test_conflicts_filters(env):
    assert CATEGORY not in ok("conflicts", "--kind", "value").stdout
    assert "No conflicts match." in ok("conflicts", "--status", "resolved").stdout
    assert VALUATION in ok("conflicts", "--entity", "openai").stdout
    assert "No conflicts match." in ok("conflicts", "--entity", "Meta").stdout


def test_show_puts_quotes_side_by_side_with_source_date_and_location(env):
    text = ok("show", VALUATION).stdout
    for expected in ("The Agentic AI Infrastructure Race (r1.0)", "AI Weekly W5: OpenAI's $100B Round",
                     "2026-01-20", "2026-02-01", "infra-race-r1 line 523", "ai-weekly-2026-w05 line 75",
                     "~$730B (in talks for $100B round)", "Suggestion (newest-source, not an approval)",
                     "No decisions yet"):
        assert expected in text
    quote_row = next(line for line in text.splitlines() if "Quote" in line)
    assert "730B" in quote_row and "830 Billion" in quote_row     # one row, two columns: side by side


def test_show_reads_escaped_csv_cells_back(env):
    assert "“=OpenAI is at a $20B annualized revenue run-rate”" in ok("show", CATEGORY).stdout
    assert "move-to-metric" in ok("show", CATEGORY).stdout


# -- approve / dismiss / reopen / history ----------------------------------------------------------


def test_approve_by_claim_resolves_and_records_everything(env):
    result = ok("approve", VALUATION, "--claim", WEEKLY_830, "--by", "ana", "--reason", "latest round terms")
    assert "Recorded decision #1: approve" in result.stdout
    (decision,) = store().history(VALUATION)
    assert (decision.decided_by, decision.reason, decision.fingerprint) == ("ana", "latest round terms",
                                                                             "fp-valuation-1")
    assert (decision.chosen_claim_id, decision.chosen_value, decision.unit) == (WEEKLY_830, 830 * B, "USD")
    assert decision.values == {REPORT_730: 730 * B, WEEKLY_830: 830 * B}
    assert decision.claim_ids == f"{REPORT_730};{WEEKLY_830}"
    assert statuses(env)[VALUATION] == "resolved"
    assert "#1 approve by ana" in ok("conflicts").stdout


def test_dismiss_then_reopen_then_history(env):
    ok("dismiss", CATEGORY, "--by", "ben", "--reason", "run-rate is labelled as such")
    assert statuses(env)[CATEGORY] == "dismissed"
    ok("reopen", CATEGORY, "--by", "ana", "--reason", "needs a second look")
    assert statuses(env)[CATEGORY] == "open"
    text = ok("history", CATEGORY).stdout
    dismissal = next(line for line in text.splitlines() if "run-rate is labelled as such" in line)
    reopening = next(line for line in text.splitlines() if "needs a second look" in line)
    assert "#1" not in dismissal and "#1" in reopening      # the reopen replaces the dismissal
    reopen = store().latest(CATEGORY)
    assert reopen.action == "reopen" and reopen.supersedes == 1


def test_text_that_looks_like_markup_is_shown_verbatim(env):
    ok("dismiss", VALUATION, "--by", "[b]ana[/b]", "--reason", "see [red]memo[/red] [draft]")
    history = ok("history").stdout
    assert "[b]ana[/b]" in history and "see [red]memo[/red] [draft]" in history


def test_history_without_a_run_and_with_no_decisions(env):
    assert "No decisions recorded yet." in ok("history").stdout
    shutil.rmtree(env.out)
    assert "No decisions recorded yet." in ok("history").stdout


def test_history_marks_orphaned_decisions_and_conflicts_reports_them(env):
    ok("dismiss", CATEGORY, "--by", "ben", "--reason", "not comparable")
    conflicts = pd.read_csv(env.out / "conflicts.csv")
    to_csv_safe(conflicts[conflicts["conflict_id"] != CATEGORY], env.out / "conflicts.csv")
    assert "orphaned" in ok("history").stdout
    assert "1 decision(s) refer to conflicts this run no longer finds" in ok("conflicts").stdout
    assert len(store().history()) == 1


# -- across runs -------------------------------------------------------------------------------------


def test_dismissed_stays_dismissed_across_runs_with_the_same_evidence(env):
    ok("dismiss", VALUATION, "--by", "ben", "--reason", "one is a target, one a current valuation")
    write_run(env.out)                               # the next run: same claims, same fingerprint
    assert statuses(env)[VALUATION] == "dismissed"


def test_new_evidence_makes_the_decision_stale_and_history_keeps_it(env):
    ok("approve", VALUATION, "--claim", WEEKLY_830, "--by", "ana", "--reason", "latest round terms")
    write_run(env.out, third_valuation=True)         # a new source states a third valuation
    assert statuses(env)[VALUATION] == "stale"
    assert VALUATION in ok("conflicts", "--status", "stale").stdout
    shown = ok("show", VALUATION).stdout
    assert "Decision #1 (approve by ana) was taken on different evidence" in shown
    assert "Valuation Watch" in shown
    history = ok("history", VALUATION).stdout
    assert "latest round terms" in history and "stale" in history
    ok("approve", VALUATION, "--claim", BLOG_900, "--by", "ana", "--reason", "newest valuation")
    assert statuses(env)[VALUATION] == "resolved"
    assert [d.fingerprint for d in store().history(VALUATION)] == ["fp-valuation-1", "fp-valuation-2"]


# -- two real processes ----------------------------------------------------------------------------------


def test_two_stewards_deciding_at_once_from_two_processes(env):
    environ = dict(os.environ)
    commands = [[RECONCILE, "approve", VALUATION, "--claim", REPORT_730, "--by", "ana", "--reason", "report"],
                [RECONCILE, "dismiss", VALUATION, "--by", "ben", "--reason", "not comparable"]]
    procs = [subprocess.Popen(c, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for c in commands]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    history = store().history(VALUATION)
    assert sorted(d.decided_by for d in history) == ["ana", "ben"]
    assert [d.supersedes for d in history] == [None, history[0].id]
    latest = history[-1].action
    assert statuses(env)[VALUATION] == {"approve": "resolved", "dismiss": "dismissed"}[latest]


def test_installed_console_script_prints_user_errors_without_traceback(env):
    result = subprocess.run([RECONCILE, "show", "k-ffffffffffff"], env=dict(os.environ),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "unknown conflict id 'k-ffffffffffff'" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


# -- export / import ---------------------------------------------------------------------------------------


def test_export_import_round_trip_and_idempotent_reimport(env, monkeypatch):
    ok("approve", VALUATION, "--claim", WEEKLY_830, "--by", "ana", "--reason", "latest round terms")
    ok("dismiss", CATEGORY, "--by", "ben", "--reason", "labelled run-rate")
    exported = env.tmp / "decisions.yaml"
    assert "Exported 2 decision(s)" in ok("decisions", "export", str(exported)).stdout
    assert [d["action"] for d in yaml.safe_load(exported.read_text())["decisions"]] == ["approve", "dismiss"]

    monkeypatch.setenv("RECONCILE_HOME", str(env.tmp / "fresh"))
    assert "Imported 2 decision(s)" in ok("decisions", "import", str(exported)).stdout
    assert ok("decisions", "export", "-").stdout == exported.read_text()
    assert "Imported 0 decision(s)" in ok("decisions", "import", str(exported)).stdout
    assert "2 already present were skipped" in ok("decisions", "import", str(exported)).stdout
    assert statuses(env) == {VALUATION: "resolved", CATEGORY: "dismissed"}


# -- run (the pipeline itself is the lead engineer's; a fake stands in for it) ----------------------------


@dataclass
class FakeResult:
    out_dir: Path
    report_path: Path
    documents: int = 2
    rejected: int = 0
    claims: int = 5
    conflicts: int = 2
    by_kind: dict = field(default_factory=lambda: {"value": 1, "category": 1})
    by_severity: dict = field(default_factory=lambda: {"error": 1, "warning": 1})
    warnings: list = field(default_factory=lambda: ["notes.txt is not in sources.yaml; read anyway"])


@pytest.fixture
def fake_pipeline(env, monkeypatch):
    calls = []

    def run_pipeline(sources_dir, out_dir, progress=None):
        calls.append((sources_dir, out_dir))
        progress("parsed 2 documents [1/2]")
        progress("warning: notes.txt is not in sources.yaml; read anyway")
        return FakeResult(out_dir=out_dir, report_path=out_dir / "report.html",
                          by_severity=getattr(run_pipeline, "by_severity", {"error": 1, "warning": 1}))

    module = types.ModuleType("pipelines.run")
    module.run_pipeline = run_pipeline
    monkeypatch.setitem(sys.modules, "pipelines.run", module)
    (env.tmp / "sources").mkdir()
    return types.SimpleNamespace(calls=calls, run_pipeline=run_pipeline, sources=env.tmp / "sources")


def test_run_prints_progress_warnings_summary_and_report(env, fake_pipeline):
    result = ok("run", "--sources", str(fake_pipeline.sources), "--out", str(env.out))
    assert fake_pipeline.calls == [(fake_pipeline.sources, env.out)]
    for expected in ("parsed 2 documents [1/2]", "warning: notes.txt is not in sources.yaml", "Run summary",
                     "open errors", f"Report: {env.out / 'report.html'}"):
        assert expected in result.stdout
    assert result.stdout.count("notes.txt is not in sources.yaml") == 1


@pytest.mark.parametrize("fail_on, by_severity, code", [
    ("error", {"error": 1}, 1), ("error", {"warning": 3}, 0), ("warning", {"warning": 3}, 1),
    ("warning", {"info": 2}, 0), (None, {"error": 4}, 0),
])
def test_run_fail_on_severity(env, fake_pipeline, fail_on, by_severity, code):
    fake_pipeline.run_pipeline.by_severity = by_severity
    extra = ["--fail-on", fail_on] if fail_on else []
    result = cli("run", "--sources", str(fake_pipeline.sources), *extra)
    assert result.exit_code == code, result.stdout


def test_run_without_the_pipeline_package_is_a_clear_error(env, monkeypatch):
    monkeypatch.setitem(sys.modules, "pipelines.run", None)
    (env.tmp / "sources").mkdir()
    result = cli("run", "--sources", str(env.tmp / "sources"))
    assert result.exit_code == 2 and "pipelines/run.py" in result.stderr


# -- every bad input: one clear line, exit 2, nothing written -------------------------------------------


def _fails(*args: str, expect: str) -> str:
    before = env_snapshot()
    result = cli(*args)
    assert result.exit_code == 2, result.stdout
    assert expect in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert env_snapshot() == before, "a failed command must write nothing"
    return result.stderr


def env_snapshot() -> list:
    db = DecisionStore.from_settings().path
    return [db.exists()] + ([len(DecisionStore(db).history())] if db.exists() else [])


@pytest.mark.parametrize("args, expect", [
    (("show", "k-ffffffffffff"), "unknown conflict id 'k-ffffffffffff'"),
    (("approve", "k-ffffffffffff", "--claim", WEEKLY_830, "--by", "a", "--reason", "r"), "unknown conflict id"),
    (("approve", VALUATION, "--claim", "c-999999999999", "--by", "a", "--reason", "r"), "unknown claim id"),
    (("approve", VALUATION, "--claim", REVENUE, "--by", "a", "--reason", "r"),
     f"claim {REVENUE} is not part of conflict {VALUATION}"),
    (("approve", VALUATION, "--claim", WEEKLY_830, "--by", "a", "--reason", "   "), "--reason is blank"),
    (("approve", VALUATION, "--claim", WEEKLY_830, "--by", " ", "--reason", "r"), "--by is blank"),
    (("approve", VALUATION, "--by", "a", "--reason", "r"), "exactly one of --value V or --claim"),
    (("approve", VALUATION, "--value", "730B", "--claim", WEEKLY_830, "--by", "a", "--reason", "r"),
     "exactly one of"),
    (("dismiss", "k-ffffffffffff", "--by", "a", "--reason", "r"), "unknown conflict id"),
    (("dismiss", VALUATION, "--by", "a", "--reason", ""), "--reason is blank"),
    (("reopen", VALUATION, "--by", "a", "--reason", "r"), "already open"),
    (("history", "k-ffffffffffff"), "unknown conflict id"),
    (("decisions", "import", "no-such-file.yaml"), "no-such-file.yaml not found"),
    (("decisions", "export", "no/such/folder/d.yaml"), "folder no/such/folder does not exist"),
])
def test_bad_input_is_one_clear_line_and_writes_nothing(env, args, expect):
    stderr = _fails(*args, expect=expect)
    assert stderr.startswith("error: ") and len(stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("args", [("conflicts", "--status", "closed"), ("conflicts", "--kind", "typo")])
def test_unknown_filter_choice_is_a_usage_error(env, args):
    result = cli(*args)
    assert result.exit_code == 2 and "is not one of" in result.stderr


def test_missing_reason_option_is_a_usage_error(env):
    result = cli("dismiss", VALUATION, "--by", "ana")
    assert result.exit_code == 2 and "--reason" in result.stderr and not env.db.exists()


@pytest.mark.parametrize("command", [("conflicts",), ("show", VALUATION),
                                     ("dismiss", VALUATION, "--by", "a", "--reason", "r")])
def test_missing_run_outputs_say_run_first(env, command):
    (env.out / "claims.csv").unlink()
    stderr = _fails(*command, expect="claims.csv not found")
    assert "run `reconcile run` first" in stderr


def test_import_with_bad_rows_reports_every_line_and_imports_nothing(env):
    ok("approve", VALUATION, "--claim", WEEKLY_830, "--by", "ana", "--reason", "latest round terms")
    exported = env.tmp / "d.yaml"
    ok("decisions", "export", str(exported))
    text = exported.read_text()
    entry = text[text.index("- id: 1"):]
    bad = text + entry.replace("id: 1", "id: 2").replace("action: approve", "action: aprove") \
        + entry.replace("id: 1", "id: 3").replace("reason: latest round terms", "reason: ''")
    exported.write_text(bad)
    stderr = _fails("decisions", "import", str(exported), expect="2 problem(s); nothing was imported")
    line_of = {line.strip(): n for n, line in enumerate(bad.splitlines(), start=1)}
    assert f"{exported}:{line_of['action: aprove']}: action 'aprove' is not one of" in stderr
    blank_reason = line_of["reason: ''"]
    assert f"{exported}:{blank_reason}: reason is missing or blank" in stderr


def test_import_of_a_file_that_is_not_an_export(env):
    bogus = env.tmp / "notes.yaml"
    bogus.write_text("- buy milk\n")
    _fails("decisions", "import", str(bogus), expect="no `decisions:` list found")


# -- --value in the documents' own forms ---------------------------------------------------------------


@pytest.mark.parametrize("text, value, low, high", [
    ("$830 billion", 830 * B, 830 * B, 830 * B),
    ("830B", 830 * B, 830 * B, 830 * B),                 # no "$": a dollar conflict reads it as dollars
    ("~$730B", 730 * B, 730 * B, 730 * B),
    ("780000000000", 780 * B, 780 * B, 780 * B),
    ("$800-850B", None, 800 * B, 850 * B),
])
def test_approve_by_value_accepts_document_forms(env, text, value, low, high):
    result = ok("approve", VALUATION, "--value", text, "--by", "ana", "--reason", "company statement")
    assert "Recorded decision #1" in result.stdout
    decision = store().latest(VALUATION)
    assert (decision.chosen_value, decision.chosen_low, decision.chosen_high) == (value, low, high)
    assert (decision.unit, decision.chosen_claim_id) == ("USD", None)
    assert statuses(env)[VALUATION] == "resolved"


@pytest.mark.parametrize("text, expect", [
    ("45%", "--value '45%' reads as percent, but conflict k-a1b2c3d4e5f6 is about USD figures"),
    ("3.5x", "reads as multiple"),
    ("lots", "--value 'lots' is not a figure reconcile can read"),
])
def test_approve_by_value_refuses_what_does_not_fit(env, text, expect):
    stderr = _fails("approve", VALUATION, "--value", text, "--by", "a", "--reason", "r", expect=expect)
    assert len(stderr.strip().splitlines()) == 1


def _date_code(day: dt.date) -> float:
    return float(day.year * 10000 + day.month * 100 + day.day)


@pytest.mark.parametrize("text, first, last", [
    ("Q4 2026", dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
    ("2027", dt.date(2027, 1, 1), dt.date(2027, 12, 31)),
    ("2026-01-28", dt.date(2026, 1, 28), dt.date(2026, 1, 28)),
    # relative periods read as documents read them, against today
    ("last year", dt.date(dt.date.today().year - 1, 1, 1), dt.date(dt.date.today().year - 1, 12, 31)),
    ("next year", dt.date(dt.date.today().year + 1, 1, 1), dt.date(dt.date.today().year + 1, 12, 31)),
])
def test_approve_a_date_conflict_by_value_accepts_what_documents_accept(env, text, first, last):
    write_run(env.out, date_conflict=True)
    result = ok("approve", LAUNCH, "--value", text, "--by", "ana", "--reason", "launch announced")
    assert "Recorded decision #1" in result.stdout
    decision = store().latest(LAUNCH)
    assert (decision.chosen_low, decision.chosen_high, decision.unit) == (_date_code(first), _date_code(last), "date")
    assert decision.chosen_value == (_date_code(first) if first == last else None)


def test_approve_a_date_conflict_refuses_what_is_not_a_period(env):
    write_run(env.out, date_conflict=True)
    stderr = _fails("approve", LAUNCH, "--value", "soon", "--by", "a", "--reason", "r",
                    expect="--value 'soon' is not a date or period reconcile can read")
    assert len(stderr.strip().splitlines()) == 1


# -- the walk-through, on the bundled sources with the real pipeline -------------------------------

BUNDLED_SOURCES = Path(__file__).resolve().parents[1] / "sources"
THIRD_VALUATION = "# Valuation Watch\n\n## OpenAI\n\nAs of February 2026, OpenAI is valued at $900 billion.\n"


def _valuation_conflict(out: Path) -> pd.Series:
    conflicts = pd.read_csv(out / "conflicts.csv")
    match = conflicts[(conflicts["kind"] == "value") & (conflicts["entity"] == "OpenAI")
                      & (conflicts["metric"] == "valuation")]
    assert len(match) == 1, conflicts[["conflict_id", "kind", "entity", "metric"]]
    return match.iloc[0]


def test_approve_on_bundled_sources_survives_a_rerun_and_new_evidence_makes_it_stale(env, monkeypatch):
    sources, out = env.tmp / "sources", env.tmp / "run-out"
    shutil.copytree(BUNDLED_SOURCES, sources)
    monkeypatch.setenv("RECONCILE_OUT", str(out))
    ok("run", "--sources", str(sources))
    conflict_id = _valuation_conflict(out)["conflict_id"]

    ok("approve", conflict_id, "--value", "830B", "--by", "ana", "--reason", "Feb 2026 round terms")
    ok("run", "--sources", str(sources))
    again = _valuation_conflict(out)
    assert (again["conflict_id"], again["status"]) == (conflict_id, "resolved")
    golden = pd.read_csv(out / "resolved_claims.csv")
    approved = golden[golden["rule"] == "decision:1"]
    assert len(approved) == 1
    assert (approved.iloc[0]["entity"], approved.iloc[0]["metric"], approved.iloc[0]["status"],
            approved.iloc[0]["value"]) == ("OpenAI", "valuation", "approved", 830 * B)

    (sources / "valuation-watch.md").write_text(THIRD_VALUATION)
    ok("run", "--sources", str(sources))
    assert _valuation_conflict(out)["status"] in ("open", "stale")
    history = ok("history", conflict_id).stdout
    assert "Feb 2026 round terms" in history and "stale" in history
