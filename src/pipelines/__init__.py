"""The Dagster code location for reconcile: thin assets and checks over `reconcile`'s engine."""
