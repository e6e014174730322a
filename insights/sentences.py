"""Plain-language sentences generated from the marts' numbers (never hard-coded conclusions)."""

from __future__ import annotations

import math
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

import pandas as pd

from insights.findings import Finding
from spf.definitions import var

if TYPE_CHECKING:
    from insights.data import ComparedLoads


def format_kpi(column: str, value: float) -> str:
    """How a KPI is shown everywhere (dashboard tiles, report, `python -m spf summary`)."""
    return f"{value:,.0f}" if column == "student_count" else f"{value:.2f}"


def format_measure(kind: str, measure: str, value: float) -> str:
    """A row count (measure_kind 'rows') or a KPI of the load comparison, as shown."""
    return f"{value:,.0f}" if kind == "rows" else format_kpi(measure, value)


def format_change(kind: str, measure: str, change: float) -> str:
    """A change as shown: signed (− for a fall), or "no change" when it shows as zero."""
    if change is None or (isinstance(change, float) and math.isnan(change)):
        return ""
    size = format_measure(kind, measure, abs(change))
    if size == format_measure(kind, measure, 0.0):
        return "no change"
    return f"{'+' if change > 0 else '−'}{size}"


def points(value: float, signed: bool = False) -> str:
    """A score or difference in points, to two decimals (signed: always with + or −)."""
    text = f"{value:+.2f}" if signed else f"{value:.2f}"
    return text.replace("-", "−")


def percent(share: float, decimals: int = 0) -> str:
    """A share (0 to 1) in percent, as people write it: 0.908 -> "90.8 %" (decimals=1)."""
    return f"{share * 100:.{decimals}f} %"


def interval(lower: float, upper: float, signed: bool = False) -> str:
    return f"95 % CI {points(lower, signed)} to {points(upper, signed)}"


def p_value(value: float) -> str:
    if value < 0.001:
        return "p < 0.001"
    return f"p = {value:.3f}"


def kpi_sentence(kpis: pd.Series) -> str:
    return (
        f"{kpis['student_count']:,.0f} accepted students averaged "
        f"{points(kpis['avg_exam_score'])} points in the final exam; they attended "
        f"{kpis['avg_attendance_pct']:.1f} % of classes, studied {kpis['avg_hours_studied']:.1f} "
        f"hours a week, slept {kpis['avg_sleep_hours']:.1f} hours a night, and "
        f"{kpis['extracurricular_participation_pct']:.1f} % took part in extracurricular "
        "activities."
    )


def finding_sentence(finding: Finding, groups: pd.DataFrame) -> str:
    """What a group mart says: the range of group means, and which groups stand out."""
    overall = groups["overall_mean_exam_score"].iloc[0]
    low = groups.loc[groups["mean_exam_score"].idxmin()]
    high = groups.loc[groups["mean_exam_score"].idxmax()]
    spread = (
        f"Mean exam scores range from {points(low['mean_exam_score'])} "
        f"({interval(low['mean_exam_score_ci_lower'], low['mean_exam_score_ci_upper'])}) for "
        f"{low['group_label']} to {points(high['mean_exam_score'])} "
        f"({interval(high['mean_exam_score_ci_lower'], high['mean_exam_score_ci_upper'])}) for "
        f"{high['group_label']}, around an overall mean of {points(overall)}."
    )
    different = groups[groups["is_different_from_overall"]]
    if different.empty:
        widest = groups.loc[groups["difference_from_overall"].abs().idxmax()]
        verdict = (
            " No group differs from the overall mean by more than chance would explain: the "
            f"largest gap, {points(widest['difference_from_overall'], signed=True)} points for "
            f"{widest['group_label']}, has an interval "
            f"({interval(widest['difference_ci_lower'], widest['difference_ci_upper'], True)}) "
            "that includes zero."
        )
    elif len(different) == len(groups):
        verdict = (
            f" Every group's mean differs from the overall mean (all {len(groups)} intervals of "
            "the difference exclude zero)."
        )
    else:
        # name the minority: the groups that differ, or the few that do not
        named, how = (
            (different, "differ from the overall mean")
            if len(different) * 2 <= len(groups)
            else (groups[~groups["is_different_from_overall"]], "do not")
        )
        verdict = (
            f" {len(different)} of {len(groups)} groups differ from the overall mean (their "
            f"intervals of the difference exclude zero); those that {how.split(' from')[0]}: "
            + ", ".join(
                f"{row.group_label} ({points(row.difference_from_overall, signed=True)})"
                for row in named.itertuples()
            )
            + "."
        )
    small = groups[groups["is_small_group"]]
    caution = (
        f" {len(small)} group(s) have fewer than {var('findings_small_group_students')} students;"
        " read their intervals with care."
        if not small.empty
        else ""
    )
    return spread + verdict + caution


