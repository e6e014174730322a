"""MLflow: where runs are tracked, how a training run is logged, and how a warehouse's
champion is registered, named and loaded.

The store is a SQLite file (default: mlflow.db at the project root, git-ignored; override with
MLFLOW_TRACKING_URI), its artifacts in mlruns/ beside it. One store serves every warehouse.

A champion per warehouse: training records the version it registered, with the fingerprint of
its files, in the warehouse's own `ml.champion` (ml.data), so it is published with the
warehouse; `load_champion()` reads the active warehouse's record. Each warehouse also has an
alias of its own, `champion_<engine>_<10 hex digits of its identity's SHA-256>`
(spf.warehouse.warehouse_identity), moved only when a run publishes that warehouse: a run on
another target or database never moves it.

The registered model is an MLflow `pyfunc` model from code, which any system can call
(`python -m ml serve`): its code is ml/serving.py (copied into the model as `serving.py`, which
calls `mlflow.models.set_model`; no Python object is pickled) and its artifacts are the fitted
pipeline saved with skops (`pipeline.skops`), its calibration (`calibration.json`: the
interval, the probability and the reasons, ml.intervals) and the compiled SQL of the
warehouse's validation and encoding rules (`scoring_sql.json`, ml.scoring_sql).

Integrity: the SHA-256 of every file of the registered model is recorded when it is registered
(a version tag, and the warehouse's record) and recomputed when it is loaded; a changed or
foreign file is refused. The pipeline is loaded with skops and this module's own list of
trusted types, never with pickle and never with a list read from the model's files;
`ml predict` and the app read the files and never run the model's code.
"""

from __future__ import annotations

import hashlib
import logging
import math
import numbers
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import numpy as np

from ml.models import SKOPS_TRUSTED_TYPES
from spf.profile import PROJECT_ROOT, ConfigurationError
from spf.warehouse import open_warehouse, warehouse_identity

os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

    from ml.data import ChampionRecord
    from ml.evaluate import Evaluation
    from ml.intervals import Calibration
    from ml.scoring_sql import ScoringSql

EXPERIMENT_NAME = "student-performance-exam-score"
REGISTERED_MODEL = "student_performance_exam_score"
ALIAS_PREFIX = "champion"
FINGERPRINT_TAG = "fingerprint_sha256"
# the registered model's code, and its artifacts (name: file), in the model's artifacts/
SERVING_CODE = Path(__file__).with_name("serving.py")
PIPELINE_ARTIFACT = "pipeline"  # the fitted pipeline, saved with skops
CALIBRATION_ARTIFACT = "calibration"  # the interval, probability and reasons (ml.intervals)
SCORING_SQL_ARTIFACT = "scoring_sql"  # the warehouse's rules, compiled (ml.scoring_sql)
ARTIFACT_FILES = {
    PIPELINE_ARTIFACT: "pipeline.skops",
    CALIBRATION_ARTIFACT: "calibration.json",
    SCORING_SQL_ARTIFACT: "scoring_sql.json",
}
# set by `python -m ml serve` for the served model: the fingerprint its files must have
SERVED_FINGERPRINT = "SPF_SERVED_FINGERPRINT"
# written by MLflow beside a registered model's files when it downloads them, never stored
_DOWNLOAD_ONLY = ("registered_model_meta",)


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

    names = ("scikit-learn", "skops", "numpy", "scipy", "pandas", "duckdb")
    return [f"{name}=={version(name)}" for name in names]


def _loggable(value: Any) -> bool:
    """A finite number, Python's or numpy's (a row of a DataFrame holds numpy scalars)."""
    return isinstance(value, numbers.Real | np.bool_) and math.isfinite(value)


def log_training(evaluation: Evaluation, register: bool) -> tuple[str, str | None, str | None]:
    """Log one training run (a nested run per candidate) and its champion as a pyfunc model
    from code (module docstring); register it when `register` and tag the version with the
    fingerprint of its files.

    The new version gets no alias here: `promote` moves the warehouse's alias to it when the
    run publishes the warehouse its predictions belong to. Returns (run id, version or None,
    fingerprint or None)."""
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
        with tempfile.TemporaryDirectory(prefix="spf-model-") as scratch, _quiet_signature():
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=str(SERVING_CODE),
                artifacts=_write_artifacts(evaluation, Path(scratch)),
                registered_model_name=REGISTERED_MODEL if register else None,
                pip_requirements=_pinned_requirements(),  # no inference: it runs a subprocess
            )
        if not register:
            return run.info.run_id, None, None
        version = str(info.registered_model_version)
        client.set_model_version_tag(
            REGISTERED_MODEL, version, "model_name", evaluation.champion_name
        )
        with tempfile.TemporaryDirectory(prefix="spf-model-") as scratch:
            fingerprint = files_fingerprint(_download(mlflow, REGISTERED_MODEL, version, scratch))
        client.set_model_version_tag(REGISTERED_MODEL, version, FINGERPRINT_TAG, fingerprint)
        return run.info.run_id, version, fingerprint


