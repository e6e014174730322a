"""The findings marts: their statistics against an independent computation in Python, and what
they say about the original analysis's claims on the real export."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tests.conftest import Build

Z = 1.96
GROUP_MARTS = {
    "rpt_exam_score_by_school_type": ["school_type"],
    "rpt_exam_score_by_extracurricular": ["has_extracurricular_activities"],
    "rpt_exam_score_by_hours_studied": ["hours_studied_band"],
    "rpt_exam_score_by_sleep_hours": ["sleep_hours"],
    "rpt_exam_score_by_attendance_and_tutoring": ["attendance_band", "tutoring_band"],
}


def students(build: Build) -> pd.DataFrame:
    frame = build.query(
        "select dim.*, fct.exam_score, fct.sleep_hours as sleep, fct.tutoring_sessions,"
        " fct.attendance_pct"
        " from marts.dim_students as dim"
        " inner join marts.fct_exam_results as fct on dim.student_key = fct.student_key"
    )
    return frame.assign(
        sleep_hours=np.floor(frame["sleep"]).astype(int),
        tutoring_band=frame["tutoring_sessions"].clip(upper=3).astype(str).replace("3", "3+"),
        exam_score=frame["exam_score"].astype(float),
    )


def holm(p_values: pd.Series) -> pd.Series:
    """Holm's step-down adjusted p-values, written out plainly."""
    order = p_values.sort_values().index
    m, running, adjusted = len(p_values), 0.0, {}
    for rank, index in enumerate(order, start=1):
        running = max(running, min(1.0, (m - rank + 1) * p_values[index]))
        adjusted[index] = running
    return pd.Series(adjusted)[p_values.index]


@pytest.mark.parametrize("mart", GROUP_MARTS)
def test_group_statistics_match_an_independent_computation(sample_warehouse: Build, mart: str):
    keys = GROUP_MARTS[mart]
    everyone = students(sample_warehouse)
    total, overall = len(everyone), everyone["exam_score"].mean()
    published = sample_warehouse.query(f"select * from marts.{mart}").set_index(keys)
    assert len(published) == everyone.groupby(keys).ngroups
    assert published["student_count"].sum() == total
    for key, group in everyone.groupby(keys):
        row = published.loc[key]
        rest = everyone.drop(group.index)["exam_score"]
        n, mean, sd = len(group), group["exam_score"].mean(), group["exam_score"].std()
        # (group mean - overall mean) = (N - n) / N x (group mean - mean of everyone else)
        difference_se = (len(rest) / total) * np.sqrt(sd**2 / n + rest.var() / len(rest))
        expected = {
            "student_count": n,
            "student_share_pct": 100 * n / total,
            "mean_exam_score": mean,
            "exam_score_sd": sd,
            "mean_exam_score_ci_lower": mean - Z * sd / np.sqrt(n),
            "mean_exam_score_ci_upper": mean + Z * sd / np.sqrt(n),
            "overall_mean_exam_score": overall,
            "difference_from_overall": mean - overall,
            "difference_ci_lower": mean - overall - Z * difference_se,
            "difference_ci_upper": mean - overall + Z * difference_se,
        }
        for column, value in expected.items():
            assert row[column] == pytest.approx(value, rel=1e-9, abs=1e-9), (key, column)
        assert row["is_different_from_overall"] == (abs(mean - overall) > Z * difference_se)
        assert row["is_small_group"] == (n < 30)


def test_overall_mean_is_the_kpi(sample_warehouse: Build) -> None:
    kpi = sample_warehouse.query("select avg_exam_score from marts.rpt_kpi_summary").iloc[0, 0]
    for mart in GROUP_MARTS:
        overall = sample_warehouse.query(f"select overall_mean_exam_score from marts.{mart}")
        assert overall["overall_mean_exam_score"].to_numpy() == pytest.approx(kpi, rel=1e-12)


