"""Train, compare and track the exam-score models; write the results back to the warehouse.

`train()` is what `python -m pipeline run` (`make run`) calls after `dbt build`, and what
`python -m ml train` runs: it reads marts.ml_exam_score_features from the active dbt target,
evaluates every candidate, logs the run to MLflow, registers the champion, and writes
ml.model_metrics, ml.feature_importance, ml.predictions and ml.champion (the registered
version and its files' fingerprint: the warehouse's champion).
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

from ml import data, evaluate, intervals
from ml.evaluate import Evaluation
from ml.features import (
    column_roles,
    feature_columns,
    feature_matrix,
    target_column,
    target_vector,
)
from ml.models import RANDOM_STATE, candidate_pipelines
from spf.warehouse import Warehouse, open_warehouse


def _model_params(pipeline: Pipeline) -> dict[str, Any]:
    params = pipeline.named_steps["model"].get_params()
    return {"estimator": type(pipeline.named_steps["model"]).__name__, **params}


def evaluate_candidates(features: pd.DataFrame, roles: dict[str, str]) -> Evaluation:
    """Fit and score every candidate on the features mart; choose the champion on CV error."""
    # One thread per fit: cross-validation runs folds in parallel instead, and OpenMP threads
    # (gradient boosting) only fight each other on a small, busy machine.
    with threadpool_limits(limits=1):
        return _evaluate_candidates(features, roles)


def _evaluate_candidates(features: pd.DataFrame, roles: dict[str, str]) -> Evaluation:
    started = time.perf_counter()
    features = features.sort_values("source_row_number").reset_index(drop=True)
    columns = feature_columns(features, roles)
    x, y = feature_matrix(features, columns), target_vector(features, roles)
    split = evaluate.holdout_split(x, y)
    pipelines = candidate_pipelines(columns, roles)
    interval = intervals.Settings.from_vars()
    # the base-rate predictor: the share of training students below the at-risk score
    base_rate = float((split.y_train < interval.at_risk_below_score).mean())

    rows, holdout_fits, holdout_predictions, seconds, residuals = [], {}, {}, {}, {}
    for name, pipeline in pipelines.items():
        model_started = time.perf_counter()
        fitted = clone(pipeline).fit(split.x_train, split.y_train)
        predicted = fitted.predict(split.x_test)
        holdout_fits[name], holdout_predictions[name] = fitted, predicted
        # the interval and the probability: a fit on part of the training rows, calibrated on
        # the rest, measured on the hold-out rows (ml.intervals)
        calibrated, residuals[name] = intervals.calibration_residuals(
            pipeline, split.x_train, split.y_train
        )
        rows.append(
            {
                "model_name": name,
                **evaluate.regression_metrics(split.y_test, predicted),
                **evaluate.cross_validated_metrics(pipeline, x, y),
                **intervals.holdout_figures(
                    calibrated, residuals[name], split.x_test, split.y_test, base_rate, interval
                ),
                "n_train": len(split.x_train),
                "n_test": len(split.x_test),
            }
        )
        seconds[name] = time.perf_counter() - model_started
        progress(f"ml: {name} fitted and cross-validated in {seconds[name]:.1f} s")
    metrics = pd.DataFrame(rows)
    champion_name = str(metrics.loc[metrics["cv_mse_mean"].idxmin(), "model_name"])
    metrics.insert(1, "is_champion", metrics["model_name"] == champion_name)

    # The hold-out rows left out of the *_without_anomalies figures are flagged by the
    # champion's hold-out fit (trained on the training part only), so no test label decides,
    # through a model that saw it, which test rows are dropped. The same rows for every model.
    ordinary_test = ~evaluate.score_anomalies(split.y_test, holdout_predictions[champion_name])
    metrics["n_test_anomalies"] = int((~ordinary_test).sum())
    without = [
        evaluate.regression_metrics(
            split.y_test[ordinary_test], holdout_predictions[name][ordinary_test]
        )
        for name in metrics["model_name"]
    ]
    for key in ("mse", "rmse", "mae", "r2"):
        metrics[f"{key}_without_anomalies"] = [row[key] for row in without]

    # The champion, refitted on every row evaluated, predicts every student (predict_all).
    champion = clone(pipelines[champion_name]).fit(x, y)
    calibration = intervals.champion_calibration(champion, x, residuals[champion_name], interval)
    importance = evaluate.permutation_importances(holdout_fits[champion_name], split)
    importance.insert(0, "model_name", champion_name)

    settings = {
        "students_evaluated": len(features),
        "features": ",".join(columns),
        "test_size": evaluate.TEST_SIZE,
        "split": "accepted rows in raw-file order (source_row_number)",
        "random_state": RANDOM_STATE,
        "cv": f"RepeatedKFold(n_splits={evaluate.CV_SPLITS}, n_repeats={evaluate.CV_REPEATS})",
        "champion_rule": "lowest cv_mse_mean",
        "champion": champion_name,
        "anomaly_points": evaluate.ANOMALY_POINTS,
        "interval": (
            f"split conformal: {intervals.CALIBRATION_SIZE:.0%} of the training part calibrates"
            " a fit on the rest"
        ),
        "interval_confidence": interval.confidence,
        "at_risk_below_score": interval.at_risk_below_score,
        "at_risk_probability_cutoff": interval.at_risk_probability_cutoff,
        "training_sample_rows": data.TRAINING_SAMPLE_ROWS,
    }
    return Evaluation(
        metrics=metrics,
        importance=importance,
        champion_name=champion_name,
        champion=champion,
        columns=columns,
        roles=dict(roles),
        model_params={name: _model_params(p) for name, p in pipelines.items()},
        model_seconds=seconds,
        settings=settings,
        x_sample=x.head(5),
        seconds=time.perf_counter() - started,
        calibration=calibration,
    )


@dataclass(frozen=True)
class Scored:
    """What predicting every student found: how many, and the score anomalies among them."""

    students: int
    anomalies: pd.DataFrame  # the score anomalies, with their actual and predicted scores


def predict_all(
    warehouse: Warehouse, evaluation: Evaluation, run_id: str, trained_at: datetime
) -> Scored:
    """The champion's prediction for every accepted student, with its interval, probability
    and reasons (ml.scoring.score_features, as `ml predict` and the app score), written to
    ml.predictions in batches of data.PREDICTION_BATCH_ROWS (never every student's features in
    memory at once), with the score anomalies flagged."""
    from ml.scoring import score_features

    if evaluation.calibration is None:
        raise ValueError("the evaluation has no calibration: evaluate_candidates gives one")
    target = target_column(evaluation.roles)
    students, anomalies = 0, []
    data.clear_predictions(warehouse)
    columns = data.output_columns(warehouse)["predictions"]
    for batch in data.feature_batches(warehouse):
        x = feature_matrix(batch, evaluation.columns)
        y = batch[target].astype("float64")
        scored = score_features(evaluation.champion, evaluation.calibration, x)
        predicted = scored["predicted_exam_score"].to_numpy()
        is_anomaly = evaluate.score_anomalies(y, predicted)
        data.append_predictions(
            warehouse,
            scored.assign(
                student_key=batch["student_key"],
                is_score_anomaly=is_anomaly,
                run_id=run_id,
                trained_at=trained_at,
            ),
            columns,
        )
        anomalies.append(
            batch.loc[is_anomaly, ["student_key", "source_row_number", target]].assign(
                predicted_exam_score=predicted[is_anomaly],
                residual_points=y[is_anomaly].to_numpy() - predicted[is_anomaly],
            )
        )
        students += len(batch)
        if students > data.PREDICTION_BATCH_ROWS:
            progress(f"ml: predicted {students:,} students")
    return Scored(students, pd.concat(anomalies, ignore_index=True))


def progress(line: str) -> None:
    print(line, flush=True)


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
        f"most important features: {top}.",
    ]
    champion = evaluation.metrics.loc[evaluation.metrics["is_champion"]].iloc[0]
    if "interval_coverage" in champion:
        lines.append(
            f"{evaluation.settings['interval_confidence'] * 100:.0f} % interval (split conformal):"
            f" hold-out coverage {champion['interval_coverage']:.3f}, mean width"
            f" {champion['interval_mean_width']:.2f} points; P(score <"
            f" {evaluation.settings['at_risk_below_score']:g}) Brier"
            f" {champion['brier_score']:.4f} (base rate {champion['brier_score_base_rate']:.4f})."
        )
    return "\n".join(lines)


BASELINE_MODEL = "mean_predictor"


@dataclass(frozen=True)
class TrainingResult:
    """What a training run left for the run's publish step."""

    run_id: str
    model_version: str | None  # registered and recorded in ml.champion (None when refused)
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
    MLflow and write schema `ml` there, the registered champion recorded in ml.champion. The
    warehouse's alias is moved by whoever publishes it (tracking.promote).

    Bounded at any size: the candidates are compared on at most data.TRAINING_SAMPLE_ROWS
    students (all of them below that; a seeded sample above), the champion is refitted on the
    same rows, and every student is then predicted in batches."""
    roles = column_roles()
    with open_warehouse(target) as warehouse:
        total = data.count_features(warehouse)
        features = data.read_features(warehouse, total)
        data.output_columns(warehouse)  # fail before training, not after
        location = warehouse.location
    sampled = "" if len(features) == total else f" (a seeded sample of {total:,})"
    progress(
        f"ml: {len(features):,} students{sampled} from marts.ml_exam_score_features ({location})"
    )
    evaluation = evaluate_candidates(features, roles)
    del features
    print(format_report(evaluation))
    progress(
        f"ml: trained and evaluated {len(evaluation.metrics)} models on"
        f" {evaluation.settings['students_evaluated']:,} students in {evaluation.seconds:.1f} s"
    )

    from ml import tracking

    started = time.perf_counter()
    refusal = promotion_refusal(evaluation.metrics)
    run_id, version, fingerprint = tracking.log_training(evaluation, register=refusal is None)
    trained_at = datetime.now(UTC).replace(tzinfo=None)
    metrics = evaluation.metrics.assign(
        run_id=run_id,
        trained_at=trained_at,
        model_version=[
            version if champion else None for champion in evaluation.metrics["is_champion"]
        ],
    )
    with open_warehouse(target) as warehouse:
        data.write_evaluation(
            warehouse, metrics, evaluation.importance.assign(run_id=run_id, trained_at=trained_at)
        )
        if refusal:  # no prediction from a model that was not good enough to register
            data.clear_predictions(warehouse)
        else:
            scored = predict_all(warehouse, evaluation, run_id, trained_at)
            record = data.ChampionRecord(
                tracking.REGISTERED_MODEL, version, run_id, fingerprint, trained_at
            )
            data.write_champion(warehouse, record)
    if refusal:
        print(
            f"\n!! ml: champion NOT promoted: {refusal}. The previous champion (if any) stays;"
            " the warehouse is published without predictions.\n",
            flush=True,
        )
        return TrainingResult(run_id=run_id, model_version=None, refusal=refusal)
    tracking.log_anomalies(run_id, scored.anomalies)
    progress(
        f"ml: score anomalies (score > {evaluation.settings['anomaly_points']:.0f} points above"
        f" the champion's prediction): {len(scored.anomalies):,} of {scored.students:,}"
        " students"
    )
    progress(
        f"ml: run {run_id} logged to MLflow ({tracking.tracking_uri()}); champion registered"
        f" as '{tracking.REGISTERED_MODEL}' version {version} (files' SHA-256 fingerprint"
        f" {fingerprint[:16]}); wrote ml.model_metrics, ml.feature_importance, ml.predictions"
        f" and ml.champion in {time.perf_counter() - started:.1f} s"
    )
    return TrainingResult(run_id=run_id, model_version=version, refusal=refusal)
