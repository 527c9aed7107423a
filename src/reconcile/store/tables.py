"""The store's tables as SQLAlchemy Core objects, for queries that read the same on both backends.

The DDL is not generated from these: each backend's migrations (`migrations.py`) create the tables,
with the triggers that keep the audit tables append-only.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Float, MetaData, Table, Text

metadata = MetaData()

decisions = Table(
    "decisions", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("conflict_id", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("decided_by", Text, nullable=False),
    Column("decided_at", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("fingerprint", Text, nullable=False),
    Column("claim_ids", Text, nullable=False),
    Column("values", Text, nullable=False),          # claim id -> value, as JSON text
    Column("chosen_claim_id", Text),
    Column("chosen_value", Float),
    Column("chosen_low", Float),
    Column("chosen_high", Float),
    Column("unit", Text),
    Column("supersedes", BigInteger),
)

misreads = Table(
    "misreads", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("claim_id", Text, nullable=False),
    Column("quote_hash", Text, nullable=False),
    Column("quote", Text, nullable=False),
    Column("decided_by", Text, nullable=False),
    Column("decided_at", Text, nullable=False),
    Column("reason", Text, nullable=False),
)

users = Table(
    "users", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("name", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("disabled", Boolean, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("password_changed_at", Text, nullable=False),
)

user_events = Table(
    "user_events", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("user_name", Text, nullable=False),
    Column("event", Text, nullable=False),
    Column("detail", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("at", Text, nullable=False),
)
