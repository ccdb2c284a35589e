"""Bolt listeners: parse what Slack sent, call the core, reply. Nothing else."""
