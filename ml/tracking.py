"""MLflow: where runs are tracked, how a training run is logged, and how the champion is loaded.

The store is a SQLite file (default: mlflow.db at the project root, git-ignored; override with
MLFLOW_TRACKING_URI), its artifacts in mlruns/ beside it. The champion is saved with skops and
registered with the alias `champion`; it is loaded with skops and this module's own list of
trusted types, never with pickle and never with a list read from the model's files.
"""

from __future__ import annotations

import math
import numbers
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import numpy as np

from ml.models import SKOPS_TRUSTED_TYPES
from spf.profile import PROJECT_ROOT, ConfigurationError

os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

    from ml.evaluate import Evaluation

EXPERIMENT_NAME = "student-performance-exam-score"
REGISTERED_MODEL = "student_performance_exam_score"
CHAMPION_ALIAS = "champion"


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{PROJECT_ROOT / 'mlflow.db'}"


def _artifact_location(uri: str) -> str | None:
    """mlruns/ beside a SQLite store (not in the working directory); the server's own else."""
    if not uri.startswith("sqlite:///"):
        return None
    database = Path(urlparse(uri).path)
    return (database.parent / "mlruns").resolve().as_uri()


def _use_store() -> Any:
    import mlflow

    uri = tracking_uri()
    if uri.startswith("sqlite:///"):
        Path(urlparse(uri).path).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return mlflow


def _use_experiment() -> Any:
    mlflow = _use_store()
    if mlflow.get_experiment_by_name(EXPERIMENT_NAME) is None:
        mlflow.create_experiment(
            EXPERIMENT_NAME, artifact_location=_artifact_location(tracking_uri())
        )
    mlflow.set_experiment(EXPERIMENT_NAME)
    return mlflow


def _pinned_requirements() -> list[str]:
    """What loading the saved champion needs, at the versions that saved it."""
    from importlib.metadata import version

    return [f"{name}=={version(name)}" for name in ("scikit-learn", "skops", "numpy", "scipy")]


def _loggable(value: Any) -> bool:
    """A finite number, Python's or numpy's (a row of a DataFrame holds numpy scalars)."""
    return isinstance(value, numbers.Real | np.bool_) and math.isfinite(value)


def log_training(evaluation: Evaluation, register: bool) -> tuple[str, str | None]:
    """Log one training run (a nested run per candidate); register the champion when `register`.

    The new version gets no alias here: `promote` moves the `champion` alias to it when the
    run publishes the warehouse its predictions belong to. Returns (run id, version or None)."""
    from mlflow.models import infer_signature

    mlflow = _use_experiment()
    client = mlflow.MlflowClient()
    metrics = evaluation.metrics.set_index("model_name")
    with mlflow.start_run(run_name=f"train {evaluation.champion_name}") as run:
        mlflow.log_params(evaluation.settings)
        for name, row in metrics.iterrows():
            with mlflow.start_run(run_name=name, nested=True):
                mlflow.set_tag("is_champion", str(bool(row["is_champion"])).lower())
                mlflow.log_params(evaluation.model_params[name])
                mlflow.log_metrics({k: float(v) for k, v in row.items() if _loggable(v)})
                mlflow.log_metric("fit_and_cv_seconds", evaluation.model_seconds[name])
        champion = metrics.loc[evaluation.champion_name]
        mlflow.log_metrics({k: float(v) for k, v in champion.items() if _loggable(v)})
        mlflow.log_metric("train_eval_seconds", evaluation.seconds)
        mlflow.log_table(evaluation.metrics, artifact_file="model_metrics.json")
        mlflow.log_table(evaluation.importance, artifact_file="feature_importance.json")
        mlflow.set_tag("promotion", "registered" if register else "refused")
        info = mlflow.sklearn.log_model(
            sk_model=evaluation.champion,
            name="model",
            serialization_format="skops",
            skops_trusted_types=SKOPS_TRUSTED_TYPES,
            signature=infer_signature(
                evaluation.x_sample, evaluation.champion.predict(evaluation.x_sample)
            ),
            registered_model_name=REGISTERED_MODEL if register else None,
            pip_requirements=_pinned_requirements(),  # no inference: it runs a subprocess
        )
        if not register:
            return run.info.run_id, None
        version = str(info.registered_model_version)
        client.set_model_version_tag(
            REGISTERED_MODEL, version, "model_name", evaluation.champion_name
        )
        return run.info.run_id, version


