"""Streamlit building blocks shared by the pages of app/ (the dashboard and prediction app)."""

from __future__ import annotations

import re

import altair as alt
import pandas as pd
import streamlit as st

from insights.data import MissingMartsError, Snapshot, WarehouseUnreadableError, read_snapshot
from insights.findings import Finding
from insights.sentences import format_kpi
from spf.kpis import KPI_LABELS
from spf.profile import ConfigurationError
from spf.warehouse import Warehouse

SAME_AS_OVERALL, DIFFERENT = "within chance of the overall mean", "differs from the overall mean"
# every ASCII punctuation character: CommonMark shows any of them backslash-escaped as itself
_ASCII_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def plain(value: object) -> str:
    """`value` (a file's path, a rejection reason, a category, a model's name, an error) as the
    literal text it is inside an element that reads Markdown (st.caption, st.error, a metric):
    no link, image, HTML, emphasis, colour directive, LaTeX or emoji code in data is rendered.
    A whole element of plain text is written with st.text instead."""
    return _ASCII_PUNCTUATION.sub(r"\\\1", str(value))


def _freshness(warehouse: Warehouse) -> float:
    """Changes whenever the DuckDB file is rebuilt, so a new build is shown at once."""
    if warehouse.type == "duckdb" and warehouse.duckdb_path.exists():
        return warehouse.duckdb_path.stat().st_mtime
    return 0.0


@st.cache_data(ttl=60, show_spinner="Reading the marts…")
def _cached_snapshot(location: str, freshness: float) -> Snapshot:
    return read_snapshot()


def load_snapshot() -> Snapshot:
    """The active target's marts, or an explanation of what to run first (and stop)."""
    try:
        warehouse = Warehouse()
        return _cached_snapshot(warehouse.location, _freshness(warehouse))
    except (ConfigurationError, MissingMartsError, WarehouseUnreadableError) as error:
        st.error(f"The warehouse cannot be read yet. {plain(error)}")
        st.stop()
        raise  # unreachable: st.stop() ends the script run


def page_header(title: str) -> None:
    st.set_page_config(page_title=f"{title} · Student performance", layout="wide")
    st.title(title)


def kpi_tiles(snapshot: Snapshot) -> None:
    columns = st.columns(4)
    for index, (column, label) in enumerate(KPI_LABELS.items()):
        columns[index % 4].metric(label, format_kpi(column, snapshot.kpis[column]), border=True)


def forest_chart(
    frame: pd.DataFrame,
    *,
    label: str,
    estimate: str,
    lower: str,
    upper: str,
    flag: str,
    flag_names: tuple[str, str],
    reference: float,
    x_title: str,
) -> alt.LayerChart:
    """Estimates as dots with their intervals as bars, and a dashed reference line."""
    data = frame.assign(
        status=frame[flag].map({True: flag_names[1], False: flag_names[0]}),
    )
    colour = alt.Color(
        "status:N",
        scale=alt.Scale(domain=list(flag_names), range=["#1f6fb2", "#c0392b"]),
        legend=alt.Legend(title=None, orient="bottom"),
    )
    base = alt.Chart(data).encode(
        y=alt.Y(
            f"{label}:N",
            sort=data[label].tolist(),
            title=None,
            axis=alt.Axis(labelLimit=320, labelOverlap=False),
        ),
        color=colour,
        tooltip=[
            label,
            alt.Tooltip(f"{estimate}:Q", format=".3f"),
            alt.Tooltip(f"{lower}:Q", format=".3f"),
            alt.Tooltip(f"{upper}:Q", format=".3f"),
        ],
    )
    bars = base.mark_rule(strokeWidth=2).encode(
        x=alt.X(f"{lower}:Q", scale=alt.Scale(zero=False), title=x_title), x2=f"{upper}:Q"
    )
    dots = base.mark_circle(size=70, opacity=1).encode(x=f"{estimate}:Q")
    line = (
        alt.Chart(pd.DataFrame({"reference": [reference]}))
        .mark_rule(strokeDash=[4, 3], color="#888")
        .encode(x="reference:Q")
    )
    return (bars + dots + line).properties(height=alt.Step(26))


