"""What `gates init` finds in a repository, and the gates.toml sections that fit it.

Each gate it turns on or off comes with a comment saying what was found where (or
not found); what it cannot decide is a `# TODO:` line, never a silent default. The
built-in app gates (auth, api, e2e, perf) are turned off explicitly, with the
reason, when the repository has nothing for them; security and secrets apply to
every repository. `gates.scaffold` calls `sections` and `app_env`.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ESLINT_FLAT = ("eslint.config.js", "eslint.config.mjs", "eslint.config.cjs", "eslint.config.ts",
               "eslint.config.mts")
ESLINT_LEGACY = (".eslintrc", ".eslintrc.js", ".eslintrc.cjs", ".eslintrc.json", ".eslintrc.yml",
                 ".eslintrc.yaml")
MYPY_FILES = ("mypy.ini", ".mypy.ini")
OPENAPI_NAMES = re.compile(r"(^|/)(openapi|swagger)[^/]*\.(json|ya?ml)$", re.IGNORECASE)
TEST_DIRS = ("tests", "test", "__tests__", "spec")
SKIP = ("node_modules/", "dist/", "build/", ".venv/", "vendor/")


@dataclass
class Found:
    """One gate's section: whether it is on, why (comments), and its keys."""

    gate: str
    on: bool
    why: list[str] = field(default_factory=list)  # "found X in Y" lines
    keys: list[str] = field(default_factory=list)  # TOML lines of the section
    todo: list[str] = field(default_factory=list)
    commented: bool = False  # the whole section commented out (a gate not installed)

    def lines(self) -> list[str]:
        out = [f"# {w}" for w in self.why] + [f"# TODO: {t}" for t in self.todo]
        body = [f"[gates.{self.gate}]", *self.keys]
        if not self.on and not self.commented:
            body.append("enabled = false")
        return out + ([f"# {b}" for b in body] if self.commented else body)


def _read(root: Path, path: str) -> str:
    try:
        return (root / path).read_text(encoding="utf-8", errors="replace")[:200_000]
    except OSError:
        return ""


def _q(s: str) -> str:
    return json.dumps(s)


