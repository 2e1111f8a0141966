"""Whether numba's cache holds this machine's compiled kernels, and the note a cold start prints.

The first run after installing (or updating) qsim compiles every kernel it calls; numba keeps them in its cache
(``NUMBA_CACHE_DIR``, else ``__pycache__`` beside the sources), and later runs load them. A cold cache is
detected cheaply (well under a millisecond): numba's index of a few large kernels exists and matches their
source files. Then :func:`note_if_cold` says on stderr, once per process, that the kernels are compiling and how
long that usually takes.
"""

from __future__ import annotations

import sys

COLD_START_SECONDS = "about 60"
"""How long compiling the kernels of a run takes on 2 free cores (seconds; docs/benchmarks.md, "Start-up")."""

_noted = False


def kernels_cached() -> bool:
    """True if numba's cache holds the largest kernels compiled from their current sources (True if unknown)."""
    from .kernels.indicators import month_indicators
    from .kernels.labour import labour_step
    from .kernels.mobility import mobility_step

    try:  # numba's index of each function's cached versions, {} when missing or made from other sources
        return all(bool(kernel._cache._cache_file._load_index()) for kernel in (mobility_step, labour_step,
                                                                                 month_indicators))
    except Exception:  # noqa: BLE001 - another numba version or no cache: say nothing rather than fail a run
        return True


def note_if_cold() -> bool:
    """If the kernels are not cached, say on stderr (once per process) that they compile now; True if said."""
    global _noted
    if _noted or kernels_cached():
        return False
    _noted = True
    sys.stderr.write(f"qsim: compiling the model's kernels for this machine (once after installing or updating "
                     f"qsim; usually {COLD_START_SECONDS} s on 2 free cores, longer on a busy machine). Later runs "
                     "load them from numba's cache.\n")
    sys.stderr.flush()
    return True
