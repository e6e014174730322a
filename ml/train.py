"""Train, compare and track the exam-score models; write the results back to the warehouse.

`train()` is what `python -m spf run` (`make run`) calls after `dbt build`, and what
`python -m ml train` runs: it reads marts.ml_exam_score_features from the active dbt target,
evaluates every candidate, logs the run to MLflow, registers the champion, and writes
ml.model_metrics, ml.feature_importance and ml.predictions.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from ml import data, evaluate
from ml.features import feature_columns, feature_matrix, target_vector
from ml.models import RANDOM_STATE, candidate_pipelines
from spf.warehouse import open_warehouse


@dataclass
class Evaluation:
    """Everything one training run found, before it is logged or written anywhere."""

    metrics: pd.DataFrame  # one row per candidate: hold-out, CV and without-anomaly figures
    importance: pd.DataFrame  # the champion's permutation importance on the hold-out rows
    predictions: pd.DataFrame  # student_key, predicted_exam_score, is_score_anomaly
    anomalies: pd.DataFrame  # the score anomalies, with their actual and predicted scores
    champion_name: str
    champion: Pipeline  # refitted on every accepted student
    model_params: dict[str, dict[str, Any]]
    model_seconds: dict[str, float]  # hold-out fit plus cross-validation, per candidate
    settings: dict[str, Any]
    x_sample: pd.DataFrame  # a few rows, for the model's signature in MLflow
    seconds: float


def _model_params(pipeline: Pipeline) -> dict[str, Any]:
    params = pipeline.named_steps["model"].get_params()
    return {"estimator": type(pipeline.named_steps["model"]).__name__, **params}


def evaluate_candidates(features: pd.DataFrame) -> Evaluation:
    """Fit and score every candidate on the features mart; choose the champion on CV error."""
    # One thread per fit: cross-validation runs folds in parallel instead, and OpenMP threads
    # (gradient boosting) only fight each other on a small, busy machine.
    with threadpool_limits(limits=1):
        return _evaluate_candidates(features)


def _evaluate_candidates(features: pd.DataFrame) -> Evaluation:
    started = time.perf_counter()
    features = features.sort_values("source_row_number").reset_index(drop=True)
    columns = feature_columns(features)
    x, y = feature_matrix(features, columns), target_vector(features)
    split = evaluate.holdout_split(x, y)
    pipelines = candidate_pipelines(columns)

    rows, holdout_fits, holdout_predictions, seconds = [], {}, {}, {}
    for name, pipeline in pipelines.items():
        model_started = time.perf_counter()
        fitted = clone(pipeline).fit(split.x_train, split.y_train)
        predicted = fitted.predict(split.x_test)
        holdout_fits[name], holdout_predictions[name] = fitted, predicted
        rows.append(
            {
                "model_name": name,
                **evaluate.regression_metrics(split.y_test, predicted),
                **evaluate.cross_validated_metrics(pipeline, x, y),
                "n_train": len(split.x_train),
                "n_test": len(split.x_test),
            }
        )
        seconds[name] = time.perf_counter() - model_started
    metrics = pd.DataFrame(rows)
    champion_name = str(metrics.loc[metrics["cv_mse_mean"].idxmin(), "model_name"])
    metrics.insert(1, "is_champion", metrics["model_name"] == champion_name)

    # The hold-out rows left out of the *_without_anomalies figures are flagged by the
    # champion's hold-out fit (trained on the training part only), so no test label decides,
    # through a model that saw it, which test rows are dropped. The same rows for every model.
    ordinary_test = ~evaluate.score_anomalies(split.y_test, holdout_predictions[champion_name])
    metrics["n_test_anomalies"] = int((~ordinary_test).sum())

    # The champion, refitted on every student, predicts them all and flags the anomalies.
    champion = clone(pipelines[champion_name]).fit(x, y)
    predicted_all = champion.predict(x)
    is_anomaly = evaluate.score_anomalies(y, predicted_all)
    without = [
        evaluate.regression_metrics(
            split.y_test[ordinary_test], holdout_predictions[name][ordinary_test]
        )
        for name in metrics["model_name"]
    ]
    for key in ("mse", "rmse", "mae", "r2"):
        metrics[f"{key}_without_anomalies"] = [row[key] for row in without]

    predictions = pd.DataFrame(
        {
            "student_key": features["student_key"],
            "predicted_exam_score": predicted_all,
            "is_score_anomaly": is_anomaly,
        }
    )
    anomalies = features.loc[is_anomaly, ["student_key", "source_row_number", "exam_score"]]
    anomalies = anomalies.assign(
        predicted_exam_score=predicted_all[is_anomaly],
        residual_points=y[is_anomaly].to_numpy() - predicted_all[is_anomaly],
    ).reset_index(drop=True)
    importance = evaluate.permutation_importances(holdout_fits[champion_name], split)
    importance.insert(0, "model_name", champion_name)

    settings = {
        "students": len(features),
        "features": ",".join(columns),
        "test_size": evaluate.TEST_SIZE,
        "split": "accepted rows in raw-file order (source_row_number)",
        "random_state": RANDOM_STATE,
        "cv": f"RepeatedKFold(n_splits={evaluate.CV_SPLITS}, n_repeats={evaluate.CV_REPEATS})",
        "champion_rule": "lowest cv_mse_mean",
        "champion": champion_name,
        "anomaly_points": evaluate.ANOMALY_POINTS,
    }
    return Evaluation(
        metrics=metrics,
        importance=importance,
        predictions=predictions,
        anomalies=anomalies,
        champion_name=champion_name,
        champion=champion,
        model_params={name: _model_params(p) for name, p in pipelines.items()},
        model_seconds=seconds,
        settings=settings,
        x_sample=x.head(5),
        seconds=time.perf_counter() - started,
    )


def format_report(evaluation: Evaluation) -> str:
    """The comparison table printed by the main job."""
    lines = [
        f"{'model':<20} {'R²':>6} {'MSE':>7} {'RMSE':>6} {'MAE':>6}"
        f"   {'CV R²':>6} {'CV MSE':>7} {'± sd':>6}   {'MSE w/o anomalies':>17}"
    ]
    for _, row in evaluation.metrics.iterrows():
        mark = " *" if row["is_champion"] else ""
        lines.append(
            f"{row['model_name'] + mark:<20} {row['r2']:>6.3f} {row['mse']:>7.3f}"
            f" {row['rmse']:>6.3f} {row['mae']:>6.3f}   {row['cv_r2_mean']:>6.3f}"
            f" {row['cv_mse_mean']:>7.3f} {row['cv_mse_std']:>6.3f}"
            f"   {row['mse_without_anomalies']:>17.3f}"
        )
    first = evaluation.metrics.iloc[0]
    top = ", ".join(evaluation.importance["feature_name"].head(3))
    lines += [
        f"* champion (lowest cross-validated MSE): {evaluation.champion_name}."
        f" Hold-out: {first['n_train']:,} train / {first['n_test']:,} test rows"
        f" ({first['n_test_anomalies']} score anomalies among them);"
        f" CV: {evaluation.settings['cv']}.",
        f"score anomalies (score > {evaluation.settings['anomaly_points']:.0f} points above the"
        f" champion's prediction): {len(evaluation.anomalies)} of"
        f" {len(evaluation.predictions):,} students; most important features: {top}.",
    ]
    return "\n".join(lines)


BASELINE_MODEL = "mean_predictor"


@dataclass(frozen=True)
class TrainingResult:
    """What a training run left for the run's publish step."""

    run_id: str
    model_version: str | None  # registered, to become `champion` when the warehouse publishes
    refusal: str | None  # why the champion was not registered (None when it was)


