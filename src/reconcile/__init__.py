"""reconcile: turn stated figures in documents into claims, flag conflicts, approve a golden record."""

__version__ = "0.1.0"
