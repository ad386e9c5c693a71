"""Read models: plain-data views of a schedule, its timeline and an event's live state, shared by
the CLI, the REST API, the console and the reports. They read; they never write.
"""