def promotion_refusal(metrics: pd.DataFrame) -> str | None:
    """Why the run's champion must not be registered, or None. The policy: a champion is
    registered only when its cross-validated MSE is lower than the mean predictor's, i.e. when
    the factors explain something; otherwise the previous champion stays."""
    champion = metrics.loc[metrics["is_champion"]].iloc[0]
    baseline = metrics.loc[metrics["model_name"] == BASELINE_MODEL].iloc[0]
    if (
        champion["model_name"] != BASELINE_MODEL
        and champion["cv_mse_mean"] < baseline["cv_mse_mean"]
    ):
        return None
    return (
        f"the best model ({champion['model_name']}, CV MSE {champion['cv_mse_mean']:.3f}) does"
        f" not beat the mean predictor (CV MSE {baseline['cv_mse_mean']:.3f}): the exam scores"
        " do not follow the factors in this file"
    )


def train(target: str | None = None) -> TrainingResult:
    """Train on the active target's features mart (the run's build area), track the run in
    MLflow and write schema `ml` there. The champion is registered but not yet aliased."""
    with open_warehouse(target) as warehouse:
        features = data.read_features(warehouse)
        data.output_columns(warehouse)  # fail before training, not after
        location = warehouse.location
    print(
        f"ml: {len(features):,} students from marts.ml_exam_score_features ({location})",
        flush=True,
    )
    evaluation = evaluate_candidates(features)
    print(format_report(evaluation))
    print(
        f"ml: trained and evaluated {len(evaluation.metrics)} models on {len(features):,}"
        f" students in {evaluation.seconds:.1f} s",
        flush=True,
    )

    from ml import tracking

    started = time.perf_counter()
    refusal = promotion_refusal(evaluation.metrics)
    run_id, version = tracking.log_training(evaluation, register=refusal is None)
    trained_at = datetime.now(UTC).replace(tzinfo=None)
    metrics = evaluation.metrics.assign(
        run_id=run_id,
        trained_at=trained_at,
        model_version=[
            version if champion else None for champion in evaluation.metrics["is_champion"]
        ],
    )
    predictions = evaluation.predictions.assign(run_id=run_id)
    if refusal:  # no prediction from a model that was not good enough to register
        predictions = predictions.iloc[0:0]
    with open_warehouse(target) as warehouse:
        data.write_outputs(
            warehouse, metrics, evaluation.importance.assign(run_id=run_id), predictions
        )
    if refusal:
        print(
            f"\n!! ml: champion NOT promoted: {refusal}. The previous champion (if any) stays;"
            " the warehouse is published without predictions.\n",
            flush=True,
        )
    else:
        print(
            f"ml: run {run_id} logged to MLflow ({tracking.tracking_uri()}); champion registered"
            f" as '{tracking.REGISTERED_MODEL}' version {version} (alias"
            f" '{tracking.CHAMPION_ALIAS}' when the warehouse is published); wrote"
            f" ml.model_metrics, ml.feature_importance and ml.predictions in"
            f" {time.perf_counter() - started:.1f} s",
            flush=True,
        )
    return TrainingResult(run_id=run_id, model_version=version, refusal=refusal)
