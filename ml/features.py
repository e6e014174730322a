"""The model's inputs: which columns of the features mart are features, and how every pipeline
prepares them (imputation and scaling, fitted on the rows the pipeline is trained on)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

ID_COLUMNS = ("student_key", "source_row_number")
TARGET = "exam_score"
# Ordinal category codes; the export leaves three categories blank for ~1 % of students, and
# the mart keeps those as null codes for the pipeline to impute.
CODE_SUFFIX = "_code"


def feature_columns(features: pd.DataFrame) -> list[str]:
    """Every column of the mart except the ids and the target, in the mart's order."""
    return [name for name in features.columns if name not in (*ID_COLUMNS, TARGET)]


def feature_matrix(features: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The feature columns as float64 (nullable integers become NaN, booleans 0/1)."""
    missing = [name for name in columns if name not in features.columns]
    if missing:
        raise KeyError(f"the features mart has no column {', '.join(missing)}")
    return features[list(columns)].apply(pd.to_numeric).astype("float64")


def target_vector(features: pd.DataFrame) -> pd.Series:
    return features[TARGET].astype("float64")


def build_preprocessor(columns: Sequence[str]) -> ColumnTransformer:
    """Impute the category codes with their most frequent value, then scale every feature."""
    codes = [name for name in columns if name.endswith(CODE_SUFFIX)]
    measures = [name for name in columns if name not in codes]
    impute_and_scale = Pipeline(
        [("impute", SimpleImputer(strategy="most_frequent")), ("scale", StandardScaler())]
    )
    return ColumnTransformer(
        [("codes", impute_and_scale, codes), ("measures", StandardScaler(), measures)],
        verbose_feature_names_out=False,
    )
