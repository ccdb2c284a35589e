"""What each `/pmtip` command does: one handler per command type, each given only
what it uses (by bot.wiring) and returning the message for the person who typed it.
Lookups answer inside the acknowledgement; the others run after it."""
