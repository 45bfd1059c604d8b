"""Benchmark: the overhead of the app gates over running the same things by hand.

Builds a small repository from the test apps (tests/apps/: a search page with a
Playwright test, and an HTTP API with a locustfile), then measures side by side,
alternating the two (so the machine's other load hits both alike), medians over
several repetitions, each as a ratio "through gates / plain":

1. app start to healthy: gates' app runner (`gates.apptest.app.start`: free port,
   scrubbed env, process group, log) vs `Popen` + polling /health;
2. browser tests: `gates run --gate e2e` (merge result, app start, Chromium lookup,
   JUnit → findings) vs `pytest` + pytest-playwright run directly against an app
   started by hand;
3. a perf run: `gates run --gate perf` (two apps, alternating rounds, statistics,
   chart) vs the `locust` command, headless, for the same load time against one
   app started by hand.

Usage: python bench/overhead.py [--reps 3] [--duration 6]
No timing is asserted anywhere; this prints a table and the ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = ROOT / "tests" / "apps"
PY = sys.executable


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def make_repo(folder: Path, duration: float) -> Path:
    repo = folder / "repo"
    (repo / "tests" / "e2e").mkdir(parents=True)
    shutil.copy(APPS / "e2e_app.py", repo / "web.py")
    shutil.copy(APPS / "e2e_test_search.py", repo / "tests" / "e2e" / "test_search.py")
    shutil.copy(APPS / "perf_app.py", repo / "api.py")
    shutil.copy(APPS / "perf_locustfile.py", repo / "locustfile.py")
    (repo / "gates.toml").write_text(f"""
[app]
command = ["{PY}", "launch.py", "{{port}}"]
health = "/health"

[gates.e2e]
tests = ["tests/e2e"]

