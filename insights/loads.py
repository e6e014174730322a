"""The load history and the latest load's comparison, as the tables the app and the report show:
people's words for headers, numbers as they are shown everywhere (insights.sentences)."""

from __future__ import annotations

import pandas as pd

from insights.sentences import file_name, format_change, format_kpi, format_measure, landed
from spf.definitions import var


def loads_table(history: pd.DataFrame) -> pd.DataFrame:
    """Every load, one row each: its file, its row counts and its champion."""
    champion_r2 = history["champion_cv_r2_mean"]
    return pd.DataFrame(
        {
            "Load": history["load_number"].astype(int).astype(str),
            "Landed": history["loaded_at"].map(landed),
            "File": history["source_file"].map(file_name),
            "Rows received": history["rows_received"].map("{:,.0f}".format),
            "Accepted": history["rows_accepted"].map("{:,.0f}".format),
            "Rejected": history["rows_rejected"].map("{:,.0f}".format),
            "Duplicated": history["rows_duplicated"].map("{:,.0f}".format),
            "Champion": history["champion_model_name"].fillna("(no model trained)"),
            "Champion's cross-validated R²": champion_r2.map(
                lambda value: "" if pd.isna(value) else f"{value:.3f}"
            ),
        }
    )


def comparison_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """The row counts and the KPIs of the previous load and this one, with the change."""
    measured = comparison[comparison["measure_kind"].isin(["rows", "kpi"])]
    rows = []
    for row in measured.itertuples():

        def shown(value: float, row=row) -> str:
            return "" if pd.isna(value) else format_measure(row.measure_kind, row.measure, value)

        rows.append(
            {
                "Measure": row.label,
                "Previous load": shown(row.previous_value),
                "This load": shown(row.this_value),
                "Change": format_change(row.measure_kind, row.measure, row.change),
            }
        )
    return pd.DataFrame(rows, columns=["Measure", "Previous load", "This load", "Change"])


def kpi_trend(history: pd.DataFrame) -> pd.DataFrame:
    """Every KPI of every load, one row each (long form, for charts): the load, its file,
    when it landed, the KPI's label, its value and the value as shown."""
    frames = []
    for column, label in var("kpi_labels").items():
        frames.append(
            pd.DataFrame(
                {
                    "load_number": history["load_number"].astype(int),
                    "file": history["source_file"].map(file_name),
                    "landed": history["loaded_at"].map(landed),
                    "kpi": column,
                    "label": label,
                    "value": history[column].astype(float),
                    "shown": [format_kpi(column, value) for value in history[column]],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
