"""Rich displays in Jupyter: compact HTML tables with units, sensible rounding and small inline trend lines.

``Result``, ``Comparison``, ``Scenario``, ``SensitivityResult`` and ``CalibrationResult`` show themselves in a
notebook through ``_repr_html_``, built here from plain data (no matplotlib: a trend line is a tiny inline SVG,
so a display costs milliseconds). Numbers keep three significant digits, amounts in EUR are grouped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence

STYLE = ("<style>.qsim-display table{border-collapse:collapse;font-size:12px}.qsim-display th,.qsim-display td"
         "{padding:2px 8px;text-align:right;border-bottom:1px solid #ddd}.qsim-display th:first-child,"
         ".qsim-display td:first-child{text-align:left}.qsim-display caption{text-align:left;font-weight:600;"
         "padding-bottom:4px}.qsim-display .good{color:#1a7f37}.qsim-display .bad{color:#c62828}</style>")


def number(x: object, digits: int = 3) -> str:
    """``x`` with ``digits`` significant digits (whole numbers of 1,000 and more grouped, no exponent below
    1e9); text as it is; '' for None and NaN."""
    if x is None or isinstance(x, str):
        return "" if x is None else x
    x = float(x)
    if math.isnan(x):
        return ""
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    if abs(x) >= 10 ** (digits - 1):
        return f"{x:,.0f}"
    decimals = digits - 1 - math.floor(math.log10(abs(x)))
    return f"{x:,.{decimals}f}"


def eur(x: float) -> str:
    """An amount in EUR, grouped, no cents."""
    return f"{x:,.0f} EUR"


def sparkline(values: Sequence[float], width: int = 80, height: int = 18) -> str:
    """A small inline SVG line of ``values`` (empty for fewer than two finite values)."""
    points = [(k, float(v)) for k, v in enumerate(values) if v is not None and math.isfinite(float(v))]
    if len(points) < 2:
        return ""
    low, high = min(v for _, v in points), max(v for _, v in points)
    span, last = (high - low) or 1.0, points[-1][0] or 1
    xy = " ".join(f"{1 + k / last * (width - 2):.1f},{height - 1 - (v - low) / span * (height - 2):.1f}"
                  for k, v in points)
    return (f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">'
            f'<polyline fill="none" stroke="#1f77b4" stroke-width="1.4" points="{xy}"/></svg>')


def table(caption: str, header: Sequence[str], rows: Iterable[Sequence[object]], note: str = "") -> str:
    """An HTML table: ``rows`` of cells, each text (escaped), a number (rounded by :func:`number`) or a
    (html, css class) pair taken as it is; ``note`` below it."""
    def cell(value: object) -> str:
        if isinstance(value, tuple):
            markup, css = value
            return f'<td class="{css}">{markup}</td>'
        return f"<td>{html.escape(number(value))}</td>"

    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in rows)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    foot = f'<div style="font-size:11px;color:#555">{html.escape(note)}</div>' if note else ""
    return (f'<div class="qsim-display">{STYLE}<table><caption>{html.escape(caption)}</caption><thead><tr>{head}'
            f"</tr></thead><tbody>{body}</tbody></table>{foot}</div>")


def svg(markup: str) -> tuple[str, str]:
    """A cell holding an inline SVG (from :func:`sparkline`)."""
    return (markup, "")


def signed(value: float, low: float, high: float, better: int) -> tuple[str, str]:
    """A difference with its interval, green when it is clearly better, red when clearly worse."""
    clear = low > 0 or high < 0
    css = "" if not clear or better == 0 else "good" if better * value > 0 else "bad"
    text = f"{number(value)} [{number(low)}; {number(high)}]"
    return (html.escape(text), css)


__all__ = ["eur", "number", "signed", "sparkline", "svg", "table"]
