"""The steward console's inbox with 10,000 conflicts: a synthetic last run, timed through Starlette's TestClient.

    PYTHONPATH=. .venv/bin/python -m bench.console_bench [--conflicts 10000] [--repeats 7]

`write_synthetic_run` writes the run tables a `reconcile run` leaves in out/ (conflicts, claims, documents,
resolved_claims, rejected_sources) for `n` conflicts of every kind and severity over two claims each; the
console tests page through the same tables. `measure` signs a steward in and reports the median time of
GET / (the first page of the queue) and of a filtered, paged GET, after one warm-up request that loads the
run into the console's cache (timed too: `first_load_s`).
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from reconcile.config import Settings

KINDS = ("value", "category", "period", "date", "arithmetic")
SEVERITIES = ("error", "warning", "info")
ENTITIES = ("OpenAI", "Anthropic", "Microsoft", "Meta", "Amazon", "Google", "Nvidia", "xAI", "Oracle", "CoreWeave")
METRICS = ("valuation", "revenue", "capex", "users", "gpus")
N_SOURCES = 40
B = 1e9


def _claim(claim_id: str, source: int, figure: float, entity: str, metric: str, line: int) -> dict[str, Any]:
    text = f"${figure:g}B"
    return dict(claim_id=claim_id, source_id=f"src-{source:03d}", location=f"line {line}",
                quote=f"{entity} {metric} stood at {text} according to the filing", entity=entity, metric=metric,
                period="2026", value=figure * B, value_low=figure * B, value_high=figure * B, unit="USD",
                qualifier="exact", entity_from="clause", metric_from="clause", period_from="clause",
                granularity="annual", scope="", relation="", base_period="", tolerance=0.0, value_text=text,
                context="sentence", line=line, published="2026-02-01")


def synthetic_tables(n: int) -> dict[str, pd.DataFrame]:
    """`n` conflicts over `2n` claims from N_SOURCES documents; every 7th conflict rests on an assumed period."""
    claims, conflicts, resolved = [], [], []
    for i in range(n):
        entity, metric = ENTITIES[i % len(ENTITIES)], METRICS[(i // len(ENTITIES)) % len(METRICS)]
        a, b = f"c-{2 * i:012x}", f"c-{2 * i + 1:012x}"
        sources = (i % N_SOURCES, (i + 1) % N_SOURCES)
        claims += [_claim(a, sources[0], 100 + i % 50, entity, metric, 10 + i % 400),
                   _claim(b, sources[1], 200 + i % 50, entity, metric, 20 + i % 400)]
        conflict_id = f"k-{i:012x}"
        conflicts.append(dict(
            conflict_id=conflict_id, kind=KINDS[i % len(KINDS)], severity=SEVERITIES[i % len(SEVERITIES)],
            entity=entity, metric=metric, period=str(2000 + i // 50), claim_ids=f"{a};{b}",
            explanation=f"{entity} {metric}: the sources state different figures", status="open",
            rule="interval-overlap", source_ids=";".join(f"src-{s:03d}" for s in sources),
            fingerprint=f"{i:016x}", assumed="period" if i % 7 == 0 else "",
            # as a run writes it: the suggestion resolve computed (the console reads it, never recomputes it)
            suggestion=f"prefer the newer source: ${200 + i % 50:g}B", suggestion_value=(200 + i % 50) * B,
            suggestion_low=None, suggestion_high=None, suggestion_rule="newest-source", suggestion_claim_ids=b))
        resolved.append(dict(entity=entity, metric=metric, period=str(2000 + i // 50), value=None, value_low=None,
                             value_high=None, unit="USD", status="open", claim_ids=f"{a};{b}", rule="",
                             decided_by="", decided_at="", reason="", conflict_ids=conflict_id))
    documents = [dict(source_id=f"src-{s:03d}", path=f"doc-{s:03d}.md", title=f"Synthetic report {s}",
                      publisher="Bench Press", published="2026-02-01", format="markdown", primary=s % 5 == 0,
                      registered=True, sha256=f"{s:064x}", bytes=10_000, status="ok", reason="")
                 for s in range(N_SOURCES)]
    return {"conflicts": pd.DataFrame(conflicts), "claims": pd.DataFrame(claims),
            "documents": pd.DataFrame(documents), "resolved_claims": pd.DataFrame(resolved),
            "rejected_sources": pd.DataFrame(columns=["source_id", "path", "reason"])}


def write_synthetic_run(out: Path, n: int) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    for name, table in synthetic_tables(n).items():
        table.to_csv(out / f"{name}.csv", index=False)
    return out


def _median_get(client: Any, url: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times)


def _sign_in(client: Any, name: str, password: str) -> None:
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/signin").text)
    assert token, "no CSRF token on the sign-in page"
    done = client.post("/signin", data={"username": name, "password": password, "csrf": token.group(1)},
                       follow_redirects=False)
    assert done.status_code == 303, done.status_code


def measure(n: int = 10_000, repeats: int = 7) -> dict[str, Any]:
    """Median seconds of GET / and of a filtered, paged GET on a console over `n` synthetic conflicts."""
    from starlette.testclient import TestClient

    from reconcile.console.app import create_app
    from reconcile.decisions import DecisionStore
    from reconcile.users import UserStore

    with tempfile.TemporaryDirectory() as tmp:
        out = write_synthetic_run(Path(tmp) / "out", n)
        db_url = f"sqlite:///{Path(tmp) / 'home' / 'decisions.db'}"
        (Path(tmp) / "home").mkdir()
        users = UserStore(db_url)
        users.add("bench", "steward", "bench-password-1")
        app = create_app(out_dir=out, sources_dir=Path(tmp) / "sources", users=users, home=Path(tmp) / "home",
                         store=DecisionStore.from_settings(Settings.at(Path(tmp) / "home", Path(tmp), db_url)))
        with TestClient(app) as client:
            _sign_in(client, "bench", "bench-password-1")
            started = time.perf_counter()
            assert client.get("/").status_code == 200
            first = time.perf_counter() - started
            inbox = _median_get(client, "/", repeats)
            filtered = _median_get(client, "/?kind=value&severity=error&needs_checking=1&page=3", repeats)
    return {"conflicts": n, "repeats": repeats, "first_load_s": round(first, 3), "inbox_median_s": round(inbox, 4),
            "filtered_page_median_s": round(filtered, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conflicts", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    print(json.dumps(measure(args.conflicts, args.repeats), indent=2))


if __name__ == "__main__":
    main()
