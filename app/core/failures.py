"""How a command fails: a distinct exit status (`ExitCode`) and a `Failure` carrying one line that
says what is wrong and how to fix it. Here, not in the CLI, because parts below the CLI end a
process with them too (the cluster lease's LEASE_LOST, the rehearsal); the CLI prints them
(`app/cli/failures.py`). The exit statuses are listed in README "Exit codes".
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Every exit status a command uses (README "Exit codes")."""

    OK = 0
    FAILED = 1  # the command ran and reports a failure (undelivered messages, unknown token id)
    INVALID = 2  # an invalid schedule file or command line
    NO_FILE = 3  # a file is missing or unreadable
    SETTINGS = 4  # a setting is invalid or a placeholder
    DATABASE = 5  # the database cannot be reached or migrated
    PORT = 6  # the port is in use or cannot be listened on
    TARGETS = 7  # a schedule's target variables are not set
    UNREACHABLE = 8  # (remote CLI) the server cannot be reached
    AUTH = 9  # (remote CLI) 401/403: token missing, unknown or too small a role
    NOT_FOUND = 10  # (remote CLI) 404: no such event, segment, timer, delivery
    CONFLICT = 11  # (remote CLI) 409: the action does not fit the event's state
    REFUSED = 12  # (remote CLI) any other error answer (422 invalid request, 5xx)
    ALREADY_RUNNING = 13  # another `serve` holds this database
    LEASE_LOST = 14  # (serve, PostgreSQL) the dispatcher lost its lease connection (app/cluster/lease.py)


class Failure(Exception):
    """A failure a person can fix: printed as one line on stderr, exits with `code`."""

    def __init__(self, message: str, code: ExitCode):
        super().__init__(message)
        self.message, self.exit_code = message, int(code)
