"""Audit log: every write and every sensitive read, append-only."""
