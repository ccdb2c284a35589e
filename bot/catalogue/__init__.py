"""The live catalogue: the tips file loaded and swapped in whole (source), polled for
edits (reloader), and the admins told about an edit that was refused (notices)."""
