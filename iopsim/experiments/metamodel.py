"""Metamodels of a sweep: a KPI as a smooth function of the parameters, with honest intervals.

Two models are fitted to the point means (see metamodel_data for the noise they carry):
- a polynomial with interactions (degree 2 by default), by least squares: terms a reader can
  interpret, intervals from the linear-model formulas (Student t on the residual variance);
- a Gaussian-process emulator (scikit-learn; Matern 5/2 or RBF with one length scale per parameter,
  plus a linear trend (DotProduct), plus a WhiteKernel): each point mean's own noise is given as
  known (`alpha`), the WhiteKernel learns what is left (noise the replications did not show). The
  trend keeps the emulator from sagging towards the mean between a grid's few levels (with a
  constant mean only, a linear KPI over 3 levels was predicted 3-5% off midway between them).

Inputs are scaled to 0..1 over the sweep's range (the polynomial's coefficients are per unit of
that scale, so their sizes compare across parameters). Every interval of an expected KPI adds the
shared CRN variance of the level (`SweepData.level_variance`). Accuracy is cross-validated by
point: folds of whole points (leave-one-out up to 10 points), each model refitted without them
(the emulator keeps the hyperparameters of its fit to every point),
scored on R^2 and RMSE of the held-out point means and on how many of those means fall inside
their 95% intervals (the interval of a new point mean: the model's uncertainty plus that mean's
own noise; the shared CRN part is common to the held-out and fitted points, so it is left out).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .metamodel_data import SweepData

MAX_GP_POINTS = 3000
"""Above this many points a Gaussian process (cubic in the points) is skipped; the polynomial is fitted."""
CV_FOLDS = 10
KERNELS = ("matern", "rbf")


class MetamodelError(Exception):
    """A model cannot be fitted to these data (too few points for its terms, ...)."""


@dataclass
class Prediction:
    mean: np.ndarray
    variance: np.ndarray  # of the expected KPI (the surface), shared CRN level included
    quantile: float  # 97.5% quantile for the 95% interval (Student t for the polynomial, normal for the GP)

    @property
    def low(self) -> np.ndarray:
        return self.mean - self.quantile * np.sqrt(self.variance)

    @property
    def high(self) -> np.ndarray:
        return self.mean + self.quantile * np.sqrt(self.variance)


class PolynomialModel:
    name = "polynomial"

    def __init__(self, degree: int = 2):
        self.degree = degree

    def fit(self, z: np.ndarray, y: np.ndarray, noise: np.ndarray, names: list[str]) -> PolynomialModel:
        from scipy import stats
        from sklearn.preprocessing import PolynomialFeatures

        self.features = PolynomialFeatures(self.degree)
        design = self.features.fit_transform(z)
        n, p = design.shape
        if n <= p:
            raise MetamodelError(f"a degree-{self.degree} polynomial in {z.shape[1]} parameters has {p} terms and "
                                 f"needs more than {p} points (got {n}); lower --degree or add points")
        self.beta, *_ = np.linalg.lstsq(design, y, rcond=None)
        residuals = y - design @ self.beta
        self.df = n - p
        self.s2 = float(residuals @ residuals) / self.df
        self.inverse = np.linalg.pinv(design.T @ design)
        self.quantile = float(stats.t.ppf(0.975, self.df))
        self.terms = [t.replace(" ", " * ") for t in self.features.get_feature_names_out(names)]
        self.fit_r2 = _r2(y, design @ self.beta)
        return self

    def _leverage(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        design = self.features.transform(z)
        return design @ self.beta, np.einsum("ij,jk,ik->i", design, self.inverse, design)

    def predict(self, z: np.ndarray, level_variance: float = 0.0) -> Prediction:
        mean, h = self._leverage(z)
        return Prediction(mean, self.s2 * h + level_variance, self.quantile)

    def held_out(self, z: np.ndarray, noise: np.ndarray) -> Prediction:
        """Interval of new point means: the residual variance already holds a mean's noise."""
        mean, h = self._leverage(z)
        return Prediction(mean, self.s2 * (1 + h), self.quantile)

    def coefficients(self) -> list[dict]:
        se = np.sqrt(np.maximum(np.diag(self.inverse) * self.s2, 0))
        return [{"term": t, "coef": float(b), "ci95_low": float(b - self.quantile * s),
                 "ci95_high": float(b + self.quantile * s)} for t, b, s in zip(self.terms, self.beta, se, strict=True)]

    def describe(self) -> dict:
        return {"degree": self.degree, "terms": len(self.terms), "residual_sd": math.sqrt(self.s2),
                "residual_df": self.df, "fit_r2": self.fit_r2}


