"""The typed tables that travel between stages, declared as pandera models.

documents → claims → conflicts → resolved_claims. Each stage reads and writes
one of these; `columns_of(Model)` gives the column order used in CSV outputs.
`DetectClaimsSchema` is the claims table as normalise builds it and detect reads
it: the published columns plus the context the detectors use. The conflict-finding
checks live in `detect.py`. A column tagged `STEWARD` is one the steward commands
read back from out/: without it a CSV is not a reconcile output.
"""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing.pandas import Series

SEVERITIES = ("error", "warning", "info")
CONFLICT_KINDS = ("value", "category", "period", "date", "arithmetic")
CONFLICT_STATUSES = ("open", "resolved", "dismissed", "stale")
GOLDEN_STATUSES = ("agreed", "single-source", "suggested", "approved", "approved (stale)", "open")
# Where a claim's entity, metric or period was read; 'assumed' means the text does not state it.
FIELD_SOURCES = ("clause", "row", "column", "caption", "heading", "title", "front matter", "previous sentence",
                 "assumed")
STEWARD = {"steward": True}   # column metadata: the steward commands read this column from out/


class DocumentsSchema(pa.DataFrameModel):
    """One row per file seen in the sources folder, read or quarantined."""

    source_id: Series[str] = pa.Field(metadata=STEWARD, unique=True)
    path: Series[str]
    title: Series[str] = pa.Field(metadata=STEWARD)
    publisher: Series[str]
    published: Series[str] = pa.Field(metadata=STEWARD, description="ISO date: the as-of for undated figures")
    format: Series[str] = pa.Field(nullable=True)
    primary: Series[bool]
    registered: Series[bool]
    sha256: Series[str]
    bytes: Series[int] = pa.Field(ge=0)
    status: Series[str] = pa.Field(isin=["ok", "rejected"])
    reason: Series[str]

    class Config:
        strict = "filter"
        coerce = True


class ClaimsSchema(pa.DataFrameModel):
    """One row per stated figure, with its provenance."""

    claim_id: Series[str] = pa.Field(metadata=STEWARD, unique=True, str_matches=r"^c-[0-9a-f]{12}$")
    source_id: Series[str] = pa.Field(metadata=STEWARD, str_length={"min_value": 1})
    location: Series[str] = pa.Field(metadata=STEWARD, str_length={"min_value": 1})
    quote: Series[str] = pa.Field(metadata=STEWARD, str_length={"min_value": 1})
    entity: Series[str] = pa.Field(nullable=True)
    metric: Series[str] = pa.Field(nullable=True)
    period: Series[str] = pa.Field(nullable=True)
    value: Series[float] = pa.Field(metadata=STEWARD, nullable=True)
    value_low: Series[float] = pa.Field(nullable=True)
    value_high: Series[float] = pa.Field(nullable=True)
    unit: Series[str] = pa.Field(metadata=STEWARD)
    qualifier: Series[str]
    # Where each field was read (FIELD_SOURCES); 'assumed' when the text does not state it.
    entity_from: Series[str] = pa.Field(nullable=True, isin=list(FIELD_SOURCES))
    metric_from: Series[str] = pa.Field(nullable=True, isin=list(FIELD_SOURCES))
    period_from: Series[str] = pa.Field(nullable=True, isin=list(FIELD_SOURCES))
    # Context the detectors need, beyond the published contract.
    granularity: Series[str] = pa.Field(nullable=True)
    expected_granularity: Series[str] = pa.Field(nullable=True)
    period_start: Series[str] = pa.Field(nullable=True)
    period_end: Series[str] = pa.Field(nullable=True)
    scope: Series[str] = pa.Field(nullable=True, description="counterparty or sub-scope that keeps claims apart")
    stated_metric: Series[str] = pa.Field(nullable=True, description="metric the figure's own words name")
    stated_entity: Series[str] = pa.Field(nullable=True, description="entity the figure's own words name")
    relation: Series[str] = pa.Field(nullable=True, description="growth | multiple | annualised | sum")
    base_period: Series[str] = pa.Field(nullable=True)
    members: Series[str] = pa.Field(nullable=True, description="';'-joined entities a combined figure sums")
    tolerance: Series[float] = pa.Field(ge=0)
    value_text: Series[str]
    context: Series[str]
    line: Series[int] = pa.Field(ge=0)
    published: Series[str]

    @pa.dataframe_check(name="value_inside_interval")
    def value_inside_interval(cls, df: pd.DataFrame) -> pd.Series[bool]:
        inside = (df["value_low"] <= df["value"]) & (df["value"] <= df["value_high"])
        return inside | df["value"].isna()

    @pa.dataframe_check(name="interval_ordered")
    def interval_ordered(cls, df: pd.DataFrame) -> pd.Series[bool]:
        return (df["value_low"] <= df["value_high"]) | df["value_low"].isna() | df["value_high"].isna()

    class Config:
        strict = False
        coerce = True


