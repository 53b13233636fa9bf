"""glibc malloc tuning for the processes corpuscope owns: the CLI, local pool workers and Ray workers.

A scan allocates and frees numpy arrays of up to a few MiB per block of text. glibc serves large ones
with ``mmap`` and gives them back on ``free`` until its dynamic threshold has grown, and trims the heap
top, so a fresh process faults the same pages in again and again (49-59k minor faults per 104 MB
contamination scan). A fixed mmap threshold of 32 MiB and a trim threshold of 64 MiB keep such arrays
on the heap: 22-26k faults, and 0-10% more MB/s in a fresh process (benchmarks/RESULTS.md, issue 18,
sessions 9 and 11).

It is a process-wide setting, so it is applied only where corpuscope owns the process, never on import
or from a library call made in a user's own process. ``CORPUSCOPE_MALLOC_TUNING=0`` turns it off.
"""

from __future__ import annotations

import os
import sys

ENV = "CORPUSCOPE_MALLOC_TUNING"
# glibc's <malloc.h> parameter numbers.
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 64 << 20

_applied = False


def enabled() -> bool:
    """False when ``$CORPUSCOPE_MALLOC_TUNING`` turns the tuning off (``0``, ``false``, ``no``, ``off``)."""
    return os.environ.get(ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def tune_allocator() -> bool:
    """Set glibc's mmap and trim thresholds for this process; True if they are set (now or before).

    A no-op returning False when opted out, off Linux, on another C library (musl) or if ``mallopt``
    refuses; never raises. Call it only in a process corpuscope owns.
    """
    global _applied
    if _applied:
        return True
    if not enabled() or not sys.platform.startswith("linux"):
        return False
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return False
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
        mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
        mallopt.restype = ctypes.c_int
        # The mmap threshold first: setting the trim threshold alone also freezes glibc's dynamic mmap
        # threshold at its 128 KiB start (measured: 420k faults instead of 56k).
        _applied = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    except (OSError, ValueError, AttributeError, TypeError):
        return False
    return _applied


def applied() -> bool:
    """Whether ``tune_allocator`` has set the thresholds in this process."""
    return _applied
