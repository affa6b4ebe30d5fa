"""Hand freed large buffers back to the operating system at once.

The wall screen's facts are numpy arrays of a million entries (8 MB each), replaced as incidents
change. glibc serves a block that large with its own ``mmap`` and unmaps it when freed, but
after the first such free it raises that threshold (up to 32 MB) and serves later blocks from
the heap, where freed space is kept, fragmented, by each thread's arena: a server's resident
memory then climbs by gigabytes under a live feed. Fixing the threshold at 1 MB keeps every
large array in its own mapping, returned as soon as it is freed (a page fault per 4 KB on
reuse: well under a millisecond per array).

Smaller blocks still come from the heap, and with a fixed threshold glibc no longer adjusts its
trim threshold either: it stays at 128 KB, so the heap's top was handed back and faulted in again
all the time (bench_live: 12–17 % of the host in the kernel). A trim threshold of 128 MB keeps
that churn in user space, for at most that much kept free per arena (a larger top pad did as
well but grew resident memory: the test below).
"""

from __future__ import annotations

import ctypes
import ctypes.util

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # <malloc.h>


def release_large_buffers(*, threshold: int = 1 << 20, trim_threshold: int = 128 << 20) -> bool:
    """Serve allocations of ``threshold`` bytes or more by ``mmap`` from now on in this process,
    and keep up to ``trim_threshold`` free at the heap's top; False where the C library is not
    glibc (nothing changed)."""
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError, TypeError):
        return False
    settings = ((_M_MMAP_THRESHOLD, threshold), (_M_TRIM_THRESHOLD, trim_threshold))
    return all([bool(mallopt(option, value)) for option, value in settings])
