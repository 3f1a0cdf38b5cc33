"""Remake the README's screenshots: the demo trader's dashboard at 390 px (a phone) and 1440 px (a desk).

    .venv/bin/python docs/screenshot.py [--out docs/img]

Starts the platform as the browser tests do, with the process harness of tests/processes.py, on scratch state
(a temporary var folder and SQLite file, so the checkout's database is never touched): migrate, seed_demo,
the Procfile's web process and the simulated feed. Then Playwright drives Debian's chromium: log in as the
demo trader, wait until the feed has ticked, photograph the dashboard, and stop everything.
"""

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.clock import IST  # noqa: E402
from tests.processes import ManagedProcess, free_port, http_ok, procfile_command, wait_for  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]
SHOTS = {"dashboard-phone.png": {"width": 390, "height": 844}, "dashboard-desk.png": {"width": 1440, "height": 900}}
DEMO_USER, DEMO_PASSWORD = "demo", "demo-pass-123"


def scratch_environment(tmp: Path) -> None:
    """The settings read the environment once per process; every process started below inherits this."""
    os.environ.update(
        {
            "DEBUG": "1",
            "TRADING_VAR_DIR": str(tmp / "var"),
            "DATABASE_URL": f"sqlite:///{tmp / 'screenshot.sqlite3'}",
            "DEMO_PASSWORD": DEMO_PASSWORD,
            "DEMO_HISTORY_YEARS": "0",  # the backfill is for backtests; the dashboard needs none
            "DEMO_HISTORY_MINUTE_DAYS": "0",
        }
    )
    os.environ.pop("REDIS_URL", None)


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True)  # noqa: S603 - our own manage.py, fixed arguments


def feed_is_fresh(port: int) -> bool:
    """/health/ready from loopback names the checks that fail: the feed's is gone once ticks flow."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/health/ready")
        body = json.loads(conn.getresponse().read())
    finally:
        conn.close()
    return body.get("checks", {}).get("feed", {}).get("ok") is True


def start_platform(tmp: Path) -> tuple[list[ManagedProcess], int]:
    port = free_port()
    web_command = [part.replace("$PORT", str(port)) for part in procfile_command("web")]
    web = ManagedProcess(
        name="web", command=[sys.executable, "-m", *web_command], log_dir=tmp, ready=lambda: http_ok(port)
    )
    feed = ManagedProcess(
        name="feed", command=[sys.executable, "manage.py", "run_feed", "--source", "simulated"], log_dir=tmp
    )
    processes = [web.start(), feed.start()]
    wait_for("the feed's first ticks", lambda: feed_is_fresh(port), 60, processes)
    return processes, port


def photograph(port: int, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    saved = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for name, viewport in SHOTS.items():
            phone = viewport["width"] < 640
            context = browser.new_context(
                base_url=f"http://127.0.0.1:{port}",
                viewport=viewport,
                timezone_id=IST.key,
                has_touch=phone,
                is_mobile=phone,
            )
            page = context.new_page()
            page.goto("/accounts/login/")
            page.get_by_label("Username").fill(DEMO_USER)
            page.get_by_label("Password").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_load_state("load")
            time.sleep(3)  # the watchlist's prices poll in after the page loads
            path = out / name
            page.screenshot(path=str(path))
            saved.append(path)
            context.close()
        browser.close()
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="screenshot-") as tmp_name:
        tmp = Path(tmp_name)
        scratch_environment(tmp)
        manage("migrate", "--noinput", "-v", "0")
        manage("seed_demo")
        processes, port = start_platform(tmp)
        try:
            for path in photograph(port, args.out):
                print(f"{path} ({path.stat().st_size // 1024} KiB)")
        finally:
            for process in processes:
                process.stop()


if __name__ == "__main__":
    main()