@contextmanager
def _quiet_signature() -> Iterator[None]:
    """Without MLflow's warning that it cannot infer the model's signature: the served model
    has no input schema on purpose (it checks the columns itself, so that a wrong column is an
    answer rather than MLflow's error)."""

    def keep(record: logging.LogRecord) -> bool:
        return "infer model signature" not in record.getMessage()

    logger = logging.getLogger("mlflow.pyfunc")
    logger.addFilter(keep)
    try:
        yield
    finally:
        logger.removeFilter(keep)


def _write_artifacts(evaluation: Evaluation, directory: Path) -> dict[str, str]:
    """The champion's artifacts written to `directory`: {artifact name: path}."""
    import skops.io

    from ml.scoring_sql import scoring_sql

    paths = {name: directory / file for name, file in ARTIFACT_FILES.items()}
    skops.io.dump(evaluation.champion, paths[PIPELINE_ARTIFACT])
    paths[SCORING_SQL_ARTIFACT].write_text(scoring_sql().to_json(), encoding="utf-8")
    if evaluation.calibration is None:  # an evaluation without one serves predictions only
        del paths[CALIBRATION_ARTIFACT]
    else:
        paths[CALIBRATION_ARTIFACT].write_text(evaluation.calibration.to_json(), encoding="utf-8")
    return {name: str(path) for name, path in paths.items()}


def log_anomalies(run_id: str, anomalies: Any) -> None:
    """Add the score anomalies the champion found among all students to the training run."""
    mlflow = _use_store()
    mlflow.MlflowClient().log_metric(run_id, "score_anomalies", len(anomalies))
    mlflow.log_table(anomalies, artifact_file="score_anomalies.json", run_id=run_id)


def champion_alias(identity: str) -> str:
    """The alias of a warehouse's champion, named from its identity
    (spf.warehouse.warehouse_identity): `champion_<engine>_<10 hex digits>` (MLflow allows
    letters, digits, `_` and `-` in an alias)."""
    engine = identity.split(":", 1)[0]
    return f"{ALIAS_PREFIX}_{engine}_{hashlib.sha256(identity.encode()).hexdigest()[:10]}"


def model_uri(alias: str) -> str:
    """What `mlflow models serve -m` (or mlflow.pyfunc.load_model) takes for an alias."""
    return f"models:/{REGISTERED_MODEL}@{alias}"


def promote(version: str, identity: str) -> str:
    """Point the alias of the warehouse `identity` at `version` (done when that warehouse is
    published, or written in place by `python -m ml train`); returns the alias."""
    alias = champion_alias(identity)
    _use_store().MlflowClient().set_registered_model_alias(REGISTERED_MODEL, alias, version)
    return alias


def alias_version(alias: str) -> str | None:
    """The version `alias` points at, or None (no store, no such alias)."""
    from mlflow.exceptions import MlflowException

    if not _store_exists():
        return None
    try:
        client = _use_store().MlflowClient()
        return str(client.get_model_version_by_alias(REGISTERED_MODEL, alias).version)
    except MlflowException:
        return None