class DetectClaimsSchema(ClaimsSchema):
    """The claims table detect reads: the published columns, then the context its rules use."""

    per: Series[str] = pa.Field(nullable=True, description="what a price is per (user, GPU); never a period")
    group_key: Series[str] = pa.Field(nullable=True, description="claims with one key are compared")
    metric_family: Series[str] = pa.Field(nullable=True)
    metric_scope: Series[str] = pa.Field(nullable=True)
    stated_family: Series[str] = pa.Field(nullable=True, description="family of the metric the words name")
    stated_scope: Series[str] = pa.Field(nullable=True, description="scope of the metric the words name")
    metric_imposed: Series[bool] = pa.Field(description="the metric came from a heading or column, not the words")
    base_metric: Series[str] = pa.Field(nullable=True, description="the level metric a growth rate or change is of")


class ConflictsSchema(pa.DataFrameModel):
    conflict_id: Series[str] = pa.Field(metadata=STEWARD, unique=True, str_matches=r"^k-[0-9a-f]{12}$")
    kind: Series[str] = pa.Field(metadata=STEWARD, isin=list(CONFLICT_KINDS))
    severity: Series[str] = pa.Field(metadata=STEWARD, isin=list(SEVERITIES))
    entity: Series[str] = pa.Field(nullable=True)
    metric: Series[str] = pa.Field(nullable=True)
    period: Series[str] = pa.Field(nullable=True)
    claim_ids: Series[str] = pa.Field(metadata=STEWARD, str_length={"min_value": 1})
    explanation: Series[str] = pa.Field(str_length={"min_value": 1})
    status: Series[str] = pa.Field(isin=list(CONFLICT_STATUSES))
    rule: Series[str]
    source_ids: Series[str]
    fingerprint: Series[str] = pa.Field(metadata=STEWARD,
                                        description="hash of the claim ids, values and quotes decided on")
    assumed: Series[str] = pa.Field(nullable=True, description="fields the conflict rests on that the text does "
                                                               "not state (';'-joined): it needs checking")

    class Config:
        strict = False
        coerce = True


class ResolvedClaimsSchema(pa.DataFrameModel):
    entity: Series[str]
    metric: Series[str]
    period: Series[str] = pa.Field(nullable=True)
    value: Series[float] = pa.Field(nullable=True)
    value_low: Series[float] = pa.Field(nullable=True)
    value_high: Series[float] = pa.Field(nullable=True)
    unit: Series[str]
    status: Series[str] = pa.Field(isin=list(GOLDEN_STATUSES))
    claim_ids: Series[str]
    rule: Series[str]
    decided_by: Series[str] = pa.Field(nullable=True)
    decided_at: Series[str] = pa.Field(nullable=True)
    reason: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = False
        coerce = True


def columns_of(model: type[pa.DataFrameModel]) -> list[str]:
    """Column order of a model, as written to CSV."""
    return list(model.to_schema().columns)


def steward_columns(model: type[pa.DataFrameModel]) -> tuple[str, ...]:
    """The columns of a model that the steward commands read back from out/."""
    return tuple(name for name, column in model.to_schema().columns.items()
                 if (column.metadata or {}).get("steward"))


def empty_frame(model: type[pa.DataFrameModel]) -> pd.DataFrame:
    schema = model.to_schema()
    return pd.DataFrame({name: pd.Series(dtype=str(col.dtype) if col.dtype else "object")
                         for name, col in schema.columns.items()})