def claim_evidence(claim: pd.Series) -> str:
    """The numbers behind a claim's verdict, as a sentence."""
    unit = str(claim["measure"]).split("(")[-1].rstrip(")")
    group_a = str(claim["group_a"])
    return (
        f"{group_a[:1].upper() + group_a[1:]} averaged {points(claim['group_a_mean'])} and "
        f"{claim['group_b']} {points(claim['group_b_mean'])} {unit}: a difference of "
        f"{points(claim['difference'], signed=True)} "
        f"({interval(claim['difference_ci_lower'], claim['difference_ci_upper'], True)}; "
        f"Holm-adjusted {p_value(claim['p_value_holm'])}; "
        f"{claim['group_a_count']:,} vs {claim['group_b_count']:,} students)."
    )


def claim_sentence(claim: pd.Series) -> str:
    """The claim, the data's verdict and the numbers behind it."""
    return f"“{claim['claim']}”: {claim['verdict']}. {claim_evidence(claim)}"


def ranking_sentence(ranking: pd.DataFrame) -> str:
    """Which factors matter, which are real but negligible, which are noise."""
    parts = [f"Of {len(ranking)} factors compared with the exam score,"]
    for verdict, text in (
        ("matters", "matter"),
        ("real but negligible", "are real but negligible (|r| < 0.1)"),
        ("noise", "are indistinguishable from noise after Holm's adjustment"),
    ):
        rows = ranking[ranking["verdict"] == verdict]
        if rows.empty:
            parts.append(f"none {text};" if verdict != "noise" else f"none {text}.")
            continue
        names = ", ".join(
            f"{row.factor_name} (r = {row.score_correlation:+.2f})".replace("-", "−")
            for row in rows.itertuples()
        )
        parts.append(f"{len(rows)} {text}: {names}" + (";" if verdict != "noise" else "."))
    return " ".join(parts)


def model_sentence(latest: pd.DataFrame) -> str:
    """The champion's hold-out and cross-validated quality, beside the mean predictor."""
    if latest.empty:
        return "No exam-score model has been trained yet: run `make run`."
    champion = latest[latest["is_champion"].astype(bool)].iloc[0]
    text = (
        f"The champion, {champion['model_name']}, explains R² = {champion['r2']:.3f} of the "
        f"variance of the hold-out scores (RMSE {champion['rmse']:.2f}, MAE "
        f"{champion['mae']:.2f} points, {int(champion['n_test']):,} test students); in repeated "
        f"cross-validation its R² is {champion['cv_r2_mean']:.3f}."
    )
    baseline = latest[latest["model_name"] == "mean_predictor"]
    if not baseline.empty:
        text += f" The mean predictor's RMSE is {baseline['rmse'].iloc[0]:.2f} points."
    return text


