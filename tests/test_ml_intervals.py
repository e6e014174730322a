"""The prediction interval, the probability of scoring below the at-risk score, and the
reasons: their pure parts by hand, then on the sample's (and, with SPF_REAL_CSV, the real
export's) warehouse."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ml.features import column_roles, feature_columns, feature_matrix
from ml.intervals import (
    Calibration,
    CalibrationError,
    Settings,
    bounds,
    brier_score,
    champion_calibration,
    conformal_quantile,
    is_at_risk,
    probability_below,
)
from ml.models import candidate_pipelines
from ml.reasons import contributions, is_linear, model_factors, points_text, top_reasons
from spf.definitions import var
from tests.conftest import Build, project_env
from tests.helpers import latest_metrics, use_warehouse_in_process

# -- pure parts ----------------------------------------------------------------------------

RESIDUALS = [-3.0, 1.0, 0.5, -2.0, 4.0, 0.2, -0.1, 2.5, -1.5]  # n = 9


@pytest.mark.parametrize(
    ("confidence", "expected"),
    [
        (0.8, 3.0),  # k = ceil(10 × 0.8) = 8: the 8th of 0.1 0.2 0.5 1 1.5 2 2.5 3 4
        (0.9, 4.0),  # k = 9
        (0.5, 1.5),  # k = 5
        (0.95, math.inf),  # k = 10 > n: too few calibration students for 95 %
    ],
)
def test_the_quantile_is_the_kth_smallest_absolute_residual(
    confidence: float, expected: float
) -> None:
    assert conformal_quantile(RESIDUALS, confidence) == expected


def test_bounds_are_the_prediction_plus_minus_q_within_the_scores_range() -> None:
    lower, upper = bounds(np.array([50.0, 99.5, 0.3]), 1.25)
    assert lower.tolist() == [48.75, 98.25, 0.0]
    assert upper.tolist() == [51.25, 100.0, 1.55]


def test_the_probability_is_the_share_of_residuals_that_bring_the_score_below() -> None:
    residuals = [-2.0, -1.0, 0.0, 1.0, 2.0]
    # 60 + r < 62 for r in -2, -1, 0, 1 (not 2: "below" is strict); 60 + r < 60 for -2, -1
    assert probability_below(np.array([60.0, 60.0]), residuals, 62).tolist() == [0.8, 0.8]
    assert probability_below(np.array([60.0]), residuals, 60).tolist() == [0.4]
    assert probability_below(np.array([70.0, 50.0]), residuals, 62).tolist() == [0.0, 1.0]
    assert is_at_risk(np.array([0.49, 0.5, 0.8]), 0.5).tolist() == [False, True, True]


def test_the_probability_rises_with_the_threshold_and_falls_with_the_prediction() -> None:
    rng = np.random.default_rng(7)
    residuals = rng.standard_t(3, 500)
    thresholds = np.linspace(50, 75, 101)
    for predicted in (55.0, 62.0, 70.0):
        curve = [probability_below(np.array([predicted]), residuals, t)[0] for t in thresholds]
        assert np.all(np.diff(curve) >= 0) and curve[0] < curve[-1]
    predictions = np.linspace(50, 75, 101)
    falling = probability_below(predictions, residuals, 62)
    assert np.all(np.diff(falling) <= 0) and falling[0] == 1.0 and falling[-1] == 0.0


def test_brier_score_by_hand() -> None:
    assert brier_score(np.array([0.9, 0.2, 0.5]), np.array([True, False, False])) == (
        pytest.approx((0.01 + 0.04 + 0.25) / 3)
    )


def test_points_read_with_a_true_minus_sign() -> None:
    assert [points_text(p) for p in (-4.06, 2.0, 0.04)] == ["−4.1", "+2.0", "+0.0"]


def synthetic_students(rows: int = 400, seed: int = 3) -> tuple[pd.DataFrame, pd.Series]:
    """Students in the features mart's columns (from the manifest's roles), made up, with a
    score that depends on attendance, hours studied and motivation."""
    rng = np.random.default_rng(seed)
    roles = column_roles()
    frame = pd.DataFrame(
        {"student_key": [f"k{i}" for i in range(rows)], "source_row_number": range(rows)}
    )
    one_hot: dict[str, list[str]] = {}
    for name, role in roles.items():
        if role == "measure":
            frame[name] = rng.uniform(0, 100, rows).round()
        elif role == "ordinal_code":
            frame[name] = rng.integers(0, 3, rows).astype("float64")
        elif role == "flag":
            frame[name] = rng.integers(0, 2, rows)
        elif role == "one_hot":
            one_hot.setdefault(name.rsplit("_", 1)[0], []).append(name)
    for names in one_hot.values():
        chosen = rng.integers(0, len(names), rows)
        for index, name in enumerate(names):
            frame[name] = (chosen == index).astype(int)
    frame.loc[5, "teacher_quality_code"] = np.nan  # a blank category, imputed
    columns = feature_columns(frame.assign(exam_score=0), roles)
    score = (
        40
        + 0.3 * frame["attendance_pct"]
        + 0.1 * frame["hours_studied"]
        + 1.5 * frame["motivation_level_code"]
        + rng.normal(0, 1, rows)
    )
    return frame[columns], score


def test_every_feature_column_belongs_to_one_factor_named_in_peoples_words() -> None:
    x, _ = synthetic_students(10)
    factors = model_factors(list(x.columns))
    assert sorted(name for factor in factors for name in factor.features) == sorted(x.columns)
    by_name = {factor.name: factor for factor in factors}
    labels = {column["name"]: column["label"] for column in var("spf_columns")}
    assert all(factor.label == labels[factor.name] for factor in factors)
    assert by_name["attendance_pct"].label == "Attendance"
    assert by_name["school_type"].features == ("is_school_type_public", "is_school_type_private")
    assert by_name["attendance_pct"].describe([62.0]) == "Attendance 62 %"
    assert by_name["motivation_level"].describe([0.0]) == "Motivation Low"
    assert by_name["teacher_quality"].describe([float("nan")]) == "Teacher quality not given"
    assert by_name["school_type"].describe([0.0, 1.0]) == "School type Private"
    assert by_name["internet_access"].describe([1.0]) == "Internet access Yes"
    with pytest.raises(KeyError, match="no factor"):
        model_factors([*x.columns, "shoe_size"])


@pytest.fixture(scope="module")
def linear_fit() -> tuple[object, pd.DataFrame, Calibration]:
    x, y = synthetic_students()
    pipeline = candidate_pipelines(list(x.columns), column_roles())["linear_regression"]
    pipeline.fit(x, y)
    residuals = np.linspace(-2, 2, 41)
    return pipeline, x, champion_calibration(pipeline, x, residuals, Settings(0.9, 62, 0.5))


def test_linear_contributions_add_up_to_the_difference_from_the_average(linear_fit) -> None:
    pipeline, x, calibration = linear_fit
    assert is_linear(pipeline)
    points = contributions(
        pipeline, x, calibration.factors, calibration.reference, calibration.scaled_average
    )
    predicted = pipeline.predict(x)
    assert calibration.average_prediction == pytest.approx(predicted.mean(), abs=1e-9)
    assert np.abs(points.sum(axis=1) - (predicted - predicted.mean())).max() < 1e-6
    # the factors that drive the made-up score lead; the others contribute next to nothing
    names = [factor.name for factor in calibration.factors]
    spread = pd.Series(np.abs(points).mean(axis=0), index=names).sort_values(ascending=False)
    assert set(spread.index[:3]) == {"attendance_pct", "hours_studied", "motivation_level"}


def test_top_reasons_are_the_largest_contributions_in_words(linear_fit) -> None:
    pipeline, x, calibration = linear_fit
    points = contributions(
        pipeline, x, calibration.factors, calibration.reference, calibration.scaled_average
    )
    reasons = top_reasons(x, points, calibration.factors)
    row = int(np.argmin(x["attendance_pct"]))  # the least attended: attendance lowers most
    first = reasons.iloc[row]
    attendance = [f.name for f in calibration.factors].index("attendance_pct")
    assert first["reason_1_factor"] == "Attendance"
    assert first["reason_1_points"] == points[row, attendance] < 0
    value = f"{x['attendance_pct'].iloc[row]:g}"
    expected = f"Attendance {value} % ({points_text(points[row, attendance])} points); "
    assert first["top_reasons"].startswith(expected)
    ordered = reasons[["reason_1_points", "reason_2_points", "reason_3_points"]].abs()
    assert (ordered.diff(axis=1).iloc[:, 1:] <= 0).all().all()
    # every student's text says, factor by factor, what Factor.describe says of one value
    by_label = {factor.label: factor for factor in calibration.factors}
    for row in range(len(x)):
        expected_parts = []
        for n in (1, 2, 3):
            factor = by_label[reasons[f"reason_{n}_factor"].iloc[row]]
            value = factor.describe(x[list(factor.features)].iloc[row].tolist())
            expected_parts.append(
                f"{value} ({points_text(reasons[f'reason_{n}_points'].iloc[row])} points)"
            )
        assert reasons["top_reasons"].iloc[row] == "; ".join(expected_parts)
    assert reasons["top_reasons"].str.contains("Teacher quality not given").iloc[5] or (
        "Teacher quality" not in reasons["top_reasons"].iloc[5]
    )
    none = top_reasons(x.head(0), points[:0], calibration.factors)
    assert len(none) == 0 and "reason_3_points" in none.columns


def test_other_champions_are_explained_by_setting_a_factor_to_the_average(linear_fit) -> None:
    _, x, calibration = linear_fit
    _, y = synthetic_students()
    boosted = candidate_pipelines(list(x.columns), column_roles())["gradient_boosting"]
    boosted.fit(x, y)
    assert not is_linear(boosted)
    points = contributions(
        boosted, x, calibration.factors, calibration.reference, calibration.scaled_average
    )
    attendance = [f.name for f in calibration.factors].index("attendance_pct")
    averaged = x.assign(attendance_pct=calibration.reference["attendance_pct"])
    expected = boosted.predict(x) - boosted.predict(averaged)
    assert np.abs(points[:, attendance] - expected).max() < 1e-9
    # a one-hot group is set to its most common category as a whole
    school = [f.name for f in calibration.factors].index("school_type")
    public = calibration.reference["is_school_type_public"]
    assert {public, calibration.reference["is_school_type_private"]} == {0.0, 1.0}
    assert public == float(x["is_school_type_public"].mean() >= 0.5)
    assert points[:, school].shape == (len(x),)


def test_the_calibration_survives_json_and_refuses_what_is_not_one(linear_fit) -> None:
    _, _, calibration = linear_fit
    assert Calibration.from_json(calibration.to_json()) == calibration
    with pytest.raises(CalibrationError, match="not a calibration"):
        Calibration.from_json('{"confidence": 0.9}')
    with pytest.raises(CalibrationError, match="not a calibration"):
        Calibration.from_json("[1, 2")


# -- on a warehouse ------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["sample_warehouse", "real_warehouse"])
def built(request: pytest.FixtureRequest) -> Build:
    """The sample's warehouse, and the real export's when SPF_REAL_CSV is set."""
    return request.getfixturevalue(request.param)


def test_the_champions_interval_covers_about_90_percent_of_hold_out_students(
    built: Build,
) -> None:
    metrics = latest_metrics(built)
    champion = metrics[metrics["is_champion"]].iloc[0]
    assert var("ml_interval_confidence") == 0.9
    assert 0.88 <= champion["interval_coverage"] <= 0.94, champion
    assert metrics["interval_coverage"].between(0.8, 1).all(), metrics["interval_coverage"]
    # the width is reported, and a better model has a narrower interval
    assert (metrics["interval_mean_width"] > 0).all()
    widths = metrics["interval_mean_width"]
    assert widths[champion.name] < widths["random_forest"] < widths["mean_predictor"]


def test_the_probability_beats_the_base_rate(built: Build) -> None:
    metrics = latest_metrics(built)
    champion = metrics[metrics["is_champion"]].iloc[0]
    assert champion["brier_score"] < 0.5 * champion["brier_score_base_rate"], champion
    informed = metrics.drop(index="mean_predictor")
    assert (informed["brier_score"] < informed["brier_score_base_rate"]).all()
    # the base rate is the same for every model: the training part's share below the score
    assert metrics["brier_score_base_rate"].nunique() == 1


def test_the_predictions_mart_carries_the_interval_probability_and_reasons(
    built: Build,
) -> None:
    scored = built.query("select * from marts.fct_exam_score_predictions")
    for column in (
        "predicted_lower",
        "predicted_upper",
        "probability_below_at_risk_score",
        "top_reasons",
        "reason_1_factor",
        "reason_1_points",
        "reason_3_factor",
        "reason_3_points",
    ):
        assert scored[column].notna().all(), column
    assert (scored["predicted_lower"] <= scored["predicted_exam_score"]).all()
    assert (scored["predicted_exam_score"] <= scored["predicted_upper"]).all()
    width = scored["predicted_upper"] - scored["predicted_lower"]
    assert width.max() > 0
    cutoff = var("ml_at_risk_probability_cutoff")
    at_risk = scored["probability_below_at_risk_score"] >= cutoff
    assert (scored["is_predicted_at_risk"] == at_risk).all() and at_risk.any()
    # the probability follows the prediction: most below the at-risk score are at risk
    below = scored["predicted_exam_score"] < var("ml_at_risk_below_score") - 1
    assert scored.loc[below, "is_predicted_at_risk"].all()
    labels = {column["label"] for column in var("spf_columns")}
    assert set(scored["reason_1_factor"]) <= labels
    first = scored.iloc[0]
    assert first["top_reasons"].startswith(first["reason_1_factor"] + " ")
    assert first["top_reasons"].count(" points)") == 3


def test_a_linear_champions_contributions_add_up_for_every_student(
    built: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ml.tracking import load_champion

    use_warehouse_in_process(monkeypatch, project_env(built.duckdb_path, built.duckdb_path.parent))
    champion = load_champion()
    if not is_linear(champion.pipeline):
        pytest.skip(f"the champion ({type(champion.pipeline[-1]).__name__}) is not linear")
    calibration = champion.calibration
    assert calibration is not None
    features = built.query("select * from marts.ml_exam_score_features order by student_key")
    x = feature_matrix(features, champion.pipeline.feature_names_in_)
    predicted = champion.pipeline.predict(x)  # before clipping
    points = contributions(
        champion.pipeline, x, calibration.factors, calibration.reference, calibration.scaled_average
    )
    # the champion was refitted on every student: their mean prediction is the average one
    assert np.abs(points.sum(axis=1) - (predicted - predicted.mean())).max() < 1e-6
    stored = built.query("select * from marts.fct_exam_score_predictions order by student_key")
    top = -np.sort(-np.abs(points), axis=1)[:, :3]
    assert np.abs(stored["reason_1_points"].abs().to_numpy() - top[:, 0]).max() < 1e-9
    assert np.abs(stored["reason_3_points"].abs().to_numpy() - top[:, 2]).max() < 1e-9