def test_claims_match_welch_normal_tests_and_holm(sample_warehouse: Build) -> None:
    everyone = students(sample_warehouse)
    threshold = everyone["exam_score"].mean() + everyone["exam_score"].std()
    comparisons = {
        "public_beats_private": (everyone["is_public_school"], "exam_score"),
        "high_achievers_sleep_less": (everyone["exam_score"] >= threshold, "sleep"),
        "extracurriculars_go_with_better_scores": (
            everyone["has_extracurricular_activities"],
            "exam_score",
        ),
    }
    claims = sample_warehouse.query("select * from marts.rpt_original_claims").set_index(
        "claim_key"
    )
    assert set(claims.index) == set(comparisons)
    p_values = {}
    for key, (in_a, measure) in comparisons.items():
        a, b = everyone.loc[in_a, measure], everyone.loc[~in_a, measure]
        difference = a.mean() - b.mean()
        se = np.sqrt(a.var() / len(a) + b.var() / len(b))
        p_values[key] = 2 * stats.norm.sf(abs(difference / se))
        row = claims.loc[key]
        assert (row["group_a_count"], row["group_b_count"]) == (len(a), len(b))
        assert row["difference"] == pytest.approx(difference, rel=1e-9, abs=1e-12)
        assert row["difference_ci_lower"] == pytest.approx(difference - Z * se, rel=1e-9)
        assert row["difference_ci_upper"] == pytest.approx(difference + Z * se, rel=1e-9)
        assert row["p_value"] == pytest.approx(p_values[key], abs=2e-7)
    adjusted = holm(pd.Series(p_values))
    for key, row in claims.iterrows():
        assert row["p_value_holm"] == pytest.approx(adjusted[key], abs=1e-6)
        supported = adjusted[key] < 0.05 and row["difference"] * row["claimed_sign"] > 0
        assert row["is_supported"] == supported
        assert (row["verdict"] == "supported") == supported


def test_factor_ranking_matches_numpy_and_holm(sample_warehouse: Build) -> None:
    everyone = students(sample_warehouse)
    ranking = sample_warehouse.query("select * from marts.rpt_exam_score_factor_ranking")
    ranking = ranking.set_index("factor_name")
    assert len(ranking) == 19  # every export column but the score
    measured = {
        "attendance_pct": everyone["attendance_pct"],
        "school_type": everyone["is_public_school"].astype(float),
        "extracurricular_activities": everyone["has_extracurricular_activities"].astype(float),
        "sleep_hours": everyone["sleep"],
    }
    for factor, values in measured.items():
        x, y = values.to_numpy(dtype=float), everyone["exam_score"].to_numpy()
        r = np.corrcoef(x, y)[0, 1]
        slope = stats.linregress(x, y)
        row = ranking.loc[factor]
        assert row["score_correlation"] == pytest.approx(r, rel=1e-9)
        assert row["slope_points"] == pytest.approx(slope.slope, rel=1e-9)
        assert row["slope_points_ci_lower"] == pytest.approx(
            slope.slope - Z * slope.stderr, rel=1e-9
        )
        fisher = np.arctanh(r) - Z / np.sqrt(len(x) - 3)
        assert row["score_correlation_ci_lower"] == pytest.approx(np.tanh(fisher), rel=1e-9)
        z = slope.slope / slope.stderr
        assert row["p_value"] == pytest.approx(2 * stats.norm.sf(abs(z)), abs=2e-7)
    assert ranking["p_value_holm"].to_numpy() == pytest.approx(
        holm(ranking["p_value"]).to_numpy(), abs=1e-6
    )
    assert sorted(ranking["effect_rank"]) == list(range(1, 20))
    strongest = ranking["score_correlation"].abs().idxmax()
    assert ranking.loc[strongest, "effect_rank"] == 1
    noise = ranking[ranking["verdict"] == "noise"]
    assert (noise["p_value_holm"] >= 0.05).all()


def test_real_export_answers_the_original_claims(real_warehouse: Build) -> None:
    claims = real_warehouse.query("select * from marts.rpt_original_claims").set_index("claim_key")
    # public vs private: 67.21 vs 67.29, the interval of the difference includes zero
    assert claims.loc["public_beats_private", "verdict"].startswith("not supported")
    assert claims.loc["public_beats_private", "difference_ci_lower"] < 0
    assert claims.loc["public_beats_private", "difference_ci_upper"] > 0
    # high achievers sleep about 0.1 hours less, which is not distinguishable after Holm
    assert claims.loc["high_achievers_sleep_less", "verdict"].startswith("not supported")
    # extracurricular activities go with about half a point more, clearly distinguishable
    assert claims.loc["extracurriculars_go_with_better_scores", "verdict"] == "supported"
    assert 0.3 < claims.loc["extracurriculars_go_with_better_scores", "difference"] < 0.7

    ranking = real_warehouse.query(
        "select * from marts.rpt_exam_score_factor_ranking order by effect_rank"
    )
    assert ranking["factor_name"].head(2).tolist() == ["attendance_pct", "hours_studied"]
    verdicts = ranking.set_index("factor_name")["verdict"]
    assert verdicts["attendance_pct"] == "matters"
    assert verdicts["extracurricular_activities"] == "real but negligible"
    assert verdicts[["school_type", "sleep_hours", "gender"]].eq("noise").all()
