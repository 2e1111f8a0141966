"""Validation: the model's pattern checks against docs/sources.md and the literature (``qsim validation``).

>>> from qsim.validation import validate
>>> rows = validate("experiments/validation.toml", quick=True)     # doctest: +SKIP
>>> [(r.pattern, r.value, r.passed) for r in rows]                  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

from .patterns import CHECKS, Check, Context, Row
from .settings import Settings, Sizes, ValidationFileError, read_settings


def context(path: str | Path, quick: bool = False) -> Context:
    """The context of a validation file: its [full] or [quick] sizes, its seed and its scenarios folder."""
    settings, folder = read_settings(path)
    return Context(settings.quick if quick else settings.full, settings.seed, folder)


def run_checks(ctx: Context, checks: Iterable[Check] = CHECKS,
               progress: Callable[[Row], None] | None = None) -> list[Row]:
    """Run ``checks`` in ``ctx``; ``progress`` is called with each row as it is ready."""
    rows = []
    for check in checks:
        row = check(ctx)
        rows.append(row)
        if progress is not None:
            progress(row)
    return rows


def validate(path: str | Path, quick: bool = False) -> list[Row]:
    """Every pattern check of a validation file (experiments/validation.toml), one row each."""
    return run_checks(context(path, quick))


__all__ = ["CHECKS", "Check", "Context", "Row", "Settings", "Sizes", "ValidationFileError", "context", "read_settings",
           "run_checks", "validate"]
