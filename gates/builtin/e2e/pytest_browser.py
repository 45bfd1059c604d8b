"""A pytest plugin the e2e gate loads (`-p gates.builtin.e2e.pytest_browser`) next to pytest-playwright.

- Launches the Chromium the gate found (`GATES_CHROMIUM_PATH`) with flags for a
  headless, offline, throw-away run. It extends pytest-playwright's
  `browser_type_launch_args` fixture; a repo's conftest.py that extends the same
  fixture (the documented way: request it and add keys) still gets ours, and
  `launch_browser` puts the executable back should a conftest replace the dict
  wholesale.
- Records each browser context's console messages and page errors; when a test
  fails they are written to `console.log` beside its screenshot and trace, and
  named in the JUnit report as the property `playwright_console`.

The overriding fixtures are registered from `pytest_configure`, i.e. after
pytest-playwright's (plugins' fixtures registered later override earlier ones),
and before any conftest.py's (which override plugins).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest

EXE_VAR = "GATES_CHROMIUM_PATH"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--disable-dev-shm-usage"]
CONSOLE_KEY = pytest.StashKey[list[str]]()
FAILED_KEY = pytest.StashKey[bool]()


def _ours(args: dict[str, Any]) -> dict[str, Any]:
    out = dict(args)
    exe = os.environ.get(EXE_VAR)
    if exe:
        out.setdefault("executable_path", exe)
    out["args"] = [*out.get("args", []), *(f for f in FLAGS if f not in out.get("args", []))]
    return out


class _Fixtures:
    @pytest.fixture(scope="session")
    def browser_type_launch_args(self, browser_type_launch_args: dict[str, Any]
                                 ) -> dict[str, Any]:
        return _ours(browser_type_launch_args)

    @pytest.fixture(scope="session")
    def launch_browser(self, launch_browser: Callable[..., Any],
                       browser_type_launch_args: dict[str, Any]) -> Callable[..., Any]:
        missing = {k: v for k, v in _ours({}).items()
                   if k not in browser_type_launch_args and k != "args"}

        def launch(**kwargs: Any) -> Any:
            return launch_browser(**{**missing, **kwargs})

        return launch

    @pytest.fixture
    def new_context(self, new_context: Callable[..., Any], request: pytest.FixtureRequest
                    ) -> Callable[..., Any]:
        log = request.node.stash.setdefault(CONSOLE_KEY, [])

        def make(**kwargs: Any) -> Any:
            context = new_context(**kwargs)
            context.on("console", lambda m: log.append(
                f"[{m.type}] {m.text}" + (f"  ({m.location.get('url')})"
                                          if m.location.get("url") else "")))
            context.on("weberror", lambda e: log.append(f"[pageerror] {e.error}"))
            return context

        return make

    @pytest.fixture(autouse=True)
    def _gates_console_log(self, request: pytest.FixtureRequest, output_path: str
                           ) -> Generator[None, None, None]:
        yield
        log = request.node.stash.get(CONSOLE_KEY, None)
        if log is None or not request.node.stash.get(FAILED_KEY, False):
            return
        folder = Path(output_path)  # pytest-playwright's folder of this test
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "console.log"
        path.write_text("\n".join(log) + "\n" if log else "(no console messages)\n",
                        encoding="utf-8")
        request.node.user_properties.append(("playwright_console", str(path)))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, Any, None]:
    outcome = yield
    rep = outcome.get_result()
    if rep.when in ("setup", "call") and rep.failed:
        item.stash[FAILED_KEY] = True


def pytest_configure(config: pytest.Config) -> None:
    if config.pluginmanager.hasplugin("playwright"):
        config.pluginmanager.register(_Fixtures(), "gates-browser-fixtures")
