"""Numba kernels, one module per process; pure functions over arrays and parameters."""

from . import indexing  # noqa: F401  (first: qsim's array indexing is in place before any kernel compiles)
