"""The load history and the load audit, as the runner uses them (pipeline/job.py).

What a load's row and profile are, and how a load compares with the published one, is dbt's
(marts.rpt_load_summary, rpt_load_profile, rpt_load_comparison; vars.audit_max_psi): here the
runner appends a load to the build area's history, reads the comparison, words a refusal and
the summary's lines.
"""

from __future__ import annotations

import math

import pandas as pd

from spf.profile import ConfigurationError
from spf.publish import HISTORY
from spf.warehouse import Warehouse

# how a user publishes a load the audit refused (pipeline/cli.py, the Makefile, orchestration/)
ACCEPT_SHIFT_HOW = (
    "`python -m pipeline run --accept-shift` (`make run ACCEPT_SHIFT=1`; in Dagster, the run"
    " config `accept_shift: true` on the resource `spf_job`)"
)


class LoadShifted(ConfigurationError):
    """The audit found a column whose distribution shifted beyond the threshold; nothing was
    published. The message names each column with its figures and says how to accept it."""


def read_comparison(warehouse: Warehouse) -> pd.DataFrame:
    """marts.rpt_load_comparison: the row counts, the KPIs (vars.kpi_labels order), then the
    columns (vars.spf_columns order)."""
    from spf.columns import spf_columns
    from spf.definitions import var

    frame = warehouse.read_table("marts", "rpt_load_comparison")
    frame["is_shifted"] = frame["is_shifted"].astype(bool)
    named = [*var("kpi_labels"), *(column["name"] for column in spf_columns())]
    kinds = {"rows": 0, "kpi": 1, "factor": 2}
    frame["_order"] = [
        (kinds.get(kind, 3), named.index(measure) if measure in named else 0, measure)
        for kind, measure in zip(frame["measure_kind"], frame["measure"], strict=True)
    ]
    return frame.sort_values("_order").drop(columns="_order").reset_index(drop=True)


def shifted(comparison: pd.DataFrame) -> pd.DataFrame:
    """The columns the audit found shifted, the largest PSI first."""
    rows = comparison[comparison["is_shifted"]]
    return rows.sort_values("psi", ascending=False)


def previous_file(comparison: pd.DataFrame) -> str | None:
    """The published load's file this load was compared with; None for the first load."""
    value = comparison["previous_source_file"].dropna()
    return str(value.iloc[0]) if len(value) else None


def _psi_line(row: pd.Series) -> str:
    figures = f"PSI {row['psi']:.2f}, threshold {row['psi_threshold']:g}"
    return f"{row['label']} ({row['measure']}): {figures}"


def refusal(comparison: pd.DataFrame, source_file: str, in_place: bool = False) -> LoadShifted:
    """The refusal of a load with shifted columns, in the user's terms. `in_place`: the run
    built in place (Spark), so its tables are there already; only the history is kept."""
    outcome = (
        "Nothing was published: readers keep the warehouse they had (marts.rpt_load_comparison"
        " of this run is not kept)."
        if not in_place
        else "Built in place (Spark): the tables this run built stay until the next run, but"
        " the load is not recorded in the load history."
    )
    lines = [
        f"Raw file '{source_file}' was refused by the load audit: the distribution of"
        f" {'a column' if len(shifted(comparison)) == 1 else 'some columns'} differs from the"
        f" published load's ('{previous_file(comparison)}') by more than the threshold"
        " (population stability index, vars.audit_max_psi):",
        *(f"  {_psi_line(row)}" for _, row in shifted(comparison).iterrows()),
        f"{outcome} A column that changed its scale or its meaning still passes every range"
        " check; if the change is expected (a new scale, a new population of students),"
        f" publish the load anyway with {ACCEPT_SHIFT_HOW}.",
    ]
    return LoadShifted("\n".join(lines))


def audit_lines(comparison: pd.DataFrame, accepted: bool) -> list[str]:
    """What the audit step prints when it lets the load through."""
    previous = previous_file(comparison)
    if previous is None:
        return ["audit: the first load of this warehouse: nothing to compare with"]
    lines = [f"audit: compared with the published load of '{previous}'"]
    moved = shifted(comparison)
    if accepted and len(moved):
        lines.append("audit: shift accepted (--accept-shift); publishing anyway:")
        lines += [f"  {_psi_line(row)}" for _, row in moved.iterrows()]
    else:
        lines.append(f"audit: no column shifted ({largest_psis(comparison)})")
    lines += [f"audit: {line}" for line in unjudged(comparison)]
    return lines


