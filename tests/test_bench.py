"""`make bench` runs here on a tiny size, so its code cannot rot: the floor gives the same marts
as the warehouse, and the results table is written (speed is measured by `make bench`, never
asserted in a test)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT_ROOT


def test_bench_checks_the_floor_and_writes_the_table(tmp_path: Path) -> None:
    output = tmp_path / "RESULTS.md"
    result = subprocess.run(
        [sys.executable, "benchmarks/bench.py", "--sizes", "1500", "--formats", "csv,parquet",
         "--check", "--engines-at", "0", "--ml-up-to", "0", "--output", str(output)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    text = output.read_text()
    assert "floor checked against the warehouse on 1,500 rows: same marts" in text
    rows = [line for line in text.splitlines() if line.startswith("| duckdb | 1,500 |")]
    assert [row.split(" | ")[2] for row in rows] == ["csv", "parquet"]
    assert all("×" in row for row in rows)
    for row in rows:  # the build's split is the build command's (not a later, smaller one's)
        models = re.search(r"models \(node-seconds\) ([\d.]+)", row)
        assert models and float(models.group(1)) >= 0.3, row
        assert "of which the load audit's models" in row and "; audit " in row, row
