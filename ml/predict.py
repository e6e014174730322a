"""`python -m ml predict`: score a CSV of students with the registered champion.

The file is read as the warehouse's landing reads it (spf.rawfile checks it, spf.landing
splits its rows) and scored by ml.scoring, which runs the warehouse's own compiled models on
it: rows the warehouse would reject come back with its reasons, the others with a prediction.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ml.scoring import raw_frame, score_raw
from spf.landing import read_raw_rows
from spf.profile import ConfigurationError
from spf.rawfile import RawFileRefused, inspect_raw_file


@dataclass(frozen=True)
class ScoringResult:
    output: Path
    scored: int
    rejected: int
    run_id: str
    version: str


def predict(input_csv: Path, output_csv: Path, version: str | None = None) -> ScoringResult:
    """Score the students in `input_csv` (the export's columns, Exam_Score optional)."""
    input_csv = Path(input_csv)
    if not input_csv.exists():  # a FIFO or a device: refused by inspect_raw_file, unopened
        raise ConfigurationError(f"Input file '{input_csv}' was not found")
    raw = inspect_raw_file(input_csv, scoring=True)
    if raw.encoding == "parquet":
        raise RawFileRefused(input_csv, "is a Parquet file", "Pass the students as CSV.")
    rows = list(read_raw_rows(raw.path, raw.encoding, scoring=True))
    scored = score_raw(raw_frame(rows), version)
    output_csv = Path(output_csv)
    output_csv.parent.mkdir(parents=True, exist_ok=True)
    scored.to_csv(output_csv, index=False)
    rejected = int(scored["rejection_reasons"].notna().sum())
    return ScoringResult(
        output_csv,
        len(scored) - rejected,
        rejected,
        str(scored["run_id"].iloc[0]) if len(scored) else "",
        str(scored["model_version"].iloc[0]) if len(scored) else "",
    )
