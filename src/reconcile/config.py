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
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        home = Path(env.get("RECONCILE_HOME", ".reconcile")).resolve()
        db_url = env.get("RECONCILE_DB_URL") or f"sqlite:///{home / 'decisions.db'}"
        vocab = Path(env.get("RECONCILE_VOCAB", str(default_vocab_dir()))).resolve()
        return cls(home=home, db_url=db_url, vocab_dir=vocab)


def default_vocab_dir() -> Path:
    """`vocab/` at the repository root: the data files a steward extends."""
    return Path(__file__).resolve().parents[2] / "vocab"
