"""How long scoring one student takes with `ml.scoring.score_students` (a benchmark, not a test).

Needs a trained champion (`make run`). Prints the first call in a fresh process (the champion
loaded from MLflow; the scoring SQL compiled by dbt when the project changed since the last
time) and the warm calls' minimum, median and maximum, as the app's form and
`python -m ml predict` see them.

    .venv/bin/python benchmarks/score_one_student.py [--calls 20]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "seeds" / "student_performance_factors.csv"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20, help="warm calls to time")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    from ml.scoring import score_students

    student = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False).head(1)
    score_students(student)
    first = time.perf_counter() - started
    warm = []
    for _ in range(args.calls):
        started = time.perf_counter()
        scored = score_students(student)
        warm.append(time.perf_counter() - started)
    print(
        f"scoring one student (predicted {scored['predicted_exam_score'].iloc[0]:.2f}):"
        f" first call in a fresh process {first:.2f} s (imports, champion, SQL);"
        f" warm over {args.calls} calls: min {min(warm) * 1000:.0f} ms,"
        f" median {statistics.median(warm) * 1000:.0f} ms, max {max(warm) * 1000:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