[gates.perf]
duration = {duration}
users = 6
""")
    # one app command for both gates: the page and the API in one process
    (repo / "launch.py").write_text(LAUNCH)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "-c", "user.email=b@b", "-c", "user.name=b", "add", "-A")
    git(repo, "-c", "user.email=b@b", "-c", "user.name=b", "commit", "-q", "-m", "init")
    git(repo, "checkout", "-q", "-b", "walnut/docs")
    (repo / "NOTES.md").write_text("# notes\n")
    git(repo, "add", "-A")
    git(repo, "-c", "user.email=b@b", "-c", "user.name=b", "commit", "-q", "-m", "docs")
    git(repo, "checkout", "-q", "main")
    return repo


LAUNCH = '''
import sys
from http.server import ThreadingHTTPServer

import api
import web


class Handler(web.Handler, api.Handler):
    def do_GET(self):
        if self.path.startswith("/api/") and not self.path.startswith("/api/search"):
            return api.Handler.do_GET(self)
        return web.Handler.do_GET(self)


server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
server.daemon_threads = True
server.serve_forever()
'''


def side_by_side(label: str, through_gates: Callable[[], float],
                 plain: Callable[[], float]) -> None:
    """Alternate the two (G P P G G P …) so that the machine's other load hits both
    alike; each callable returns its own duration in seconds."""
    g, p = [], []
    for i in range(ARGS.reps):
        order = (through_gates, plain) if i % 2 == 0 else (plain, through_gates)
        for fn in order:
            (g if fn is through_gates else p).append(fn())
    RESULTS[label] = (statistics.median(g), statistics.median(p))


def free_port() -> int:
    from gates.apptest.app import free_port as fp

    return fp()


class PlainApp:
    def __init__(self, repo: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.p = subprocess.Popen([PY, "launch.py", str(self.port)], cwd=repo,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2):  # nosec B310: http://127.0.0.1
                    return
            except OSError:
                if self.p.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"the bench app did not start on port {self.port}")
                time.sleep(0.1)

    def stop(self) -> None:
        self.p.terminate()
        self.p.wait(10)


def gates_app_starter(repo: Path, scratch: Path, stack: contextlib.ExitStack
                      ) -> Callable[[], float]:
    """gates.apptest.app.start on a context like a run makes (export + config from main)."""
    from gates import registry, subject
    from gates.apptest.app import start
    from gates.commands.common import trusted_config
    from gates.gate import GateContext, Workspace

    cfg = trusted_config(repo, registry.load(), None)
    subj = subject.resolve(repo, "walnut/docs", "main")
    tree, tmp = stack.enter_context(subject.materialise(repo, subj))
    ws = Workspace(repo=repo, subject=subj, worktree=tree, scratch=tmp)
    ctx = GateContext(name="bench", workspace=ws, config={"timeout": 60.0}, settings=cfg,
                      changed=[], deleted=[], artifacts=scratch / "bench-art",
                      deadline=time.monotonic() + 3600)

    def once() -> float:
        t0 = time.perf_counter()
        with start(ctx):
            return time.perf_counter() - t0  # healthy; stopping is not counted

    return once


def plain_app_start(repo: Path) -> float:
    t0 = time.perf_counter()
    app = PlainApp(repo)
    took = time.perf_counter() - t0
    app.stop()
    return took


def gates_run(repo: Path, gate: str) -> Callable[[], float]:
    def once() -> float:
        t0 = time.perf_counter()
        res = subprocess.run([PY, "-m", "gates", "run", "--branch", "walnut/docs", "--gate", gate,
                              "--no-status", "-q", "--fresh"], cwd=repo, capture_output=True,
                             text=True)
        if res.returncode != 0:
            sys.exit(f"gates run --gate {gate} did not pass:\n{res.stdout}\n{res.stderr}")
        return time.perf_counter() - t0

    return once


def plain_pytest(repo: Path, app: PlainApp, chromium: str) -> Callable[[], float]:
    env = {**os.environ, "GATES_CHROMIUM_PATH": chromium}

    def once() -> float:
        # the plugin only hands pytest-playwright the system Chromium (Playwright's own
        # download does not work everywhere); nothing else of gates runs here
        t0 = time.perf_counter()
        subprocess.run([PY, "-m", "pytest", "tests/e2e", "-q", "-p", "gates.builtin.e2e.pytest_browser",
                        "-p", "no:cacheprovider", "--browser", "chromium", "--base-url",
                        app.url], cwd=repo, env=env, check=True, capture_output=True)
        return time.perf_counter() - t0

    return once


def plain_locust(repo: Path, app: PlainApp, seconds: float) -> Callable[[], float]:
    locust = str(Path(PY).parent / "locust")

    def once() -> float:
        t0 = time.perf_counter()
        subprocess.run([locust, "-f", "locustfile.py", "--headless", "-u", "6", "-r", "50",
                        "-t", f"{seconds:g}s", "--host", app.url, "--only-summary"],
                       cwd=repo, check=False, capture_output=True)
        return time.perf_counter() - t0

    return once


RESULTS: dict[str, tuple[float, float]] = {}
ARGS = argparse.Namespace(reps=3, duration=6.0)


def main() -> None:
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--duration", type=float, default=6.0)
    ARGS = parser.parse_args()
    from gates.builtin.e2e.browser import find_chromium
    from gates.builtin.perf.gate import Perf

    chromium = str(find_chromium().path)
    load_time = ARGS.duration + 2 * float(Perf.defaults["warmup"])
    with tempfile.TemporaryDirectory(prefix="gates-bench-") as tmp, \
            contextlib.ExitStack() as stack:
        repo = make_repo(Path(tmp), ARGS.duration)
        side_by_side("app start to healthy: gates.apptest.app vs Popen + poll",
                     gates_app_starter(repo, Path(tmp), stack), lambda: plain_app_start(repo))
        app = PlainApp(repo)
        try:
            side_by_side("browser tests: gates run --gate e2e vs pytest",
                         gates_run(repo, "e2e"), plain_pytest(repo, app, chromium))
            side_by_side(f"load test: gates run --gate perf vs locust -t {load_time:g}s",
                         gates_run(repo, "perf"), plain_locust(repo, app, load_time))
        finally:
            app.stop()
    width = max(len(k) for k in RESULTS)
    print(f"median of {ARGS.reps} runs each, alternated; {os.cpu_count()} CPUs\n")
    print(f"{'':{width}}   gates    plain   ratio")
    for k, (g, p) in RESULTS.items():
        print(f"{k:{width}}  {g:6.2f}s  {p:6.2f}s  {g / p:5.2f}×")


if __name__ == "__main__":
    main()
