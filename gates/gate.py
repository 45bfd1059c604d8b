"""The gate contract, the base class that gives its defaults, and the context a gate runs in.

A gate is registered under the entry-point group `gates.gates`. The whole contract
(`Gate`) is `name`, `needs_app`, `applies(ctx)`, `run(ctx)` and:
`defaults` (its own config keys with their defaults, used to validate the
config), `exclusive` (run alone, after the others — for load tests),
`scans_per_file` (its work is per-file scans through `gates.scan.both_sides`, so
`gates run --all` may run it in a collecting pass that only gathers what to
scan) and `reuse_results` (False: a gate that needs the app whose pass must
never be reused from the cache for the same tree and config), `trends` (the metric
series the dashboard draws over time) and `order` (its column among the gates; None:
the registry's). The built-in gates
derive from `BaseGate`, which gives those their defaults; a third-party gate may be
a plain object with only the first four (`PluginGate`): the registry wraps it in
`Plugin`, which fills in the rest.

A gate reports what it found; it does not decide what blocks. It returns
`Status.PASS` with its findings (the policy turns blocking findings into `fail`),
`Status.SKIPPED` with a reason, or raises / returns `Status.ERROR` when it could
not do its job. A gate never writes a status file.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar, cast, runtime_checkable

from gates import git, proc
from gates.model import GateResult, Trend

if TYPE_CHECKING:
    from gates.config import Config, GateSection
    from gates.subject import Subject


@runtime_checkable
class PluginGate(Protocol):
    """The least a gate provides: what an entry point is checked against."""

    name: str
    needs_app: bool

    def applies(self, ctx: GateContext) -> bool: ...

    def run(self, ctx: GateContext) -> GateResult: ...


@runtime_checkable
class Gate(PluginGate, Protocol):
    """The whole contract the runner relies on (`BaseGate` and `Plugin` give defaults)."""

    @property
    def defaults(self) -> Mapping[str, Any]: ...

    @property
    def exclusive(self) -> bool: ...

    @property
    def scans_per_file(self) -> bool: ...

    @property
    def reuse_results(self) -> bool: ...

    @property
    def trends(self) -> tuple[Trend, ...]: ...

    @property
    def order(self) -> float | None: ...


S = TypeVar("S", bound="GateSection")


class BaseGate(Generic[S]):
    """What the built-in gates derive from: every optional member with its default, and
    `section(ctx)`, the gate's config section typed as `S` (a TypedDict of its keys)."""

    name: str
    needs_app: bool = False
    defaults: ClassVar[Mapping[str, Any]] = {}
    exclusive: ClassVar[bool] = False
    scans_per_file: ClassVar[bool] = False
    reuse_results: ClassVar[bool] = True
    trends: ClassVar[tuple[Trend, ...]] = ()
    order: ClassVar[float | None] = None

    def applies(self, ctx: GateContext) -> bool:
        """Every change the runner hands over (it already checked the gate's `paths`)."""
        return True

    def section(self, ctx: GateContext) -> S:
        """`ctx.config` as this gate's TypedDict: the config was validated against
        `GATE_COMMON` and `defaults`, whose types the TypedDict spells out."""
        return cast(S, ctx.config)


class Plugin:
    """A third-party gate with only some members of the contract: the rest as `BaseGate`
    has them. Reading the members a plain object may lack happens here, once, at load."""

    def __init__(self, inner: PluginGate) -> None:
        self.inner = inner
        self.name = inner.name
        self.needs_app = inner.needs_app
        self.defaults: Mapping[str, Any] = getattr(inner, "defaults", BaseGate.defaults)
        self.exclusive = bool(getattr(inner, "exclusive", BaseGate.exclusive))
        self.scans_per_file = bool(getattr(inner, "scans_per_file", BaseGate.scans_per_file))
        self.reuse_results = bool(getattr(inner, "reuse_results", BaseGate.reuse_results))
        self.trends: tuple[Trend, ...] = tuple(getattr(inner, "trends", BaseGate.trends))
        order = getattr(inner, "order", BaseGate.order)
        self.order = (float(order) if isinstance(order, int | float)
                      and not isinstance(order, bool) else None)

    def applies(self, ctx: GateContext) -> bool:
        return self.inner.applies(ctx)

    def run(self, ctx: GateContext) -> GateResult:
        return self.inner.run(ctx)


def as_gate(obj: PluginGate) -> Gate:
    """`obj` itself when it has the whole contract, else wrapped in `Plugin`."""
    return obj if isinstance(obj, Gate) else Plugin(obj)


def code_module(gate: Gate) -> str:
    """The module of the code a gate runs (a `Plugin`'s is the wrapped object's)."""
    return type(gate.inner if isinstance(gate, Plugin) else gate).__module__


class GateError(Exception):
    """A gate could not do its job: the run records `error` with this reason."""


