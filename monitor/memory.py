"""Keep a threaded process's memory from fragmenting (glibc malloc tuning).

glibc gives each thread that allocates concurrently its own heap ("arena"), up to eight per
core, and large blocks freed in one arena are rarely returned to the system. A fetch stage with
dozens of threads parsing feeds would grow its resident memory far beyond what it holds. Two
arenas, and blocks over 1 MiB always mapped (so freeing them returns the memory), keep it close
to what is in use. This is what ``MALLOC_ARENA_MAX=2`` does, set from inside the process.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8


def limit_malloc_arenas(arenas: int = 2, mmap_threshold: int = 1 << 20) -> bool:
    """Apply the tuning; False where the C library is not glibc (nothing to do there)."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    done = bool(mallopt(_M_ARENA_MAX, arenas)) and bool(mallopt(_M_MMAP_THRESHOLD, mmap_threshold))
    if not done:
        log.debug("mallopt refused the arena settings")
    return done
