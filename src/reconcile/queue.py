"""The steward's queue in words: the one-line summaries of a conflict that `reconcile conflicts` prints and the
steward console's inbox shows, so both say the same thing about the same conflict.

A conflict is a row of `resolve.apply_decisions` (a Series or a dict); its claims are claims.csv rows
(Series or dicts), in the order the conflict lists them.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from .figures import format_interval, format_value
from .figures import present as _present

QUEUE = ("open", "stale")   # what a steward still has to decide

Row = pd.Series | Mapping[str, Any]


def about(conflict: Row) -> str:
    """`entity · metric · period`, the parts it has."""
    return " · ".join(str(conflict[c]) for c in ("entity", "metric", "period") if _present(conflict.get(c)))


def stated_summary(claims: Iterable[Row], limit: int = 4) -> str:
    """Each distinct stated value once: a conflict over many copies stays one readable cell."""
    values = list(dict.fromkeys(stated(claim) for claim in claims))
    more = f" (+{len(values) - limit} more)" if len(values) > limit else ""
    return " vs ".join(values[:limit]) + more


def stated(claim: Row) -> str:
    """A claim's figure as its document wrote it (else as reconcile formats it)."""
    text = claim.get("value_text")
    return str(text) if _present(text) else format_value(claim.get("value"), claim.get("unit"))


def single_unit(claims: Iterable[Row]) -> str | None:
    """The unit every claim of the conflict shares; None when they differ."""
    units = {str(claim.get("unit")) for claim in claims if _present(claim.get("unit"))}
    return units.pop() if len(units) == 1 else None


def suggestion_short(conflict: Row, unit: str | None) -> str:
    """`rule: figure` of the conflict's suggestion; '' without one."""
    if not _present(conflict.get("suggestion_rule")):
        return ""
    figure = suggested_figure(conflict, unit)
    return f"{conflict['suggestion_rule']}: {figure}" if figure else str(conflict["suggestion_rule"])


def suggested_figure(conflict: Row, unit: str | None) -> str:
    if _present(conflict.get("suggestion_value")):
        return format_value(conflict["suggestion_value"], unit)
    if _present(conflict.get("suggestion_low")):
        return format_interval(conflict["suggestion_low"], conflict["suggestion_high"], unit)
    return ""


def decision_short(conflict: Row) -> str:
    """`#12 approve by ana` for the conflict's latest decision; '' without one."""
    if not _present(conflict.get("decision_id")):
        return ""
    return f"#{int(conflict['decision_id'])} {conflict['decision_action']} by {conflict['decided_by']}"
