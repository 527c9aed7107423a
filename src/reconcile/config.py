"""Settings read from the environment, with defaults for a local checkout."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    home: Path          # RECONCILE_HOME: decisions db, caches, locks
    db_url: str         # RECONCILE_DB_URL: decisions store (sqlite by default)
    vocab_dir: Path     # RECONCILE_VOCAB: entity, metric, event vocabularies

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        return cls.at(home=Path(env.get("RECONCILE_HOME", ".reconcile")), db_url=env.get("RECONCILE_DB_URL", ""),
                      vocab_dir=Path(env.get("RECONCILE_VOCAB", str(default_vocab_dir()))))

    @classmethod
    def at(cls, home: Path, vocab_dir: Path, db_url: str = "") -> Settings:
        """Settings for these folders; without a db_url the decisions live in sqlite under `home`."""
        home = Path(home).resolve()
        return cls(home=home, db_url=db_url or f"sqlite:///{home / 'decisions.db'}",
                   vocab_dir=Path(vocab_dir).resolve())


def default_vocab_dir() -> Path:
    """`vocab/` at the repository root: the data files a steward extends."""
    return Path(__file__).resolve().parents[2] / "vocab"
