"""Why a prediction is what it is: the three factors that move it most away from the average
student, in exam points, with each factor's name in people's words and the student's value
("Attendance 62 % (−4.1 points)").

- A linear champion (linear or Huber regression: a model with `coef_` behind the scaling) is
  explained exactly: each scaled feature contributes coefficient × (the student's scaled value −
  its training average), and a factor's contribution is the sum over its feature columns (the
  two one-hot columns of a school type, say). The contributions of all factors add up to the
  prediction minus the average prediction over the training students (before clipping to
  0-100).
- Any other champion (a forest, boosted trees) is explained by a documented model-agnostic
  method: a factor's contribution is the prediction minus the prediction with that factor set
  to the average student's (its training mean for a number or an ordinal code, the most common
  value for a Yes/No or one-hot category), the rest of the student unchanged. These need not add
  up to the difference from the average prediction (the factors interact in such a model).

The factors, their labels and units come from their one definition, `vars.spf_columns`, and
their feature columns from the encoding's one definition, the macro `encoded_columns`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

TOP_REASONS = 3
MINUS = "\u2212"  # the minus sign people read, not a hyphen
NOT_GIVEN = "not given"


@dataclass(frozen=True)
class Factor:
    """One factor of the export, as the model sees it."""

    name: str  # the cleaned column name (vars.spf_columns `name`), e.g. attendance_pct
    label: str  # in people's words (`label`), e.g. Attendance
    unit: str  # what its numbers count (`unit`), e.g. %; "" for a category
    encoding: str  # measure, ordinal, flag or one_hot
    features: tuple[str, ...]  # its columns in the features mart
    values: tuple[str, ...] = ()  # a category's values, in code order

    def describe(self, values: Sequence[float]) -> str:
        """The student's value of this factor, in words, from its feature columns' values."""
        return f"{self.label} {self.value_text(values)}"

    def value_text(self, values: Sequence[float]) -> str:
        if self.encoding == "measure":
            (value,) = values
            if value != value:
                return NOT_GIVEN
            return f"{value:g}" + (f" {self.unit}" if self.unit else "")
        if self.encoding == "one_hot":
            chosen = [self.values[i] for i, value in enumerate(values) if value == 1]
            return chosen[0] if len(chosen) == 1 else NOT_GIVEN
        (code,) = values
        if code != code or not 0 <= code < len(self.values):
            return NOT_GIVEN
        return self.values[int(code)]

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "features": list(self.features), "values": list(self.values)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Factor:
        return cls(
            name=str(data["name"]),
            label=str(data["label"]),
            unit=str(data["unit"]),
            encoding=str(data["encoding"]),
            features=tuple(data["features"]),
            values=tuple(data["values"]),
        )


def model_factors(columns: Sequence[str]) -> tuple[Factor, ...]:
    """The factors behind the feature columns `columns`, in the export's order: every column
    of vars.spf_columns but the target, a category's columns from the macro encoded_columns.
    A feature column that belongs to no factor is an error."""
    from spf.columns import spf_columns
    from spf.macros import call_macro

    factors = []
    for column in spf_columns():
        if column.get("target"):
            continue
        if column["kind"] == "category":
            encoded = tuple(item["name"] for item in call_macro("encoded_columns", column))
            encoding = str(column["encoding"])
        else:
            encoded, encoding = (str(column["name"]),), "measure"
        features = tuple(name for name in encoded if name in columns)
        if features:
            factors.append(
                Factor(
                    name=str(column["name"]),
                    label=str(column.get("label") or column["raw"]),
                    unit=str(column.get("unit") or ""),
                    encoding=encoding,
                    features=features,
                    values=tuple(str(value) for value in column.get("values", ())),
                )
            )
    covered = {name for factor in factors for name in factor.features}
    unknown = [name for name in columns if name not in covered]
    if unknown:
        raise KeyError(f"feature columns of no factor of vars.spf_columns: {', '.join(unknown)}")
    return tuple(factors)


def reference_values(x: pd.DataFrame, factors: Sequence[Factor]) -> dict[str, float]:
    """The average student, per feature column: the training mean of a number or an ordinal
    code; the most common value of a Yes/No flag; for a one-hot group, its most common
    category (1 in that column, 0 in the others)."""
    reference: dict[str, float] = {}
    for factor in factors:
        means = x[list(factor.features)].mean()
        if factor.encoding == "one_hot":
            chosen = means.idxmax()
            reference.update({name: float(name == chosen) for name in factor.features})
        elif factor.encoding == "flag":
            reference.update({name: float(means[name] >= 0.5) for name in factor.features})
        else:
            reference.update({name: float(means[name]) for name in factor.features})
    return reference


def is_linear(pipeline: Pipeline) -> bool:
    """A model that predicts intercept + coefficients · (prepared features)."""
    model = pipeline[-1]
    return hasattr(model, "coef_") and hasattr(model, "intercept_")


def scaled_averages(pipeline: Pipeline, x: pd.DataFrame) -> dict[str, float]:
    """The training average of each column the fitted pipeline's preparation gives its model
    (the scaled features): the point a linear champion's contributions are measured from."""
    prepare = pipeline[:-1]
    prepared = np.asarray(prepare.transform(x), dtype="float64")
    names = [str(name) for name in prepare.get_feature_names_out()]
    return dict(zip(names, prepared.mean(axis=0).tolist(), strict=True))