def glob_match(path: str, patterns: Sequence[str]) -> bool:
    """`**/` matches zero or more folders; a pattern without `/` matches the basename."""
    for pat in patterns:
        if "/" not in pat and fnmatch.fnmatch(path.rsplit("/", 1)[-1], pat):
            return True
        if fnmatch.fnmatch(path, pat):
            return True
        if pat.startswith("**/") and fnmatch.fnmatch(path, pat[3:]):
            return True
        if "/**/" in pat and fnmatch.fnmatch(path, pat.replace("/**/", "/")):
            return True
    return False


class Workspace:
    """The trees one run works on, shared by its gates. Nothing is exported before a
    gate needs it: the merge result on first use of `worktree` (app gates), only some
    of its files through `files()` (per-file tools, suppressions), the base lazily too.
    A run whose results all come from the cache exports nothing."""

    def __init__(self, repo: Path, subject: Subject, worktree: Path, scratch: Path, *,
                 exported: bool = True, fresh: bool = False) -> None:
        self.repo = repo
        self.fresh = fresh  # test again: reuse no stored pass of an app gate
        self.subject = subject
        self.scratch = scratch  # throw-away dir of this run, removed afterwards
        self.tree_dir = worktree  # where the merge result is (or will be) exported
        self._exported = exported
        self._lock = threading.Lock()
        self._base_full: Path | None = None
        self._partial: set[str] = set()

    @property
    def worktree(self) -> Path:
        """The whole merge result as plain files (exported on first use)."""
        with self._lock:
            if not self._exported:
                assert self.subject.tree is not None
                git.export(self.repo, self.subject.tree, self.tree_dir)
                self._exported = True
            return self.tree_dir

    def files(self, paths: Sequence[str]) -> Path:
        """A root that holds at least `paths` of the merge result: the whole worktree
        once it is exported, else a folder with only the files asked for so far."""
        with self._lock:
            if self._exported:
                return self.tree_dir
            root = self.scratch / "tree-files"
            # a finding's path may be anything (an URL, an absolute path): only paths of the tree
            todo = sorted(p for p in set(paths) - self._partial
                          if p and not p.startswith("/") and not {"", ".", ".."} & set(p.split("/")))
            if todo:
                assert self.subject.tree is not None
                git.export(self.repo, self.subject.tree, root, todo)
                self._partial.update(todo)
            root.mkdir(parents=True, exist_ok=True)
            return root

    def base_worktree(self) -> Path:
        """The whole base commit as plain files (perf A/B, baselines of whole-tree tools)."""
        with self._lock:
            if self._base_full is None:
                self._base_full = git.export(self.repo, self.subject.base_commit,
                                             self.scratch / "base")
            return self._base_full

    def base_files(self, paths: Sequence[str], into: Path) -> Path:
        """The base's version of `paths` (those that exist there) written under `into`."""
        return git.export(self.repo, self.subject.base_commit, into, paths)


@dataclass
class GateContext:
    name: str
    workspace: Workspace
    config: dict[str, Any]  # this gate's section, defaults merged
    settings: Config  # the whole (trusted) config
    changed: list[str]  # paths added or modified by the branch, filtered by `exclude`
    deleted: list[str]
    artifacts: Path  # this gate's folder in the run's report directory
    deadline: float  # time.monotonic() by which the gate must be done
    app_factory: Callable[..., Any] | None = None

    @property
    def worktree(self) -> Path:
        return self.workspace.worktree

    @property
    def subject(self) -> Subject:
        return self.workspace.subject

    @property
    def home(self) -> Path:
        """A scratch HOME for tools (they never see the user's)."""
        home = self.workspace.scratch / "home" / self.name
        home.mkdir(parents=True, exist_ok=True)
        return home

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The scrubbed environment for a tool or for code of the branch."""
        env = proc.scrubbed_env(home=self.home, allow=self.settings["env_allow"])
        # stop git inside the tree from finding the repository around it
        env["GIT_CEILING_DIRECTORIES"] = str(self.workspace.tree_dir.parent)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.update(extra or {})
        return env

    def run(
        self,
        cmd: Sequence[str],
        *,
        cwd: Path | None = None,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
    ) -> proc.Result:
        return proc.run(cmd, cwd=cwd or self.worktree, timeout=timeout or self.config["timeout"],
                        env=self.env(env))

    def changed_matching(self, patterns: Sequence[str]) -> list[str]:
        return [p for p in self.changed if glob_match(p, patterns)]

    def app(self, **kw: Any) -> Any:
        """`with ctx.app() as app:` starts the application under test (see gates.apptest.app);
        `ctx.app(tree=ctx.workspace.base_worktree(), label="base")` the base's."""
        if self.app_factory is None:
            raise GateError("this run has no app runner")
        return self.app_factory(self, **kw)


def artifact_path(ctx: GateContext, name: str) -> Path:
    ctx.artifacts.mkdir(parents=True, exist_ok=True)
    return ctx.artifacts / name
