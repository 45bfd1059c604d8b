"""`gates doctor` and the cheap part of it that `gates run` / `gates demo` say up front;
`gates init` on real repositories, its config accepted by doctor and used by run."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest

from gates import config as config_mod
from gates import registry
from gates.commands import browser
from gates.errors import UserError
from tests.builtin.tool.conftest import install_node_modules, project_files
from tests.conftest import ROOT, GitRepo, run_gates

DEMO_APP = ROOT / "gates" / "demo" / "app"
NO_CHROMIUM = {"GATES_CHROMIUM": "/nonexistent/chromium"}


def enabled_gates(text: str) -> set[str]:
    reg = registry.load()
    cfg = config_mod.parse(text, "gates.toml", reg.defaults)
    reg = reg.declare(cfg)
    return {n for n in reg.names if cfg.gate(n, reg.gates[n].defaults)["enabled"]}


def demo_app_repo(tmp_path: Path) -> tuple[GitRepo, str]:
    """The sample cluster's app on main, its gates.toml taken out (and returned)."""
    repo = GitRepo(tmp_path / "toollib")
    shutil.copytree(DEMO_APP, repo.path, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "gates.toml"))
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "the tool library")
    return repo, (DEMO_APP / "gates.toml").read_text(encoding="utf-8")


def test_init_on_the_typescript_project_fits_it_and_doctor_and_run_use_it(tmp_path: Path
                                                                          ) -> None:
    node_modules = install_node_modules()
    repo = GitRepo(tmp_path / "ts")
    repo.commit({**project_files(), ".gitignore": "node_modules/\nreports/\n"}, "ts")
    (repo.path / "node_modules").symlink_to(node_modules, target_is_directory=True)
    res = run_gates("init", cwd=repo.path)
    assert res.returncode == 0, res.stdout + res.stderr
    text = repo.read("gates.toml")
    # what the repo holds: an ESLint flat config, a tsconfig; no Python, app, tests
    assert enabled_gates(text) == {"eslint", "tsc", "security", "secrets"}
    assert "# found the ESLint flat config eslint.config.js" in text
    assert "# found tsconfig.json" in text
    assert "# no OpenAPI document found" in text and "# no Playwright tests found" in text
    again = run_gates("init", cwd=repo.path)  # never overwrites without --force
    assert "kept" in again.stdout and repo.read("gates.toml") == text
    repo.git("add", "gates.toml")
    repo.git("commit", "-q", "-m", "gates")
    doctor = run_gates("doctor", cwd=repo.path)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "eslint v9.39.5" in doctor.stdout and "tsc Version 5.9.3" in doctor.stdout
    server = repo.read("src/server.ts")
    repo.branch("ironwood/log", {"src/server.ts": server.replace(
        "  tool.lentTo = who;", "  console.log(who);\n  tool.lentTo = who;")})
    run = run_gates("run", "--branch", "ironwood/log", "--no-status", cwd=repo.path)
    assert run.returncode == 1, run.stdout + run.stderr
    index = json.loads(repo.read("reports/latest.json"))["branches"]["ironwood/log"]
    verdict = json.loads((repo.path / index["report_dir"] / "verdict.json").read_text())
    eslint = {g["gate"]: g for g in verdict["gates"]}["eslint"]
    assert [(f["rule"], f["path"]) for f in eslint["findings"] if f["blocking"]] == [
        ("no-console", "src/server.ts")]


