"""Shared fixtures: the bundled vocabulary, and a way to reconcile small documents written for a test."""
from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings

from pg import PostgresServer, require_postgres
from reconcile import engine, registry
from reconcile.config import default_vocab_dir
from reconcile.detect import detect_conflicts
from reconcile.store import dispose_engines
from reconcile.vocab import load_vocabulary

# CI replays the same examples every run (a red build must be reproducible); local runs keep exploring.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """No test touches the checkout's .reconcile/ folder."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("RECONCILE_HOME", str(home))
    monkeypatch.delenv("RECONCILE_DB_URL", raising=False)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)


@pytest.fixture(scope="session")
def postgres_server():
    """One real PostgreSQL server for the whole session (see tests/pg.py)."""
    require_postgres()
    server = PostgresServer().start()
    yield server
    dispose_engines()
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """RECONCILE_DB_URL of an empty store on each backend: a SQLite file that does not exist yet, or a new
    PostgreSQL database on the session's server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'home' / 'decisions.db'}"
        return
    yield request.getfixturevalue("postgres_server").fresh_database()
    dispose_engines()     # no idle connections pile up on the server, one test after another


@pytest.fixture(scope="session")
def vocab():
    return load_vocabulary(default_vocab_dir())


class Reconciled:
    def __init__(self, claims: pd.DataFrame, conflicts: pd.DataFrame, documents: pd.DataFrame,
                 unparsed: pd.DataFrame):
        self.claims, self.conflicts, self.documents, self.unparsed = claims, conflicts, documents, unparsed

    def of_kind(self, kind: str) -> pd.DataFrame:
        return self.conflicts[self.conflicts["kind"] == kind]

    def claims_for(self, entity: str, metric: str) -> pd.DataFrame:
        return self.claims[(self.claims["entity"] == entity) & (self.claims["metric"] == metric)]


@pytest.fixture
def reconcile_docs(tmp_path, vocab):
    """Write {filename: text} (plus an optional registry) into a folder and run the engine stages on it."""

    def run(files: dict[str, str], registry_yaml: str | None = None) -> Reconciled:
        folder = tmp_path / f"sources-{len(list(tmp_path.iterdir()))}"
        folder.mkdir()
        for name, text in files.items():
            (folder / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
            # Unregistered files take their as-of date from the file time: pin it for repeatable periods.
            os.utime(folder / name, (1769904000, 1769904000))  # 2026-02-01
        if registry_yaml is not None:
            (folder / "sources.yaml").write_text(textwrap.dedent(registry_yaml), encoding="utf-8")
        docs, _ = registry.discover(folder)
        documents = registry.documents_frame(docs, folder)
        result = engine.extract_claims(docs, vocab)
        return Reconciled(result.claims, detect_conflicts(result.claims, documents), documents, result.unparsed)

    return run


class Run:
    """A folder's claims and conflicts, with the look-ups the held-out tests ask of them."""

    def __init__(self, claims: pd.DataFrame, conflicts: pd.DataFrame):
        self.claims, self.conflicts = claims, conflicts

    def claim_ids(self, source: str, value_text: str, metric: str | None = None,
                  entity: str | None = None) -> set[str]:
        c = self.claims[(self.claims["source_id"] == source) & (self.claims["value_text"] == value_text)]
        if metric is not None:
            # a growth rate or multiple is named for itself ('revenue_growth_yoy'); base_metric keeps the level's
            base = c["base_metric"] if "base_metric" in c else c["metric"]
            c = c[(c["metric"] == metric) | (base == metric)]
        if entity is not None:
            c = c[c["entity"] == entity]
        assert not c.empty, f"no claim {value_text!r} ({metric}, {entity}) in {source}"
        return set(c["claim_id"])

    def conflicts_of(self, kind: str, entity: str | None = None, metric: str | None = None) -> pd.DataFrame:
        c = self.conflicts[self.conflicts["kind"] == kind]
        if entity is not None:
            c = c[c["entity"] == entity]
        if metric is not None:
            c = c[c["metric"] == metric]
        return c

    def conflict_claim_ids(self, kind: str | None = None) -> set[str]:
        c = self.conflicts if kind is None else self.conflicts[self.conflicts["kind"] == kind]
        return {i for ids in c["claim_ids"] for i in str(ids).split(";") if i}

    def involved(self, ids: set[str], kind: str | None = None) -> pd.DataFrame:
        """Conflicts (of `kind`) whose evidence includes any of the claim ids."""
        c = self.conflicts if kind is None else self.conflicts[self.conflicts["kind"] == kind]
        return c[c["claim_ids"].map(lambda s: bool(set(str(s).split(";")) & ids))]


def run_folder(folder: Path) -> Run:
    """The engine stages on a fixture folder of documents with its sources.yaml (truth.yaml is not a source)."""
    docs, _ = registry.discover(folder)
    docs = [d for d in docs if d.path.name != "truth.yaml"]
    result = engine.extract_claims(docs, load_vocabulary(default_vocab_dir()))
    return Run(result.claims, detect_conflicts(result.claims, registry.documents_frame(docs, folder)))
