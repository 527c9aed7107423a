"""'$65.0 billion, plus or minus 2%': a stated tolerance turns the figure before it into a range.

The tolerance is no figure of its own. A percentage of an amount is relative ($65.0B ± 2% = $63.7B–$66.3B); of a
percentage it is in points (16.5% ± 1% = 15.5%–17.5%), as are basis points (71.8% ± 50 bps = 71.3%–72.3%).
Figures listed together ('74.9% and 75.0%, respectively, plus or minus 50 basis points') share it.
'Within 10%' is a change of at most 10% either way. A starting price is a lower bound, and so are the prices listed
in parallel with it ('starting from $299 for desktops and $1,099 for laptops').
"""
from __future__ import annotations

import math
from dataclasses import replace

from ..quantities import Quantity, Unparsed
from ..vocab import Cues
from .words import figure_runs

# what one unit of the tolerance is, in the target's unit, when the target is a percentage
POINTS_PER = {"percent": 1.0, "pp": 1.0, "bps": 0.01}


def apply_tolerances(cues: Cues, text: str, found: list[Quantity | Unparsed]) -> list[Quantity | Unparsed]:
    """The figures of a text with each stated tolerance applied to the figures it qualifies, and removed."""
    figures = [q for q in found if isinstance(q, Quantity)]
    changed: dict[int, Quantity] = {}
    dropped: set[int] = set()
    for n, tol in enumerate(figures):
        if n == 0 or tol.value is None or tol.unit not in POINTS_PER:
            continue
        if not cues.plus_or_minus.search(text[figures[n - 1].end:tol.start]):
            continue
        targets = _qualified(cues, text, figures[:n])
        ranged = [_ranged(t, tol) for t in targets]
        if targets and all(r is not None for r in ranged):
            changed.update({t.start: r for t, r in zip(targets, ranged, strict=True) if r is not None})
            dropped.add(tol.start)
    changed.update(_shared_lower_bounds(cues, text, [changed.get(q.start, q) for q in figures]))
    changed.update(_within_bounds(cues, text, [q for q in figures if q.start not in changed]))
    return [changed.get(q.start, q) for q in found if q.start not in dropped]


def _shared_lower_bounds(cues: Cues, text: str, figures: list[Quantity]) -> dict[int, Quantity]:
    """'starting from $299 for desktops and $1,099 for laptops': the figures that follow a starting price in
    parallel, in its unit, are starting prices too."""
    shared: dict[int, Quantity] = {}
    lead: Quantity | None = None
    for q in figures:
        if lead is not None and q.unit == lead.unit and q.qualifier == "exact" and q.value is not None \
                and cues.parallel.match(text[lead.end:q.start]):
            shared[q.start] = replace(q, low=q.value, high=math.inf, qualifier="at_least")
            lead = q
        else:
            lead = q if q.qualifier == "at_least" and cues.starting_price.match(q.text) else None
    return shared


def _within_bounds(cues: Cues, text: str, figures: list[Quantity]) -> dict[int, Quantity]:
    """'were within 10% of where they started the year': a change between -10% and 10%."""
    return {q.start: replace(q, value=None, low=-q.value, high=q.value, qualifier="range") for q in figures
            if q.unit == "percent" and q.qualifier == "exact" and q.value is not None and q.value > 0
            and cues.within_before.search(text[max(0, q.start - 12):q.start])}


def _qualified(cues: Cues, text: str, before: list[Quantity]) -> list[Quantity]:
    """The figure right before the tolerance, and those listed with it in the same unit."""
    return figure_runs(cues, text, before)[-1]


def _ranged(target: Quantity, tol: Quantity) -> Quantity | None:
    if target.value is None or target.qualifier not in ("exact", "approx") or tol.value is None:
        return None
    if target.unit == "percent":
        delta = tol.value * POINTS_PER[tol.unit]
    elif tol.unit == "percent":
        delta = abs(target.value) * tol.value / 100
    else:
        return None  # basis points of an amount: no such tolerance
    return replace(target, value=None, low=target.value - delta, high=target.value + delta, qualifier="range")
