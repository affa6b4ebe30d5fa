"""Large freed arrays go back to the operating system in a server worker (dashboard/ops/memory.py),
measured in a fresh interpreter: without the setting, glibc keeps them in its heap."""

from __future__ import annotations

import subprocess
import sys

_CHURN = """
import sys
import numpy as np
from dashboard.ops.memory import release_large_buffers
def rss_mb():
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS")).split()[1]) // 1024
if sys.argv[1] == "on":
    assert release_large_buffers()
a = np.ones(1_000_000); del a  # a first 8 MB free: glibc would raise its threshold above it
start, kept = rss_mb(), []
for _ in range(30):  # facts replaced by deltas: large arrays come and go, other blocks stay
    arrays = []
    for _ in range(5):
        arrays.append(np.ones(1_000_000))
        kept.append(np.ones(12_000))  # ~100 KB kept after each: the heap cannot shrink past it
    del arrays
print(rss_mb() - start - sum(k.nbytes for k in kept) // 2**20)
"""


def _growth(setting: str) -> int:
    run = subprocess.run([sys.executable, "-c", _CHURN, setting], capture_output=True, text=True, check=True)
    return int(run.stdout)


def test_freed_large_arrays_leave_resident_memory():
    assert _growth("on") <= 4  # beyond the blocks kept: nothing
    assert _growth("off") >= 30  # glibc's default keeps the freed arrays (what the setting prevents)
