"""A Chromium for `gates demo` on a fresh machine: Playwright's installer, else the
system's one command, asked about before judging (non-interactive: said at the top)."""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from collections.abc import Callable

from gates import doctor, proc
from gates.builtin.e2e.browser import BrowserMissing, find_chromium
from gates.errors import UserError
from gates.formats.paths import tail

INSTALLER_ENV = ("PLAYWRIGHT_BROWSERS_PATH", "PLAYWRIGHT_DOWNLOAD_HOST", "HTTPS_PROXY",
                 "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy")


def ensure_chromium(say: Callable[[str], None], ask: Callable[[str], bool] | None
                    ) -> str | None:
    """None when there is a Chromium (found, or just installed by Playwright); else what
    to say at the top: e2e will be `error`. `ask` (interactive only) answers whether to
    judge anyway; no raises `UserError` with the command to run."""
    try:
        find_chromium()
        return None
    except BrowserMissing:
        pass
    why = "no Chromium on this machine"
    if importlib.util.find_spec("playwright") is not None:
        say("no Chromium here: trying Playwright's installer "
            "(python -m playwright install chromium) …")
        env = proc.scrubbed_env(home=os.environ.get("HOME", ""), allow=INSTALLER_ENV)
        try:
            res = proc.run([sys.executable, "-m", "playwright", "install", "chromium"],
                           cwd=tempfile.gettempdir(), timeout=900, env=env)
            ok = res.returncode == 0
            why = f"Playwright's installer failed: {tail(res.output, 2) or res.returncode}"
        except proc.Timeout:
            ok, why = False, "Playwright's installer did not finish in 15 minutes"
        if ok:
            try:
                found = find_chromium()
                say(f"Chromium installed by Playwright at {found.path}")
                return None
            except BrowserMissing:
                why = "Playwright's installer ran, but no Chromium is found"
    fix = doctor.chromium_fix().split(" (or:")[0]
    message = (f"e2e will be error on every branch: {why}. Install the system's Chromium "
               f"with: {fix}")
    if ask is not None:
        say(message)
        if not ask("Judge now anyway, with e2e as error? [y/N] "):
            raise UserError(f"install a Chromium first: {fix}; then run gates demo again")
    return message


def ask_tty(question: str) -> bool:
    try:
        return input(question).strip().lower() in ("y", "yes")
    except EOFError:
        return False
