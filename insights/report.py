"""`make report`: one self-contained HTML file with the KPIs, findings, model and data quality.

    python -m insights.report [--target duckdb|postgres] [--output reports/report.html]

Charts are inline SVG drawn from the marts when the report is made; every sentence is generated
from the numbers. The file loads nothing from anywhere: no script, font, style sheet or image.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from html import escape
from pathlib import Path

import pandas as pd

from insights import sentences, svg
from insights.data import MissingMartsError, Snapshot, WarehouseUnreadableError, read_snapshot
from insights.findings import FINDINGS
from insights.loads import comparison_table, kpi_trend, loads_table
from insights.sentences import format_kpi
from spf.definitions import var
from spf.kpis import KPI_LABELS
from spf.profile import PROJECT_ROOT, ConfigurationError

DEFAULT_OUTPUT = PROJECT_ROOT / "reports" / "student_performance_report.html"

STYLE = """
body { font-family: system-ui, sans-serif; color: #222; max-width: 980px; margin: 2em auto;
       padding: 0 1em; line-height: 1.45; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em;
     margin-top: 2em; }
.meta { color: #666; font-size: 0.9em; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr));
         gap: 0.6em; }
.tile { border: 1px solid #ddd; border-radius: 6px; padding: 0.6em 0.8em; }
.tile .value { font-size: 1.6em; font-weight: 600; }
.tile .label { color: #666; font-size: 0.85em; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.6em 0; }
th, td { border-bottom: 1px solid #eee; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.supported { color: #1e7b34; font-weight: 600; }
.not-supported { color: #8a6d00; font-weight: 600; }
.contradicted { color: #c0392b; font-weight: 600; }
.note { color: #555; font-size: 0.9em; }
.trends { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr));
          gap: 0.4em 1em; }
"""


def _table(frame: pd.DataFrame, formats: dict[str, str] | None = None) -> str:
    formats = formats or {}
    head = "".join(f"<th>{escape(str(column))}</th>" for column in frame.columns)
    body = []
    for _, row in frame.iterrows():
        cells = []
        for column in frame.columns:
            value = row[column]
            if column in formats and pd.notna(value):
                text = format(value, formats[column])
            elif isinstance(value, float):
                text = f"{value:.3f}" if pd.notna(value) else ""
            else:
                text = str(value)
            cells.append(f"<td>{escape(text)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _verdict_class(verdict: str) -> str:
    return verdict.split(":")[0].replace(" ", "-")


def kpi_section(snapshot: Snapshot) -> str:
    tiles = "".join(
        f"<div class='tile' data-kpi='{column}'><div class='value'>"
        f"{format_kpi(column, snapshot.kpis[column])}</div>"
        f"<div class='label'>{escape(label)}</div></div>"
        for column, label in KPI_LABELS.items()
    )
    return (
        "<h2>Key figures</h2>"
        f"<div class='tiles'>{tiles}</div>"
        f"<p>{escape(sentences.kpi_sentence(snapshot.kpis))}</p>"
    )


def claims_section(snapshot: Snapshot) -> str:
    items = "".join(
        f"<li><strong>“{escape(row['claim'])}”</strong>: "
        f"<span class='{_verdict_class(row['verdict'])}'>{escape(row['verdict'])}</span>. "
        f"{escape(sentences.claim_evidence(row))}</li>"
        for _, row in snapshot.claims.iterrows()
    )
    return (
        "<h2>The original analysis's claims, checked</h2>"
        f"<ul>{items}</ul>"
        "<p class='note'>A claim is supported when the difference goes the claimed way and its "
        f"p-value, adjusted by Holm's method for the {len(snapshot.claims)} claims, is below"
        f" {var('findings_alpha')}.</p>"
    )


def ranking_section(snapshot: Snapshot) -> str:
    ranking = snapshot.ranking
    chart = svg.forest_plot(
        labels=[f"{row.factor_name} ({row.verdict})" for row in ranking.itertuples()],
        estimates=ranking["score_correlation"].tolist(),
        lowers=ranking["score_correlation_ci_lower"].tolist(),
        uppers=ranking["score_correlation_ci_upper"].tolist(),
        reference=0.0,
        reference_label="no association",
        x_label="correlation with the exam score (95 % interval)",
        highlight=(ranking["verdict"] == "noise").tolist(),
        title="Factors ranked by their association with the exam score",
    )
    table = _table(
        ranking[
            [
                "factor_name",
                "verdict",
                "score_correlation",
                "slope_points",
                "slope_unit",
                "p_value_holm",
            ]
        ],
        {"score_correlation": "+.3f", "slope_points": "+.3f", "p_value_holm": ".2g"},
    )
    return (
        "<h2>Which factors matter</h2>"
        f"<p>{escape(sentences.ranking_sentence(ranking))}</p>{chart}{table}"
        "<p class='note'>Associations, not causes. Red: indistinguishable from zero after "
        "Holm's adjustment for the number of factors compared.</p>"
    )


def findings_section(snapshot: Snapshot) -> str:
    parts = ["<h2>Findings by group</h2>"]
    for finding in FINDINGS:
        groups = snapshot.findings[finding.key]
        chart = svg.forest_plot(
            labels=[f"{row.group_label} (n={row.student_count:,})" for row in groups.itertuples()],
            estimates=groups["mean_exam_score"].tolist(),
            lowers=groups["mean_exam_score_ci_lower"].tolist(),
            uppers=groups["mean_exam_score_ci_upper"].tolist(),
            reference=float(groups["overall_mean_exam_score"].iloc[0]),
            reference_label="overall mean",
            x_label="mean exam score (95 % interval)",
            highlight=groups["is_different_from_overall"].tolist(),
            title=finding.title,
        )
        parts.append(
            f"<h3>{escape(finding.title)}</h3><p><em>{escape(finding.question)}</em></p>"
            f"<p>{escape(sentences.finding_sentence(finding, groups))}</p>{chart}"
        )
    parts.append(
        "<p class='note'>Red: the group's mean differs from the overall mean (the 95 % interval "
        "of the difference excludes zero).</p>"
    )
    return "".join(parts)


def model_section(snapshot: Snapshot) -> str:
    latest = snapshot.latest_metrics()
    parts = ["<h2>The exam-score model</h2>", f"<p>{escape(sentences.model_sentence(latest))}</p>"]
    if latest.empty:
        return "".join(parts)
    interval = sentences.interval_sentence(latest)
    if interval:
        parts.append(f"<p>{escape(interval)}</p>")
    columns = [
        c
        for c in [
            "model_name",
            "is_champion",
            "mse",
            "rmse",
            "mae",
            "r2",
            "cv_mse_mean",
            "cv_r2_mean",
            "r2_without_anomalies",
            "interval_coverage",
            "interval_mean_width",
            "brier_score",
            "brier_score_base_rate",
        ]
        if c in latest.columns
    ]
    parts.append(_table(latest[columns], {"brier_score": ".4f", "brier_score_base_rate": ".4f"}))
    importance = snapshot.latest_importance()
    if not importance.empty:
        parts.append(
            "<h3>What the champion relies on</h3>"
            + svg.forest_plot(
                labels=importance["feature_name"].tolist(),
                estimates=importance["importance_mean"].tolist(),
                lowers=(importance["importance_mean"] - importance["importance_std"]).tolist(),
                uppers=(importance["importance_mean"] + importance["importance_std"]).tolist(),
                reference=0.0,
                x_label="drop in hold-out R² when the feature is shuffled (± 1 SD)",
                title="Permutation importance of the champion",
            )
        )
    predictions = snapshot.predictions
    if predictions is not None and not predictions.empty:
        parts.append(
            "<h3>Where it fails</h3>"
            f"<p>{escape(sentences.error_sentence(predictions))}</p>"
            + svg.histogram(
                predictions["residual_points"].tolist(),
                x_label="actual minus predicted exam score (points)",
                title="Residuals of the champion",
            )
        )
    return "".join(parts)


def data_quality_section(snapshot: Snapshot) -> str:
    counts = snapshot.reconciliation
    reasons = snapshot.rejection_reasons
    text = (
        f"{counts['rows_received']:,} rows received from {counts['source_file']}: "
        f"{counts['rows_accepted']:,} accepted, {counts['rows_rejected']:,} rejected "
        f"({'reconciled' if counts['is_reconciled'] else 'NOT reconciled'})."
    )
    table = _table(reasons) if not reasons.empty else "<p>No row was rejected.</p>"
    return f"<h2>Data quality</h2><p>{escape(text)}</p>{table}"


def loads_section(snapshot: Snapshot) -> str:
    """The KPIs across loads, every load, and the latest load beside the one before it."""
    history, comparison = snapshot.load_history, snapshot.load_comparison
    parts = ["<h2>Loads</h2>", f"<p>{escape(sentences.loads_sentence(history))}</p>"]
    if history.empty:
        return "".join(parts)
    if len(history) == 1:
        parts.append(f"<p>{escape(sentences.ONE_LOAD_SO_FAR)}</p>")
    else:
        trend = kpi_trend(history)
        charts = "".join(
            svg.line_chart(
                [str(number) for number in kpi["load_number"]],
                kpi["value"].tolist(),
                point_titles=[
                    f"load {row.load_number} ({row.file}, {row.landed}): {row.shown}"
                    for row in kpi.itertuples()
                ],
                x_label="load",
                title=label,
            )
            for label, kpi in trend.groupby("label", sort=False)
        )
        parts.append(
            "<h3>The KPIs across loads</h3>"
            f"<p>{escape(sentences.trend_sentence(history))}</p>"
            f"<div class='trends'>{charts}</div>"
        )
    parts.append("<h3>Every load</h3>" + _table(loads_table(history)))
    compared = snapshot.compared_loads()
    parts.append(
        "<h3>The latest load compared with the one before</h3>"
        f"<p>{escape(sentences.comparison_sentence(comparison, compared))}</p>"
    )
    if comparison["previous_source_file"].notna().any():
        parts.append(_table(comparison_table(comparison)))
        factors = comparison[comparison["measure_kind"] == "factor"].dropna(subset=["psi"])
        factors = factors.sort_values("psi", ascending=False)
        parts.append(f"<p>{escape(sentences.stability_sentence(comparison))}</p>")
        if not factors.empty:
            threshold = float(factors["psi_threshold"].iloc[0])
            parts.append(
                svg.forest_plot(
                    labels=factors["label"].tolist(),
                    estimates=factors["psi"].tolist(),
                    lowers=[None] * len(factors),
                    uppers=[None] * len(factors),
                    reference=threshold,
                    reference_label=f"threshold {threshold:g}",
                    x_label="population stability index against the previous load",
                    highlight=factors["is_shifted"].tolist(),
                    title="How far each column's distribution moved",
                )
                + "<p class='note'>Red: shifted beyond the threshold (published because the"
                " shift was accepted). A column's PSI sums, over its values (a number's cut"
                " at the previous load's deciles), the change in their shares times the log of"
                " their ratio.</p>"
            )
    return "".join(parts)


def render(snapshot: Snapshot, generated_at: datetime | None = None) -> str:
    generated = (generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    meta = (
        f"Generated {generated} from the {escape(snapshot.target_name)} warehouse "
        f"({escape(snapshot.location)}); raw file landed "
        f"{escape(str(snapshot.reconciliation['loaded_at']))}."
    )
    body = "".join(
        [
            "<h1>Student performance: what the data says</h1>",
            f"<p class='meta'>{meta}</p>",
            kpi_section(snapshot),
            claims_section(snapshot),
            ranking_section(snapshot),
            findings_section(snapshot),
            model_section(snapshot),
            data_quality_section(snapshot),
            loads_section(snapshot),
            "<h2>Method</h2><p class='note'>The findings' intervals are 95 % "
            "normal-approximation intervals (estimate ± 1.96 standard errors) computed in SQL by "
            "the findings marts; p-values are adjusted by Holm's method. The model's prediction "
            "interval is split conformal: the prediction ± the calibrated quantile of the "
            "absolute residuals of students its fit did not train on. See the docs site "
            "(`make docs`) for the definitions.</p>",
        ]
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Student performance report</title>"
        f"<style>{STYLE}</style></head><body>{body}</body></html>"
    )


def write_report(output: Path = DEFAULT_OUTPUT, target: str | None = None) -> Path:
    html = render(read_snapshot(target))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(html, encoding="utf-8")
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m insights.report", description=__doc__)
    parser.add_argument("--target", help="dbt target (default: SPF_TARGET or duckdb)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="the HTML file")
    args = parser.parse_args(argv)
    try:
        path = write_report(args.output, args.target)
    except (MissingMartsError, WarehouseUnreadableError, ConfigurationError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
