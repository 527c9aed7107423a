"""Precision and recall of detected conflicts against the planted truth."""
from __future__ import annotations

import pandas as pd


def _key(kind: str, entity, metric, period) -> tuple:
    # a date conflict is keyed by its event alone (the date key has no period)
    return (kind, entity, metric, None if kind == "date" else (str(period) if period is not None else None))


def score(conflicts: pd.DataFrame, truth: dict) -> dict:
    planted = {_key(c["kind"], c["entity"], c["metric"], c["period"]) for c in truth["conflicts"]}
    detected = [_key(r.kind, r.entity, r.metric, r.period) for r in conflicts.itertuples()] if len(conflicts) else []
    hits = [k in planted for k in detected]
    found = planted & set(detected)
    look = {(x["entity"], x["metric"]) for x in truth["lookalikes"]}
    flagged_look = sorted({(k[1], k[2]) for k, hit in zip(detected, hits) if not hit and (k[1], k[2]) in look})
    by_kind = {}
    for kind in ("value", "category", "period", "date", "arithmetic"):
        p = {k for k in planted if k[0] == kind}
        d = [h for k, h in zip(detected, hits) if k[0] == kind]
        by_kind[kind] = {"planted": len(p), "found": len(p & found), "detected": len(d),
                         "false_positives": d.count(False)}
    return {
        "planted": len(planted), "found": len(found), "detected": len(detected),
        "recall": round(len(found) / len(planted), 4) if planted else None,
        "precision": round(sum(hits) / len(detected), 4) if detected else None,
        "lookalikes": len(truth["lookalikes"]), "lookalikes_flagged": len(flagged_look),
        "by_kind": by_kind,
        "missed": sorted(map(str, planted - found))[:20],
        "false_positives": sorted({str(k) for k, h in zip(detected, hits) if not h})[:20],
    }
