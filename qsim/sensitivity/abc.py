"""Approximate Bayesian computation: rejection with local-linear regression adjustment (Beaumont et al. 2002).

Pure array functions, independent of the simulator: given parameter values
drawn from a uniform prior, the summary statistics each produced, the
observed (target) statistics and their scales, :func:`abc_posterior`
returns a weighted sample of the approximate posterior.

1. Distance of every draw: the Euclidean norm of (statistics - targets) / scale.
   With ``perturbation`` (noisy ABC), each draw is compared with the targets
   plus its own perturbation: a draw of the targets' error that the
   simulated statistics do not already carry (Wilkinson 2013), so that the
   posterior is that of targets observed with that error.
2. Rejection: the ``accepted`` draws nearest to the targets are kept, with
   Epanechnikov weights 1 - (d / delta)^2, delta just beyond the farthest
   accepted distance.
3. Regression adjustment: on the accepted draws, the parameters (on the logit
   scale of their prior bounds, so that adjusted values stay inside them) are
   regressed on the standardised discrepancies by weighted least squares; each
   draw is moved along the fitted slope to where its statistics would equal
   the targets: theta* = theta - beta (s - t).

References: Beaumont, Zhang & Balding (2002), Genetics 162:2025-2035;
Wilkinson (2013), Stat. Appl. Genet. Mol. Biol. 12:129-141 (ABC under model error);
Csillery, Blum, Gaggiotti & Francois (2010), Trends Ecol. Evol. 25:410-418.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EDGE = 1e-9
"""Unit-interval values are kept this far from 0 and 1 before the logit."""


@dataclass(frozen=True)
class AbcPosterior:
    """A weighted posterior sample.

    ``index``: rows of the input draws that were accepted (nearest first); ``distance``: their distances;
    ``weight``: kernel weights (sum 1); ``adjusted``: regression-adjusted parameter values (accepted x
    parameters); ``slope``: the regression slopes on the logit scale (statistics x parameters); ``delta``:
    the kernel bandwidth; ``distances``: the distance of every draw.
    """

    index: np.ndarray
    distance: np.ndarray
    weight: np.ndarray
    adjusted: np.ndarray
    slope: np.ndarray
    delta: float
    distances: np.ndarray

    @property
    def effective_size(self) -> float:
        """Kish's effective sample size of the weights, (sum w)^2 / sum w^2."""
        return float(1.0 / np.sum(self.weight ** 2))


def _logit(unit: np.ndarray) -> np.ndarray:
    unit = np.clip(unit, EDGE, 1.0 - EDGE)
    return np.log(unit) - np.log1p(-unit)


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def distances(stats: np.ndarray, target: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Euclidean distance of every row of ``stats`` (draws x statistics) to ``target``, per unit of ``scale``."""
    return np.sqrt(np.sum(((stats - target) / scale) ** 2, axis=1))


def abc_posterior(theta: np.ndarray, stats: np.ndarray, target: np.ndarray, scale: np.ndarray,
                  low: np.ndarray, high: np.ndarray, accepted: int, adjust: bool = True,
                  perturbation: np.ndarray | None = None) -> AbcPosterior:
    """Rejection ABC with (optional) local-linear regression adjustment; see the module docstring.

    ``theta``: draws x parameters, inside ``low``..``high``; ``stats``: draws x statistics (finite);
    ``target``, ``scale``: per statistic; ``accepted``: draws kept, more than statistics + 1 when adjusting;
    ``perturbation``: draws x statistics added to the target draw by draw (noisy ABC), or None.
    Ties in distance are broken by draw order, so the result is deterministic.
    """
    theta, stats = np.asarray(theta, float), np.asarray(stats, float)
    if perturbation is not None:
        stats = stats - np.asarray(perturbation, float)  # s - (t + e) = (s - e) - t
    n, k = stats.shape
    if not 1 <= accepted <= n:
        raise ValueError(f"accepted must lie in 1..{n}, got {accepted}")
    if adjust and accepted < k + 2:
        raise ValueError(f"the regression adjustment needs more accepted draws ({accepted}) than statistics + 1 "
                         f"({k + 1})")
    d = distances(stats, target, scale)
    order = np.argsort(d, kind="stable")
    index = order[:accepted]
    beyond = d[order[accepted]] if accepted < n else d[index[-1]] * 1.000001
    delta = float(max(beyond, d[index[-1]] * 1.000001, 1e-300))
    w = 1.0 - (d[index] / delta) ** 2
    w = w / w.sum()
    width = high - low
    y = _logit((theta[index] - low) / width)
    slope = np.zeros((k, theta.shape[1]))
    if adjust:
        x = (stats[index] - target) / scale
        design = np.column_stack([np.ones(accepted), x])
        root = np.sqrt(w)[:, None]
        coef, *_ = np.linalg.lstsq(design * root, y * root, rcond=None)
        slope = coef[1:]
        y = y - x @ slope
    adjusted = low + width * _expit(y)
    return AbcPosterior(index, d[index], w, adjusted, slope, delta, d)


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float | np.ndarray) -> np.ndarray:
    """Quantile(s) ``q`` of ``values`` under ``weights`` (interpolated between the weighted mid-points)."""
    order = np.argsort(values, kind="stable")
    v, w = np.asarray(values, float)[order], np.asarray(weights, float)[order]
    cum = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(q, cum, v)