def _where(paths: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


def sections(root: Path, files: Sequence[str], *, app: bool, spec: str,
             installed: Mapping[str, Mapping[str, Any]]) -> list[Found]:
    """The sections for the repository at `root` holding `files`; `app`: an [app]
    command was written, `spec` the path it serves its OpenAPI document at ("": none known)."""
    files = [f for f in files if not f.startswith(SKIP) and "/node_modules/" not in f]
    out: list[Found] = []
    out += _node(root, files)
    out += _python(root, files)
    out += _app_gates(root, files, app=app, spec=spec, installed=installed)
    out.append(_tests(root, files, installed))
    return out


def _node(root: Path, files: Sequence[str]) -> list[Found]:
    out: list[Found] = []
    manifests = [f for f in files if f.split("/")[-1] == "package.json"]
    ts = [f for f in files if f.endswith((".ts", ".tsx", ".mts", ".cts"))]
    need_modules = (["run `npm ci` in the checkout before `gates run`: the tools come from "
                     "its node_modules (none there now)"]
                    if manifests and not (root / "node_modules").is_dir() else [])
    flat = [f for f in files if f in ESLINT_FLAT]
    legacy = [f for f in files if f.split("/")[-1] in ESLINT_LEGACY]
    eslint_dep = any('"eslint"' in _read(root, m) for m in manifests)
    if flat:
        out.append(Found("eslint", True, [f"found the ESLint flat config {flat[0]}"
                                          + (" and package.json" if "package.json" in files else "")
                                          + ": ESLint on each changed JS/TS file"],
                         ['kind = "tool"', 'preset = "eslint"'], list(need_modules)))
    elif legacy or eslint_dep:
        what = f"a legacy ESLint config {legacy[0]}" if legacy else "eslint in package.json"
        out.append(Found("eslint", False, [f"found {what} but no eslint.config.js"],
                         ['kind = "tool"', 'preset = "eslint"'],
                         ["the eslint preset reads a flat config (eslint.config.js): add one, "
                          "then uncomment"], commented=True))
    tsconfigs = sorted(f for f in files if f.split("/")[-1] == "tsconfig.json")
    for cfg in tsconfigs:
        folder = cfg.rsplit("/", 1)[0] if "/" in cfg else ""
        if folder and "tsconfig.json" in tsconfigs:
            continue  # the root project (references, or a monorepo's own check) covers it
        name = "tsc" if not folder else "tsc-" + re.sub(r"[^a-z0-9]+", "-", folder.lower()).strip("-")
        keys = ['kind = "tool"', 'preset = "tsc"']
        if folder:
            keys += [f'command = ["npx", "--no-install", "tsc", "--noEmit", "--pretty", "false", '
                     f'"-p", {_q(folder)}]',
                     f"files = [{_q(folder + '/**/*.ts')}, {_q(folder + '/**/*.tsx')}]",
                     f'config_files = ["package.json", "package-lock.json", {_q(cfg)}]']
        out.append(Found(name, True, [f"found {cfg} ({len(ts)} TypeScript files): "
                                      "tsc --noEmit on the whole project, branch and base"],
                         keys, list(need_modules)))
    return out


def _python(root: Path, files: Sequence[str]) -> list[Found]:
    py = [f for f in files if f.endswith((".py", ".pyi"))]
    out = []
    if py:
        out.append(Found("lint", True, [f"found {len(py)} Python files ({_where(py)}): "
                                        "ruff on each changed one"]))
    else:
        out.append(Found("lint", False, ["no Python files: the lint gate (ruff) is off"]))
    mypy_cfg = [f for f in files if f in MYPY_FILES] + \
        (["pyproject.toml [tool.mypy]"] if "[tool.mypy" in _read(root, "pyproject.toml") else [])
    if py and mypy_cfg:
        out.append(Found("types", True, [f"found a mypy config in {mypy_cfg[0]}: mypy on the "
                                         "whole tree, branch and base"],
                         ['kind = "tool"', 'preset = "mypy"']))
    return out


def _openapi_docs(root: Path, files: Sequence[str]) -> list[str]:
    docs = [f for f in files if OPENAPI_NAMES.search(f)]
    for f in files:
        if f.endswith((".json", ".yaml", ".yml")) and f not in docs and len(docs) < 5 \
                and re.search(r'^\s*"?openapi"?\s*:\s*"?3', _read(root, f)[:2000], re.MULTILINE):
            docs.append(f)
    return docs


def _app_gates(root: Path, files: Sequence[str], *, app: bool, spec: str,
               installed: Mapping[str, Mapping[str, Any]]) -> list[Found]:
    out: list[Found] = []
    docs = _openapi_docs(root, files)
    served = f"the app serves its OpenAPI document at {spec}" if spec else ""
    if served or docs:
        why = [served or f"found the OpenAPI document {_where(docs)}"]
        todo = [] if spec else [f"set spec to the path the running app serves {docs[0]} at"]
        if not app:
            todo.append("set [app] command: these gates test the running app")
        users = ["# users: whom the auth gate logs in as (one line per role), e.g.",
                 '# users = { admin = { username = "admin@example.test", password = "…", '
                 'role = "admin" }, alice = { username = "alice@example.test", password = '
                 '"…", role = "member" } }',
                 '# login = { path = "/api/auth/login", token_field = "access_token" }']
        spec_key = [f"spec = {_q(spec)}"] if spec else []
        out.append(Found("auth", True, [*why, "auth: every operation probed without, with a "
                                               "forged and with another user's credentials"],
                         spec_key + users, [*todo, "fill in the users block (test accounts)"]))
        out.append(Found("api", True, [*why, "api: schemathesis against the document"],
                         spec_key, list(todo)))
    else:
        for g in ("auth", "api"):
            out.append(Found(g, False, [f"no OpenAPI document found (openapi.yaml, or an app "
                                        f"that serves one): the {g} gate is off"]))
    pw = [f for f in files if f.split("/")[-1].startswith("playwright.config.")]
    pw_tests = [f for f in files if ("/e2e/" in f"/{f}" or f.endswith((".spec.ts", ".e2e.ts")))
                and ("playwright" in _read(root, f)[:5000] or "page." in _read(root, f)[:5000])]
    folders = _playwright_py(root, files)
    if folders:
        out.append(Found("e2e", True, [f"found Playwright tests (pytest) in {_where(folders)}"],
                         [f"tests = [{', '.join(_q(d) for d in folders)}]"],
                         [] if app else ["set [app] command: the tests drive the running app"]))
    elif root_pw := [f for f in pw if "/" not in f]:
        own_server = "webServer" in _read(root, root_pw[0])
        todo = ([] if own_server or app else
                [f"set webServer in {root_pw[0]} or [app] command: the tests need a server"])
        if not (root / "node_modules" / "@playwright" / "test").is_dir():
            todo.append("run `npm ci` in the checkout before `gates run`: @playwright/test "
                        "comes from its node_modules")
        out.append(Found("e2e", True, [f"found {root_pw[0]}: Node's Playwright Test "
                                       "(npx playwright test) in the system Chromium"
                                       + (", its webServer serving the pages" if own_server
                                          else "")],
                         ['runner = "playwright-test"'], todo))
    elif pw or pw_tests:
        out.append(Found("e2e", False, [f"found Playwright tests ({_where(pw or pw_tests)}), "
                                        "written for the Node runner, but no "
                                        "playwright.config.ts or .js at the root"],
                         ['runner = "playwright-test"'],
                         ["the playwright-test runner reads the root's playwright.config: "
                          "add one, then remove enabled = false"]))
    else:
        out.append(Found("e2e", False, ["no Playwright tests found: the e2e gate is off"]))
    locust = [f for f in files if f.split("/")[-1] in ("locustfile.py", "locustfile")]
    if locust:
        out.append(Found("perf", True, [f"found the Locust file {locust[0]}: the branch against "
                                        "the base under load"], [f"locustfile = {_q(locust[0])}"],
                         [] if app else ["set [app] command: the load runs against the app"]))
    else:
        out.append(Found("perf", False, ["no locustfile.py found: the perf gate is off"]))
    return [f for f in out if f.gate in installed or f.commented]


def _playwright_py(root: Path, files: Sequence[str]) -> list[str]:
    """The folders of pytest-playwright tests (the outermost of nested ones)."""
    pw_py = [f for f in files if f.endswith(".py") and "/" in f and "/test" in f"/{f}"
             and re.search(r"^\s*(from|import) playwright", _read(root, f), re.MULTILINE)
             and f.split("/")[-1].startswith(("test_", "conftest"))]
    folders = sorted({f.rsplit("/", 1)[0] for f in pw_py})
    return [d for d in folders if not any(d.startswith(o + "/") for o in folders)]


def _tests(root: Path, files: Sequence[str], installed: Mapping[str, Mapping[str, Any]]
           ) -> Found:
    folders = sorted({f.split("/")[0] for f in files if "/" in f
                      and f.split("/")[0] in TEST_DIRS})
    py_tests = [f for f in files if f.split("/")[-1].startswith("test_") and f.endswith(".py")]
    js_tests = [f for f in files if re.search(r"\.(test|spec)\.[cm]?[jt]sx?$", f)]
    if not (folders or py_tests or js_tests):
        return Found("tests", False, ["no test folders found: the tests gate is off"])
    where = folders or sorted({f.rsplit("/", 1)[0] for f in py_tests + js_tests})
    if py_tests:  # pytest under coverage.py: the gate's own default runner
        roots = sorted({f.split("/")[0] for f in py_tests if "/" in f} & set(folders)) or where
        found = Found("tests", True, [f"found pytest tests in {_where(roots)}: the repo's own "
                                      "suite, on the merge result, under coverage"],
                      [f"tests = [{', '.join(_q(d) for d in roots)}]"])
        browser = [d for d in _playwright_py(root, files)
                   if any(d == r or d.startswith(r + "/") for r in roots)]
        if browser:  # the browser tests are the e2e gate's
            found.keys.append("args = [" + ", ".join(_q("--ignore=" + d) for d in browser)
                              + "]  # the e2e gate runs the browser tests")
    else:  # another stack: a command that writes JUnit XML where gates reads it
        found = Found("tests", True, [f"found tests in {_where(where)}"],
                      ['command = ["npm", "test", "--", "--reporter=junit", '
                       '"--outputFile={junit}"]'],
                      ["check the command: it must write JUnit XML to {junit} "
                       "(vitest/jest with a junit reporter)"])
        found.commented = True
    if "tests" not in installed:
        found.commented = True
        found.todo.append("the tests gate is not installed in this version of gates; "
                          "uncomment once it is")
    return found


ENV_READS = ("os.environ", "os.getenv", "environ.get")
ENV_NAME = re.compile(r"""["']([A-Z][A-Z0-9]+(?:_[A-Z0-9]+)+)["']""")


def app_env(root: Path, files: Sequence[str], package: str) -> tuple[dict[str, str], list[str]]:
    """(variables the app's package reads from its environment, each with a fresh
    test-only value, and the files it reads them in)."""
    names: dict[str, str] = {}
    where: list[str] = []
    for f in files:
        if not (f.startswith(package + "/") and f.endswith(".py")):
            continue
        text = _read(root, f)
        if not any(r in text for r in ENV_READS):
            continue
        found = ENV_NAME.findall(text)  # names passed on to a reader count too
        if found:
            where.append(f)
        for n in found:
            names.setdefault(n, "gates-test-" + secrets.token_hex(24))
    return names, where


def render(found: Sequence[Found]) -> list[str]:
    out: list[str] = []
    for f in found:
        out += ["", *f.lines()]
    return out
