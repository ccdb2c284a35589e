"""Block Kit and plain text: every message and view pmtip shows, built from facts passed in."""
