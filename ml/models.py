"""The candidate models, each one scikit-learn Pipeline, the types their saved form needs, and
how the champion predicts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.dummy import DummyRegressor
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import HuberRegressor, LinearRegression
from sklearn.pipeline import Pipeline

from ml.features import Roles, build_preprocessor, score_range

RANDOM_STATE = 42

# Types beyond skops' built-in safe list that the fitted pipelines contain. The champion is
# saved with skops (never pickle) and loaded with exactly this list: a model holding any other
# type is refused. tests/test_ml_train.py checks that every candidate needs no more than this.
SKOPS_TRUSTED_TYPES = [
    "numpy.dtype",
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
]


def candidate_estimators() -> dict[str, object]:
    """The models compared, by name: two honest baselines, a robust linear model, two ensembles."""
    return {
        "mean_predictor": DummyRegressor(strategy="mean"),
        "linear_regression": LinearRegression(),
        # Huber loss: the few scores 15-30 points above what the factors explain pull it less
        "huber_regression": HuberRegressor(epsilon=1.35, alpha=1e-4, max_iter=1000),
        # the original pipeline's model, kept modest so that its 16 fits take seconds: 50
        # trees, each grown on half the rows, half the features per split, leaves of 5+
        "random_forest": RandomForestRegressor(
            n_estimators=50,
            max_samples=0.5,
            max_features=0.5,
            min_samples_leaf=5,
            random_state=RANDOM_STATE,
            n_jobs=1,
        ),
        # trees of depth 2 at a brisk rate: the factors act almost additively on the score,
        # and this is both faster and better in cross-validation than the default deep trees
        "gradient_boosting": HistGradientBoostingRegressor(
            max_depth=2, max_iter=200, learning_rate=0.3, random_state=RANDOM_STATE
        ),
    }


def candidate_pipelines(columns: Sequence[str], roles: Roles) -> dict[str, Pipeline]:
    """Each candidate behind the same preprocessing, so nothing is fitted on test rows."""
    return {
        name: Pipeline([("prepare", build_preprocessor(columns, roles)), ("model", estimator)])
        for name, estimator in candidate_estimators().items()
    }


def predict_scores(pipeline: Pipeline, x: pd.DataFrame) -> np.ndarray:
    """The champion's predicted scores, clipped to the score's valid range (features.score_range,
    0-100): a linear model extrapolates past it for extreme but valid students (168 hours of
    study a week). Every prediction of the champion (ml.predictions, `ml predict`, the app)
    goes through here."""
    if not len(x):
        return np.empty(0, dtype="float64")
    low, high = score_range()
    return np.clip(pipeline.predict(x).astype("float64"), low, high)
