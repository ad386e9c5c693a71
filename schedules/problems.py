"""Located validation problems: what is wrong, where (file, line, column, field path) and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass, field

Path = tuple[str | int, ...]


def dotted(path: Path) -> str:
    """Render a field path the way users read it: segments[2].end."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(file)"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a schedule file."""

    line: int
    column: int
    path: Path = field(compare=False)
    message: str = field(compare=False)
    fix: str = field(default="", compare=False)
    file: str = field(default="", compare=False)

    def render(self) -> str:
        """One line: file:line:col: field: message. Fix: hint."""
        text = f"{self.file}:{self.line}:{self.column}: {dotted(self.path)}: {self.message}"
        return f"{text}. Fix: {self.fix}" if self.fix else text


class ScheduleError(Exception):
    """A schedule file that cannot be used; carries every problem found, not just the first."""

    def __init__(self, file: str, problems: list[Problem]):
        self.file = file
        self.problems = sorted(problems)
        super().__init__(self.render())

    def render(self) -> str:
        """All problems, one per line, with a count."""
        lines = [p.render() for p in self.problems]
        noun = "problem" if len(lines) == 1 else "problems"
        return "\n".join([*lines, f"{self.file}: {len(lines)} {noun}"])
