"""How long the served champion takes to answer a request for one student (a benchmark, not a
test): a POST to /invocations, as another system would send it, timed from the client.

Needs the champion served (`make serve` in another terminal, or `python -m ml serve --port N`
and `--url http://127.0.0.1:N`). Sends the shipped sample's first student, in the export's
columns as raw text, once untimed (a warm server) and then `--calls` times; prints the
minimum, median and maximum.

    .venv/bin/python benchmarks/serve_one_student.py [--url http://127.0.0.1:5300] [--calls 50]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "seeds" / "student_performance_factors.csv"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:5300", help="the served champion")
    parser.add_argument("--calls", type=int, default=50, help="warm requests to time")
    args = parser.parse_args(argv)
    with SAMPLE.open(newline="") as handle:
        header, student = list(csv.reader(handle))[:2]
    request = urllib.request.Request(
        f"{args.url.rstrip('/')}/invocations",
        data=json.dumps({"dataframe_split": {"columns": header, "data": [student]}}).encode(),
        headers={"Content-Type": "application/json"},
    )

    def answer() -> dict:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())["predictions"][0]

    try:
        first = answer()
    except (urllib.error.URLError, OSError) as error:
        print(f"error: nothing answers at {args.url} ({error}): start `make serve` first")
        return 1
    if "predicted_exam_score" not in first:
        print(f"error: the served model did not score the student: {first}")
        return 1
    timings = []
    for _ in range(args.calls):
        started = time.perf_counter()
        answer()
        timings.append(time.perf_counter() - started)
    print(
        f"one student served by {args.url} (predicted {first['predicted_exam_score']:.2f},"
        f" {first.get('predicted_lower', float('nan')):.2f} to"
        f" {first.get('predicted_upper', float('nan')):.2f}): warm over {args.calls} requests:"
        f" min {min(timings) * 1000:.0f} ms, median {statistics.median(timings) * 1000:.0f} ms,"
        f" max {max(timings) * 1000:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
