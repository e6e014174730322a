"""`python -m ml predict`: score a CSV of students with the warehouse's champion.

The file is read as the warehouse's landing reads it (spf.rawfile checks it, spf.landing
splits its rows) and scored by ml.scoring, which runs the warehouse's own compiled models on
it: rows the warehouse would reject come back with its reasons, the others with a prediction.

The output is never the input (the same file by device and inode, also through a symbolic or
hard link), and it is written whole or not at all: to a temporary file in the output's own
folder (a symlink's target's), then renamed over it.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

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


def predict(
    input_csv: Path, output_csv: Path, version: str | None = None, target: str | None = None
) -> ScoringResult:
    """Score the students in `input_csv` (the export's columns, Exam_Score optional) with the
    champion of the target's warehouse (or one registered version), into `output_csv`."""
    input_csv = Path(input_csv)
    if not input_csv.exists():  # a FIFO or a device: refused by inspect_raw_file, unopened
        raise ConfigurationError(f"Input file '{input_csv}' was not found")
    destination = output_file(input_csv, Path(output_csv))
    raw = inspect_raw_file(input_csv, scoring=True)
    if raw.encoding == "parquet":
        raise RawFileRefused(input_csv, "is a Parquet file", "Pass the students as CSV.")
    rows = list(read_raw_rows(raw.path, raw.encoding, scoring=True))
    scored = score_raw(raw_frame(rows), version, target)
    write_atomically(destination, lambda handle: scored.to_csv(handle, index=False))
    rejected = int(scored["rejection_reasons"].notna().sum())
    return ScoringResult(
        Path(output_csv),
        len(scored) - rejected,
        rejected,
        str(scored["run_id"].iloc[0]) if len(scored) else "",
        str(scored["model_version"].iloc[0]) if len(scored) else "",
    )


def output_file(input_csv: Path, output_csv: Path) -> Path:
    """The file the predictions are written to: `output_csv`, or what a symlink there points
    at. Refused when that is the input itself (the same device and inode: the same path, or a
    symbolic or hard link to it) or a folder."""
    real = Path(os.path.realpath(output_csv))
    if real.is_dir():
        raise ConfigurationError(f"Output '{output_csv}' is a folder: name the CSV file to write")
    if real.exists() and os.path.samefile(real, input_csv):
        raise ConfigurationError(
            f"Output '{output_csv}' is the input file '{input_csv}' itself (the same file,"
            " perhaps through a link): the predictions would replace the students; name"
            " another output file. Nothing was written"
        )
    return real


def write_atomically(path: Path, write: Callable[[IO[str]], None]) -> None:
    """Write `path` whole or not at all: `write` fills a temporary file in the same folder,
    which is renamed over `path` once complete. A failure or an interruption (Ctrl-C, SIGTERM)
    leaves `path` as it was (or absent) and removes the temporary file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, renamed or removed
        "w", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False,
        encoding="utf-8", newline="",
    )  # fmt: skip
    partial = Path(handle.name)
    try:
        with handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(partial, _file_mode(path))
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _file_mode(path: Path) -> int:
    """The permissions the file keeps (an existing file's) or gets (a new file's, as `open`
    would give it under the user's umask), rather than the temporary file's private 0600."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
