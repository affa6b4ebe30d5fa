"""Lint, format and types are part of the suite: ruff over all code, mypy over the packages."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ["gridgov", "geo", "ingest", "layers", "dashboard", "tests", "bench"]


def _ruff(*args):
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, *TARGETS], cwd=ROOT, capture_output=True, text=True
    )


def test_ruff_lint_is_clean():
    result = _ruff("check", "--no-cache")
    assert result.returncode == 0, result.stdout


def test_ruff_format_is_clean():
    result = _ruff("format", "--check", "--no-cache")
    assert result.returncode == 0, result.stdout


def test_mypy_is_clean():
    """Type checks over every package (configuration in pyproject.toml)."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", "/dev/null"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


def test_the_pages_hold_no_sql():
    """The dashboard's pages ask layers/ for what they show; SQL stays there (and in the server's
    own parts: the intake API, sign-in and operations)."""
    own = ("api", "auth", "ops")
    pages = [
        p for p in (ROOT / "dashboard").rglob("*.py") if p.relative_to(ROOT / "dashboard").parts[0] not in own
    ]
    assert len(pages) > 20
    found = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in pages
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if any(
            word in line
            for word in ("sa.text(", "exec_driver_sql(", "SELECT ", "INSERT ", "UPDATE ", "DELETE ")
        )
    ]
    assert found == []
