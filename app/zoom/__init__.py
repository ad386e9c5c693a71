"""Zoom set-up for schedules: mapping onto Zoom's shapes, the journal in the database, the service."""
