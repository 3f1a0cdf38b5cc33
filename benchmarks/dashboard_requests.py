"""HTTP requests and bytes an open dashboard page sends in 60 s after its load, before and after the stream.

Target (issue 22): a dashboard page left open for 60 s sends at most a handful (5) of HTTP requests after
the page load. The "before" is --before (a git ref: the commit before the dashboard moved to the stream,
the 1-5 s polls), checked out in a git worktree under var/; the "after" is this checkout. Each is started as
`make run` starts it (the embedded default: SQLite, no Redis; web, worker, feed, beat and the stream
process, demo data and the demo trader) on a port of its own, one after the other, and a headless chromium
(Debian's) logs in as the demo trader and opens each page at 390 px wide; every request after the page's
load event (and a 2 s settle for its first fragments) is counted with its response body's size. The
verdict is the after's worst page.

    .venv/bin/python benchmarks/dashboard_requests.py [--before 82f421f~1] [--seconds 60]
"""

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import REPO, machine_info, progress, run

PAGES = {
    "dashboard": "/",
    "orders": "/trading/orders/",
    "positions": "/trading/positions/",
    "chart": "/market/instruments/NSE/SBIN-EQ/",
}
HANDFUL = 5
DEMO = ("demo", os.environ.get("DEMO_PASSWORD", "demo-pass-123"))
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _worktree(ref: str) -> Path:
    """`ref` checked out beside this one, sharing its virtualenv and npm packages (the same requirements)."""
    path = REPO / "var" / f"bench-dashboard-{ref.replace('/', '_').replace('~', '-')}"
    if not path.exists():
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(path), ref], check=True)
    for shared in (".venv", "node_modules"):
        if not (path / shared).exists():
            (path / shared).symlink_to(REPO / shared)
    return path


def _platform(checkout: Path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(PORT=str(port), TRADING_VAR_DIR=str(checkout / "var" / f"bench-{port}"))
    proc = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=checkout,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live", timeout=2):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"make run in {checkout} exited ({proc.returncode})") from None
            time.sleep(1)
    raise RuntimeError(f"make run in {checkout} did not answer on port {port}")


def _stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=30)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _count(base_url: str, seconds: float) -> dict:
    from playwright.sync_api import sync_playwright

    figures = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        context = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(DEMO[0])
        page.get_by_label("Password").fill(DEMO[1])
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state("load")
        for name, path in PAGES.items():
            page.goto(path)
            page.wait_for_load_state("load")
            page.wait_for_timeout(2000)
            seen: list = []

            def heard(request, seen=seen) -> None:
                seen.append(request)

            page.on("requestfinished", heard)
            page.wait_for_timeout(seconds * 1000)
            page.remove_listener("requestfinished", heard)
            body = sum(max(r.sizes()["responseBodySize"], 0) for r in seen)
            paths = sorted({r.url.replace(base_url, "").split("?")[0] for r in seen})
            status = page.evaluate("[document.title, document.documentElement.dataset.stream || null]")
            figures[name] = {
                "requests": len(seen),
                "response_bytes": body,
                "paths": paths,
                "title": status[0],
                "stream": status[1],  # the page's socket at the end: "live", or null before the stream
            }
            progress(f"  {name}: {len(seen)} requests, {body / 1000:.1f} kB in {seconds:.0f} s")
        browser.close()
    return figures


def main() -> tuple[dict, bool, str]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default="82f421f~1", help="the git ref of the polling dashboard")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--port", type=int, default=8300)
    args = parser.parse_args()

    results = {}
    for label, checkout, port in (("before", _worktree(args.before), args.port), ("after", REPO, args.port + 10)):
        progress(f"{label}: make run in {checkout} on port {port}")
        proc = _platform(checkout, port)
        try:
            time.sleep(5)  # the feed's first ticks and the stream process
            results[label] = _count(f"http://127.0.0.1:{port}", args.seconds)
        finally:
            _stop(proc)
    worst = max(results["after"].values(), key=lambda page: page["requests"])
    passed = worst["requests"] <= HANDFUL and all(page["stream"] == "live" for page in results["after"].values())
    parts = [
        f"{name} {results['before'][name]['requests']} req {results['before'][name]['response_bytes'] / 1000:.0f} kB"
        f" -> {page['requests']} req {page['response_bytes'] / 1000:.1f} kB"
        for name, page in results["after"].items()
    ]
    summary = f"in {args.seconds:.0f} s after the page load at 390 px: " + "; ".join(parts) + f" (target <= {HANDFUL})"
    figures = {"seconds": args.seconds, "before_ref": args.before, **results, "machine": machine_info()}
    return figures, passed, summary


if __name__ == "__main__":
    run("dashboard_requests", main)
