"""Attendance: Zoom webhooks in (durable inbox), intervals, readiness alerts, reports out."""
