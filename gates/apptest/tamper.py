"""Test integrity: what a branch did to its tests, read from the diff (the `tamper`
findings). Shared by every gate that runs a repo's tests (tests, auth, e2e).

Agents under pressure to make tests pass are documented to game them (ImpossibleBench;
METR): edit the expected value, skip the test, swallow the assertion, widen a
tolerance, rewrite failures into passes in a conftest hook, monkey-patch time or the
comparison operators, or make the product code notice that it is under test. Each
rule below compares the base's version of a file with the merge result's (Python
`ast`, never executed) and names what changed in one line. The findings are high by
default and only the trusted config's `[[suppress]]` can accept them (an inline
`# gates: ignore` is code of the branch, so it does not count here).
"""

from __future__ import annotations

import ast
import configparser
import hashlib
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

from gates import git
from gates.gate import GateContext
from gates.model import Finding, Severity

PREFIX = "tamper-"
# files that configure how pytest collects and reports, or what coverage measures
CONFIG_FILES = ("pytest.ini", "pyproject.toml", "setup.cfg", "tox.ini", ".coveragerc")
REPORT_HOOKS = ("pytest_runtest_makereport", "pytest_report_teststatus",
                "pytest_runtest_logreport", "pytest_runtest_call", "pytest_runtest_protocol",
                "pytest_pyfunc_call", "pytest_terminal_summary", "pytest_sessionfinish",
                "pytest_assertrepr_compare")
COLLECTION_HOOKS = ("pytest_collection_modifyitems", "pytest_ignore_collect",
                    "pytest_collect_file", "pytest_deselected", "pytest_itemcollected")
PATCHED_MODULES = {"time", "datetime", "builtins", "operator", "random", "sys", "os"}
SKIP_MARKS = {"skip", "skipif", "xfail"}
DESELECT_OPTS = ("--deselect", "--ignore", "--ignore-glob", "-k", "-m", "--co",
                 "--collect-only", "-p", "--lf", "--last-failed", "-x", "--maxfail",
                 "--runxfail", "--cov-fail-under", "--no-cov")
TEST_RUNNERS = ("pytest", "unittest", "nose", "py.test", "tox", "hypothesis")


@dataclass(frozen=True)
class Tamper:
    rule: str  # without the prefix: "skip", "tautology" …
    path: str
    line: int | None
    message: str
    detail: str = ""


def finding(gate: str, t: Tamper) -> Finding:
    """The finding of one tampering: high, fingerprinted by gate, rule, path, message."""
    fp = hashlib.sha256(f"{gate}\0{t.rule}\0{t.path}\0{t.message}".encode()).hexdigest()[:16]
    return Finding(gate=gate, rule=PREFIX + t.rule, severity=Severity.HIGH, path=t.path,
                   line=t.line, tool="gates", fingerprint=fp, message=t.message,
                   extra={"tamper": t.rule, "detail": t.detail, "trusted_suppression_only": True})


def is_test_file(path: str, roots: Sequence[str] = ()) -> bool:
    name = path.rsplit("/", 1)[-1]
    if not name.endswith(".py"):
        return False
    if name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py":
        return True
    parts = path.split("/")[:-1]
    return any(p in ("tests", "test", "testing") for p in parts) or any(
        r and (path == r or path.startswith(r.rstrip("/") + "/")) for r in roots)


def _within(path: str, roots: Sequence[str]) -> bool:
    """Under one of `roots`, or a conftest/config file on the way to one of them."""
    folder = path.rsplit("/", 1)[0] if "/" in path else ""
    name = path.rsplit("/", 1)[-1]
    if name in CONFIG_FILES and not folder:
        return True
    for r in roots:
        r = r.strip("/")
        if not r or path == r or path.startswith(r + "/"):
            return True
        if name == "conftest.py" and (not folder or r.startswith(folder + "/")):
            return True
    return False