def test_init_on_the_sample_apps_repo_detects_the_gates_it_holds(tmp_path: Path) -> None:
    repo, held = demo_app_repo(tmp_path)
    res = run_gates("init", cwd=repo.path)
    assert res.returncode == 0, res.stdout + res.stderr
    text = repo.read("gates.toml")
    assert enabled_gates(text) == enabled_gates(held)
    written = tomllib.loads(text)
    assert written["gates"]["e2e"]["tests"] == tomllib.loads(held)["gates"]["e2e"]["tests"]
    assert written["gates"]["perf"]["locustfile"] == "locustfile.py"
    assert "# users = {" in text and "# TODO: fill in the users block" in text
    # the repo's own suite, without the browser tests (the e2e gate's), as the sample holds
    assert {k: written["gates"]["tests"][k] for k in ("tests", "args")} == {
        k: tomllib.loads(held)["gates"]["tests"][k] for k in ("tests", "args")}
    assert written["app"]["command"][:3] == ["python", "-m", "toollib"]
    assert set(written["app"]["env"]) == {"TOOLLIB_JWT_SECRET", "TOOLLIB_WEBHOOK_SECRET"}
    repo.git("add", "gates.toml")
    repo.git("commit", "-q", "-m", "gates")
    doctor = run_gates("doctor", cwd=repo.path)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    lines = {line.split()[1]: line for line in doctor.stdout.splitlines() if line[:4] in
             ("ok  ", "FAIL")}
    assert set(lines) == enabled_gates(text)
    assert "answers /health" in lines["perf"] and "OpenAPI" in lines["api"]
    assert "Chromium at" in lines["e2e"]
    repo.branch("ironwood/lint", {"toollib/extra.py": "import os\n"})
    run = run_gates("run", "--branch", "ironwood/lint", "--gate", "lint", "--no-status",
                    cwd=repo.path)
    assert run.returncode == 1, run.stdout + run.stderr
    index = json.loads(repo.read("reports/latest.json"))["branches"]["ironwood/lint"]
    verdict = json.loads((repo.path / index["report_dir"] / "verdict.json").read_text())
    lint = {g["gate"]: g for g in verdict["gates"]}["lint"]
    assert [(f["rule"], f["path"], f["line"]) for f in lint["findings"] if f["blocking"]] == [
        ("F401", "toollib/extra.py", 1)]


def test_doctor_without_chromium_names_e2e_and_the_fix(tmp_path: Path) -> None:
    repo, held = demo_app_repo(tmp_path)
    repo.commit({"gates.toml": held}, "gates")
    res = run_gates("doctor", "--gate", "e2e,lint", cwd=repo.path, env=NO_CHROMIUM)
    assert res.returncode == 1, res.stdout + res.stderr
    e2e = next(line for line in res.stdout.splitlines() if line.split()[1:2] == ["e2e"])
    assert e2e.startswith("FAIL") and "no Chromium at /nonexistent/chromium" in e2e
    assert "apt-get install -y chromium" in e2e
    assert "1 of 2 gates cannot run here: e2e" in res.stdout


def test_doctor_with_a_broken_app_command_names_the_app_and_quotes_its_output(
        tmp_path: Path) -> None:
    repo, held = demo_app_repo(tmp_path)
    broken = held.replace('command = ["python", "-m", "toollib"',
                          'command = ["python", "-c", "print(\'booting toollib\'); '
                          'raise SystemExit(\'cannot open the catalog database\')"')
    broken = broken.replace(', "--host", "{host}", "--port", "{port}", "--data", "{tmp}"]', "]")
    repo.commit({"gates.toml": broken}, "gates")
    res = run_gates("doctor", "--gate", "perf", cwd=repo.path)
    assert res.returncode == 1, res.stdout + res.stderr
    line = next(x for x in res.stdout.splitlines() if x.split()[1:2] == ["perf"])
    assert line.startswith("FAIL") and "the app (python -c" in line
    assert "booting toollib" in line and "cannot open the catalog database" in line


def test_run_says_up_front_which_gates_will_be_error(tmp_path: Path) -> None:
    repo, held = demo_app_repo(tmp_path)
    repo.commit({"gates.toml": held}, "gates")
    repo.branch("walnut/readme", {"README.md": "# the tool library\n"})
    res = run_gates("run", "--branch", "walnut/readme", "--gate", "e2e", "--no-status",
                    cwd=repo.path, env=NO_CHROMIUM)
    first = res.stderr.splitlines()[0]
    assert first.startswith("gates: e2e will be error on every branch: no Chromium at "
                            "/nonexistent/chromium"), res.stderr
    assert "fix: " in first


def test_the_demo_tries_playwrights_installer_then_says_the_systems_command(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATES_CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "browsers"))
    monkeypatch.setenv("PLAYWRIGHT_DOWNLOAD_HOST", "http://127.0.0.1:9")  # cannot download
    said: list[str] = []
    message = browser.ensure_chromium(said.append, None)  # non-interactive: judge, say it
    assert said[0].startswith("no Chromium here: trying Playwright's installer")
    assert message is not None and message.startswith("e2e will be error on every branch: "
                                                       "Playwright's installer failed")
    assert "apt-get install -y chromium" in message
    with pytest.raises(UserError, match="install a Chromium first"):
        browser.ensure_chromium(said.append, lambda question: False)  # asked: no
