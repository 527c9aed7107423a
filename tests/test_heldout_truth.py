"""The ground truth of the held-out sets, executed: every planted conflict's status in truth.yaml is asserted.

`found` (and `found_extra_evidence`): exactly one conflict of the planted kind for the entity and metric,
with the period and arithmetic rule given. `missed`: none of that kind with that period and rule.
`found_wrong_kind`: none of the planted kind, but one of another kind. A look-alike with a `quiet:` entry
(kind, entity, metric) asserts that no such conflict exists while its status is `ok`. A change that finds a
miss, or loses a find, fails here until truth.yaml is updated. The hand-written tests in test_heldout*.py
check what these entries cannot say (which claims, which sources, the explanation).
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import Run, run_folder

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FOLDERS = sorted(p.name for p in FIXTURES.glob("heldout*") if (p / "truth.yaml").is_file())
FOUND = {"found", "found_extra_evidence"}


def _truth(folder: str) -> dict:
    return yaml.safe_load((FIXTURES / folder / "truth.yaml").read_text(encoding="utf-8"))


def _planted() -> list:
    return [pytest.param(folder, kind, entry, id=f"{folder}-{entry['id']}")
            for folder in FOLDERS for kind, entries in _truth(folder)["planted"].items() for entry in entries]


def _quiet_lookalikes() -> list:
    return [pytest.param(folder, entry, id=f"{folder}-{entry['id']}")
            for folder in FOLDERS for entry in _truth(folder)["lookalikes"] if "quiet" in entry]


@pytest.fixture(scope="module")
def runs() -> dict[str, Run]:
    return {}


def _run(runs: dict[str, Run], folder: str) -> Run:
    if folder not in runs:
        runs[folder] = run_folder(FIXTURES / folder)
    return runs[folder]


def _matching(run: Run, kind: str | None, entry: dict):
    rows = run.conflicts if kind is None else run.conflicts_of(kind)
    rows = rows[(rows["entity"] == entry["entity"]) & (rows["metric"] == entry["metric"])]
    if "period" in entry:
        rows = rows[rows["period"] == str(entry["period"])]
    if "rule" in entry and kind == "arithmetic":
        rows = rows[rows["rule"] == entry["rule"]]
    return rows


def test_every_folder_has_its_truth():
    assert FOLDERS == ["heldout", "heldout2"]


@pytest.mark.parametrize("folder, kind, entry", _planted())
def test_planted_conflict_status(runs, folder, kind, entry):
    run = _run(runs, folder)
    status, hits = entry["status"], _matching(run, kind, entry)
    if status in FOUND:
        same = run.conflicts_of(kind, entry["entity"], entry["metric"])
        assert len(same) == len(hits) == 1, (
            f"{entry['id']} is '{status}' in {folder}/truth.yaml: expected one {kind} conflict for "
            f"{entry['entity']}/{entry['metric']} "
            f"({entry.get('period', 'any period')}, {entry.get('rule', 'any rule')}),"
            f" got {list(zip(same['period'], same['rule'], strict=False))}")
    elif status == "missed":
        assert hits.empty, f"{entry['id']} is now found: set its status in {folder}/truth.yaml"
    elif status == "found_wrong_kind":
        assert hits.empty and not _matching(run, None, entry).empty, entry["id"]
    else:
        pytest.fail(f"{folder}/truth.yaml: {entry['id']} has an unknown status '{status}'")


@pytest.mark.parametrize("folder, entry", _quiet_lookalikes())
def test_lookalike_stays_quiet(runs, folder, entry):
    quiet = entry["quiet"]
    rows = _run(runs, folder).conflicts_of(quiet["kind"], quiet.get("entity"), quiet.get("metric"))
    if entry["status"] == "ok":
        assert rows.empty, f"{entry['id']} ({entry['what']}) is flagged: {list(rows['explanation'])}"
    else:
        assert not rows.empty, f"{entry['id']} is no longer flagged: set its status in {folder}/truth.yaml"
