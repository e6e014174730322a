"""The model's inputs: which columns of the features mart are features, and how every pipeline
prepares them (imputation and scaling, fitted on the rows the pipeline is trained on).

Which column plays which role (id, measure, ordinal_code, flag, one_hot, target) is defined
once, by the macro `ml_feature_roles` that also lists the mart's columns; dbt puts it in the
model's `meta.ml_column_roles`, read here from the parsed manifest. No rule here depends on a
column's name."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

FEATURES_MODEL = "ml_exam_score_features"
ROLES_META = "ml_column_roles"
NOT_FEATURES = ("id", "target")
# The export leaves three categories blank for ~1 % of students; the mart keeps those as null
# ordinal codes, which the pipeline imputes.
IMPUTED = ("ordinal_code",)

Roles = Mapping[str, str]


def column_roles() -> dict[str, str]:
    """{column: role} of the features mart, from the model's meta in dbt's manifest."""
    from spf.dbt import model_meta

    return dict(model_meta(FEATURES_MODEL)[ROLES_META])


def feature_columns(features: pd.DataFrame, roles: Roles) -> list[str]:
    """The mart's columns that are features (neither an id nor the target), in its order."""
    unknown = [name for name in features.columns if name not in roles]
    if unknown:
        raise KeyError(f"{FEATURES_MODEL} has columns with no role: {', '.join(unknown)}")
    return [name for name in features.columns if roles[name] not in NOT_FEATURES]


def target_column(roles: Roles) -> str:
    (target,) = [name for name, role in roles.items() if role == "target"]
    return target


def score_range() -> tuple[float, float]:
    """The target's valid range, from its one definition (vars.spf_columns: the column marked
    `target: true`, its min and max): the warehouse rejects a score outside it."""
    from spf.columns import spf_columns

    (column,) = [column for column in spf_columns() if column.get("target")]
    return float(column["min"]), float(column["max"])


def feature_matrix(features: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The feature columns as float64 (nullable integers become NaN, booleans 0/1)."""
    missing = [name for name in columns if name not in features.columns]
    if missing:
        raise KeyError(f"the features mart has no column {', '.join(missing)}")
    return features[list(columns)].apply(pd.to_numeric).astype("float64")


def target_vector(features: pd.DataFrame, roles: Roles) -> pd.Series:
    return features[target_column(roles)].astype("float64")


def build_preprocessor(columns: Sequence[str], roles: Roles) -> ColumnTransformer:
    """Impute the ordinal codes with their most frequent value, then scale every feature."""
    imputed = [name for name in columns if roles[name] in IMPUTED]
    measured = [name for name in columns if name not in imputed]
    impute_and_scale = Pipeline(
        [("impute", SimpleImputer(strategy="most_frequent")), ("scale", StandardScaler())]
    )
    return ColumnTransformer(
        [("codes", impute_and_scale, imputed), ("measures", StandardScaler(), measured)],
        verbose_feature_names_out=False,
    )
