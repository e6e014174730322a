"""Generate a synthetic sample with the schema and statistical shape of the real export.

The real "Student Performance Factors" export is never committed; this generator writes a
deterministic stand-in with the same 20 columns, category shares, ~1 % missing values in three
categorical columns, integer ranges, one out-of-range exam score (101) and a small share (<1 %)
of scores far above what the factors explain.

    python -m spf.sample --rows 4000 --seed 42 --output seeds/student_performance_factors.csv
    python -m spf.sample --rows 10000000 --output /tmp/students.parquet   # Parquet by suffix
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa

from spf.columns import raw_header

COLUMNS = raw_header()  # the export's header, from vars.spf_columns

# (values, shares, effect on the exam score) for each categorical column, as in the real export.
CATEGORIES: dict[str, tuple[list[str], list[float], list[float]]] = {
    "Parental_Involvement": (["Low", "Medium", "High"], [0.202, 0.509, 0.289], [-2.0, -1.06, 0]),
    "Access_to_Resources": (["Low", "Medium", "High"], [0.199, 0.502, 0.299], [-2.05, -1.0, 0]),
    "Extracurricular_Activities": (["No", "Yes"], [0.404, 0.596], [0, 0.56]),
    "Motivation_Level": (["Low", "Medium", "High"], [0.293, 0.507, 0.200], [-1.06, -0.54, 0]),
    "Internet_Access": (["No", "Yes"], [0.076, 0.924], [0, 0.93]),
    "Family_Income": (["Low", "Medium", "High"], [0.404, 0.404, 0.192], [-1.08, -0.59, 0]),
    "Teacher_Quality": (["Low", "Medium", "High"], [0.100, 0.599, 0.301], [-1.03, -0.52, 0]),
    "School_Type": (["Public", "Private"], [0.696, 0.304], [0.03, 0]),
    "Peer_Influence": (["Negative", "Neutral", "Positive"], [0.208, 0.392, 0.400], [0, 0.52, 1.02]),
    "Learning_Disabilities": (["No", "Yes"], [0.895, 0.105], [0, -0.86]),
    "Parental_Education_Level": (
        ["High School", "College", "Postgraduate"],
        [0.493, 0.304, 0.203],
        [-0.47, 0, 0.51],
    ),
    "Distance_from_Home": (["Near", "Moderate", "Far"], [0.594, 0.306, 0.100], [0.88, 0.35, 0]),
    "Gender": (["Male", "Female"], [0.577, 0.423], [-0.04, 0]),
}
MISSING_SHARE = {
    "Teacher_Quality": 0.012,
    "Parental_Education_Level": 0.014,
    "Distance_from_Home": 0.010,
}
ANOMALY_SHARE = 0.0076  # scores 12-30 points above what the factors explain
INTERCEPT = 41.8
NOISE_SD = 0.35


def _integers(rng: np.random.Generator, n: int, mean: float, sd: float, low: int, high: int):
    return np.clip(np.rint(rng.normal(mean, sd, n)), low, high).astype(int)


CHUNK_ROWS = 500_000  # generated and written a chunk at a time: any size in bounded memory


def generate_chunk(rows: int, seed: int, chunk: int = 0) -> dict[str, np.ndarray]:
    """`rows` synthetic students as columns keyed by the export's names. Chunk 0 draws from
    `seed` itself (so the shipped 4,000-row sample is what it always was); chunk k from
    (seed, k), so a file of any size is deterministic chunk by chunk."""
    rng = np.random.default_rng(seed if chunk == 0 else [seed, chunk])
    data: dict[str, np.ndarray] = {
        "Hours_Studied": _integers(rng, rows, 20.0, 6.0, 1, 44),
        "Attendance": rng.integers(60, 101, rows),
        "Sleep_Hours": rng.integers(4, 11, rows),
        "Previous_Scores": rng.integers(50, 101, rows),
        "Tutoring_Sessions": np.clip(rng.poisson(1.5, rows), 0, 8),
        "Physical_Activity": _integers(rng, rows, 3.0, 1.03, 0, 6),
    }
    score = (
        INTERCEPT
        + 0.295 * data["Hours_Studied"]
        + 0.199 * data["Attendance"]
        + 0.049 * data["Previous_Scores"]
        + 0.497 * data["Tutoring_Sessions"]
        + 0.188 * data["Physical_Activity"]
    )
    for column, (values, shares, effects) in CATEGORIES.items():
        index = rng.choice(len(values), size=rows, p=np.array(shares) / sum(shares))
        data[column] = np.array(values, dtype=object)[index]
        score = score + np.array(effects)[index]
        if column in MISSING_SHARE:
            data[column][rng.random(rows) < MISSING_SHARE[column]] = None
    score = score + rng.normal(0, NOISE_SD, rows)
    anomalous = rng.random(rows) < ANOMALY_SHARE
    score = score + anomalous * rng.uniform(12, 30, rows)
    exam = np.clip(np.rint(score), 55, 100).astype(int)
    position = int(rng.integers(0, rows))
    if chunk == 0:  # the export has one score above the 0-100 scale
        exam[position] = 101
    data["Exam_Score"] = exam
    return {column: data[column] for column in COLUMNS}


def _batches(rows: int, seed: int) -> Iterator[pa.RecordBatch]:
    for chunk, start in enumerate(range(0, rows, CHUNK_ROWS)):
        columns = generate_chunk(min(CHUNK_ROWS, rows - start), seed, chunk)
        yield pa.record_batch({name: pa.array(values) for name, values in columns.items()})


def write(path: Path, rows: int, seed: int) -> None:
    """Write `rows` students, streamed a chunk at a time by DuckDB: CSV (UTF-8, comma, header,
    quoted only where needed, blanks empty) or, for a `.parquet` path, Parquet (the same
    values: numbers as integers, categories as text, blanks as nulls)."""
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    first = next(_batches(min(rows, 1), seed))
    reader = pa.RecordBatchReader.from_batches(first.schema, _batches(rows, seed))
    options = "format parquet" if path.suffix == ".parquet" else "format csv, header true"
    with duckdb.connect() as connection:
        connection.register("students", reader)
        quoted = str(path).replace("'", "''")
        connection.execute(f"copy (select * from students) to '{quoted}' ({options})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4000, help="number of students (default 4000)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument(
        "--output", type=Path, default=Path("seeds/student_performance_factors.csv")
    )
    args = parser.parse_args(argv)
    write(args.output, args.rows, args.seed)
    print(f"wrote {args.rows:,} rows to {args.output}")


if __name__ == "__main__":
    main()
