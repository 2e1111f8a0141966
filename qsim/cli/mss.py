"""`qsim mss`: the city's monitoring (MSS indices) of a run's results."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..atomic import atomic_write
from .common import SetupError, positive_int

EPILOG_MSS = """example:
  qsim run scenarios/berlin.toml --years 4 --out out/berlin
  qsim mss out/berlin --year 4 --out out/berlin/mss_year4.csv

Prints the status and dynamics classes and the areas of special attention
of one year (December), as Berlin's Monitoring Soziale Stadtentwicklung
computes them (method: docs/concepts.md), and writes the whole table (one
row per area) as CSV.
"""


def _mss(args) -> int:
    import pandas as pd

    from ..mss import mss_indices

    folder = Path(args.results)
    path = folder / "indicators.parquet"
    if not path.is_file():
        raise SetupError(f"{folder}: no indicators.parquet; expected the --out folder of `qsim run` with a "
                         "multi-area scenario (e.g. scenarios/berlin.toml)")
    indicators = pd.read_parquet(path)
    if "group" in indicators:
        indicators = indicators[indicators["group"] == "all"]
    table = mss_indices(indicators, args.year)
    out = Path(args.out) if args.out else folder / f"mss_year{int(table['year'].iloc[0])}.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, lambda tmp: table.to_csv(tmp, index=False))
    year = int(table["year"].iloc[0])
    print(f"MSS of year {year}: {len(table)} areas")
    print("status:   " + ", ".join(f"{c} {n}" for c, n in table["status_class"].value_counts().items()))
    if table["dynamics_class"].notna().any():
        print("dynamics: " + ", ".join(f"{c} {n}" for c, n in table["dynamics_class"].value_counts().items()))
    else:
        print("dynamics: none in year 1 (the change over two years needs year 2 or later)")
    attention = table.loc[table["special_attention"], "area"].tolist()
    print(f"areas of special attention: {len(attention)}" + (": " + ", ".join(attention[:15]) +
                                                             (", ..." if len(attention) > 15 else "")
                                                             if attention else ""))
    print(f"wrote {out}")
    return 0


def register(sub) -> None:
    """Add this module's command(s) to the `qsim` parser."""
    p = sub.add_parser("mss", help="the city's monitoring (MSS status and dynamics indices) of a run's results",
                       epilog=EPILOG_MSS, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", metavar="RESULTS", help="the --out folder of `qsim run` (holding indicators.parquet)")
    p.add_argument("--year", type=positive_int, default=None, help="year (from 1; default the last complete one)")
    p.add_argument("--out", default=None, metavar="FILE", help="CSV to write (default RESULTS/mss_yearY.csv)")
    p.set_defaults(func=_mss)