def finding_chart(finding: Finding, groups: pd.DataFrame) -> alt.LayerChart:
    return forest_chart(
        groups,
        label="group_label",
        estimate="mean_exam_score",
        lower="mean_exam_score_ci_lower",
        upper="mean_exam_score_ci_upper",
        flag="is_different_from_overall",
        flag_names=(SAME_AS_OVERALL, DIFFERENT),
        reference=float(groups["overall_mean_exam_score"].iloc[0]),
        x_title="mean exam score, 95 % interval (dashed: overall mean)",
    )


def ranking_chart(ranking: pd.DataFrame) -> alt.LayerChart:
    return forest_chart(
        ranking.assign(is_noise=ranking["verdict"] == "noise"),
        label="factor_name",
        estimate="score_correlation",
        lower="score_correlation_ci_lower",
        upper="score_correlation_ci_upper",
        flag="is_noise",
        flag_names=("distinguishable from zero", "noise (after Holm's adjustment)"),
        reference=0.0,
        x_title="correlation with the exam score, 95 % interval",
    )


def kpi_trend_chart(trend: pd.DataFrame, label: str) -> alt.Chart:
    """One KPI across loads (rows of insights.loads.kpi_trend): a line through each load's
    value, the load's file and landing time in the tooltip."""
    # a long label on two lines, its unit on the second, rather than cut short
    title = label.split(" (", 1) if len(label) > 28 and " (" in label else [label]
    if len(title) == 2:
        title[1] = f"({title[1]}"
    return (
        alt.Chart(trend, title=alt.TitleParams(title, anchor="start"))
        .mark_line(point=alt.OverlayMarkDef(size=60), color="#1f6fb2")
        .encode(
            x=alt.X("load_number:O", title="load", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
            tooltip=[
                alt.Tooltip("load_number:O", title="load"),
                alt.Tooltip("file:N", title="file"),
                alt.Tooltip("landed:N", title="landed"),
                alt.Tooltip("shown:N", title=label),
            ],
        )
        .properties(height=200)
    )


def stability_chart(comparison: pd.DataFrame) -> alt.LayerChart:
    """Each column's population stability index against the previous load as a bar, largest
    first, shifted columns in red, the threshold dashed."""
    factors = comparison[comparison["measure_kind"] == "factor"].dropna(subset=["psi"])
    factors = factors.sort_values("psi", ascending=False).assign(
        status=lambda frame: frame["is_shifted"].map(
            {True: "shifted (accepted)", False: "not shifted"}
        )
    )
    bars = (
        alt.Chart(factors)
        .mark_bar()
        .encode(
            x=alt.X("psi:Q", title="population stability index against the previous load"),
            y=alt.Y(
                "label:N",
                sort=factors["label"].tolist(),
                title=None,
                axis=alt.Axis(labelLimit=320, labelOverlap=False),
            ),
            color=alt.Color(
                "status:N",
                scale=alt.Scale(
                    domain=["not shifted", "shifted (accepted)"], range=["#1f6fb2", "#c0392b"]
                ),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("label:N", title="column"),
                alt.Tooltip("psi:Q", title="PSI", format=".3f"),
                alt.Tooltip("status:N", title=" "),
            ],
        )
    )
    threshold = float(factors["psi_threshold"].iloc[0])
    line = (
        alt.Chart(pd.DataFrame({"threshold": [threshold]}))
        .mark_rule(strokeDash=[4, 3], color="#888")
        .encode(x="threshold:Q", tooltip=[alt.Tooltip("threshold:Q", title="threshold")])
    )
    return (bars + line).properties(height=alt.Step(22))
