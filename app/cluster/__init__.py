"""Several `showcaller serve` instances on one PostgreSQL database: the dispatcher lease, writes
serialised across instances, and change notifications (see docs/reliability.md, "Several instances")."""