def unjudged(comparison: pd.DataFrame) -> list[str]:
    """A line when a PSI above the threshold was not judged: a load too small to tell."""
    from spf.definitions import var

    above = comparison[
        (comparison["psi"] > comparison["psi_threshold"]) & ~comparison["is_shifted"]
    ]
    if above.empty:
        return []
    minimum = var("audit_min_students")
    return [
        f"PSI above the threshold not judged ({', '.join(above['label'])}): a load of fewer"
        f" than {minimum:,} students (vars.audit_min_students) differs from another by chance"
    ]


def largest_psis(comparison: pd.DataFrame, count: int = 3) -> str:
    """The `count` largest PSIs in words, with the threshold."""
    factors = comparison[comparison["measure_kind"] == "factor"].dropna(subset=["psi"])
    if factors.empty:
        return "no PSI: nothing to compare with"
    top = factors.sort_values("psi", ascending=False).head(count)
    listed = ", ".join(f"{row['label']} {row['psi']:.2f}" for _, row in top.iterrows())
    return f"largest PSI: {listed}; threshold {factors['psi_threshold'].iloc[0]:g}"


def summary_lines(comparison: pd.DataFrame) -> list[str]:
    """The comparison's notable lines for the run's summary: the load compared with, each
    count's and KPI's change, the largest PSIs and every shifted column."""
    previous = previous_file(comparison)
    if previous is None:
        return ["compared with   nothing: the first load of this warehouse"]
    lines = [f"compared with   {previous}  (marts.rpt_load_comparison)"]
    for kind, title in (("rows", "rows"), ("kpi", "KPIs")):
        changes = comparison[comparison["measure_kind"] == kind]
        changed = [
            f"{row['label']} {_signed(row['change'])}"
            for _, row in changes.iterrows()
            if not _is_zero(row["change"])
        ]
        lines.append(f"  {title:<13} " + ("; ".join(changed) if changed else "no change"))
    lines.append(f"  distributions {largest_psis(comparison)}")
    for _, row in shifted(comparison).iterrows():
        lines.append(f"  SHIFTED (accepted) {_psi_line(row)}")
    lines += [f"  {line}" for line in unjudged(comparison)]
    return lines


def _is_zero(value: float) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or abs(value) < 5e-3


def _signed(value: float) -> str:
    return f"{value:+,.0f}" if float(value).is_integer() else f"{value:+,.2f}"


def record_load(warehouse: Warehouse) -> int | None:
    """Append this load (marts.rpt_load_summary's row, marts.rpt_load_profile's rows) to the
    history of the warehouse `warehouse` reaches (the build area), unless the history has its
    load number already (rpt_load_summary gives a load of the latest load's file that load's
    number). The number recorded, or None when nothing was added."""
    loads = warehouse.relation(HISTORY, "loads")
    profiles = warehouse.relation(HISTORY, "load_profiles")
    summary = warehouse.relation("marts", "rpt_load_summary")
    number = int(warehouse.query(f"select load_number from {summary}").iloc[0, 0])
    found = warehouse.query(f"select count(*) as n from {loads} where load_number = {number}")
    if int(found.iloc[0, 0]):
        return None
    load_columns = ", ".join(_columns(warehouse, loads))
    profile_columns = ", ".join(c for c in _columns(warehouse, profiles) if c != "load_number")
    profile = warehouse.relation("marts", "rpt_load_profile")
    statements = [
        f"insert into {profiles} select {number} as load_number, {profile_columns} from {profile}",
        f"insert into {loads} select {load_columns} from {summary}",
    ]
    transactional = warehouse.type in ("duckdb", "postgres")
    for statement in (["begin"] if transactional else []) + statements:
        warehouse.execute(statement)
    if transactional:
        warehouse.execute("commit")
    return number


def _columns(warehouse: Warehouse, relation: str) -> list[str]:
    """A table's columns, in its order."""
    return list(warehouse.query(f"select * from {relation} where 1 = 0").columns)
