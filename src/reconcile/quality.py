"""Great Expectations glue: committed JSON suites → one ephemeral GX context → plain results.

The suites in `expectations/` are GX 1.x suite JSON (name, meta, expectations with type, kwargs,
meta). Each expectation's `meta.severity` is "critical" (a failure makes the suite ERROR) or
"warning" (WARN). A suite's `meta.table` names the table it validates; `meta.id_columns` names the
columns GX reports for each unexpected row. The `references` suite validates a frame derived here
(one row per cross-table reference), because GX expectations see one table at a time.

No Dagster here, and GX is imported lazily: importing it costs seconds and most callers of the
package never validate.
"""
from __future__ import annotations

import json
import logging
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from .errors import UserError
from .gx_offline import make_offline

if TYPE_CHECKING:  # GX's classes, for annotations only (the package is imported on first use)
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResult,
        ExpectationValidationResult,
    )
    from great_expectations.data_context.data_context.abstract_data_context import AbstractDataContext
    from great_expectations.datasource.fluent.pandas_datasource import PandasDatasource

SEVERITIES = ("critical", "warning")
REFERENCES_TABLE = "references"
RELATION_KEYS = {"name", "from_table", "from_column", "to_table", "to_column"}  # "separator" is optional
SAMPLE_SIZE = 20  # unexpected values kept per expectation: enough to act on, small enough for metadata
DATASOURCE = "reconcile"
DOCS_SITE = "reconcile"


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation_type: str
    column: str | None
    severity: str  # 'critical' | 'warning'
    success: bool
    unexpected_count: int
    unexpected_sample: list[Any] = field(default_factory=list)
    unexpected_rows: list[dict[str, Any]] = field(default_factory=list)  # id columns of the unexpected rows
    error: str | None = None  # set when GX could not evaluate the expectation (e.g. a missing column)


@dataclass(frozen=True)
class SuiteResult:
    suite: str
    table: str
    success: bool
    evaluated: int
    failed: int
    outcomes: list[ExpectationOutcome]
    docs_index: Path | None = None

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    @property
    def severity(self) -> str:
        levels = {o.severity for o in self.failures}
        return "ERROR" if "critical" in levels else "WARN" if levels else "OK"


# --- suite specs (pure JSON, no GX) -------------------------------------------------------------

def load_suite_specs(expectations_dir: Path) -> dict[str, dict[str, Any]]:
    """Every `*.json` suite in the folder, keyed by suite name; a malformed file is a UserError."""
    folder = Path(expectations_dir)
    if not folder.is_dir():
        raise UserError(f"expectations folder {folder} does not exist", hint="create it or pass the right path")
    specs: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.json")):
        spec = _read_spec(path)
        if spec["name"] in specs:
            raise UserError(f"suite name {spec['name']!r} is used twice", file=path,
                            hint="give each suite file its own name")
        specs[spec["name"]] = spec
    return specs


def _read_spec(path: Path) -> dict[str, Any]:
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(f"malformed suite JSON: {exc.msg} (column {exc.colno})", file=path, line=exc.lineno,
                        hint="fix the JSON syntax") from exc
    _check_spec_shape(spec, path)
    spec["_path"] = str(path)  # kept so later errors can name the file
    checked: dict[str, Any] = spec
    return checked


def _check_spec_shape(spec: Any, path: Path) -> None:
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not spec["name"]:
        raise UserError("a suite must be a JSON object with a non-empty \"name\"", file=path)
    if not isinstance(spec.get("expectations"), list):
        raise UserError("a suite needs an \"expectations\" list", file=path)
    for i, exp in enumerate(spec["expectations"]):
        if not isinstance(exp, dict) or not isinstance(exp.get("type"), str) or not isinstance(exp.get("kwargs"), dict):
            raise UserError(f"expectation #{i} needs a \"type\" string and a \"kwargs\" object", file=path)
        severity = (exp.get("meta") or {}).get("severity", "warning")
        if severity not in SEVERITIES:
            raise UserError(f"expectation #{i} ({exp['type']}) has severity {severity!r}", file=path,
                            hint=f"use one of {', '.join(SEVERITIES)}")
    for rel in (spec.get("meta") or {}).get("relations", []):
        if not isinstance(rel, dict) or not RELATION_KEYS <= rel.keys():
            raise UserError(f"a relation needs the keys {', '.join(sorted(RELATION_KEYS))}: {rel!r}", file=path)