def scan(ctx: GateContext, roots: Sequence[str] = (), *, only_roots: bool = False
         ) -> list[Finding]:
    """Every tampering the branch's diff shows, as findings of `ctx.name` (`only_roots`:
    in the files under `roots` and the conftest and config files that shape them — the
    auth and e2e gates' suites)."""
    subj = ctx.subject
    if subj.tree is None:
        return []
    repo = ctx.workspace.repo
    changed = [c for c in subj.changed if c.status in ("A", "M") and c.is_file]
    paths = [c.path for c in changed if not only_roots or _within(c.path, roots)]
    after = git.blob_ids(repo, subj.tree, paths) if paths else {}
    before = git.blob_ids(repo, subj.base_commit, paths) if paths else {}
    texts = git.blobs(repo, [*after.values(), *before.values()])
    out: list[Tamper] = []
    for path in paths:
        new = texts.get(after.get(path, ""), "")
        old = texts.get(before.get(path, ""), "") if path in before else None
        out += check_file(path, old, new, roots)
    product_paths = [p for p in paths if p.endswith(".py") and not is_test_file(p, roots)]
    if product_paths:
        inputs, known = _vocabularies(repo, subj.base_commit, subj.tree, roots)
        for path in product_paths:
            out += special_cases(path, texts.get(before.get(path, "")) if path in before
                                 else None, texts.get(after.get(path, ""), ""), inputs, known)
    return [finding(ctx.name, t) for t in out]


def _vocabularies(repo: Path, base: str, tree: str, roots: Sequence[str]
                  ) -> tuple[dict[Key, tuple[str, int]], set[Key]]:
    """The literals of the merge result's tests, and those of the base's product code."""
    after = {p: o for p, o in git.blob_ids(repo, tree, regular=True).items()
             if is_test_file(p, roots)}
    before = {p: o for p, o in git.blob_ids(repo, base, regular=True).items()
              if p.endswith(".py") and not is_test_file(p, roots)}
    texts = git.blobs(repo, [*after.values(), *before.values()])
    return (inputs_of_tests({p: texts.get(o, "") for p, o in after.items()}),
            product_literals({p: texts.get(o, "") for p, o in before.items()}))


def check_file(path: str, old: str | None, new: str, roots: Sequence[str] = ()) -> list[Tamper]:
    """The tamperings of one file's change (`old` None: the branch adds it)."""
    name = path.rsplit("/", 1)[-1]
    out: list[Tamper] = []
    if name in CONFIG_FILES:
        out += config_changes(path, old or "", new)
    if not path.endswith(".py"):
        return out
    new_tree = _parse(new)
    if new_tree is None:
        return out
    old_tree = _parse(old) if old is not None else None
    if is_test_file(path, roots):
        out += harness(path, old_tree, new_tree)
        out += weakened(path, old_tree, new_tree)
    else:
        out += product(path, old_tree, new_tree)
    out += always_equal(path, old_tree, new_tree)
    return out


def _parse(text: str | None) -> ast.Module | None:
    if text is None:
        return None
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError):
        return None


