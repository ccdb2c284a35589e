"""The functional core: plain Python, no Slack, database or clock imports."""
