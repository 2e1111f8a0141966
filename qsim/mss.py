"""The city's own way of seeing itself: the indices of Berlin's Monitoring Soziale Stadtentwicklung (MSS).

From any multi-area run (or from a table of z-values), per area and year:

* S1, S3, S4 (shares on 31 December: unemployed heads, households in
  transfer receipt without unemployment, poor children) and their z-values
  across the areas: ``(share - mean) / sd``, mean and sample standard
  deviation over the areas (unweighted, as the MSS does over its planning
  areas);
* the status index: the sum of the three z-values, standardised again
  across the areas; high = low status. Classes: high (index < -1), medium
  (-1 to +1), low (+1 to +1.5), very low (> +1.5);
* the dynamics: the change of each share over two years in percentage
  points (D1, D3, D4), z-standardised, summed and standardised again; high
  = worsening. Classes: positive (< -1), stable (-1 to +1), negative (> +1).
  The base of year ``y`` is December of year ``y - 2``; for year 2 it is
  the first simulated month (23 months); year 1 has no dynamics;
* areas of special attention: status low or very low, or status medium
  with negative dynamics.

The method and its sources: docs/concepts.md, "The city's monitoring (MSS)".
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .errors import QsimError

STATUS_CLASSES = ("high", "medium", "low", "very low")
DYNAMICS_CLASSES = ("positive", "stable", "negative")
SHARES = {"s1": "unemployment_rate", "s3": "transfer_rate", "s4": "child_poverty_rate"}  # MSS code -> indicator


def standardised(values: np.ndarray) -> np.ndarray:
    """z-values across the rows (axis 0): minus the mean, over the sample standard deviation; NaN rows are left
    out of mean and sd (and stay NaN); without variation (sd 0) the z-values are NaN."""
    values = np.asarray(values, float)
    with warnings.catch_warnings():  # an all-NaN column: NaN, said in the docstring
        warnings.simplefilter("ignore", RuntimeWarning)
        sd = np.nanstd(values, axis=0, ddof=1)
        return (values - np.nanmean(values, axis=0)) / np.where(sd > 0, sd, np.nan)


def status_index(z: np.ndarray) -> np.ndarray:
    """The MSS status index of rows of z-values (S1, S3, S4): their sum, standardised; high = low status."""
    return standardised(np.asarray(z, float).sum(axis=1))


def status_classes(index: np.ndarray) -> np.ndarray:
    """MSS status classes: high below -1, medium to +1, low to +1.5, very low above (None where NaN)."""
    index = np.asarray(index, float)
    out = np.select([index < -1.0, index <= 1.0, index <= 1.5], STATUS_CLASSES[:3], STATUS_CLASSES[3]).astype(object)
    out[np.isnan(index)] = None
    return out


def dynamics_classes(index: np.ndarray) -> np.ndarray:
    """MSS dynamics classes: positive below -1, stable to +1, negative above (None where NaN)."""
    index = np.asarray(index, float)
    out = np.select([index < -1.0, index <= 1.0], DYNAMICS_CLASSES[:2], DYNAMICS_CLASSES[2]).astype(object)
    out[np.isnan(index)] = None
    return out


def special_attention(status: np.ndarray, dynamics: np.ndarray) -> np.ndarray:
    """Areas of special attention: status low or very low, or medium with negative dynamics."""
    status = np.asarray(status, object)
    dynamics = np.asarray(dynamics, object)
    return np.isin(status, ["low", "very low"]) | ((status == "medium") & (dynamics == "negative"))


def mss_indices(indicators: pd.DataFrame, year: int | None = None) -> pd.DataFrame:
    """The MSS of one year of a run: one row per area (not the city).

    ``indicators``: monthly indicators of all households (``Result.indicators``: month, year, area and the
    indicator columns). ``year`` (from 1; default the last complete one) is read in December. Columns: area,
    s1, s3, s4 (shares), z_s1, z_s3, z_s4, status_index, status_class, d1, d3, d4 (change over two years,
    percentage points), z_d1, z_d3, z_d4, dynamics_index, dynamics_class, special_attention.
    """
    frame = indicators[indicators["area"] != "all"]
    areas = list(dict.fromkeys(frame["area"]))
    if len(areas) < 3:
        raise QsimError(f"the MSS compares areas with each other: this run has {len(areas)} area(s); it needs at "
                        "least 3 (a city scenario, e.g. scenarios/berlin.toml)")
    complete = int((frame["month"].max() + 1) // 12)
    if year is None:
        year = complete
    if not 1 <= year <= complete:
        raise QsimError(f"no December of year {year} in this run: it has {complete} complete year(s)"
                        + (" (run at least 12 months)" if complete == 0 else f"; give a year from 1 to {complete}"))

    def shares_in(month: int) -> np.ndarray:
        rows = frame[frame["month"] == month].set_index("area").reindex(areas)
        return rows[list(SHARES.values())].to_numpy(float)

    now = shares_in(12 * year - 1)
    out = pd.DataFrame({"area": areas})
    z = standardised(now)
    status = status_index(z)
    for k, code in enumerate(SHARES):
        out[code] = now[:, k]
    for k, code in enumerate(SHARES):
        out[f"z_{code}"] = z[:, k]
    out["status_index"] = status
    out["status_class"] = status_classes(status)
    if year >= 2:
        change = 100.0 * (now - shares_in(12 * (year - 2) - 1 if year > 2 else 0))
        dz = standardised(change)
        dynamics = status_index(dz)
    else:
        change = dz = np.full_like(now, np.nan)
        dynamics = np.full(len(areas), np.nan)
    for k, code in enumerate(SHARES):
        out[f"d{code[1]}"] = change[:, k]
    for k, code in enumerate(SHARES):
        out[f"z_d{code[1]}"] = dz[:, k]
    out["dynamics_index"] = dynamics
    out["dynamics_class"] = dynamics_classes(dynamics)
    out["special_attention"] = special_attention(out["status_class"], out["dynamics_class"])
    out.insert(1, "year", year)
    return out


__all__ = ["DYNAMICS_CLASSES", "STATUS_CLASSES", "dynamics_classes", "mss_indices", "special_attention",
           "standardised", "status_classes", "status_index"]
