"""The ML step on the shipped sample: models compared, champion chosen, outputs and tracking."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd
import pytest
import skops.io

from ml.evaluate import holdout_split, regression_metrics, score_anomalies
from ml.features import column_roles, feature_columns, feature_matrix, target_vector
from ml.models import SKOPS_TRUSTED_TYPES, candidate_pipelines
from tests.conftest import PROJECT_ROOT, Build, project_env
from tests.helpers import latest_metrics, run_ml, use_warehouse_in_process

MODELS = {
    "mean_predictor",
    "linear_regression",
    "huber_regression",
    "random_forest",
    "gradient_boosting",
}
RESULT_COLUMNS = ["mse", "rmse", "mae", "r2", "cv_mse_mean", "cv_mse_std", "cv_r2_mean"]


def training_seconds(build: Build) -> float:
    found = re.search(
        r"trained and evaluated 5 models on [\d,]+ students in ([\d.]+) s", build.output
    )
    assert found, build.output
    return float(found.group(1))


def test_champion_beats_the_mean_predictor_by_a_wide_margin(sample_warehouse: Build) -> None:
    metrics = latest_metrics(sample_warehouse)
    champion = metrics[metrics["is_champion"]].iloc[0]
    mean = metrics.loc["mean_predictor"]
    assert champion["r2"] >= 0.6 and champion["cv_r2_mean"] >= 0.6
    assert abs(mean["r2"]) < 0.05 and abs(mean["cv_r2_mean"]) < 0.05
    assert champion["mse"] < 0.4 * mean["mse"]
    assert champion["cv_mse_mean"] < 0.4 * mean["cv_mse_mean"]


def test_every_model_has_a_row_and_the_champion_has_the_lowest_cv_error(
    sample_warehouse: Build,
) -> None:
    metrics = latest_metrics(sample_warehouse)
    assert set(metrics.index) == MODELS
    assert metrics["run_id"].nunique() == 1
    assert metrics["is_champion"].sum() == 1
    assert metrics[metrics["is_champion"]].index[0] == metrics["cv_mse_mean"].idxmin()
    assert metrics[RESULT_COLUMNS].notna().all().all()
    assert (metrics["rmse"] ** 2 - metrics["mse"]).abs().max() < 1e-9
    # the hold-out split is over the accepted students only (the sample's 101 is rejected)
    students = sample_warehouse.query("select count(*) as n from marts.ml_exam_score_features")
    assert (metrics["n_train"] + metrics["n_test"] == students["n"].iloc[0]).all()
    assert (metrics["n_test"] == round(0.2 * students["n"].iloc[0])).all()


def test_figures_without_the_score_anomalies_stand_beside_the_full_ones(
    sample_warehouse: Build,
) -> None:
    metrics = latest_metrics(sample_warehouse)
    assert (metrics["n_test_anomalies"] >= 1).all()
    champion = metrics[metrics["is_champion"]].iloc[0]
    assert champion["mse_without_anomalies"] < champion["mse"]
    assert champion["r2_without_anomalies"] > champion["r2"]
    # the test rows left out are flagged by the champion fitted on the training part only,
    # never by the refit on every student (which has seen the test scores)
    features = sample_warehouse.query(
        "select * from marts.ml_exam_score_features order by source_row_number"
    )
    roles = column_roles()
    columns = feature_columns(features, roles)
    split = holdout_split(feature_matrix(features, columns), target_vector(features, roles))
    pipeline = candidate_pipelines(columns, roles)[champion.name]
    holdout_fit = pipeline.fit(split.x_train, split.y_train)
    predicted = holdout_fit.predict(split.x_test)
    flagged = score_anomalies(split.y_test, predicted)
    assert (metrics["n_test_anomalies"] == flagged.sum()).all()
    kept = regression_metrics(split.y_test[~flagged], predicted[~flagged])
    assert champion["mse_without_anomalies"] == pytest.approx(kept["mse"], rel=1e-9)


def test_predictions_flag_scores_far_above_the_prediction(sample_warehouse: Build) -> None:
    scored = sample_warehouse.query("select * from marts.fct_exam_score_predictions")
    students = sample_warehouse.query("select student_key from marts.ml_exam_score_features")
    assert set(scored["student_key"]) == set(students["student_key"])
    residual = scored["exam_score"] - scored["predicted_exam_score"]
    assert (residual - scored["residual_points"]).abs().max() < 1e-9
    anomalies = scored[scored["is_score_anomaly"]]
    # the sample has under 1 % of scores 12-30 points above what the factors explain
    assert 0.003 * len(scored) < len(anomalies) < 0.015 * len(scored)
    assert (anomalies["residual_points"] > 10).all()
    assert (scored.loc[~scored["is_score_anomaly"], "residual_points"] <= 10).all()
    # at risk by the probability of scoring below 62 (tests/test_ml_intervals.py): every student
    # predicted well below it, none predicted well above it
    at_risk = scored["is_predicted_at_risk"]
    assert at_risk[scored["predicted_exam_score"] < 61].all() and at_risk.any()
    assert not at_risk[scored["predicted_exam_score"] > 66].any()
    metrics = latest_metrics(sample_warehouse)
    assert set(scored["run_id"]) == set(metrics["run_id"])


def test_permutation_importance_of_the_champion(sample_warehouse: Build) -> None:
    importance = sample_warehouse.query(
        "select * from ml.feature_importance order by importance_rank"
    )
    metrics = latest_metrics(sample_warehouse)
    champion = metrics[metrics["is_champion"]].index[0]
    features = sample_warehouse.query("select * from marts.ml_exam_score_features limit 1")
    assert set(importance["model_name"]) == {champion}
    assert importance["feature_name"].tolist() != []
    assert set(importance["feature_name"]) == set(feature_columns(features, column_roles()))
    assert importance["importance_rank"].tolist() == list(range(1, len(importance) + 1))
    # the sample's two strongest factors, as in the real export
    assert set(importance["feature_name"].head(2)) == {"attendance_pct", "hours_studied"}


def test_champion_is_registered_with_its_alias_and_saved_with_skops(
    sample_warehouse: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlflow import MlflowClient
    from mlflow.models import Model

    from ml.tracking import FINGERPRINT_TAG, REGISTERED_MODEL, champion_alias, load_champion
    from spf.warehouse import warehouse_identity

    env = project_env(sample_warehouse.duckdb_path, sample_warehouse.duckdb_path.parent)
    use_warehouse_in_process(monkeypatch, env)
    store = env["MLFLOW_TRACKING_URI"]
    client = MlflowClient(tracking_uri=store, registry_uri=store)
    identity = warehouse_identity({"type": "duckdb", "path": str(sample_warehouse.duckdb_path)})
    version = client.get_model_version_by_alias(REGISTERED_MODEL, champion_alias(identity))
    metrics = latest_metrics(sample_warehouse)
    assert version.run_id == metrics["run_id"].iloc[0]
    # the warehouse records the same version, and the fingerprint of its files
    recorded = sample_warehouse.query("select * from ml.champion").iloc[0]
    assert (recorded["model_version"], recorded["run_id"]) == (str(version.version), version.run_id)
    assert recorded["fingerprint_sha256"] == version.tags[FINGERPRINT_TAG]
    assert version.tags["model_name"] == metrics[metrics["is_champion"]].index[0]
    run = client.get_run(version.run_id)
    assert run.data.params["champion_rule"] == "lowest cv_mse_mean"
    assert run.data.metrics["cv_mse_mean"] == pytest.approx(metrics["cv_mse_mean"].min())
    champion_row = metrics[metrics["is_champion"]].iloc[0]
    for count in ("n_train", "n_test", "n_test_anomalies"):  # numpy integers, logged too
        assert run.data.metrics[count] == champion_row[count]
    artifacts = {artifact.path for artifact in client.list_artifacts(version.run_id)}
    assert {"feature_importance.json", "model_metrics.json", "score_anomalies.json"} <= artifacts

    logged_model = client.get_logged_model(version.source.removeprefix("models:/"))
    saved = Path(urlparse(logged_model.artifact_location).path)
    # a pyfunc model from code (ml/serving.py), nothing pickled; the pipeline saved with skops
    flavor = Model.load(str(saved)).flavors["python_function"]
    assert flavor["loader_module"] == "mlflow.pyfunc.loaders.code_model"
    assert (saved / "serving.py").read_text() == (PROJECT_ROOT / "ml" / "serving.py").read_text()
    assert not [path for path in saved.rglob("*") if path.suffix in (".pkl", ".pickle")]
    pipeline = saved / flavor["artifacts"]["pipeline"]["path"]
    assert set(skops.io.get_untrusted_types(file=pipeline)) <= set(SKOPS_TRUSTED_TYPES)

    champion = load_champion()  # the active warehouse's (SPF_DUCKDB_PATH)
    assert (champion.run_id, champion.version) == (version.run_id, str(version.version))
    assert champion.fingerprint == recorded["fingerprint_sha256"]
    features = sample_warehouse.query(
        "select * from marts.ml_exam_score_features order by source_row_number"
    )
    stored = sample_warehouse.query("select * from ml.predictions").set_index("student_key")
    predicted = champion.pipeline.predict(
        feature_matrix(features, champion.pipeline.feature_names_in_)
    )
    expected = stored.loc[features["student_key"], "predicted_exam_score"].to_numpy()
    assert abs(predicted - expected).max() < 1e-9


def test_skops_trusted_types_cover_every_candidate(sample_warehouse: Build) -> None:
    features = sample_warehouse.query(
        "select * from marts.ml_exam_score_features order by source_row_number limit 400"
    )
    columns = feature_columns(features, column_roles())
    x, y = feature_matrix(features, columns), target_vector(features, column_roles())
    for name, pipeline in candidate_pipelines(columns, column_roles()).items():
        saved = skops.io.dumps(pipeline.fit(x, y))
        assert set(skops.io.get_untrusted_types(data=saved)) <= set(SKOPS_TRUSTED_TYPES), name
        loaded = skops.io.loads(saved, trusted=SKOPS_TRUSTED_TYPES)
        assert (loaded.predict(x) == pipeline.predict(x)).all(), name


@pytest.fixture(scope="module")
def plain_build_then_training(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], dict[str, int], Build]:
    """A plain `dbt build` on a fresh warehouse (no training yet), then `python -m ml train`."""
    directory = tmp_path_factory.mktemp("plain_dbt")
    duckdb_path = directory / "warehouse.duckdb"
    dbt = Path(sys.executable).with_name("dbt")
    build = subprocess.run(
        [str(dbt), "build", "--target-path", str(directory / "target"),
         "--log-path", str(directory / "logs")],
        cwd=PROJECT_ROOT, env=project_env(duckdb_path, directory),
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout + build.stderr
    empty = Build(duckdb_path, build)
    counts = {
        table: int(empty.query(f"select count(*) as n from {table}")["n"].iloc[0])
        for table in (
            "ml.model_metrics",
            "ml.feature_importance",
            "ml.predictions",
            "marts.fct_exam_score_predictions",
        )
    }
    trained = run_ml(directory, duckdb_path, "train")
    return build, counts, Build(duckdb_path, trained)


def test_plain_dbt_build_works_before_any_training(plain_build_then_training) -> None:
    build, counts, _ = plain_build_then_training
    assert "fct_exam_score_predictions" in build.stdout
    assert counts == dict.fromkeys(counts, 0)


def test_same_data_and_seed_give_the_same_metrics(
    plain_build_then_training, sample_warehouse: Build
) -> None:
    _, _, again = plain_build_then_training
    assert again.result.returncode == 0, again.output
    first, second = latest_metrics(sample_warehouse), latest_metrics(again)
    assert first["run_id"].iloc[0] != second["run_id"].iloc[0]
    columns = [c for c in first.columns if c not in ("run_id", "trained_at")]
    pd.testing.assert_frame_equal(first[columns], second[columns], check_exact=True)
    importance = "select feature_name, importance_mean from ml.feature_importance order by 1"
    pd.testing.assert_frame_equal(sample_warehouse.query(importance), again.query(importance))
    predictions = "select student_key, predicted_exam_score from ml.predictions order by 1"
    pd.testing.assert_frame_equal(
        sample_warehouse.query(predictions), again.query(predictions), check_exact=False
    )


def test_train_without_a_warehouse_says_what_to_do(tmp_path: Path) -> None:
    result = run_ml(tmp_path, tmp_path / "warehouse.duckdb", "train")
    assert result.returncode == 1
    assert "marts.ml_exam_score_features does not exist" in result.stderr
    assert "dbt build" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
