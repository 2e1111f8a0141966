"""Progress bars (tqdm) that say what is slow: the first month of a run compiles numba's kernels on first use."""

from __future__ import annotations

from collections.abc import Iterator

COMPILE_NOTE = "month 1 compiles the numba kernels on first use (about a minute; cached afterwards)"


def months(name: str, count: int) -> Iterator[int]:
    """0 .. ``count`` - 1 under a progress bar named ``name`` that notes the compiling until the first month is done
    (tqdm.auto: a widget in Jupyter, text in a terminal)."""
    from tqdm.auto import tqdm

    with tqdm(total=count, desc=name, unit="month") as bar:
        bar.set_postfix_str(COMPILE_NOTE, refresh=True)
        for month in range(count):
            yield month
            if month == 0:
                bar.set_postfix_str("", refresh=False)
            bar.update()


__all__ = ["COMPILE_NOTE", "months"]