def interval_sentence(latest: pd.DataFrame) -> str:
    """How sure the champion's predictions are: its interval's coverage and width on the
    hold-out students, and the Brier score of the at-risk probability beside the base rate's."""
    if latest.empty or "interval_coverage" not in latest.columns:
        return ""
    champion = latest[latest["is_champion"].astype(bool)].iloc[0]
    if pd.isna(champion["interval_coverage"]):
        return ""
    confidence = float(var("ml_interval_confidence"))
    return (
        f"Every prediction comes with a {percent(confidence)} interval: on the"
        f" {int(champion['n_test']):,} hold-out students, on whom the model was neither trained"
        f" nor calibrated, it held {percent(champion['interval_coverage'], 1)} of the actual"
        f" scores, with a mean width of {champion['interval_mean_width']:.2f} points. The chance of"
        f" scoring below {var('ml_at_risk_below_score')} has a Brier score of"
        f" {champion['brier_score']:.4f} there, against {champion['brier_score_base_rate']:.4f}"
        " for the base rate (every student given the share of students below it; lower is"
        " better)."
    )


def error_sentence(predictions: pd.DataFrame) -> str:
    """How far the champion's predictions are from the actual scores, and who it cannot explain."""
    if predictions is None or predictions.empty:
        return "No predictions yet: run `make run`."
    residual = predictions["residual_points"]
    within_two = (residual.abs() <= 2).mean() * 100
    anomalies = int(predictions["is_score_anomaly"].sum())
    at_risk = int(predictions["is_predicted_at_risk"].sum())
    return (
        f"{within_two:.1f} % of the {len(predictions):,} students score within 2 points of "
        f"their prediction; {anomalies:,} score far above anything the factors explain (score "
        f"anomalies), and {at_risk:,} are predicted to be at risk."
    )


def file_name(path: object) -> str:
    """A raw file's name without its folders (the history keeps the path it was loaded from)."""
    return PurePosixPath(str(path)).name or str(path)


def landed(value: object) -> str:
    """When a load's file was landed, to the minute."""
    return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M UTC")


def load_name(load: pd.Series) -> str:
    """`load 2 (export.csv, landed 2026-12-05 15:03 UTC)`."""
    return (
        f"load {int(load['load_number'])} ({file_name(load['source_file'])}, landed "
        f"{landed(load['loaded_at'])})"
    )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


ONE_LOAD_SO_FAR = "One load so far: the KPIs' trend across loads starts with the second load."


def loads_sentence(history: pd.DataFrame) -> str:
    """How many loads the history holds, and which."""
    if history.empty:
        return (
            "No load has been recorded yet: `make run` (python -m pipeline run) records each"
            " load it publishes; a plain `dbt build` records none."
        )
    latest = history.iloc[-1]
    students = f"{latest['student_count']:,.0f} students"
    if len(history) == 1:
        return f"{_capital(load_name(latest))} is the only load so far: {students}."
    return (
        f"{len(history)} loads so far, from {load_name(history.iloc[0])} to the latest,"
        f" {load_name(latest)}, {students}."
    )


def trend_sentence(history: pd.DataFrame) -> str:
    """How the KPIs moved from the first load to the latest: the students and the average exam
    score, the other KPI that moved most for its size, and the champion's cross-validated R²."""
    if len(history) < 2:
        return ""
    first, latest = history.iloc[0], history.iloc[-1]
    labels = var("kpi_labels")

    def went(column: str) -> str:
        before, after = first[column], latest[column]
        return (
            f"{labels[column]} {format_kpi(column, before)} → {format_kpi(column, after)}"
            f" ({format_change('kpi', column, after - before)})"
        )

    span = f"From load {int(first['load_number'])} to load {int(latest['load_number'])}"
    text = f"{span}: {went('student_count')}, {went('avg_exam_score')}."
    relative = {
        column: abs(latest[column] - first[column]) / abs(first[column])
        for column in labels
        if column not in ("student_count", "avg_exam_score") and first[column]
    }
    moved = {
        column: change
        for column, change in relative.items()
        if format_change("kpi", column, latest[column] - first[column]) != "no change"
    }
    if moved:
        column = max(moved, key=moved.get)
        text += (
            f" Of the other KPIs, {labels[column]} moved most for its size (by"
            f" {percent(moved[column], 1)} of its first value):"
            f" {went(column).removeprefix(labels[column] + ' ')}."
        )
    else:
        text += " No other KPI changed."
    r2 = "champion_cv_r2_mean"
    if pd.notna(first[r2]) and pd.notna(latest[r2]):
        text += (
            f" The champion's cross-validated R² went from {first[r2]:.3f}"
            f" ({first['champion_model_name']}) to {latest[r2]:.3f}"
            f" ({latest['champion_model_name']})."
        )
    return text