def files_fingerprint(directory: Path) -> str:
    """SHA-256 over every file of a model directory: each file's path and SHA-256, in path
    order (the file MLflow writes when it downloads a registered model left out)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        name = path.relative_to(directory).as_posix()
        if name in _DOWNLOAD_ONLY:
            continue
        digest.update(f"{name}\0{hashlib.sha256(path.read_bytes()).hexdigest()}\n".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Champion:
    pipeline: Pipeline
    run_id: str
    version: str
    fingerprint: str
    # its interval, probability and reasons (calibration.json); None when trained without
    calibration: Calibration | None = None


@dataclass(frozen=True)
class WarehouseChampion:
    """The active warehouse, its alias and its recorded champion."""

    identity: str
    location: str
    alias: str
    record: ChampionRecord


def _store_exists() -> bool:
    uri = tracking_uri()
    return not uri.startswith("sqlite:///") or Path(urlparse(uri).path).is_file()


def _require_store() -> None:
    if not _store_exists():
        raise ConfigurationError(
            f"No MLflow store at {tracking_uri()}: train a model first (`make run`, or `python"
            " -m ml train`), or set MLFLOW_TRACKING_URI to the store that has one"
        )


def warehouse_champion(target: str | None = None) -> WarehouseChampion:
    """The champion recorded in the active target's published warehouse (its ml.champion)."""
    from ml.data import read_champion

    _require_store()
    with open_warehouse(target, read_only=True) as warehouse:
        record = read_champion(warehouse)
        identity, location = warehouse_identity(warehouse.settings), warehouse.location
    if record is None:
        raise ConfigurationError(
            f"No champion is recorded in the warehouse at {location} (ml.champion): train a"
            " model first (`make run`, or `python -m ml train`)"
        )
    return WarehouseChampion(identity, location, champion_alias(identity), record)


def load_champion(version: str | None = None, target: str | None = None) -> Champion:
    """The active warehouse's champion (or one registered version), its files checked against
    their fingerprint, loaded with skops."""
    if version:
        return load_version(REGISTERED_MODEL, version)
    record = warehouse_champion(target).record
    return load_version(record.registered_model, record.model_version, record.fingerprint_sha256)


def verify_files(record: ChampionRecord) -> list[str]:
    """The recorded champion's files (their paths in the model), refused (one line) unless
    they are the ones registered."""
    _require_store()
    mlflow = _use_store()
    with tempfile.TemporaryDirectory(prefix="spf-model-") as scratch:
        _, local, _ = _checked_files(mlflow, record.registered_model, record.model_version,
                                     scratch, record.fingerprint_sha256)  # fmt: skip
        files = (path.relative_to(local).as_posix() for path in local.rglob("*") if path.is_file())
        return sorted(name for name in files if name not in _DOWNLOAD_ONLY)


def load_version(name: str, version: str, recorded: str | None = None) -> Champion:
    """Version `version` of model `name`, refused (one line) unless its files are the ones
    registered: their fingerprint must equal the version's tag and, when given, `recorded`
    (the warehouse's record of it). Its files are read, its code is not run."""
    _require_store()
    mlflow = _use_store()
    with tempfile.TemporaryDirectory(prefix="spf-model-") as scratch:
        model_version, local, found = _checked_files(mlflow, name, version, scratch, recorded)
        artifacts = _artifact_paths(local, f"Model '{name}' version {version}")
        return _read_champion(
            artifacts, model_version.run_id, str(model_version.version), found, name
        )


def load_served(artifacts: Mapping[str, str]) -> tuple[Champion, ScoringSql]:
    """The champion and its scoring SQL, as the served model (ml/serving.py) loads them from
    the files `mlflow models serve` downloaded (`artifacts`: name -> path, MLflow's
    PythonModelContext.artifacts). When SERVED_FINGERPRINT (set by `python -m ml serve` to the
    fingerprint it checked) is set, the files must have that fingerprint."""
    import yaml
    from mlflow.models import Model

    from ml.scoring_sql import ScoringSql

    local = Path(artifacts[PIPELINE_ARTIFACT]).parents[1]  # <model>/artifacts/pipeline.skops
    meta = local / _DOWNLOAD_ONLY[0]  # the registered name and version, when served by them
    registered = yaml.safe_load(meta.read_text()) if meta.is_file() else {}
    name = str(registered.get("model_name", REGISTERED_MODEL))
    version = str(registered.get("model_version", "?"))
    wanted = f"Model '{name}' version {version}"
    found = files_fingerprint(local)
    expected = os.environ.get(SERVED_FINGERPRINT)
    if expected:
        _check_fingerprint(wanted, found, expected, None)
    paths = {key: Path(value) for key, value in artifacts.items()}
    champion = _read_champion(paths, str(Model.load(str(local)).run_id), version, found, name)
    return champion, _read_artifact(wanted, paths[SCORING_SQL_ARTIFACT], ScoringSql.from_json)