def suite_table(spec: dict[str, Any]) -> str:
    return str((spec.get("meta") or {}).get("table", spec["name"]))


def expectation_severity(exp: dict[str, Any]) -> str:
    return str((exp.get("meta") or {}).get("severity", "warning"))


# --- derived references frame ----------------------------------------------------------------------

def build_references(tables: dict[str, pd.DataFrame], relations: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per reference (relation, ref_id, exists, missing_id): lets a single-table suite check
    foreign keys. missing_id repeats ref_id only where it does not resolve, so the unexpected values GX
    reports (and Data Docs show) are the dangling ids, not a bare False."""
    parts = [_relation_rows(tables, rel) for rel in relations
             if rel["from_table"] in tables and rel["to_table"] in tables]
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame({"relation": pd.Series(dtype=object), "ref_id": pd.Series(dtype=object),
                             "exists": pd.Series(dtype=bool), "missing_id": pd.Series(dtype=object)})
    return pd.concat(parts, ignore_index=True)


def _relation_rows(tables: dict[str, pd.DataFrame], rel: dict[str, Any]) -> pd.DataFrame:
    source, target = tables[rel["from_table"]], tables[rel["to_table"]]
    if rel["from_column"] not in source.columns:
        return pd.DataFrame()  # the table suite itself reports the missing column
    refs = source[rel["from_column"]].dropna().astype(str)
    if rel.get("separator"):
        refs = refs.str.split(rel["separator"]).explode().str.strip()
    refs = refs[refs != ""]
    known = set(target[rel["to_column"]].dropna().astype(str)) if rel["to_column"] in target.columns else set()
    exists = refs.isin(known)
    return pd.DataFrame({"relation": rel["name"], "ref_id": refs.to_numpy(), "exists": exists.to_numpy(dtype=bool),
                         "missing_id": refs.where(~exists).to_numpy(dtype=object)})


def frame_for(spec: dict[str, Any], tables: dict[str, pd.DataFrame]) -> pd.DataFrame | None:
    """The frame a suite validates, or None when the caller did not pass its table."""
    table = suite_table(spec)
    if table == REFERENCES_TABLE:
        relations = (spec.get("meta") or {}).get("relations", [])
        return build_references(tables, relations) if any(r["from_table"] in tables for r in relations) else None
    frame = tables.get(table)
    return None if frame is None else _pad_empty(_suite_view(frame, spec), spec)


def _suite_view(frame: pd.DataFrame, spec: dict[str, Any]) -> pd.DataFrame:
    """Only the columns the suite names (id columns included): GX filters and copies its whole frame for
    each expectation, and the claims table has ~50 columns the suite never reads. A suite with a row
    condition (an expression that may name any column) gets every column."""
    if any(exp["kwargs"].get("row_condition") for exp in spec["expectations"]):
        return frame
    return frame[[c for c in _suite_columns(spec) if c in frame.columns]]


def _pad_empty(frame: pd.DataFrame, spec: dict[str, Any]) -> pd.DataFrame:
    # A zero-row frame cannot break a row-level expectation, but a column-less one (an upstream stage
    # that found nothing) would make GX raise "column does not exist"; give it the columns.
    if len(frame) or not (missing := [c for c in _suite_columns(spec) if c not in frame.columns]):
        return frame
    return frame.assign(**{c: pd.Series(dtype=object) for c in missing})


def _suite_columns(spec: dict[str, Any]) -> list[str]:
    cols = list((spec.get("meta") or {}).get("id_columns", []))
    for exp in spec["expectations"]:
        kw = exp["kwargs"]
        cols += [kw[k] for k in ("column", "column_A", "column_B") if isinstance(kw.get(k), str)]
        cols += [c for c in kw.get("column_list", []) if isinstance(c, str)]
    return list(dict.fromkeys(cols))


# --- GX ------------------------------------------------------------------------------------------

def _import_gx() -> ModuleType:
    # Silenced locally: GX's import and its loggers are chatty, and a pipeline log is not the place.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import great_expectations as gx
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    return gx


def _new_context(gx: ModuleType, docs_dir: Path | None) -> AbstractDataContext:
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context: AbstractDataContext = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # tqdm bars per metric otherwise
    if docs_dir is not None:
        context.add_data_docs_site(DOCS_SITE, {
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder", "show_how_to_buttons": False},
        })
    return context


def _gx_suite(gx: ModuleType, spec: dict[str, Any]) -> ExpectationSuite:
    """Build the suite expectation by expectation, so a bad one names its file instead of being
    dropped with a log line (what `ExpectationSuite(expectations=[...])` does)."""
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration
    from great_expectations.expectations.metadata_types import FailureSeverity

    expectations = []
    for i, exp in enumerate(spec["expectations"]):
        try:
            config = ExpectationConfiguration(type=exp["type"], kwargs=exp["kwargs"], meta=exp.get("meta") or {},
                                              severity=FailureSeverity(expectation_severity(exp)))
            expectations.append(config.to_domain_obj())
        except Exception as exc:  # GX raises several unrelated types for an unknown type or bad kwargs
            raise UserError(f"expectation #{i} ({exp['type']}) is not valid for GX: {exc}",
                            file=spec.get("_path"), hint="check the expectation type and its kwargs") from exc
    meta = {k: v for k, v in (spec.get("meta") or {}).items()}
    suite: ExpectationSuite = gx.ExpectationSuite(name=spec["name"], expectations=expectations, meta=meta)
    return suite


def _result_format(spec: dict[str, Any], frame: pd.DataFrame) -> dict[str, Any]:
    ids = [c for c in (spec.get("meta") or {}).get("id_columns", []) if c in frame.columns]
    fmt: dict[str, Any] = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE}
    if ids:
        fmt["unexpected_index_column_names"] = ids
    return fmt


def _run_suite(gx: ModuleType, context: AbstractDataContext, spec: dict[str, Any],
               frame: pd.DataFrame) -> ExpectationSuiteValidationResult:
    # One asset + validation definition per suite; ValidationDefinition.run (unlike batch.validate)
    # stores the result in the context, which is what Data Docs render.
    # added by validate_tables with add_pandas: a pandas source (the registry's lookup is typed generically)
    source = cast("PandasDatasource", context.data_sources.get(DATASOURCE))
    batch_def = source.add_dataframe_asset(spec["name"]).add_batch_definition_whole_dataframe("whole")
    suite = context.suites.add(_gx_suite(gx, spec))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=spec["name"], data=batch_def, suite=suite))
    return definition.run(batch_parameters={"dataframe": frame}, result_format=_result_format(spec, frame))


def validate_tables(tables: dict[str, pd.DataFrame], expectations_dir: Path,
                    docs_dir: Path | None = None) -> list[SuiteResult]:
    """Run every suite whose table is in `tables` in one ephemeral GX context; write Data Docs to
    `docs_dir` (its index.html) when given. Keys: claims, conflicts, resolved_claims, documents.

    A suite whose table is absent is skipped; a reference relation is checked only when both of its
    tables are given. GX keeps `docs_dir` in step with this run: pages of earlier runs are removed."""
    specs, frames = _suite_frames(tables, expectations_dir)
    return _validate_frames(specs, frames, docs_dir)


def _suite_frames(tables: dict[str, pd.DataFrame],
                  expectations_dir: Path) -> tuple[dict[str, dict[str, Any]], dict[str, pd.DataFrame]]:
    specs = load_suite_specs(Path(expectations_dir))
    return specs, {name: f for name, spec in specs.items() if (f := frame_for(spec, tables)) is not None}


@contextmanager
def validating(tables: dict[str, pd.DataFrame], expectations_dir: Path,
               docs_dir: Path | None = None) -> Iterator[Callable[[], list[SuiteResult]]]:
    """validate_tables in a second process while the caller writes its other outputs; the yielded function
    returns the results. Importing GX and running the suites take seconds of one CPU, so the run's other core
    does them. The process is a fresh interpreter that imports only this module (a fork of a process with
    threads, Dagster's, can deadlock; multiprocessing's spawn would import the caller's main script again).
    When it cannot start or fails in any way, the suites run here again, so results, Data Docs and errors
    (a suite GX rejects) are exactly the in-process ones. No tables: nothing is validated."""
    specs, frames = _suite_frames(tables, expectations_dir) if tables else ({}, {})
    if not frames:
        yield list
        return
    with tempfile.TemporaryDirectory(prefix="reconcile-gx-") as work:
        job, answer = Path(work) / "job.pkl", Path(work) / "results.pkl"
        child = _start_child(job, answer, (specs, frames, docs_dir))

        def results() -> list[SuiteResult]:
            if child is not None and child.wait() == 0 and answer.exists():
                with answer.open("rb") as fh:
                    return cast(list[SuiteResult], pickle.load(fh))   # what _validate_job wrote
            if docs_dir is not None:
                shutil.rmtree(docs_dir, ignore_errors=True)   # pages the failed process may have left
            return _validate_frames(specs, frames, docs_dir)

        try:
            yield results
        finally:
            if child is not None and child.poll() is None:   # the caller failed first: stop writing its pages
                child.kill()
                child.wait()


_CHILD = "import sys; from reconcile.quality import _validate_job; _validate_job(sys.argv[1], sys.argv[2])"


def _start_child(job: Path, answer: Path, payload: Any) -> subprocess.Popen[bytes] | None:
    try:
        with job.open("wb") as fh:
            pickle.dump(payload, fh, protocol=pickle.HIGHEST_PROTOCOL)
        package_root = str(Path(__file__).resolve().parents[1])   # this very code, installed or not
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root,
                                                                          os.environ.get("PYTHONPATH")]))}
        return subprocess.Popen([sys.executable, "-c", _CHILD, str(job), str(answer)], env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except (OSError, pickle.PicklingError):
        return None


def _validate_job(job: str, answer: str) -> None:
    """The second process: run the suites of `job`, pickle the results to `answer`."""
    with open(job, "rb") as fh:
        specs, frames, docs_dir = pickle.load(fh)   # written by _start_child
    os.unlink(job)   # not left in the temporary folder if the caller is killed and cannot remove it
    results = _validate_frames(specs, frames, docs_dir)
    with open(answer, "wb") as fh:
        pickle.dump(results, fh, protocol=pickle.HIGHEST_PROTOCOL)


def _validate_frames(specs: dict[str, dict[str, Any]], frames: dict[str, pd.DataFrame],
                     docs_dir: Path | None) -> list[SuiteResult]:
    if not frames:
        return []
    gx = _import_gx()
    context = _new_context(gx, Path(docs_dir) if docs_dir is not None else None)
    context.data_sources.add_pandas(DATASOURCE)
    raw = {name: _run_suite(gx, context, specs[name], frame) for name, frame in frames.items()}
    index = _build_docs(context, Path(docs_dir)) if docs_dir is not None else None
    return [to_suite_result(specs[name], result, index) for name, result in raw.items()]


def _build_docs(context: AbstractDataContext, docs_dir: Path) -> Path:
    docs_dir.mkdir(parents=True, exist_ok=True)
    context.build_data_docs(site_names=[DOCS_SITE])
    make_offline(docs_dir)   # GX's pages load their scripts and styles from CDNs
    return docs_dir / "index.html"


# --- GX result → plain dataclasses ---------------------------------------------------------------

def to_suite_result(spec: dict[str, Any], result: ExpectationSuiteValidationResult,
                    docs_index: Path | None = None) -> SuiteResult:
    outcomes = [_outcome(r) for r in result.results]
    return SuiteResult(suite=spec["name"], table=suite_table(spec), success=bool(result.success),
                       evaluated=len(outcomes), failed=sum(not o.success for o in outcomes),
                       outcomes=outcomes, docs_index=docs_index)


def _outcome(r: ExpectationValidationResult) -> ExpectationOutcome:
    config, res = r.expectation_config, r.result or {}
    assert config is not None, "a suite run's result carries the expectation it checked"
    kwargs = config.kwargs
    column = kwargs.get("column") or (
        f"{kwargs['column_A']} >= {kwargs['column_B']}" if "column_A" in kwargs else None)
    if kwargs.get("row_condition"):
        column = f"{column} where {_condition_text(kwargs['row_condition'])}"
    error = _exception_message(r.exception_info)
    return ExpectationOutcome(
        expectation_type=config.type, column=column,
        severity=(config.meta or {}).get("severity", "warning"),
        success=bool(r.success), unexpected_count=int(res.get("unexpected_count") or 0),
        unexpected_sample=[_plain(v) for v in res.get("partial_unexpected_list", [])],
        unexpected_rows=[{k: _plain(v) for k, v in row.items()}
                         for row in res.get("partial_unexpected_index_list", []) if isinstance(row, dict)],
        error=error)


def _condition_text(condition: Any) -> str:
    # GX hands a pandas row condition back parsed: {"type": "pass_through", "pass_through_filter": ...}
    if isinstance(condition, dict):
        return str(condition.get("pass_through_filter", condition))
    return str(getattr(condition, "pass_through_filter", condition))


def _exception_message(info: dict[str, Any] | None) -> str | None:
    # GX reports either {raised_exception, exception_message} or a dict of those per metric.
    if not info:
        return None
    if "raised_exception" in info:
        return info.get("exception_message") if info["raised_exception"] else None
    messages = [v.get("exception_message") for v in info.values() if isinstance(v, dict) and v.get("raised_exception")]
    return "; ".join(dict.fromkeys(m for m in messages if m)) or None


def _plain(value: Any) -> Any:
    """numpy scalars and tuples → JSON-friendly Python values (metadata must serialise)."""
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


# --- markdown for check metadata -----------------------------------------------------------------

def failures_markdown(result: SuiteResult, max_values: int = 10) -> str:
    """Failed expectations of one suite as a markdown table, with their unexpected values."""
    if not result.failures:
        return f"All {result.evaluated} expectations of suite `{result.suite}` passed."
    lines = ["| severity | expectation | column | unexpected | values |", "|---|---|---|---:|---|"]
    for o in sorted(result.failures, key=lambda o: SEVERITIES.index(o.severity)):
        lines.append(f"| {o.severity} | {o.expectation_type} | {_cell(o.column or '')} | "
                     f"{o.unexpected_count} | {_cell(_values_text(o, max_values))} |")
    return "\n".join(lines)


def _values_text(o: ExpectationOutcome, max_values: int) -> str:
    if o.error:
        return f"error: {o.error}"
    # Rows carry the ids (and for references the missing id itself); bare values are the fallback.
    shown = o.unexpected_rows or o.unexpected_sample
    text = ", ".join(_row_text(v) for v in shown[:max_values])
    more = o.unexpected_count - min(len(shown), max_values)
    return f"{text} (+{more} more)" if more > 0 else text


def _row_text(value: Any) -> str:
    if isinstance(value, dict):
        return " ".join(f"{k}={v}" for k, v in value.items())
    return repr(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