def comparison_sentence(comparison: pd.DataFrame, compared: ComparedLoads) -> str:
    """Which loads marts.rpt_load_comparison compares, and what changed in the row counts and
    the KPIs."""
    latest, previous = compared.latest, compared.previous
    previous_file = comparison["previous_source_file"].dropna()
    if latest is None:
        return "No load has been recorded yet, so there is no comparison of loads."
    if previous_file.empty:
        return (
            f"{_capital(load_name(latest))} is the first load of this warehouse: there is"
            " nothing to compare it with."
        )
    if compared.same_file:
        which = (
            f"The published warehouse was rebuilt from the file of the latest load,"
            f" {load_name(latest)} (the same SHA-256), which adds no load; compared with that"
            " load,"
        )
    elif previous is not None:
        which = f"{_capital(load_name(latest))} compared with {load_name(previous)}:"
    else:
        which = (
            f"{_capital(load_name(latest))} compared with the load of"
            f" {file_name(previous_file.iloc[0])}:"
        )
    rows = comparison[comparison["measure_kind"] == "rows"]
    counts = ", ".join(
        f"{row.label} {format_measure('rows', row.measure, row.this_value)}"
        f" ({format_change('rows', row.measure, row.change)})"
        for row in rows.itertuples()
    )
    kpis = comparison[comparison["measure_kind"] == "kpi"]
    changed = kpis[
        [format_change("kpi", row.measure, row.change) != "no change" for row in kpis.itertuples()]
    ]
    if changed.empty:
        moved = f"none of the {len(kpis)} KPIs changed."
    else:
        relative = (changed["change"].abs() / changed["previous_value"].abs()).fillna(math.inf)
        most = changed.loc[relative.idxmax()]
        moved = (
            f"{len(changed)} of the {len(kpis)} KPIs changed, {most['label']} most for its"
            f" size: {format_kpi(most['measure'], most['previous_value'])} →"
            f" {format_kpi(most['measure'], most['this_value'])}"
            f" ({format_change('kpi', most['measure'], most['change'])})."
        )
    return f"{which} {counts}; {moved}"


def stability_sentence(comparison: pd.DataFrame, count: int = 3) -> str:
    """The columns whose distribution moved most (population stability index), against the
    threshold, and any column shifted beyond it (a load published with its shift accepted)."""
    factors = comparison[comparison["measure_kind"] == "factor"].dropna(subset=["psi"])
    if factors.empty:
        return ""
    threshold = factors["psi_threshold"].iloc[0]
    top = factors.sort_values("psi", ascending=False).head(count)
    listed = ", ".join(f"{row.label} {row.psi:.2f}" for row in top.itertuples())
    text = (
        f"Each column's distribution was compared by its population stability index (PSI;"
        f" above {threshold:g} a column counts as shifted); the largest: {listed}."
    )
    shifted = factors[factors["is_shifted"]].sort_values("psi", ascending=False)
    if shifted.empty:
        text += " No column shifted."
    else:
        text += (
            f" {len(shifted)} {'column' if len(shifted) == 1 else 'columns'} shifted beyond the"
            " threshold, and the load was published with the shift accepted: "
            + ", ".join(f"{row.label} (PSI {row.psi:.2f})" for row in shifted.itertuples())
            + "."
        )
    unjudged = factors[(factors["psi"] > factors["psi_threshold"]) & ~factors["is_shifted"]]
    if not unjudged.empty:
        text += (
            f" {', '.join(unjudged['label'])} above the threshold but not judged: one of the"
            f" loads has fewer than {var('audit_min_students'):,} students, and with so few,"
            " two samples of one population differ that much by chance."
        )
    return text
