"""Settings, read in one place: every RECONCILE_* variable the code location uses is named here.

Paths and limits are fields of the `ReconcileSettings` resource. A variable that is set becomes a
Dagster `EnvVar`, resolved when a run or sensor tick starts (and not shown in the UI); one that is
not set leaves the field's default. What shapes the definitions themselves (executor, schedule,
default statuses) cannot wait for a run: `Deployment` reads it once, when the code location loads.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from reconcile.config import Settings, default_vocab_dir

Progress = Callable[[str], None]

# resource field → the environment variable that sets it
RESOURCE_ENV = {"sources_dir": "RECONCILE_SOURCES", "out_dir": "RECONCILE_OUT", "home": "RECONCILE_HOME",
                "vocab_dir": "RECONCILE_VOCAB", "expectations_dir": "RECONCILE_EXPECTATIONS",
                "duckdb": "RECONCILE_DUCKDB", "db_url": "RECONCILE_DB_URL",
                "sensor_max_runs": "RECONCILE_SENSOR_MAX_RUNS"}


class ReconcileSettings(dg.ConfigurableResource):
    """Paths and limits for one deployment. Defaults come from RECONCILE_* environment variables."""

    sources_dir: str = "sources"
    out_dir: str = "out"
    home: str = ".reconcile"
    vocab_dir: str = str(default_vocab_dir())
    expectations_dir: str = str(Path(__file__).resolve().parents[2] / "expectations")
    duckdb: str = ""           # the asset database; empty means <home>/reconcile.duckdb
    db_url: str = ""           # the decisions store; empty means sqlite under <home>
    sensor_max_runs: int = 25  # more sources to read at once than this: one reconcile run, not one run each

    @classmethod
    def from_env(cls, **overrides: str) -> ReconcileSettings:
        """The resource as deployed: an EnvVar for each RECONCILE_* variable that is set; `overrides` win."""
        values: dict[str, object] = {
            field: dg.EnvVar.int(name) if field == "sensor_max_runs" else dg.EnvVar(name)
            for field, name in RESOURCE_ENV.items() if os.environ.get(name, "").strip()}
        values.update({k: str(v) for k, v in overrides.items()})
        return cls(**values)

    def resolved(self) -> ReconcileSettings:
        """This resource with its EnvVars read: for code that needs the paths outside a run."""
        return self.process_config_and_initialize()

    def engine_settings(self) -> Settings:
        return Settings.at(home=self.home_path, vocab_dir=Path(self.vocab_dir), db_url=self.db_url)

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


@dataclass(frozen=True)
class Deployment:
    """What shapes the definitions: read once, when the code location loads."""

    executor: str = "in_process"   # RECONCILE_EXECUTOR=multiprocess: a process per step
    cron: str = "0 6 * * *"        # RECONCILE_SCHEDULE_CRON
    timezone: str = "UTC"          # RECONCILE_SCHEDULE_TZ
    schedule_running: bool = True  # RECONCILE_SCHEDULE_STATUS=stopped starts the schedule off
    sensor_running: bool = True    # RECONCILE_SENSOR_STATUS=stopped starts the sensor off

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Deployment:
        env = os.environ if env is None else env

        def running(name: str) -> bool:
            return env.get(name, "running").strip().lower() != "stopped"

        return cls(executor="multiprocess" if env.get("RECONCILE_EXECUTOR", "").strip() == "multiprocess"
                   else "in_process",
                   cron=(env.get("RECONCILE_SCHEDULE_CRON") or cls.cron).strip(),
                   timezone=env.get("RECONCILE_SCHEDULE_TZ", cls.timezone),
                   schedule_running=running("RECONCILE_SCHEDULE_STATUS"),
                   sensor_running=running("RECONCILE_SENSOR_STATUS"))
