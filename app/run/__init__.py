"""The run service: every host action on a live event, its rules, undo and idempotent retries."""
