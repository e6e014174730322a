"""How sure a prediction is: a prediction interval by split conformal prediction, and the
probability of scoring below the at-risk score, both from the residuals of students the model
did not train on.

The hold-out split (ml.evaluate) is left as it is. Its training part is split again, seeded:
CALIBRATION_SIZE of it calibrates, the rest (the proper-training part) fits a clone of each
candidate. On the calibration students the residuals r = actual − predicted give

- the interval's half-width q = sorted(|r|)[k − 1], k = ceil((n + 1) × confidence), the
  confidence being `vars.ml_interval_confidence` (0.9): a new student's score lies within the
  prediction ± q with at least that probability (split conformal prediction; the same q as
  MAPIE's split method, with no dependency). Bounds are clipped to the score's range as the
  prediction is;
- the probability of scoring below `vars.ml_at_risk_below_score`: the share of calibration
  residuals r with prediction + r below it (the empirical predictive distribution).

Both are measured on the hold-out students, used neither for fitting nor for calibrating
(`interval_coverage`, `interval_mean_width`, `brier_score` beside the base rate's
`brier_score_base_rate`). The champion's calibration (its q, its residuals, and what its reasons
need: ml.reasons) travels with the registered model as `calibration.json`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from ml.features import score_range
from ml.models import RANDOM_STATE, predict_scores
from ml.reasons import Factor, model_factors, reference_values, scaled_averages

# The share of the hold-out split's training part kept aside to calibrate (seeded).
CALIBRATION_SIZE = 0.25


class CalibrationError(ValueError):
    """A calibration.json that is not one (the message says what is wrong)."""


@dataclass(frozen=True)
class Calibration:
    """What the champion's interval, probability and reasons need, fixed when it is trained."""

    confidence: float  # vars.ml_interval_confidence when trained
    quantile: float  # q, the interval's half-width in points
    residuals: tuple[float, ...]  # signed calibration residuals, actual − predicted
    at_risk_below_score: float  # vars.ml_at_risk_below_score when trained
    at_risk_probability_cutoff: float  # vars.ml_at_risk_probability_cutoff when trained
    average_prediction: float  # the champion's mean prediction over its training students
    reference: dict[str, float]  # the average student, per feature column (ml.reasons)
    scaled_average: dict[str, float]  # per prepared column (ml.reasons, linear champions)
    factors: tuple[Factor, ...]  # the factors behind the features, with their labels

    def to_json(self) -> str:
        data = {
            **self.__dict__,
            "residuals": list(self.residuals),
            "factors": [factor.as_dict() for factor in self.factors],
        }
        return json.dumps(data, indent=1, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Calibration:
        try:
            data = json.loads(text)
            return cls(
                confidence=float(data["confidence"]),
                quantile=float(data["quantile"]),
                residuals=tuple(float(value) for value in data["residuals"]),
                at_risk_below_score=float(data["at_risk_below_score"]),
                at_risk_probability_cutoff=float(data["at_risk_probability_cutoff"]),
                average_prediction=float(data["average_prediction"]),
                reference={str(k): float(v) for k, v in data["reference"].items()},
                scaled_average={str(k): float(v) for k, v in data["scaled_average"].items()},
                factors=tuple(Factor.from_dict(factor) for factor in data["factors"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise CalibrationError(f"not a calibration ({type(error).__name__}: {error})") from None


@dataclass(frozen=True)
class Settings:
    """The vars the interval and the probability follow (dbt_project.yml)."""

    confidence: float
    at_risk_below_score: float
    at_risk_probability_cutoff: float

    @classmethod
    def from_vars(cls) -> Settings:
        from spf.definitions import var

        return cls(
            confidence=float(var("ml_interval_confidence")),
            at_risk_below_score=float(var("ml_at_risk_below_score")),
            at_risk_probability_cutoff=float(var("ml_at_risk_probability_cutoff")),
        )


def conformal_quantile(residuals: Sequence[float], confidence: float) -> float:
    """q = sorted(|r|)[k − 1] with k = ceil((n + 1) × confidence); infinite when k > n (too
    few calibration students for that confidence: the interval is then the whole range)."""
    absolute = np.sort(np.abs(np.asarray(residuals, dtype="float64")))
    k = math.ceil((len(absolute) + 1) * confidence)
    return float(absolute[k - 1]) if 1 <= k <= len(absolute) else math.inf


def bounds(predicted: np.ndarray, quantile: float) -> tuple[np.ndarray, np.ndarray]:
    """The interval prediction ± q, clipped to the score's range like the prediction."""
    low, high = score_range()
    return np.clip(predicted - quantile, low, high), np.clip(predicted + quantile, low, high)


def probability_below(
    predicted: np.ndarray, residuals: Sequence[float], threshold: float
) -> np.ndarray:
    """Per prediction, the share of residuals r with prediction + r < threshold."""
    ordered = np.sort(np.asarray(residuals, dtype="float64"))
    if not len(ordered):
        return np.full(len(predicted), np.nan)
    below = np.searchsorted(ordered, threshold - np.asarray(predicted, dtype="float64"), "left")
    return below / len(ordered)


def is_at_risk(probability: np.ndarray, cutoff: float) -> np.ndarray:
    """Predicted at risk: the probability of scoring below the at-risk score is at least
    `cutoff` (vars.ml_at_risk_probability_cutoff)."""
    return np.asarray(probability) >= cutoff


def brier_score(probability: np.ndarray, happened: np.ndarray) -> float:
    """Mean squared difference between a probability and what happened (1 or 0)."""
    return float(np.mean((np.asarray(probability) - np.asarray(happened, dtype="float64")) ** 2))


def calibration_residuals(
    pipeline: Pipeline, x_train: pd.DataFrame, y_train: pd.Series
) -> tuple[Pipeline, np.ndarray]:
    """A clone of `pipeline` fitted on the proper-training part of the training rows, and its
    residuals (actual − predicted, predictions clipped) on the calibration part."""
    x_proper, x_calibrate, y_proper, y_calibrate = train_test_split(
        x_train, y_train, test_size=CALIBRATION_SIZE, random_state=RANDOM_STATE
    )
    fitted = clone(pipeline).fit(x_proper, y_proper)
    return fitted, y_calibrate.to_numpy(dtype="float64") - predict_scores(fitted, x_calibrate)


def holdout_figures(
    fitted: Pipeline,
    residuals: np.ndarray,
    x_test: pd.DataFrame,
    y_test: pd.Series,
    base_rate: float,
    settings: Settings,
) -> dict[str, float]:
    """The interval's coverage and mean width and the probability's Brier score (and the base
    rate's), on hold-out rows the calibrated fit saw neither in fitting nor in calibrating."""
    predicted = predict_scores(fitted, x_test)
    lower, upper = bounds(predicted, conformal_quantile(residuals, settings.confidence))
    actual = y_test.to_numpy(dtype="float64")
    below = actual < settings.at_risk_below_score
    probability = probability_below(predicted, residuals, settings.at_risk_below_score)
    return {
        "interval_coverage": float(np.mean((lower <= actual) & (actual <= upper))),
        "interval_mean_width": float(np.mean(upper - lower)),
        "brier_score": brier_score(probability, below),
        "brier_score_base_rate": brier_score(np.full(len(actual), base_rate), below),
    }


def champion_calibration(
    champion: Pipeline, x: pd.DataFrame, residuals: np.ndarray, settings: Settings
) -> Calibration:
    """The calibration the champion (refitted on every row `x`) is registered with: the
    interval and probability of its calibrated fit, and its reasons' reference points."""
    factors = model_factors(list(x.columns))
    return Calibration(
        confidence=settings.confidence,
        quantile=conformal_quantile(residuals, settings.confidence),
        residuals=tuple(float(value) for value in residuals),
        at_risk_below_score=settings.at_risk_below_score,
        at_risk_probability_cutoff=settings.at_risk_probability_cutoff,
        average_prediction=float(np.mean(champion.predict(x))),
        reference=reference_values(x, factors),
        scaled_average=scaled_averages(champion, x),
        factors=factors,
    )
