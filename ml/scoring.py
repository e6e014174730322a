"""Score students in well under a second, with the warehouse's own rules.

`score_students(frame)` takes students in the export's columns (raw text, Exam_Score optional)
and returns one row per student: the champion's prediction with its interval, the probability
of scoring below the at-risk score and the three reasons (`score_features`, the one function
that computes them, also for ml.predictions at training), or the reasons the warehouse would
reject the row. The rules are not repeated here: the students go through the compiled SQL of
the warehouse's own models (stg_spf__students -> int_students_featured ->
ml_exam_score_features, and rpt_rejected_rows), run on an in-memory DuckDB.

That SQL is compiled by dbt once (`spf_scoring: true`, so a missing exam score is no reason to
reject a student) and kept in target/scoring/, keyed by a fingerprint of the project's models,
macros and settings: it is compiled again only when one of them changes (ml.scoring_sql, which
also runs it; each registered champion carries its own copy, which the served model runs). The
champion is the active warehouse's (recorded in its ml.champion, read on every call); each
version is loaded, its files checked against their fingerprint, once per process. `python -m ml
predict`, the app's form and its batch upload and the served model (ml/serving.py) call this.
"""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from ml.features import feature_matrix
from ml.intervals import Calibration, bounds, is_at_risk, probability_below
from ml.models import predict_scores
from ml.reasons import contributions, top_reasons
from ml.scoring_sql import ScoringFailed, ScoringSql, scoring_sql
from ml.tracking import Champion, load_version, warehouse_champion
from spf.columns import HeaderRefused, checked_header, raw_header
from spf.profile import ConfigurationError

# what score_features gives per student (ml.predictions holds them too)
PREDICTION_COLUMNS = [
    "predicted_exam_score",
    "predicted_lower",
    "predicted_upper",
    "probability_below_at_risk_score",
    "is_predicted_at_risk",
    "top_reasons",
    "reason_1_factor",
    "reason_1_points",
    "reason_2_factor",
    "reason_2_points",
    "reason_3_factor",
    "reason_3_points",
]
OUTPUT_COLUMNS = [
    "source_row_number",
    "student_key",
    *PREDICTION_COLUMNS,
    "rejection_reasons",
    "run_id",
    "model_version",
]
_LOCK = threading.Lock()
_CHAMPIONS: dict[tuple[str, str, str | None], Champion] = {}


def champion(version: str | None = None, target: str | None = None) -> Champion:
    """The active warehouse's champion (or one registered version), each loaded once per
    process; the warehouse's record is read on every call, so the champion of a newly
    published warehouse is used at once."""
    from ml.tracking import REGISTERED_MODEL

    if version:
        wanted: tuple[str, str, str | None] = (REGISTERED_MODEL, version, None)
    else:  # no champion: raises, saying how to train one
        record = warehouse_champion(target).record
        wanted = (record.registered_model, record.model_version, record.fingerprint_sha256)
    with _LOCK:
        if wanted not in _CHAMPIONS:
            _CHAMPIONS[wanted] = load_version(*wanted)
        return _CHAMPIONS[wanted]


def raw_frame(rows: list[tuple[int, list[str | None], str | None, str | None]]) -> pd.DataFrame:
    """Rows as spf.landing.read_raw_rows yields them, as the raw table's columns."""
    names = [name.lower() for name in raw_header()]
    return pd.DataFrame(
        {
            "source_row_number": [str(number) for number, _, _, _ in rows],
            **{name: [fields[i] for _, fields, _, _ in rows] for i, name in enumerate(names)},
            "raw_line": [raw_line for _, _, raw_line, _ in rows],
            "load_error": [error for _, _, _, error in rows],
        },
        dtype="object",
    )


def frame_rows(
    students: pd.DataFrame,
) -> list[tuple[int, list[str | None], str | None, str | None]]:
    """A frame in the export's columns (any case; raw text or values) as raw rows; refused,
    with the missing and unexpected columns, when its columns are not the export's."""
    found = ",".join(str(column) for column in students.columns)
    try:
        names = checked_header("(the students to score)", found, scoring=True)
    except HeaderRefused as refused:
        raise ScoringFailed(str(refused)) from None
    columns = [names.index(name) if name in names else None for name in raw_header()]
    rows = []
    for number, values in enumerate(students.itertuples(index=False, name=None), start=1):
        fields = [None if i is None else _raw_text(values[i]) for i in columns]
        rows.append((number, fields, None, None))
    return rows