def log_anomalies(run_id: str, anomalies: Any) -> None:
    """Add the score anomalies the champion found among all students to the training run."""
    mlflow = _use_store()
    mlflow.MlflowClient().log_metric(run_id, "score_anomalies", len(anomalies))
    mlflow.log_table(anomalies, artifact_file="score_anomalies.json", run_id=run_id)


def promote(version: str) -> None:
    """Point the `champion` alias at `version`: done when its warehouse is published."""
    _use_store().MlflowClient().set_registered_model_alias(
        REGISTERED_MODEL, CHAMPION_ALIAS, version
    )


def champion_version() -> str | None:
    """The version the `champion` alias points at, or None."""
    from mlflow.exceptions import MlflowException

    uri = tracking_uri()
    if uri.startswith("sqlite:///") and not Path(urlparse(uri).path).is_file():
        return None
    try:
        client = _use_store().MlflowClient()
        return str(client.get_model_version_by_alias(REGISTERED_MODEL, CHAMPION_ALIAS).version)
    except MlflowException:
        return None


@dataclass(frozen=True)
class Champion:
    pipeline: Pipeline
    run_id: str
    version: str


def load_champion(version: str | None = None) -> Champion:
    """The registered champion (or one version of the model), loaded with skops."""
    import skops.io
    from mlflow.exceptions import MlflowException
    from mlflow.models import Model
    from skops.io.exceptions import UntrustedTypesFoundException

    uri = tracking_uri()
    if uri.startswith("sqlite:///") and not Path(urlparse(uri).path).is_file():
        raise ConfigurationError(
            f"No MLflow store at {uri}: train a model first (`make run`, or `python -m ml"
            " train`), or set MLFLOW_TRACKING_URI to the store that has one"
        )
    mlflow = _use_store()
    client = mlflow.MlflowClient()
    wanted = f"version {version}" if version else f"alias '{CHAMPION_ALIAS}'"
    try:
        if version:
            model_version = client.get_model_version(REGISTERED_MODEL, version)
        else:
            model_version = client.get_model_version_by_alias(REGISTERED_MODEL, CHAMPION_ALIAS)
    except MlflowException:
        raise ConfigurationError(
            f"No model '{REGISTERED_MODEL}' with {wanted} in {tracking_uri()}: train one first"
            " (`make run`, or `python -m ml train`), or set MLFLOW_TRACKING_URI to the store"
            " that has it"
        ) from None
    with tempfile.TemporaryDirectory(prefix="spf-model-") as scratch:
        local = Path(
            mlflow.artifacts.download_artifacts(
                artifact_uri=f"models:/{REGISTERED_MODEL}/{model_version.version}",
                dst_path=scratch,
            )
        )
        flavor = Model.load(str(local)).flavors.get("sklearn", {})
        if flavor.get("serialization_format") != "skops":
            raise ConfigurationError(
                f"Model '{REGISTERED_MODEL}' {wanted} is not saved with skops; refusing to load it"
            )
        try:
            pipeline = skops.io.load(local / flavor["pickled_model"], trusted=SKOPS_TRUSTED_TYPES)
        except UntrustedTypesFoundException as error:
            raise ConfigurationError(
                f"Model '{REGISTERED_MODEL}' {wanted} holds types outside ml.models."
                f"SKOPS_TRUSTED_TYPES; refusing to load it ({error})"
            ) from None
    return Champion(pipeline, model_version.run_id, str(model_version.version))