class GaussianProcessModel:
    name = "gaussian_process"

    def __init__(self, kernel: str = "matern", seed: int = 0, start=None):
        if kernel not in KERNELS:
            raise MetamodelError(f"unknown kernel {kernel!r}; choose one of {', '.join(KERNELS)}")
        self.kernel = kernel
        self.seed = seed
        self.start = start  # a fitted kernel to keep (cross-validation folds): no optimisation

    def refit(self) -> GaussianProcessModel:
        """A fresh model with this one's fitted hyperparameters, for cross-validation folds: each fold
        conditions on its own points but keeps the kernel (as kriging leave-one-out does), which costs
        one Cholesky factorisation per fold instead of an optimisation."""
        return GaussianProcessModel(self.kernel, self.seed, self.gp.kernel_)

    def fit(self, z: np.ndarray, y: np.ndarray, noise: np.ndarray, names: list[str]) -> GaussianProcessModel:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import RBF, ConstantKernel, DotProduct, Matern, WhiteKernel

        if len(y) > MAX_GP_POINTS:
            raise MetamodelError(f"{len(y)} points is more than a Gaussian process fits in reasonable time "
                                 f"({MAX_GP_POINTS}); the polynomial is fitted")
        self.offset = float(np.mean(y))
        self.scale = float(np.std(y)) or 1.0
        d = z.shape[1]
        shape = (Matern(np.ones(d), (1e-2, 1e2), nu=2.5) if self.kernel == "matern"
                 else RBF(np.ones(d), (1e-2, 1e2)))
        trend = ConstantKernel(1.0, (1e-3, 1e3)) * DotProduct(1.0, (1e-2, 1e2))
        kernel = ConstantKernel(1.0, (1e-3, 1e3)) * shape + trend + WhiteKernel(1e-2, (1e-8, 1e1))
        known = np.where(np.isfinite(noise), noise, 0.0) / self.scale**2
        self.gp = GaussianProcessRegressor(self.start or kernel, alpha=known + 1e-10, n_restarts_optimizer=2,
                                           optimizer=None if self.start else "fmin_l_bfgs_b", random_state=self.seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.gp.fit(z, (y - self.offset) / self.scale)
        self.white = float(self.gp.kernel_.k2.noise_level)
        self.names = names
        self.fit_r2 = _r2(y, self.gp.predict(z) * self.scale + self.offset)
        return self

    def _latent(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean, sd = self.gp.predict(z, return_std=True)  # sd includes the WhiteKernel's noise
        latent = np.maximum(sd**2 - self.white, 0.0) * self.scale**2
        return mean * self.scale + self.offset, latent

    def predict(self, z: np.ndarray, level_variance: float = 0.0) -> Prediction:
        mean, latent = self._latent(z)
        return Prediction(mean, latent + level_variance, 1.959963984540054)

    def held_out(self, z: np.ndarray, noise: np.ndarray) -> Prediction:
        mean, latent = self._latent(z)
        own = np.where(np.isfinite(noise), noise, 0.0)
        return Prediction(mean, latent + self.white * self.scale**2 + own, 1.959963984540054)

    def describe(self) -> dict:
        k = self.gp.kernel_
        smooth = k.k1.k1  # (constant * Matern/RBF) + linear trend, + white noise
        scales = np.atleast_1d(smooth.k2.length_scale)
        return {"kernel": str(k), "length_scales": dict(zip(self.names, map(float, scales), strict=True)),
                "signal_sd": math.sqrt(float(smooth.k1.constant_value)) * self.scale,
                "extra_noise_sd": math.sqrt(self.white) * self.scale, "fit_r2": self.fit_r2}


def _r2(y: np.ndarray, fitted: np.ndarray) -> float:
    total = float(np.sum((y - y.mean()) ** 2))
    return 1.0 - float(np.sum((y - fitted) ** 2)) / total if total > 0 else math.nan


def scaled(data: SweepData, x: np.ndarray) -> np.ndarray:
    """Parameters on 0..1 over the sweep's range (beyond it outside 0..1)."""
    return (np.asarray(x, dtype=float) - data.low) / (data.high - data.low)


Model = PolynomialModel | GaussianProcessModel


def fit(model: Model, data: SweepData) -> Model:
    return model.fit(scaled(data, data.x), data.y, data.noise_variance, data.names)


@dataclass
class CrossValidation:
    folds: int
    mean: np.ndarray  # held-out prediction of each point mean, in the sweep's order
    low: np.ndarray  # its 95% interval
    high: np.ndarray
    r2: float
    rmse: float
    coverage95: float

    def summary(self) -> dict:
        return {"folds": self.folds, "r2": self.r2, "rmse": self.rmse, "coverage95": self.coverage95}


def cross_validate(make: Callable[[], Model], data: SweepData, seed: int = 0) -> CrossValidation:
    """Refit without each fold of whole points and predict them; `make()` builds a fresh model."""
    from sklearn.model_selection import KFold

    n = len(data.y)
    folds = min(CV_FOLDS, n)
    z = scaled(data, data.x)
    mean, low, high = np.empty(n), np.empty(n), np.empty(n)
    splits = KFold(folds, shuffle=folds < n, random_state=seed if folds < n else None).split(z)
    for train, test in splits:
        model = make()
        model.fit(z[train], data.y[train], data.noise_variance[train], data.names)
        p = model.held_out(z[test], data.noise_variance[test])
        mean[test], low[test], high[test] = p.mean, p.low, p.high
    inside = (data.y >= low) & (data.y <= high)
    rmse = math.sqrt(float(np.mean((data.y - mean) ** 2)))
    return CrossValidation(folds, mean, low, high, _r2(data.y, mean), rmse, float(np.mean(inside)))


def profile(model: Model, data: SweepData, j: int, steps: int = 41) -> tuple[np.ndarray, Prediction]:
    """The KPI along parameter j over the sweep's range, every other parameter at its middle value."""
    grid = np.linspace(data.low[j], data.high[j], steps)
    x = np.tile((data.low + data.high) / 2, (steps, 1))
    x[:, j] = grid
    return grid, model.predict(scaled(data, x), data.level_variance)