def _artifact_paths(local: Path, wanted: str) -> dict[str, Path]:
    """The paths of a registered model's artifacts; refused unless it is a pyfunc model from
    code with its pipeline saved with skops (the layout log_training writes)."""
    from mlflow.models import Model

    flavor = Model.load(str(local)).flavors.get("python_function", {})
    artifacts = {
        name: local / spec["path"]
        for name, spec in (flavor.get("artifacts") or {}).items()
        if isinstance(spec, dict) and "path" in spec
    }
    pipeline = artifacts.get(PIPELINE_ARTIFACT)
    if "model_code_path" not in flavor or pipeline is None or pipeline.suffix != ".skops":
        raise ConfigurationError(
            f"{wanted} is not a champion this version of the project can load (a pyfunc model"
            " from code with its pipeline saved with skops; it was registered before, or by"
            " something else); refusing to load it: retrain (`make run`)"
        )
    return artifacts


def _read_champion(
    artifacts: Mapping[str, Path], run_id: str, version: str, fingerprint: str, name: str
) -> Champion:
    """The pipeline (skops, this module's trusted types) and the calibration of a model whose
    files have been checked."""
    import skops.io

    from ml.intervals import Calibration

    wanted = f"Model '{name}' version {version}"
    try:
        pipeline = skops.io.load(artifacts[PIPELINE_ARTIFACT], trusted=SKOPS_TRUSTED_TYPES)
    except Exception as error:  # noqa: BLE001 - whatever the file holds, one line
        reason = (str(error).strip().splitlines() or [""])[0]
        raise ConfigurationError(
            f"{wanted} cannot be loaded as a skops file of ml.models.SKOPS_TRUSTED_TYPES"
            f" ({type(error).__name__}: {reason}); refusing to load it"
        ) from None
    path = artifacts.get(CALIBRATION_ARTIFACT)
    calibration = None if path is None else _read_artifact(wanted, path, Calibration.from_json)
    return Champion(pipeline, run_id, version, fingerprint, calibration)


def _read_artifact(wanted: str, path: Path, read: Callable[[str], Any]) -> Any:
    """A JSON artifact of the model (checked with the other files), read by `read`; refused in
    one line when it cannot be."""
    try:
        return read(path.read_text(encoding="utf-8"))
    except (ValueError, ConfigurationError, OSError) as error:
        raise ConfigurationError(
            f"{wanted} has an unreadable {path.name} ({error}); retrain (`make run`)"
        ) from None


def _checked_files(
    mlflow: Any, name: str, version: str, scratch: str, recorded: str | None
) -> tuple[Any, Path, str]:
    """The registered version, its files downloaded to `scratch` and their fingerprint, which
    must equal the version's tag and `recorded` (when given)."""
    from mlflow.exceptions import MlflowException

    try:
        model_version = mlflow.MlflowClient().get_model_version(name, version)
    except MlflowException:
        raise ConfigurationError(
            f"No model '{name}' with version {version} in {tracking_uri()}: train one first"
            " (`make run`, or `python -m ml train`), or set MLFLOW_TRACKING_URI to the store"
            " that has it"
        ) from None
    local = _download(mlflow, name, version, scratch)
    found = files_fingerprint(local)
    wanted = f"Model '{name}' version {version}"
    _check_fingerprint(wanted, found, model_version.tags.get(FINGERPRINT_TAG), recorded)
    return model_version, local, found


def _download(mlflow: Any, name: str, version: str, scratch: str) -> Path:
    from mlflow.exceptions import MlflowException

    try:
        return Path(
            mlflow.artifacts.download_artifacts(
                artifact_uri=f"models:/{name}/{version}", dst_path=scratch
            )
        )
    except (MlflowException, OSError) as error:
        reason = (str(error).strip().splitlines() or [""])[0]
        raise ConfigurationError(
            f"Model '{name}' version {version}: its files cannot be read from the MLflow store"
            f" ({reason}); retrain (`make run`) or restore the store's artifacts"
        ) from None


def _check_fingerprint(wanted: str, found: str, tagged: str | None, recorded: str | None) -> None:
    if tagged is None:
        raise ConfigurationError(
            f"{wanted} has no fingerprint of its files (it was registered before they were"
            " recorded), so it cannot be checked; refusing to load it: retrain (`make run`)"
        )
    for expected, where in ((tagged, "at registration"), (recorded, "in the warehouse")):
        if expected is not None and found != expected:
            raise ConfigurationError(
                f"{wanted} has changed since it was registered: its files' SHA-256 fingerprint"
                f" is {found[:16]}, not {expected[:16]} as recorded {where}; refusing to load"
                " it. Retrain (`make run`) or restore the MLflow store's artifacts"
            )
