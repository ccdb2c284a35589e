"""The weekly insight: post what is due (the one idempotent operation), its jobs and
their pool, reconciliation of claims whose process died, and the ticker that calls it."""