def _raw_text(value: object) -> str | None:
    """A value as the export's CSV would hold it (blank: None)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text if text.strip() else None


def clean(raw: pd.DataFrame, sql: ScoringSql | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The raw rows through the warehouse's models (the project's compiled SQL, or `sql`: the
    bundle a registered champion carries): (features of the accepted rows, the rejected rows
    with their reasons), each in row order."""
    return (sql or scoring_sql()).run(raw)


def score_features(pipeline: Pipeline, calibration: Calibration, x: pd.DataFrame) -> pd.DataFrame:
    """The champion's prediction for each student of `x` (the features mart's feature columns,
    one row per student), with x's index: PREDICTION_COLUMNS. The prediction is clipped to the
    score's range (ml.models.predict_scores), the interval is its ± the calibrated half-width,
    clipped the same way, the probability comes from the calibration residuals
    (ml.intervals), the reasons from ml.reasons. ml.predictions (ml.train.predict_all),
    `python -m ml predict`, the app and the served model all score through here."""
    predicted = predict_scores(pipeline, x)
    lower, upper = bounds(predicted, calibration.quantile)
    probability = probability_below(
        predicted, calibration.residuals, calibration.at_risk_below_score
    )
    points = contributions(
        pipeline, x, calibration.factors, calibration.reference, calibration.scaled_average
    )
    scored = pd.DataFrame(
        {
            "predicted_exam_score": predicted,
            "predicted_lower": lower,
            "predicted_upper": upper,
            "probability_below_at_risk_score": probability,
            "is_predicted_at_risk": is_at_risk(probability, calibration.at_risk_probability_cutoff),
        },
        index=x.index,
    )
    return scored.join(top_reasons(x, points, calibration.factors))[PREDICTION_COLUMNS]


def score_rows(scorer: Champion, accepted: pd.DataFrame, rejected: pd.DataFrame) -> pd.DataFrame:
    """One output row per input row, in row order: a prediction, or the reasons it has none."""
    columns = list(scorer.pipeline.feature_names_in_)
    try:
        x = feature_matrix(accepted, columns)
    except KeyError as error:
        raise ConfigurationError(
            f"The champion (version {scorer.version}) needs a feature the warehouse no longer"
            f" builds ({error.args[0]}): retrain it (`python -m ml train`)"
        ) from None
    if scorer.calibration is None:
        raise ConfigurationError(
            f"The champion (version {scorer.version}) was registered without its calibration"
            " (calibration.json: the interval, the probability and the reasons): retrain it"
            " (`make run`, or `python -m ml train`)"
        )
    scored = pd.concat(
        [
            accepted[["source_row_number", "student_key"]],
            score_features(scorer.pipeline, scorer.calibration, x),
        ],
        axis=1,
    ).assign(rejection_reasons=pd.Series(pd.NA, index=accepted.index, dtype="string"))
    refused = pd.DataFrame(
        {
            "source_row_number": rejected["source_row_number"],
            "student_key": pd.Series(pd.NA, index=rejected.index, dtype="string"),
            **{name: _missing(name, rejected.index) for name in PREDICTION_COLUMNS},
            "rejection_reasons": rejected["rejection_reasons"],
        }
    )
    frames = [frame for frame in (scored, refused) if len(frame)]
    rows = pd.concat(frames, ignore_index=True) if frames else scored
    rows = rows.sort_values("source_row_number", ignore_index=True)
    return rows.assign(run_id=scorer.run_id, model_version=scorer.version)[OUTPUT_COLUMNS]


def _missing(name: str, index: pd.Index) -> pd.Series:
    """A rejected row's empty value of a prediction column: NaN for a number, else NA."""
    if name.endswith(("_score", "_lower", "_upper", "_points")):
        return pd.Series(np.nan, index=index, dtype="float64")
    if name.startswith("is_"):
        return pd.Series(pd.NA, index=index, dtype="boolean")
    return pd.Series(pd.NA, index=index, dtype="string")


def score_raw(
    raw: pd.DataFrame, version: str | None = None, target: str | None = None
) -> pd.DataFrame:
    """Raw rows (raw_frame) scored by the warehouse's champion (or one registered version)."""
    scorer = champion(version, target)
    accepted, rejected = clean(raw)
    return score_rows(scorer, accepted, rejected)


def score_students(students: pd.DataFrame, version: str | None = None) -> pd.DataFrame:
    """Students in the export's columns, scored: OUTPUT_COLUMNS, one row per student, in input
    order (`source_row_number` 1 is the first)."""
    return score_raw(raw_frame(frame_rows(students)), version)
