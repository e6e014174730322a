"""Hardening: what a user passes is data (a path through `make`), a Postgres run that loses its
lock stops without publishing while another builds alone, a symlinked DuckDB path publishes to
its target, and the docs site's catalog covers every model on every engine."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT
from tests.helpers import (
    RAW_SQL,
    Target,
    assert_same_snapshot,
    lock_sessions,
    require_postgres,
    sample_slice,
    terminate_backends,
    wait_until,
)

# a name that a shell would run (backticks, $(...)) or split (spaces, quotes), and a pattern
ODD_NAME = 'it\'s "odd" $HOME `touch pwned-by-make` $(touch pwned-too) [1]*?.csv'


def test_make_passes_a_raw_file_path_verbatim(tmp_path: Path) -> None:
    """`make run RAW_CSV=...`: the job gets the path exactly as given (here it is refused as
    not found, naming it), and no shell ever ran what the name holds."""
    path = tmp_path / ODD_NAME
    env = {**os.environ, "SPF_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb")}
    result = subprocess.run(
        ["make", "--no-print-directory", "run", f"RAW_CSV={path}"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode != 0
    assert f"Raw file '{path}' was not found; nothing was loaded or replaced." in result.stderr
    assert "Unterminated" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    assert not list(PROJECT_ROOT.glob("pwned*"))


def test_a_symlinked_duckdb_path_publishes_to_the_links_target(tmp_path: Path) -> None:
    real = tmp_path / "real" / "warehouse.duckdb"
    real.parent.mkdir()
    link = tmp_path / "link.duckdb"
    link.symlink_to(real)
    target = Target("duckdb", tmp_path)
    result = target.run(sample_slice(tmp_path / "first.csv", 1, 60), "--skip-ml",
                        SPF_DUCKDB_PATH=str(link))  # fmt: skip
    assert result.returncode == 0, result.output[-3000:]
    assert link.is_symlink() and link.resolve() == real.resolve()
    second = sample_slice(tmp_path / "second.csv", 61, 140)
    result = target.run(second, "--skip-ml", SPF_DUCKDB_PATH=str(link))
    assert result.returncode == 0, result.output[-3000:]
    assert link.is_symlink()  # still a link, to the file that now holds the second load
    import duckdb

    with duckdb.connect(str(link), read_only=True) as connection:
        rows, source_file, _ = connection.execute(RAW_SQL).fetchone()
    assert (rows, source_file) == (80, str(second))
    assert sorted(p.name for p in (real.parent / ".build").iterdir()) == []


# -- Postgres: a run that loses its lock ------------------------------------------------------


def test_a_postgres_run_that_loses_its_lock_publishes_nothing(tmp_path: Path) -> None:
    """The lock session of run A is terminated while A builds; run B, started then, takes the
    lock. A stops with the lock-lost message and publishes nothing; B builds alone and
    publishes its own file; no shadow schema is left."""
    require_postgres()
    target = Target("postgres", tmp_path)
    try:
        base = target.run(sample_slice(tmp_path / "base.csv", 1, 100), "--skip-ml")
        assert base.returncode == 0, base.output[-3000:]
        before = target.snapshot()
        first = target.start(sample_slice(tmp_path / "a.csv", 101, 300), "--skip-ml")
        # once dbt builds models (not while it reads its partial parse, where dbt itself logs
        # a traceback of any interruption and parses again)
        first.wait_for(r"START sql")
        sessions = lock_sessions(target.database, first.pid)
        assert len(sessions) == 1, sessions
        terminate_backends(target.database, sessions)
        second_file = sample_slice(tmp_path / "b.csv", 301, 450)
        second = target.start(second_file, "--skip-ml")
        lost = first.finish(300)
        assert lost.returncode == 1, lost.output[-3000:]
        assert "this run lost the warehouse lock" in lost.stderr
        assert "published nothing" in lost.stderr
        assert "Traceback" not in lost.output
        if second.process.poll() is None:  # B is still building: readers see the base load
            assert_same_snapshot(target.snapshot(), before)
        done = second.finish(600)
        assert done.returncode == 0, done.output[-3000:]
        rows, source_file, _ = target.query(RAW_SQL).iloc[0]
        assert (rows, source_file) == (150, str(second_file))
        assert target.leftovers() == []
        assert wait_until(target.lock_is_free)
    finally:
        target.drop()


# -- the docs site's catalog ------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_the_docs_catalog_lists_every_model_with_its_column_types(
    tmp_path: Path, engine: str
) -> None:
    if engine == "postgres":
        require_postgres()
    target = Target(engine, tmp_path)
    catalog_path = PROJECT_ROOT / "target" / "catalog.json"
    started = time.time()
    try:
        args = target.command(None)  # the whole job on the sample, as `make run` runs it
        args.remove("--skip-docs")
        result = subprocess.run(
            args, cwd=PROJECT_ROOT, env=target.env(), capture_output=True, text=True, timeout=900
        )
        assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
        assert catalog_path.stat().st_mtime >= started
        catalog = json.loads(catalog_path.read_text())
        manifest = json.loads((PROJECT_ROOT / "target" / "manifest.json").read_text())
    finally:
        target.drop()
    models = {
        key
        for key, node in manifest["nodes"].items()
        if node["resource_type"] == "model"
        and node["config"].get("materialized") != "ephemeral"
        and node["config"].get("enabled", True)
    }
    assert models, "the manifest lists no model"
    missing = sorted(models - catalog["nodes"].keys())
    assert missing == []
    for key in models:
        columns = catalog["nodes"][key]["columns"]
        assert columns and all(column["type"] for column in columns.values()), key
