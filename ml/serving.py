"""The champion as any system can call it: the code of the registered MLflow `pyfunc` model.

ml.tracking logs this file as the model's code (`python_model=<this file>`, a model from code:
MLflow copies it into the model and runs it when it loads the model, so no Python object is
pickled); `mlflow.models.set_model` at the bottom names the model. `python -m ml serve` (`make
serve`) serves the active warehouse's champion with `mlflow models serve`.

The model takes students in the export's columns (any case), as raw text or values, Exam_Score
optional, and answers one row per student, in order, with the columns of ml.scoring's
OUTPUT_COLUMNS: the prediction, its interval, the probability of scoring below the at-risk
score and the three reasons, or the warehouse's rejection reasons for a row it would reject
(the other rows are scored all the same). The rows go through the warehouse's validation and
encoding rules as the model carries them (its `scoring_sql.json`, run on an in-memory DuckDB),
then ml.scoring.score_rows, the one scoring path of `python -m ml predict` and the app.

It never raises to MLflow's scoring server, which would answer HTTP 400 with a Python stack
trace: a request it cannot score at all (wrong columns) or any error is answered with one row,
`{"error": "<one line saying why>"}`; the details of an unexpected error go to the server's
log only.
"""

from __future__ import annotations

import logging
from typing import Any

import mlflow
import pandas as pd

_LOG = logging.getLogger("spf.serving")


class ServedChampion(mlflow.pyfunc.PythonModel):
    """The champion's pipeline, calibration and scoring SQL, loaded from the model's files."""

    def load_context(self, context: Any) -> None:
        from ml.tracking import load_served
        from spf.columns import raw_header

        self._champion, self._sql = load_served(context.artifacts)
        # no student, every step: the imports and first-use costs are paid before /ping answers
        self.predict(context, pd.DataFrame(columns=raw_header()))

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        from spf.profile import ConfigurationError

        try:
            return _jsonable(self._score(model_input))
        except ConfigurationError as refused:  # wrong columns, a champion it cannot use
            return _error(str(refused))
        except Exception as error:  # noqa: BLE001 - an answer, never a stack trace
            _LOG.exception("scoring a request failed")
            reason = (str(error).strip().splitlines() or [""])[0]
            return _error(
                f"The students could not be scored ({type(error).__name__}: {reason}); the"
                " server's log has the details"
            )

    def _score(self, students: Any) -> pd.DataFrame:
        from ml.scoring import clean, frame_rows, raw_frame, score_rows

        if isinstance(students, dict):  # `instances` and `inputs` of named columns
            students = pd.DataFrame(students)
        if not isinstance(students, pd.DataFrame):
            return _error(
                "Send the students as a table in the export's columns, e.g."
                ' {"dataframe_split": {"columns": ["Hours_Studied", ...], "data": [[...]]}}'
            )
        accepted, rejected = clean(raw_frame(frame_rows(students)), self._sql)
        return score_rows(self._champion, accepted, rejected)


def _jsonable(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing values as None (JSON null): MLflow writes NaN as a bare NaN, which is not JSON,
    and cannot write pandas' NA at all."""
    frame = frame.astype("object")
    return frame.where(frame.notna(), None)


def _error(message: str) -> pd.DataFrame:
    return pd.DataFrame({"error": [message]})


mlflow.models.set_model(ServedChampion())