def contributions(
    pipeline: Pipeline,
    x: pd.DataFrame,
    factors: Sequence[Factor],
    reference: Mapping[str, float],
    scaled_average: Mapping[str, float],
) -> np.ndarray:
    """Each factor's contribution to each student's prediction, in exam points (rows × factors,
    in `factors` order): exact for a linear champion, the set-to-the-average-student change
    for any other (see the module's docstring)."""
    if not len(x):
        return np.empty((0, len(factors)), dtype="float64")
    if is_linear(pipeline):
        return _linear_contributions(pipeline, x, factors, scaled_average)
    predicted = pipeline.predict(x).astype("float64")
    points = np.empty((len(x), len(factors)), dtype="float64")
    for index, factor in enumerate(factors):
        average = x.copy()
        for name in factor.features:
            average[name] = reference[name]
        points[:, index] = predicted - pipeline.predict(average).astype("float64")
    return points


def _linear_contributions(
    pipeline: Pipeline,
    x: pd.DataFrame,
    factors: Sequence[Factor],
    scaled_average: Mapping[str, float],
) -> np.ndarray:
    prepare, model = pipeline[:-1], pipeline[-1]
    names = [str(name) for name in prepare.get_feature_names_out()]
    prepared = np.asarray(prepare.transform(x), dtype="float64")
    centred = prepared - np.array([scaled_average[name] for name in names])
    # each prepared column's points summed into its factor's (a one-hot group's into one), by
    # one product with a 0/1 membership matrix
    membership = np.zeros((len(names), len(factors)))
    position = {name: i for i, name in enumerate(names)}
    for index, factor in enumerate(factors):
        membership[[position[name] for name in factor.features], index] = 1.0
    return (centred * np.ravel(model.coef_)) @ membership


def points_text(points: float) -> str:
    """Signed exam points to the nearest tenth (half to even), with a true minus sign: +2.0,
    −4.1; a contribution that rounds to nothing is +0.0."""
    return _tenths_text(round(points * 10))


def _tenths_text(tenths: int) -> str:
    sign = MINUS if tenths < 0 else "+"
    return f"{sign}{abs(tenths) // 10}.{abs(tenths) % 10}"


def _value_texts(factor: Factor, block: np.ndarray) -> np.ndarray:
    """Factor.value_text of every row of `block` (the factor's feature columns), vectorised:
    numbers are written once per distinct value, categories looked up."""
    if factor.encoding == "measure":
        codes, distinct = pd.factorize(block[:, 0], use_na_sentinel=False)
        texts = np.array([factor.value_text([value]) for value in distinct.tolist()], dtype=object)
        return texts[codes]
    words = np.array([*factor.values, NOT_GIVEN], dtype=object)
    if factor.encoding == "one_hot":
        single = (block == 1).sum(axis=1) == 1
        return words[np.where(single, np.argmax(block == 1, axis=1), len(factor.values))]
    code = block[:, 0]
    known = ~np.isnan(code) & (code >= 0) & (code < len(factor.values))
    return words[np.where(known, np.nan_to_num(code, nan=0).astype(int), len(factor.values))]


def _reason_texts(factor: Factor, block: np.ndarray, points: np.ndarray) -> np.ndarray:
    """ "<label> <value> (<points> points)" for each row, written once per distinct (value,
    points to the tenth) pair: half a million students cost a few thousand strings."""
    value_ids, values = pd.factorize(_value_texts(factor, block))
    tenths = np.rint(points * 10).astype(np.int64)
    low = int(tenths.min())
    span = int(tenths.max()) - low + 1  # one key per (value, tenths) pair
    pair_ids, pairs = pd.factorize(value_ids * span + (tenths - low))
    texts = np.array(
        [
            f"{factor.label} {values[pair // span]} ({_tenths_text(pair % span + low)} points)"
            for pair in pairs.tolist()
        ],
        dtype=object,
    )
    return texts[pair_ids]


def top_reasons(x: pd.DataFrame, points: np.ndarray, factors: Sequence[Factor]) -> pd.DataFrame:
    """Per student (x's index): `top_reasons` in words, and the three factors with the largest
    contributions (|points|; ties in the export's order) as `reason_<n>_factor` (the factor's
    label) and `reason_<n>_points` (signed: positive raises the prediction)."""
    count = min(TOP_REASONS, len(factors))
    order = np.argsort(-np.abs(points), axis=1, kind="stable")[:, :count]
    rows = np.arange(len(x))
    values = x.to_numpy(dtype="float64")
    position = {name: i for i, name in enumerate(x.columns)}
    labels = np.array([factor.label for factor in factors], dtype=object)
    frame: dict[str, pd.Series] = {}
    text = np.full(len(x), "", dtype=object)
    for n in range(TOP_REASONS):
        name = f"reason_{n + 1}"
        if n >= count:
            frame[f"{name}_factor"] = pd.Series(None, index=x.index, dtype="object")
            frame[f"{name}_points"] = pd.Series(np.nan, index=x.index, dtype="float64")
            continue
        chosen = order[:, n]
        chosen_points = points[rows, chosen]
        described = np.empty(len(x), dtype=object)
        for index, factor in enumerate(factors):
            which = chosen == index
            if which.any():
                block = values[np.ix_(which, [position[c] for c in factor.features])]
                described[which] = _reason_texts(factor, block, chosen_points[which])
        text = described if n == 0 else text + "; " + described
        frame[f"{name}_factor"] = pd.Series(labels[chosen], index=x.index, dtype="object")
        frame[f"{name}_points"] = pd.Series(chosen_points, index=x.index, dtype="float64")
    return pd.DataFrame({"top_reasons": pd.Series(text, index=x.index, dtype="object"), **frame})
