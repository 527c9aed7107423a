"""Asset storage: an embedded DuckDB database an analyst can query with SQL.

Built on dagster-duckdb-pandas, with two changes to its pandas handler:
- an unpartitioned table is replaced as a whole (`CREATE OR REPLACE TABLE`), so a column the
  engine adds or drops never breaks an `INSERT`, and an empty frame still leaves an empty table
  that downstream assets can load (the stock handler skips empty frames);
- frames are made DuckDB-safe first (`duckdb_safe`): object columns holding mixed types become
  text, so DuckDB never has to guess a type from the first rows.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from dagster import InputContext, MetadataValue, OutputContext, TableColumn, TableSchema
from dagster_duckdb import DuckDBIOManager
from dagster_duckdb_pandas import DuckDBPandasTypeHandler

SCHEMA = "main"  # tables are plain `claims`, `conflicts` ... in the database file


def duckdb_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy DuckDB stores without guessing: mixed-type object columns as text, None kept as NULL.

    Floats (including inf and NaN), ints and bools pass through. An object column whose non-null
    values are all str, all bool or all numbers is left alone; anything else (dicts, lists,
    dates mixed with strings, numbers mixed with strings) is written as its `str()`.
    """
    out = frame.copy(deep=False)   # columns are replaced below, never written into: the caller's frame stays as it was
    out.columns = [str(c) for c in out.columns]
    for column in out.columns:
        series = out[column]
        if series.dtype != object:
            continue
        if set(map(type, series.to_numpy())) <= {str, type(None)}:
            continue   # text and None, the usual claims column: one pass over the cells instead of a filter and a scan
        values = series[series.notna()]
        kinds = {type(v) for v in values}
        if not kinds or kinds <= {str} or kinds <= {bool, np.bool_}:
            continue
        if kinds <= {int, float, np.int64, np.float64} and not kinds & {bool}:
            out[column] = pd.to_numeric(series, errors="coerce")
            continue
        out[column] = series.map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    return out


class ReconcileDuckDBTypeHandler(DuckDBPandasTypeHandler):
    """One per run (the IO manager builds its handlers when the run starts). A table this run reads
    several times (claims feeds the schema check, conflicts, the golden record and the report) is
    fetched from DuckDB once and handed out as copies until it is written again."""

    def __init__(self) -> None:
        self._read: dict[tuple, pd.DataFrame] = {}

    # table_slice: dagster's TableSlice, which dagster exports only from a private module
    def handle_output(self, context: OutputContext, table_slice, obj: pd.DataFrame, connection):
        self._read = {k: v for k, v in self._read.items() if k[:3] != _read_key(table_slice)[:3]}
        frame = duckdb_safe(obj)  # noqa: F841 - DuckDB reads the local variable by name
        if table_slice.partition_dimensions:
            return super().handle_output(context, table_slice, frame, connection)
        connection.execute(f"create or replace table {table_slice.schema}.{table_slice.table} as select * from frame")
        context.add_output_metadata({
            "dagster/row_count": len(frame),
            "storage": MetadataValue.text(f"duckdb table {table_slice.schema}.{table_slice.table}"),
            "dataframe_columns": MetadataValue.table_schema(TableSchema(
                columns=[TableColumn(name=str(name), type=str(dtype)) for name, dtype in frame.dtypes.items()])),
        })

    def load_input(self, context: InputContext, table_slice, connection) -> pd.DataFrame:
        if table_slice.partition_dimensions:
            return super().load_input(context, table_slice, connection)
        key = _read_key(table_slice)
        if key not in self._read:
            self._read[key] = super().load_input(context, table_slice, connection)
        # a deep copy is new arrays of the same (immutable) cells: a step may change its frame freely
        return self._read[key].copy()


def _read_key(table_slice) -> tuple:
    return (table_slice.database, table_slice.schema, table_slice.table, tuple(table_slice.columns or ()))


class ReconcileDuckDBIOManager(DuckDBIOManager):
    """DuckDB-backed pandas storage; the database file's folder is created on first use."""

    @staticmethod
    def type_handlers() -> Sequence[DuckDBPandasTypeHandler]:
        return [ReconcileDuckDBTypeHandler()]

    @staticmethod
    def default_load_type() -> type | None:
        return pd.DataFrame

    def create_io_manager(self, context):
        if self.database != ":memory:" and not self.database.startswith("md:"):
            Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        return super().create_io_manager(context)


def duckdb_io_manager(database: Path | str) -> ReconcileDuckDBIOManager:
    return ReconcileDuckDBIOManager(database=str(database), schema=SCHEMA)
