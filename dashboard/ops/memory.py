"""Hand freed large buffers back to the operating system at once.

The wall screen's facts are numpy arrays of a million entries (8 MB each), replaced as incidents
change. glibc serves a block that large with its own ``mmap`` and unmaps it when freed, but
after the first such free it raises that threshold (up to 32 MB) and serves later blocks from
the heap, where freed space is kept, fragmented, by each thread's arena: a server's resident
memory then climbs by gigabytes under a live feed. Fixing the threshold at 1 MB keeps every
large array in its own mapping, returned as soon as it is freed (a page fault per 4 KB on
reuse: well under a millisecond per array).
"""

from __future__ import annotations

import ctypes
import ctypes.util

_M_MMAP_THRESHOLD = -3  # <malloc.h>


def release_large_buffers(*, threshold: int = 1 << 20) -> bool:
    """Serve allocations of ``threshold`` bytes or more by ``mmap`` from now on in this process;
    False where the C library is not glibc (nothing changed)."""
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError, TypeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, threshold))
