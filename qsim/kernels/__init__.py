"""Numba kernels, one module per process; pure functions over arrays and parameters."""