def _seg(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # pragma: no cover - unparse handles every parsed node
        return ""


def _new(items: Iterable[tuple[str, int]], old: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    """Items of the branch (text, line) whose text the base does not have as often."""
    seen: dict[str, int] = {}
    for text, _ in old:
        seen[text] = seen.get(text, 0) + 1
    out = []
    for text, line in items:
        if seen.get(text, 0) > 0:
            seen[text] -= 1
        else:
            out.append((text, line))
    return out


# -- tests that check less -----------------------------------------------------------


def _tests(tree: ast.Module | None) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    """Test functions by qualified name (`TestX.test_y`)."""
    out: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    if tree is None:
        return out

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and \
                    node.name.startswith("test"):
                out[prefix + node.name] = node
            elif isinstance(node, ast.ClassDef):
                visit(node.body, prefix + node.name + ".")

    visit(tree.body, "")
    return out


def _is_check(node: ast.AST) -> bool:
    """An assertion: `assert`, `pytest.raises/warns`, `self.assertX(…)`, `mock.assert_x(…)`,
    `expect(…)` (Playwright)."""
    if isinstance(node, ast.Assert):
        return True
    if isinstance(node, ast.Call):
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
        return name.startswith(("assert", "raises", "warns", "expect", "fail"))
    return False


def _checks(fn: ast.AST) -> int:
    """The assertions a test makes, times the cases it is parametrised with."""
    n = sum(1 for c in ast.walk(fn) if _is_check(c))
    for d in getattr(fn, "decorator_list", []):
        if isinstance(d, ast.Call) and _seg(d.func).endswith("parametrize") and len(d.args) > 1 \
                and isinstance(d.args[1], ast.List | ast.Tuple):
            n *= max(1, len(d.args[1].elts))
    return n


def _masked(node: ast.AST) -> str:
    """An assertion with its literals masked: the same check with other values."""
    class Mask(ast.NodeTransformer):
        def visit_Constant(self, n: ast.Constant) -> ast.AST:
            return ast.Constant(value="…")
    return _seg(Mask().visit(ast.parse(_seg(node))))


def _decorator_marks(fn: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
                     ) -> list[tuple[str, int]]:
    out = []
    for d in fn.decorator_list:
        text = _seg(d)
        target = d.func if isinstance(d, ast.Call) else d
        name = target.attr if isinstance(target, ast.Attribute) else (
            target.id if isinstance(target, ast.Name) else "")
        if name in SKIP_MARKS or name in ("skipUnless", "skipIf", "expectedFailure"):
            out.append((text, d.lineno))
    return out


def _skip_calls(tree: ast.AST) -> list[tuple[str, int]]:
    out = []
    for n in ast.walk(tree):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and \
                n.func.attr in ("skip", "xfail", "skipTest", "importorskip") and \
                _seg(n.func.value) in ("pytest", "self", "unittest"):
            out.append((_seg(n), n.lineno))
        # pytestmark = pytest.mark.skip…
        if isinstance(n, ast.Assign) and any(_seg(t) == "pytestmark" for t in n.targets) and \
                any(m in _seg(n.value) for m in ("skip", "xfail")):
            out.append((_seg(n), n.lineno))
    return out


def _tautology(test: ast.expr) -> bool:
    """`assert True`, `assert 1`, `assert "x"`, `assert x == x`, `assert x or True`,
    `assert x is x`, `assert not False`."""
    if isinstance(test, ast.Constant):
        return bool(test.value)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and \
            isinstance(test.operand, ast.Constant):
        return not test.operand.value
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
        return any(_tautology(v) for v in test.values)
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and \
            isinstance(test.ops[0], ast.Eq | ast.Is | ast.LtE | ast.GtE):
        return _seg(test.left) == _seg(test.comparators[0])
    return (isinstance(test, ast.Call) and _seg(test.func) == "isinstance"
            and len(test.args) == 2 and _seg(test.args[1]) == "object")


def _swallowed(tree: ast.AST) -> list[tuple[str, int]]:
    """Assertions inside a `try` whose handler catches AssertionError (or broader) and
    does not re-raise."""
    out = []
    for n in ast.walk(tree):
        if not isinstance(n, ast.Try):
            continue
        broad = [h for h in n.handlers if h.type is None or any(
            x in _seg(h.type) for x in ("AssertionError", "Exception", "BaseException"))]
        if not broad or all(any(isinstance(s, ast.Raise) for s in ast.walk(h)) for h in broad):
            continue
        for s in n.body:
            for c in ast.walk(s):
                if _is_check(c) and isinstance(c, ast.stmt | ast.expr):
                    out.append((_seg(c).splitlines()[0], c.lineno))
    return out


def _tolerances(tree: ast.AST) -> list[tuple[str, float, int]]:
    """(call, tolerance, line) of approx / isclose / assertAlmostEqual calls."""
    out = []
    for n in ast.walk(tree):
        if not isinstance(n, ast.Call):
            continue
        name = _seg(n.func).rsplit(".", 1)[-1]
        if name not in ("approx", "isclose", "allclose", "assertAlmostEqual",
                        "assert_allclose", "assertAlmostEquals"):
            continue
        tol = 0.0
        for kw in n.keywords:
            if kw.arg in ("rel", "abs", "rel_tol", "abs_tol", "rtol", "atol", "delta") and \
                    isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, int | float):
                tol = max(tol, float(kw.value.value))
            if kw.arg == "places" and isinstance(kw.value, ast.Constant) and \
                    isinstance(kw.value.value, int):
                tol = max(tol, 10.0 ** -kw.value.value)
        out.append((name, tol, n.lineno))
    return out


def weakened(path: str, old: ast.Module | None, new: ast.Module) -> list[Tamper]:
    out: list[Tamper] = []
    old_tests, new_tests = _tests(old), _tests(new)
    file_before = sum(_checks(f) for f in old_tests.values())
    file_after = sum(_checks(f) for f in new_tests.values())
    for name, fn in new_tests.items():
        base = old_tests.get(name)
        base_src = _seg(base) if base is not None else ""
        # new tautologies (in a new test too: a test that cannot fail)
        olds = [(_seg(n), 0) for n in ast.walk(base) if isinstance(n, ast.Assert)
                and _tautology(n.test)] if base is not None else []
        news = [(_seg(n), n.lineno) for n in ast.walk(fn)
                if isinstance(n, ast.Assert) and _tautology(n.test)]
        for text, line in _new(news, olds):
            out.append(Tamper("tautology", path, line,
                              f"{path}::{name} asserts `{text}`, which cannot fail"))
        if base is None:
            if _checks(fn) == 0 and _swallowed(fn) == []:
                out.append(Tamper("no-assert", path, fn.lineno,
                                  f"{path}::{name} is a new test that asserts nothing"))
            continue
        if _seg(fn) == base_src:
            continue
        before, after = _checks(base), _checks(fn)
        # checks moved to another test of the file (a split) are not checks lost
        if after < before and file_after < file_before:
            out.append(Tamper("fewer-asserts", path, fn.lineno,
                              f"{path}::{name} checks less: {before} assertion(s) on the base, "
                              f"{after} on the branch"))
        for text, line in _new(_decorator_marks(fn), _decorator_marks(base)):
            out.append(Tamper("skip", path, line, f"{path}::{name} is now marked `{text}`"))
        for text, line in _new(_skip_calls(fn), _skip_calls(base)):
            out.append(Tamper("skip", path, line, f"{path}::{name} now calls `{text}`"))
        for text, line in _new(_swallowed(fn), _swallowed(base)):
            out.append(Tamper("swallowed", path, line,
                              f"{path}::{name} wraps `{text}` in a try/except that swallows "
                              "its failure"))
        old_tol = {(c): t for c, t, _ in _tolerances(base)}
        for call, tol, line in _tolerances(fn):
            was = old_tol.get(call)
            if (was is not None and tol > was) or (was is None and call == "approx"
                                                   and "approx" not in base_src):
                out.append(Tamper("tolerance", path, line,
                                  f"{path}::{name} widens its tolerance: `{call}` "
                                  f"{'now' if was is None else f'{was:g} →'} {tol:g}"))
        out += _edited_literals(path, name, base, fn)
    # skips added to a whole module or class
    module_old = _skip_calls(ast.Module(body=[s for s in (old.body if old else [])
                                              if not isinstance(s, ast.FunctionDef)],
                                        type_ignores=[]))
    module_new = _skip_calls(ast.Module(body=[s for s in new.body
                                              if not isinstance(s, ast.FunctionDef)],
                                        type_ignores=[]))
    known = {t.line for t in out}
    for text, line in _new(module_new, module_old):
        if line not in known:
            out.append(Tamper("skip", path, line, f"{path} now skips tests: `{text}`"))
    return out


def _literal(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp):
        return _literal(node.operand)
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return all(_literal(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None and _literal(k) for k in node.keys) and all(
            _literal(v) for v in node.values)
    return False


def _expected(node: ast.Assert) -> list[str]:
    """The literal operands of the comparisons an assertion makes: its expected values
    (an input changed inside a call is not one)."""
    return [_seg(op) for c in ast.walk(node.test) if isinstance(c, ast.Compare)
            for op in (c.left, *c.comparators) if _literal(op)]


def _edited_literals(path: str, name: str, base: ast.AST, fn: ast.AST) -> list[Tamper]:
    """An assertion whose literals changed while the rest stayed: the expected value was
    edited to the new one."""
    old = [(n, _masked(n)) for n in ast.walk(base) if isinstance(n, ast.Assert)]
    new = [(n, _masked(n)) for n in ast.walk(fn) if isinstance(n, ast.Assert) and _expected(n)]
    old_texts = {_seg(n) for n, _ in old}
    out = []
    for n, mask in new:
        text = _seg(n)
        if text in old_texts:
            continue
        was = [o for o, m in old if m == mask and _seg(o) not in {_seg(x) for x, _ in new}
               and _expected(o) != _expected(n)]
        if was:
            out.append(Tamper("expected-edited", path, n.lineno,
                              f"{path}::{name} now expects other values: `{_seg(was[0])}` "
                              f"→ `{text}`", detail=f"- {_seg(was[0])}\n+ {text}"))
    return out


# -- the harness: conftest, hooks, monkey-patching, config -----------------------------


def _functions(tree: ast.Module | None) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    if tree is None:
        return {}
    return {n.name: n for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def _patches(tree: ast.AST | None) -> list[tuple[str, int]]:
    """Assignments to attributes of time/builtins/operator… and monkeypatch/patch calls on
    them, and `pytest_plugins` declarations."""
    if tree is None:
        return []
    out = []
    for n in ast.walk(tree):
        if isinstance(n, ast.Assign | ast.AugAssign):
            targets = n.targets if isinstance(n, ast.Assign) else [n.target]
            for t in targets:
                text = _seg(t)
                if isinstance(t, ast.Attribute) and text.split(".")[0] in PATCHED_MODULES:
                    out.append((text + " = …", n.lineno))
                if text == "pytest_plugins":
                    out.append(("pytest_plugins = " + _seg(n.value), n.lineno))
        if isinstance(n, ast.Call):
            fname = _seg(n.func)
            if fname.endswith(("setattr", "patch", "patch.object")) and n.args:
                target = _seg(n.args[0]).strip("'\"")
                if target.split(".")[0] in PATCHED_MODULES:
                    out.append((f"{fname}({_seg(n.args[0])}, …)", n.lineno))
    return out


def harness(path: str, old: ast.Module | None, new: ast.Module) -> list[Tamper]:
    out: list[Tamper] = []
    old_fns, new_fns = _functions(old), _functions(new)
    for hook in (*REPORT_HOOKS, *COLLECTION_HOOKS):
        fn = new_fns.get(hook)
        if fn is None:
            continue
        was = old_fns.get(hook)
        if was is not None and _seg(was) == _seg(fn):
            continue
        kind = "rewrites test reports" if hook in REPORT_HOOKS else "changes what is collected"
        out.append(Tamper("harness", path, fn.lineno,
                          f"{path} {'adds' if was is None else 'changes'} the hook `{hook}`, "
                          f"which {kind}"))
    for text, line in _new(_patches(new), _patches(old)):
        out.append(Tamper("monkeypatch", path, line,
                          f"{path} patches the runtime the tests judge by: `{text}`"))
    for text, line in _new(_collect_ignore(new), _collect_ignore(old)):
        out.append(Tamper("deselect", path, line, f"{path} stops collecting tests: `{text}`"))
    return out


def _collect_ignore(tree: ast.AST | None) -> list[tuple[str, int]]:
    if tree is None:
        return []
    return [(_seg(n), n.lineno) for n in ast.walk(tree)
            if isinstance(n, ast.Assign | ast.AugAssign) and any(
                _seg(t) in ("collect_ignore", "collect_ignore_glob")
                for t in (n.targets if isinstance(n, ast.Assign) else [n.target]))]


def always_equal(path: str, old: ast.Module | None, new: ast.Module) -> list[Tamper]:
    """`__eq__` that returns True whatever it is given (or `__ne__` False)."""
    def bad(tree: ast.Module | None) -> list[tuple[str, int]]:
        found = []
        for n in ast.walk(tree) if tree is not None else []:
            if isinstance(n, ast.FunctionDef) and n.name in ("__eq__", "__ne__"):
                want = n.name == "__eq__"
                rets = [r for r in ast.walk(n) if isinstance(r, ast.Return)]
                if rets and all(isinstance(r.value, ast.Constant) and r.value.value is want
                                for r in rets):
                    found.append((f"{n.name} returns {want}", n.lineno))
            if isinstance(n, ast.Assign) and any(_seg(t) in ("__eq__",) for t in n.targets) \
                    and "True" in _seg(n.value):
                found.append(("__eq__ = " + _seg(n.value), n.lineno))
        return found
    return [Tamper("always-equal", path, line,
                   f"{path}: `{text}` whatever it is compared with, so every assertion "
                   "comparing such an object holds")
            for text, line in _new(bad(new), bad(old))]


# -- product code that knows it is under test ----------------------------------------


def product(path: str, old: ast.Module | None, new: ast.Module) -> list[Tamper]:
    def aware(tree: ast.Module | None) -> list[tuple[str, int]]:
        found = []
        for n in ast.walk(tree) if tree is not None else []:
            if isinstance(n, ast.Constant) and n.value in ("PYTEST_CURRENT_TEST",
                                                          "PYTEST_VERSION", "PYTEST_XDIST_WORKER"):
                found.append((f"reads {n.value}", n.lineno))
            if isinstance(n, ast.Compare) and isinstance(n.left, ast.Constant) and \
                    n.left.value in TEST_RUNNERS and "sys.modules" in _seg(n):
                found.append((_seg(n), n.lineno))
            if isinstance(n, ast.Compare | ast.Call) and "sys.argv" in _seg(n) and any(
                    isinstance(c, ast.Constant) and isinstance(c.value, str) and any(
                        r in c.value for r in TEST_RUNNERS) for c in ast.walk(n)):
                found.append((_seg(n).splitlines()[0], n.lineno))
            if isinstance(n, ast.Subscript) and _seg(n.value) == "sys.modules" and \
                    isinstance(n.slice, ast.Constant) and n.slice.value in TEST_RUNNERS:
                found.append((_seg(n), n.lineno))
        return found
    return [Tamper("test-aware", path, line,
                   f"{path} behaves differently under test: `{text}`")
            for text, line in _new(aware(new), aware(old))]


# -- configuration that deselects or reshapes the run ------------------------------------


def _pytest_options(path: str, text: str) -> dict[str, str]:
    name = path.rsplit("/", 1)[-1]
    if name == "pyproject.toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            return {}
        tool = data.get("tool", {})
        opts = dict(tool.get("pytest", {}).get("ini_options", {}))
        cov = tool.get("coverage", {})
        opts.update({f"coverage.{k}": v for k, v in cov.items()})
        return {k: str(v) for k, v in opts.items()}
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return {}
    out: dict[str, str] = {}
    for section in parser.sections():
        if section in ("pytest", "tool:pytest"):
            out.update(dict(parser[section]))
        elif section.startswith(("coverage:", "run", "report")) or name == ".coveragerc":
            out.update({f"coverage.{section}.{k}": v for k, v in parser[section].items()})
    return out


def config_changes(path: str, old: str, new: str) -> list[Tamper]:
    before, after = _pytest_options(path, old), _pytest_options(path, new)
    out = []
    for key, value in after.items():
        if before.get(key) == value:
            continue
        was = before.get(key, "")
        added = value.replace(was, "") if was and was in value else value
        if key == "addopts":
            flags = [o for o in DESELECT_OPTS if re.search(rf"(^|\s){re.escape(o)}(=|\s|$)",
                                                            added)]
            if flags or "-p" in added.split():
                out.append(Tamper("deselect", path, None,
                                  f"{path}: addopts now `{value}` ({', '.join(flags) or '-p'} "
                                  "changes which tests run or how they report)"))
        elif key in ("testpaths", "python_files", "python_functions", "python_classes",
                     "norecursedirs", "xfail_strict", "required_plugins", "filterwarnings",
                     "collect_ignore", "markers", "usefixtures", "pythonpath"):
            if key in ("markers", "pythonpath", "filterwarnings"):
                continue  # documentation and import paths: no test is deselected by them
            out.append(Tamper("deselect", path, None,
                              f"{path}: pytest's {key} changed from `{was}` to `{value}`"))
        elif key.startswith("coverage."):
            out.append(Tamper("harness", path, None,
                              f"{path}: the coverage setting {key.removeprefix('coverage.')} "
                              f"changed (`{was}` → `{value}`)"))
    return out


# -- product code that special-cases the tests' inputs -----------------------------------

HTTP_CODES = frozenset(int(s) for s in HTTPStatus)
# words a product compares with for its own reasons, whatever the tests use
COMMON_WORDS = frozenset({
    "true", "false", "none", "null", "nil", "test", "name", "type", "kind", "data", "json",
    "html", "text", "user", "admin", "root", "main", "utf-8", "utf8", "ascii", "http", "https",
    "post", "head", "self", "auto", "info", "warn", "debug", "error", "value", "items", "list",
    "dict", "path", "file", "mode", "read", "write", "open", "close", "done", "fail", "pass",
    "yes", "okay", "default", "id", "key", "keys", "args"})

Key = tuple[str, object]


def _lit_key(value: object) -> Key | None:
    """A literal the tests could feed: numbers with ≥ 3 significant digits (not an HTTP
    status), strings of ≥ 4 characters that are not a common word; None otherwise."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        if isinstance(value, int) and abs(value) in HTTP_CODES:
            return None
        digits = (str(abs(value)) if isinstance(value, int) else f"{abs(value):g}")
        digits = digits.replace(".", "").lstrip("0")
        return ("num", float(value)) if len(digits) >= 3 and "e" not in digits else None
    if isinstance(value, str | bytes):
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        if len(text.strip()) < 4 or text.strip().lower() in COMMON_WORDS:
            return None
        return ("str", text)
    return None


def _constants(tree: ast.AST) -> Iterable[ast.Constant]:
    """The constants of a tree that are not docstrings (nor f-string pieces)."""
    skip: set[int] = set()
    for n in ast.walk(tree):
        body = getattr(n, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and \
                isinstance(body[0].value, ast.Constant):
            skip.add(id(body[0].value))
        if isinstance(n, ast.JoinedStr):
            skip.update(id(v) for v in n.values)
    return (n for n in ast.walk(tree) if isinstance(n, ast.Constant) and id(n) not in skip)


def inputs_of_tests(files: dict[str, str]) -> dict[Key, tuple[str, int]]:
    """Each non-trivial literal of the test files (path -> text): where it first appears."""
    out: dict[Key, tuple[str, int]] = {}
    for path in sorted(files):
        tree = _parse(files[path])
        for c in sorted(_constants(tree), key=lambda c: c.lineno) if tree is not None else []:
            key = _lit_key(c.value)
            if key is not None:
                out.setdefault(key, (path, c.lineno))
    return out


def product_literals(files: dict[str, str]) -> set[Key]:
    """The non-trivial literals the product code (path -> text) already uses: its own
    vocabulary (roles, states, limits), which comparing with is no special case."""
    out: set[Key] = set()
    for text in files.values():
        tree = _parse(text)
        for c in _constants(tree) if tree is not None else []:
            key = _lit_key(c.value)
            if key is not None:
                out.add(key)
    return out


def _answers(body: list[ast.stmt]) -> bool:
    """A block that returns or assigns a literal: an answer, not a computation."""
    return any(isinstance(s, ast.Return | ast.Assign) and s.value is not None
               and _literal(s.value) for s in body)


def _answering(tree: ast.Module) -> set[int]:
    """The comparisons whose outcome picks a literal answer: the test of an `if` whose
    block returns or assigns a literal, of an `x if … else y` with a literal side, or
    the value returned itself."""
    out: set[int] = set()
    for n in ast.walk(tree):
        test = (n.test if isinstance(n, ast.If) and _answers(n.body) else
                n.test if isinstance(n, ast.IfExp) and (_literal(n.body) or _literal(n.orelse))
                else n.value if isinstance(n, ast.Return) else None)
        if test is not None:
            out.update(id(c) for c in ast.walk(test) if isinstance(c, ast.Compare))
    return out


def _compared(tree: ast.Module) -> list[tuple[str, int, list[ast.Constant]]]:
    """(condition, line, literals) of each comparison with a literal that picks a
    literal answer: `==`/`!=`/`in`/`is` against a constant or a tuple/list/set of them,
    a `case` with literal patterns whose block returns a literal, a literal-keyed dict
    of literal answers that is looked up."""
    out: list[tuple[str, int, list[ast.Constant]]] = []
    answering = _answering(tree)
    looked_up = {_seg(n.value) for n in ast.walk(tree) if isinstance(n, ast.Subscript)} | {
        _seg(n.func.value) for n in ast.walk(tree) if isinstance(n, ast.Call) and
        isinstance(n.func, ast.Attribute) and n.func.attr == "get"}
    named = {_seg(t): n.value for n in ast.walk(tree) if isinstance(n, ast.Assign)
             for t in n.targets}
    for n in ast.walk(tree):
        if isinstance(n, ast.Compare) and id(n) in answering and all(
                isinstance(op, ast.Eq | ast.NotEq | ast.In | ast.NotIn | ast.Is)
                for op in n.ops):
            lits = [c for side in (n.left, *n.comparators) if _literal(side)
                    for c in _constants(side)]
            if lits:
                out.append((_seg(n), n.lineno, lits))
        elif isinstance(n, ast.match_case) and _answers(n.body):
            lits = list(_constants(n.pattern))
            if lits:
                out.append((f"case {_seg(n.pattern)}", n.pattern.lineno, lits))
        elif isinstance(n, ast.Dict) and n.keys and _literal(n):
            table = _seg(n)
            if table in looked_up or any(_seg(v) == table and name in looked_up
                                         for name, v in named.items()):
                lits = [c for k in n.keys if k is not None for c in _constants(k)]
                out.append((table.splitlines()[0][:80], n.lineno, lits))
    return out


def special_cases(path: str, old: str | None, new: str, inputs: dict[Key, tuple[str, int]],
                  known: set[Key]) -> list[Tamper]:
    """Conditions the branch adds to a product file that compare with a literal the tests
    use (`inputs`) and the base's product code does not (`known`): the answer to a test
    case written into the code (ImpossibleBench's special-casing)."""
    new_tree = _parse(new)
    if new_tree is None:
        return []
    old_tree = _parse(old)
    before = [(text, line) for text, line, _ in (_compared(old_tree) if old_tree else [])]
    lits = {(text, line): cs for text, line, cs in _compared(new_tree)}
    out = []
    for text, line in _new(lits, before):
        hits = [(c, inputs[k]) for c in lits[(text, line)]
                if (k := _lit_key(c.value)) is not None and k in inputs and k not in known]
        if not hits:
            continue
        c, (tpath, tline) = hits[0]
        out.append(Tamper("special-case", path, line,
                          f"{path}:{line} compares with {c.value!r}, an input of the tests "
                          f"({tpath}:{tline}): `{text.splitlines()[0][:120]}`",
                          detail="\n".join(f"{v.value!r}: {p}:{n}" for v, (p, n) in hits)))
    return out
