"""End to end: `make app`'s server in headless Chromium shows the KPIs of marts.rpt_kpi_summary."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from insights.report import format_kpi
from spf.kpis import KPI_LABELS
from tests.conftest import PROJECT_ROOT, Build, project_env

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"the app server exited: {server.communicate()[0]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"the app server did not answer at {url} within {timeout} s")


@pytest.fixture
def app_url(sample_warehouse: Build, tmp_path: Path) -> Iterator[str]:
    """The app served on a free local port, as `make app` serves it, stopped afterwards."""
    if not Path(CHROMIUM).exists():
        reason = "Debian's chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("SPF_REQUIRE_ALL_ENGINES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    port = free_port()
    env = project_env(sample_warehouse.duckdb_path, sample_warehouse.duckdb_path.parent)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app/Home.py",
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, server)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_browser_shows_the_kpis_of_the_mart(app_url: str, sample_warehouse: Build, tmp_path):
    from playwright.sync_api import sync_playwright

    kpis = sample_warehouse.query("select * from marts.rpt_kpi_summary").iloc[0]
    expected = {label: format_kpi(column, kpis[column]) for column, label in KPI_LABELS.items()}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1600})
            page.goto(app_url, wait_until="domcontentloaded")
            metrics = page.locator("[data-testid='stMetric']")
            metrics.nth(len(expected) - 1).wait_for(timeout=60_000)
            shown = {
                metrics.nth(i).locator("[data-testid='stMetricLabel']").inner_text().strip(): (
                    metrics.nth(i).locator("[data-testid='stMetricValue']").inner_text().strip()
                )
                for i in range(metrics.count())
            }
            page.get_by_text("The original analysis's claims, checked").wait_for()
            page.screenshot(path=str(tmp_path / "home.png"), full_page=True)
        finally:
            browser.close()
    assert shown == expected
