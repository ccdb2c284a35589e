"""pmtip: strategy nudges for product managers, in Slack."""

__version__ = "0.1.0"
