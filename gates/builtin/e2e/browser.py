"""Finding a Chromium for the browser tests.

In this order: the gate's config (`chromium = "/path"`), the environment variable
`GATES_CHROMIUM`, Playwright's own managed browser when it is installed
(`playwright install chromium`), then a system Chromium on PATH (`chromium`,
`chromium-browser`, `google-chrome`; Debian's is /usr/bin/chromium). A path that
is given explicitly (config or env) and does not exist is an error, never a
silent fallback: the user asked for that browser.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from gates import proc
from gates.gate import GateError

ENV_VAR = "GATES_CHROMIUM"
SYSTEM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_ADVICE = ("install one: `apt-get install chromium` (Debian/Ubuntu) or "
                  "`playwright install chromium`, or point [gates.e2e] chromium / "
                  f"{ENV_VAR} at a Chromium executable")

_PROBE = ("from playwright.sync_api import sync_playwright\n"
          "with sync_playwright() as p:\n"
          "    print(p.chromium.executable_path)\n")


class BrowserMissing(GateError):
    """No usable Chromium: the message says how to get one."""


@dataclass(frozen=True)
class Chromium:
    path: Path
    source: str  # "config", "env GATES_CHROMIUM", "playwright", "PATH"


def _browsers_dir() -> Path | None:
    """Where `playwright install` puts browsers; None: inside the package (unknown)."""
    custom = os.environ.get("PLAYWRIGHT_BROWSERS_PATH")
    if custom == "0":
        return None
    if custom:
        return Path(custom)
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "ms-playwright"
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home())) / "ms-playwright"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ms-playwright"


@functools.lru_cache(maxsize=1)
def playwright_managed() -> Path | None:
    """Playwright's own Chromium, if `playwright install chromium` put it there.

    Asked in a subprocess (the sync API starts a driver and an event loop that have
    no business in the gates process), and only when Playwright's browser folder
    holds a Chromium at all: the question costs a second."""
    folder = _browsers_dir()
    if folder is not None and not any(folder.glob("chromium*")):
        return None
    try:
        res = proc.run([sys.executable, "-c", _PROBE], cwd=Path.cwd(), timeout=30,
                       env=proc.scrubbed_env({"HOME": os.environ.get("HOME", "")}))
    except (proc.ToolMissing, proc.Timeout):
        return None
    lines = res.stdout.strip().splitlines()
    if res.returncode != 0 or not lines:
        return None
    path = Path(lines[-1])
    return path if _executable(path) else None


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def find_chromium(
    configured: str = "",
    env: Mapping[str, str] | None = None,
    managed: Callable[[], Path | None] = playwright_managed,
) -> Chromium:
    """The Chromium to use, or BrowserMissing saying how to install one."""
    env = os.environ if env is None else env
    for value, source in ((configured, "config"), (env.get(ENV_VAR, ""), f"env {ENV_VAR}")):
        if not value:
            continue
        path = Path(value).expanduser()
        if not path.is_absolute():
            found = shutil.which(value, path=env.get("PATH", os.defpath))
            path = Path(found) if found else path
        if not _executable(path):
            raise BrowserMissing(f"no Chromium at {value} (set by {source}); {INSTALL_ADVICE}")
        return Chromium(path, source)
    own = managed()
    if own is not None:
        return Chromium(own, "playwright")
    for name in SYSTEM_NAMES:
        found = shutil.which(name, path=env.get("PATH", os.defpath))
        if found:
            return Chromium(Path(found), "PATH")
    raise BrowserMissing(f"no Chromium found (config, {ENV_VAR}, Playwright's browsers, "
                         f"{', '.join(SYSTEM_NAMES)} on PATH); {INSTALL_ADVICE}")
