"""The README's picture of the asset graph: a screenshot of a running Dagster UI in Chromium.

make orchestrate &    # and materialize once, so the graph shows each asset's last run
.venv/bin/python -m orchestration.screenshot [--url http://127.0.0.1:3000] [--output ...]
"""

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

DEFAULT_OUTPUT = Path(__file__).resolve().parents[1] / "docs" / "dagster_asset_graph.png"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:3000")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=args.chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1500, "height": 700})
        page.goto(f"{args.url}/asset-groups", wait_until="networkidle")
        page.wait_for_selector("text=warehouse", timeout=60_000)
        skip = page.get_by_role("button", name="Skip")  # a first visit's newsletter dialog
        if skip.count():
            skip.click()
        page.wait_for_timeout(3_000)  # the graph's layout settles
        args.output.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.output))
        browser.close()
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
