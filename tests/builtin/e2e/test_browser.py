"""Finding Chromium: config, then GATES_CHROMIUM, then Playwright's, then PATH."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from gates.builtin.e2e.browser import BrowserMissing, Chromium, find_chromium
from tests.conftest import need_chromium


def fake(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    exe = folder / name
    exe.write_text("#!/bin/sh\nexit 0\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return exe


def none() -> None:
    return None


def test_config_wins_over_everything(tmp_path: Path) -> None:
    mine = fake(tmp_path / "a", "my-chrome")
    env = {"GATES_CHROMIUM": str(fake(tmp_path / "b", "other")),
           "PATH": str(fake(tmp_path / "bin", "chromium").parent)}
    found = find_chromium(str(mine), env, managed=lambda: tmp_path / "b" / "other")
    assert found == Chromium(mine, "config")


def test_env_then_playwright_then_path(tmp_path: Path) -> None:
    on_path = fake(tmp_path / "bin", "chromium-browser")
    managed = fake(tmp_path / "ms-playwright", "chrome")
    from_env = fake(tmp_path / "env", "chrome")
    env = {"PATH": str(on_path.parent)}
    assert find_chromium("", {**env, "GATES_CHROMIUM": str(from_env)},
                         managed=lambda: managed).source == "env GATES_CHROMIUM"
    assert find_chromium("", env, managed=lambda: managed) == Chromium(managed, "playwright")
    assert find_chromium("", env, managed=none) == Chromium(on_path, "PATH")


def test_a_name_in_config_is_looked_up_on_path(tmp_path: Path) -> None:
    exe = fake(tmp_path / "bin", "google-chrome")
    assert find_chromium("google-chrome", {"PATH": str(exe.parent)}, managed=none).path == exe


@pytest.mark.parametrize("where", ["config", "env"])
def test_a_given_path_that_does_not_exist_is_an_error(tmp_path: Path, where: str) -> None:
    fake(tmp_path / "bin", "chromium")  # would be found on PATH: no silent fallback
    env = {"PATH": str(tmp_path / "bin")}
    configured = "/nonexistent/chromium" if where == "config" else ""
    if where == "env":
        env["GATES_CHROMIUM"] = "/nonexistent/chromium"
    with pytest.raises(BrowserMissing, match=r"no Chromium at /nonexistent/chromium .*"
                                             r"apt-get install chromium"):
        find_chromium(configured, env, managed=none)


def test_nothing_found_says_how_to_install(tmp_path: Path) -> None:
    with pytest.raises(BrowserMissing, match=r"no Chromium found.*apt-get install chromium"):
        find_chromium("", {"PATH": str(tmp_path)}, managed=none)


def test_a_file_that_is_not_executable_does_not_count(tmp_path: Path) -> None:
    plain = tmp_path / "chromium"
    plain.write_text("")
    with pytest.raises(BrowserMissing):
        find_chromium(str(plain), {"PATH": str(tmp_path)}, managed=none)


def test_playwright_managed_browser_is_asked_for_real() -> None:
    from gates.builtin.e2e.browser import playwright_managed

    found = playwright_managed()  # None here: Playwright's download does not work offline
    assert found is None or (found.is_file() and os.access(found, os.X_OK))


def test_this_machine_has_one_when_ci_says_so() -> None:
    found = need_chromium()
    assert found.path.is_file() and os.access(found.path, os.X_OK)
