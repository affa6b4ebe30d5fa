"""The `gridgov` command run as a user runs it (a process of its own), and what a one-line
user error looks like."""

import os
import subprocess
import sys


def gridgov(*args, env=None, timeout=120):
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "gridgov", *args],
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        timeout=timeout,
    )


def assert_one_line_error(result, *needles):
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gridgov: ")
    for needle in needles:
        assert needle in lines[0]
