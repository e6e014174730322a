"""How the candidates are judged: the hold-out split, repeated k-fold cross-validation, the
score anomalies, and permutation importance (the interval and the probability: ml.intervals)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.model_selection import RepeatedKFold, cross_validate, train_test_split
from sklearn.pipeline import Pipeline

from ml.intervals import Calibration
from ml.models import RANDOM_STATE
from spf.definitions import var

# The split of published work on this data: accepted rows in raw-file order, 20 % held out.
TEST_SIZE = 0.2
CV_SPLITS = 5
CV_REPEATS = 3
CV_SCORING = {"mse": "neg_mean_squared_error", "mae": "neg_mean_absolute_error", "r2": "r2"}
# A score more than this many points above the champion's prediction is a score anomaly: on
# this data the residuals of the other students stay within a few points.
ANOMALY_POINTS = float(var("ml_score_anomaly_points"))
IMPORTANCE_REPEATS = 10
# Folds run one after another, each fit on one thread (see train.evaluate_candidates). Measured
# on the 2-core machine: worker processes cost 2-3 s to start, which the parallel folds do not
# win back on 6.6k rows, and less than nothing when the machine is busy. Results do not depend
# on it.
N_JOBS = 1


@dataclass(frozen=True)
class Split:
    x_train: pd.DataFrame
    x_test: pd.DataFrame
    y_train: pd.Series
    y_test: pd.Series


def holdout_split(x: pd.DataFrame, y: pd.Series) -> Split:
    """`train_test_split(test_size=0.2, random_state=42)` over the rows in raw-file order."""
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=TEST_SIZE, random_state=RANDOM_STATE
    )
    return Split(x_train, x_test, y_train, y_test)


def regression_metrics(actual: pd.Series, predicted: np.ndarray) -> dict[str, float]:
    """MSE (the original's metric), RMSE, MAE and R²; NaN when there are too few rows."""
    if len(actual) < 2:
        return {"mse": np.nan, "rmse": np.nan, "mae": np.nan, "r2": np.nan}
    mse = float(mean_squared_error(actual, predicted))
    return {
        "mse": mse,
        "rmse": float(np.sqrt(mse)),
        "mae": float(mean_absolute_error(actual, predicted)),
        "r2": float(r2_score(actual, predicted)),
    }


def cross_validated_metrics(pipeline: Pipeline, x: pd.DataFrame, y: pd.Series) -> dict[str, float]:
    """Mean and spread of MSE, MAE and R² over 5-fold cross-validation repeated 3 times."""
    folds = RepeatedKFold(n_splits=CV_SPLITS, n_repeats=CV_REPEATS, random_state=RANDOM_STATE)
    scores = cross_validate(pipeline, x, y, cv=folds, scoring=CV_SCORING, n_jobs=N_JOBS)
    mse, mae, r2 = -scores["test_mse"], -scores["test_mae"], scores["test_r2"]
    return {
        "cv_mse_mean": float(mse.mean()),
        "cv_mse_std": float(mse.std(ddof=1)),
        "cv_mae_mean": float(mae.mean()),
        "cv_r2_mean": float(r2.mean()),
        "cv_r2_std": float(r2.std(ddof=1)),
    }


def score_anomalies(actual: pd.Series, predicted: np.ndarray) -> np.ndarray:
    """True where the score lies more than ANOMALY_POINTS above the prediction."""
    return (actual.to_numpy() - predicted) > ANOMALY_POINTS


def permutation_importances(pipeline: Pipeline, split: Split) -> pd.DataFrame:
    """Drop in hold-out R² when each feature is shuffled, most important first."""
    result = permutation_importance(
        pipeline,
        split.x_test,
        split.y_test,
        scoring="r2",
        n_repeats=IMPORTANCE_REPEATS,
        random_state=RANDOM_STATE,
    )
    table = pd.DataFrame(
        {
            "feature_name": split.x_test.columns,
            "importance_mean": result.importances_mean,
            "importance_std": result.importances_std,
        }
    )
    table = table.sort_values(["importance_mean", "feature_name"], ascending=[False, True])
    table["importance_rank"] = np.arange(1, len(table) + 1)
    return table.reset_index(drop=True)


@dataclass
class Evaluation:
    """Everything one training run found, before it is logged or written anywhere."""

    metrics: pd.DataFrame  # one row per candidate: hold-out, CV and without-anomaly figures
    importance: pd.DataFrame  # the champion's permutation importance on the hold-out rows
    champion_name: str
    champion: Pipeline  # refitted on every row evaluated (all students, or the bounded sample)
    columns: list[str]  # the features, in the mart's order
    roles: dict[str, str]  # every column's role (ml.features.column_roles)
    model_params: dict[str, dict[str, Any]]
    model_seconds: dict[str, float]  # hold-out fit plus cross-validation, per candidate
    settings: dict[str, Any]
    x_sample: pd.DataFrame  # a few rows, for the model's signature in MLflow
    seconds: float
    # the champion's interval, probability and reasons, registered with it as calibration.json
    calibration: Calibration | None = None
