"""`make bench`: the warehouse at scale, measured against a hand-written floor.

For each size and input format it generates the input with the project's own generator
(`python -m spf.sample`, deterministic; kept in benchmarks/data/, git-ignored), then times, in
alternation and each as a fresh process (wall time and peak RSS from the OS):

- the floor: benchmarks/floor.sql, the same work written by hand in bare DuckDB;
- the build: `python -m pipeline run --skip-ml --skip-docs` (landing, dbt models and data
  tests in the build area, publish), split into landing, models and tests from dbt's
  run_results.json;
- the whole job: `python -m pipeline run --skip-docs` (with ML), and its ML step (`--no-ml`
  leaves it out).

Every case of one engine builds the same warehouse path, as a user's runs do, so dbt's partial
parsing reuses the project's parse from the run before (a new raw file does not force a full
parse); an untimed warm-up run on a tiny file parses it first, and a full parse is timed once on
its own and shown in the header.

It writes benchmarks/RESULTS.md (the machine, every figure, the ratio to the floor) and prints
it. `--check` first builds a small sample both ways and checks the floor gives the same marts.

    python benchmarks/bench.py                        # the full table (an hour or more)
    python benchmarks/bench.py --sizes 2000 --check   # what `make test` runs (seconds)
    python benchmarks/bench.py --no-ml                # the warehouse only, every size and engine
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
FLOOR_SQL = ROOT / "benchmarks" / "floor.sql"
PYTHON = sys.executable
STEP_NAMES = {
    "Landing": "landing (checks)",
    "Building and testing": "dbt build",
    "Auditing": "audit",
    "Recording": "history",
    "Training": "ML",
    "Building the predictions": "predictions",
    "Publishing": "publish",
}
WARM_UP_ROWS = 1_000
# the load audit's own passes over the load (the per-value counts and the comparison with the
# published load), shown apart in the build's split
AUDIT_MODELS = ("int_column_values_counted", "rpt_load_profile", "rpt_load_comparison")
STEP = re.compile(r"^==> \[\d+/\d+\] (?P<name>.+?)  \(t\+(?P<at>[0-9.]+)s\)$")


@dataclass
class Measure:
    seconds: float
    peak_gib: float
    steps: dict[str, float] = field(default_factory=dict)


def measured(command: list[str], env: dict[str, str], log: Path) -> tuple[Measure, str]:
    """Run `command` as a fresh process; its wall time, peak RSS (of its largest process)."""
    started = time.perf_counter()
    with log.open("w") as handle:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=handle)
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    output = log.read_text()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"bench: {' '.join(command)} failed; see {log}\n{output[-3000:]}")
    return Measure(seconds, usage.ru_maxrss / 1024**2), output


def input_file(rows: int, fmt: str) -> Path:
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"students_{rows}.{fmt}"
    if not path.exists():
        subprocess.run(
            [PYTHON, "-m", "spf.sample", "--rows", str(rows), "--output", str(path)],
            cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    return path


def floor_script(path: Path) -> str:
    """floor.sql reading `path`: its rows with their row numbers (`ordinality`, from 1)."""
    quoted = str(path).replace("'", "''")
    reader = (
        f"(select * exclude (file_row_number), file_row_number + 1 as ordinality"
        f" from read_parquet('{quoted}', file_row_number = true))"
        if path.suffix == ".parquet"
        else f"(select * from read_csv('{quoted}', header = true, all_varchar = true)"
        " with ordinality)"
    )
    return FLOOR_SQL.read_text().replace("{reader}", reader)


def run_floor(path: Path, database: Path, work: Path) -> Measure:
    script = work / "floor.sql"
    script.write_text(floor_script(path))
    code = (
        "import duckdb, sys; c = duckdb.connect(sys.argv[1]);"
        " c.execute(\"set memory_limit = '3GB'\"); c.execute(open(sys.argv[2]).read())"
    )
    database.unlink(missing_ok=True)
    measure, _ = measured(
        [PYTHON, "-c", code, str(database), str(script)], dict(os.environ), work / "floor.log"
    )
    return measure


def run_pipeline(path: Path, env: dict[str, str], work: Path, with_ml: bool, name: str) -> Measure:
    command = [PYTHON, "-m", "pipeline", "run", "--skip-docs", "--raw-csv", str(path)]
    if not with_ml:
        command.append("--skip-ml")
    measure, output = measured(command, env, work / f"{name}.log")
    marks = [(m["name"], float(m["at"])) for m in map(STEP.match, output.splitlines()) if m]
    for (step, at), (_, following) in zip(marks, marks[1:], strict=False):
        short = next((short for word, short in STEP_NAMES.items() if step.startswith(word)), step)
        measure.steps[short] = following - at
    results = json.loads((ROOT / "target" / "run_results.json").read_text())["results"]
    if not with_ml:  # dbt's own split of the build
        for kind in ("operation", "model", "test"):
            measure.steps[f"{kind}s (node-seconds)"] = sum(
                r["execution_time"] for r in results if r["unique_id"].startswith(kind + ".")
            )
        measure.steps["of which the load audit's models"] = sum(
            r["execution_time"]
            for r in results
            if r["unique_id"].startswith("model.") and r["unique_id"].endswith(AUDIT_MODELS)
        )
    return measure


def full_parse_seconds() -> float:
    """One full parse of the project (what the first run after a change to it pays), timed."""
    with tempfile.TemporaryDirectory(prefix="spf-bench-parse-") as scratch:
        env = dict(os.environ, SPF_DUCKDB_PATH=str(Path(scratch) / "parse.duckdb"))
        command = [str(Path(PYTHON).with_name("dbt")), "parse", "--no-partial-parse", "--quiet",
                   "--target-path", scratch, "--log-path", scratch]  # fmt: skip
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - started


def environment(work: Path, target: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SPF_TARGET=target,
        SPF_DUCKDB_PATH=str(work / "warehouse" / "bench.duckdb"),
        MLFLOW_TRACKING_URI=f"sqlite:///{work / 'mlflow.db'}",
        SPF_PG_DATABASE=f"spf_bench_{os.getpid()}",
        SPF_SPARK_DIR=str(work / "spark"),
        MLFLOW_DISABLE_TELEMETRY="true",
        DO_NOT_TRACK="1",
    )
    return env


def check_floor(rows: int) -> str:
    """Build a sample both ways; the floor's marts must equal the warehouse's."""
    import duckdb

    path = input_file(rows, "csv")
    with tempfile.TemporaryDirectory(prefix="spf-bench-check-") as scratch:
        work = Path(scratch)
        env = environment(work, "duckdb")
        run_pipeline(path, env, work, with_ml=False, name="check")
        run_floor(path, work / "floor.duckdb", work)
        built = duckdb.connect(env["SPF_DUCKDB_PATH"], read_only=True)
        floor = duckdb.connect(str(work / "floor.duckdb"), read_only=True)
        checks = {
            "rpt_kpi_summary": "select student_count, avg_attendance_pct, avg_exam_score,"
            " avg_sleep_hours, avg_hours_studied, avg_physical_activity_hours,"
            " extracurricular_participation_pct from marts.rpt_kpi_summary",
            "rpt_load_reconciliation": "select rows_received, rows_accepted, rows_rejected,"
            " rows_duplicated from marts.rpt_load_reconciliation",
            "rpt_rejected_rows": "select source_row_number, rejection_reasons, raw_record"
            " from marts.rpt_rejected_rows order by 1",
            "dim_students": "select student_key, source_row_number, gender, attendance_band"
            " from marts.dim_students order by 2",
        }
        for name, sql in checks.items():
            ours, theirs = built.execute(sql).fetchall(), floor.execute(sql).fetchall()
            if _rounded(ours) != _rounded(theirs):
                raise SystemExit(f"bench: the floor's {name} differs from the warehouse's")
        groups = "select student_count, round(mean_exam_score, 9) from {} order by 1, 2"
        ours = built.execute(groups.format("intermediate.int_exam_score_groups")).fetchall()
        theirs = floor.execute(groups.format("marts.findings")).fetchall()
        if ours != theirs:
            raise SystemExit("bench: the floor's findings groups differ from the warehouse's")
        ours = built.execute(
            "select factor_name, student_count, score_correlation, slope_points"
            " from marts.rpt_exam_score_factor_ranking order by 1"
        ).fetchall()
        moments = floor.execute("select * from marts.factor_moments").df().iloc[0]
        theirs = sorted(
            (name, moments[f"{name}__n"], moments[f"{name}__r"], moments[f"{name}__slope"])
            for name, *_ in ours
        )
        if _rounded(ours) != _rounded(theirs):
            raise SystemExit("bench: the floor's factor moments differ from the ranking's")
        features = "select * from marts.{} order by source_row_number"
        ours = built.execute(features.format("ml_exam_score_features")).fetchall()
        theirs = floor.execute(features.format("ml_features")).fetchall()
        if _rounded(ours) != _rounded(theirs):
            raise SystemExit("bench: the floor's ML features differ from the warehouse's")
    return f"floor checked against the warehouse on {rows:,} rows: same marts"


def _rounded(rows: list[tuple]) -> list[tuple]:
    return [tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows]


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    import duckdb

    return (
        f"{platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GiB, {platform.system()}"
        f" {platform.release()}, Python {platform.python_version()}, DuckDB {duckdb.__version__}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000,10000000", help="rows, comma-separated")
    parser.add_argument("--formats", default="csv,parquet")
    parser.add_argument("--runs", type=int, default=1, help="runs of each, alternated (median)")
    parser.add_argument("--engines-at", type=int, default=1_000_000,
                        help="also Postgres and Spark at this size (0: skip)")  # fmt: skip
    parser.add_argument("--ml-up-to", type=int, default=10_000_000, help="largest size with ML")
    parser.add_argument("--no-ml", action="store_true", help="no whole-job (ML) run at any size")
    parser.add_argument("--check", action="store_true", help="check the floor on a sample first")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.no_ml:
        args.ml_up_to = 0
    sizes = [int(size) for size in args.sizes.split(",")]
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {machine()}. Written by `make bench` (benchmarks/bench.py) on"
        f" {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {args.runs} run(s) each,"
        " alternated, median shown. Build = landing + dbt models + data tests + publish"
        " (`python -m pipeline run --skip-ml --skip-docs`); floor = benchmarks/floor.sql in"
        " bare DuckDB; whole job = `python -m pipeline run --skip-docs` (with ML)."
        " Each engine's cases build one warehouse path after an untimed warm-up run, so dbt's"
        " parse is partial, as on every run but the first (a full `dbt parse`, start-up"
        f" included, takes {full_parse_seconds():.1f} s here). Timings on a shared machine are"
        " noisy: compare ratios within one run.",
        "",
    ]
    if args.check:
        lines += [check_floor(min(sizes)), ""]
    lines += [
        "| engine | rows | input | floor s | floor GiB | build s | build GiB | ratio | whole job s"
        " | whole GiB | steps (s) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    cases = [("duckdb", rows, fmt) for rows in sizes for fmt in args.formats.split(",")]
    if args.engines_at and args.engines_at in sizes:
        cases += [("postgres", args.engines_at, "csv"), ("spark", args.engines_at, "csv")]
    DATA.mkdir(parents=True, exist_ok=True)  # a fresh checkout has no benchmarks/data/ yet
    with tempfile.TemporaryDirectory(prefix="spf-bench-", dir=DATA) as scratch:
        work = Path(scratch)
        for engine in dict.fromkeys(engine for engine, _, _ in cases):
            (work / engine).mkdir()
            env = environment(work / engine, engine)
            try:  # untimed: the engine's first run parses the project (and starts its engine)
                run_pipeline(input_file(WARM_UP_ROWS, "csv"), env, work, False, "warm-up")
                for case_engine, rows, fmt in cases:
                    if case_engine == engine:
                        lines.append(_case(engine, rows, fmt, env, work, args))
                        print(lines[-1], flush=True)
            finally:
                if engine == "postgres":
                    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists",
                                    env["SPF_PG_DATABASE"]], check=False)  # fmt: skip
    text = "\n".join(lines) + "\n"
    args.output.write_text(text)
    print(text)
    return 0


def _case(engine: str, rows: int, fmt: str, env: dict, work: Path, args) -> str:
    """One case's runs, alternated: the floor (DuckDB only), the build, the whole job."""
    path = input_file(rows, fmt)
    floors, builds, wholes = [], [], []
    for _ in range(args.runs):
        if engine == "duckdb":
            floors.append(run_floor(path, work / "floor.duckdb", work))
        builds.append(run_pipeline(path, env, work, with_ml=False, name="build"))
        if rows <= args.ml_up_to:
            wholes.append(run_pipeline(path, env, work, with_ml=True, name="whole"))
    return _row(engine, rows, fmt, floors, builds, wholes)


def _median(measures: list[Measure], attribute: str) -> float | None:
    return statistics.median(getattr(m, attribute) for m in measures) if measures else None


def _row(engine, rows, fmt, floors, builds, wholes) -> str:
    floor_s, build_s = _median(floors, "seconds"), _median(builds, "seconds")
    ratio = f"{build_s / floor_s:.2f}×" if floor_s else "—"
    steps = {}
    for measure in [*builds, *wholes]:
        for name, seconds in measure.steps.items():
            steps.setdefault(name, []).append(seconds)
    shown = "; ".join(f"{name} {statistics.median(v):.1f}" for name, v in steps.items())

    def cell(value, digits=1):
        return "—" if value is None else f"{value:.{digits}f}"

    return (
        f"| {engine} | {rows:,} | {fmt} | {cell(floor_s)} | {cell(_median(floors, 'peak_gib'), 2)}"
        f" | {cell(build_s)} | {cell(_median(builds, 'peak_gib'), 2)} | {ratio}"
        f" | {cell(_median(wholes, 'seconds'))} | {cell(_median(wholes, 'peak_gib'), 2)}"
        f" | {shown} |"
    )


if __name__ == "__main__":
    sys.exit(main())
