"""Resources: where the sources, outputs and steward state live, read from the environment."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import dagster as dg

from reconcile.config import Settings, default_vocab_dir

Progress = Callable[[str], None]


class ReconcileSettings(dg.ConfigurableResource):
    """Paths for one deployment. Defaults come from RECONCILE_* environment variables."""

    sources_dir: str = "sources"
    out_dir: str = "out"
    home: str = ".reconcile"
    vocab_dir: str = str(default_vocab_dir())
    expectations_dir: str = str(Path(__file__).resolve().parents[2] / "expectations")
    duckdb: str = ""  # the asset database; empty means <home>/reconcile.duckdb

    @classmethod
    def from_env(cls, **overrides: str) -> "ReconcileSettings":
        values = {
            "sources_dir": os.environ.get("RECONCILE_SOURCES", "sources"),
            "out_dir": os.environ.get("RECONCILE_OUT", "out"),
            "home": os.environ.get("RECONCILE_HOME", ".reconcile"),
            "vocab_dir": os.environ.get("RECONCILE_VOCAB", str(default_vocab_dir())),
            "expectations_dir": os.environ.get(
                "RECONCILE_EXPECTATIONS", str(Path(__file__).resolve().parents[2] / "expectations")),
            "duckdb": os.environ.get("RECONCILE_DUCKDB", ""),
        }
        values.update({k: str(v) for k, v in overrides.items()})
        return cls(**values)

    def engine_settings(self) -> Settings:
        env = dict(os.environ)
        env["RECONCILE_HOME"] = self.home
        env["RECONCILE_VOCAB"] = self.vocab_dir
        return Settings.from_env(env)

    @property
    def sources_path(self) -> Path:
        return Path(self.sources_dir).resolve()

    @property
    def out_path(self) -> Path:
        return Path(self.out_dir).absolute()

    @property
    def home_path(self) -> Path:
        return Path(self.home).resolve()

    @property
    def duckdb_path(self) -> Path:
        """The embedded asset database (RECONCILE_DUCKDB, else reconcile.duckdb under RECONCILE_HOME)."""
        return Path(self.duckdb).resolve() if self.duckdb else self.home_path / "reconcile.duckdb"

    @property
    def report_html(self) -> Path:
        return self.out_path / "report.html"

    @property
    def gx_docs_index(self) -> Path:
        return self.out_path / "gx_docs" / "index.html"


def log_progress(message: str) -> None:
    """Default progress sink when not run from the CLI: Dagster's own log carries the messages."""
