"""Dynamic partitions keyed by source id: the sources sensor adds and deletes the keys."""
import dagster as dg

SOURCES = dg.DynamicPartitionsDefinition(name="sources")
