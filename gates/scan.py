"""Per-file tools on both sides of a merge, through the content-addressed cache.

The pattern every static gate shares: scan the changed files of the merge result
and the base's version of the same files, fingerprint both, mark the branch's
findings new or existing. Only what the cache does not already know is scanned,
in a folder holding only those files (written from their blobs: no export of the
whole tree, no `.semgrepignore` or tool config of the branch beside them): one
tool invocation per side, or one for both sides when the tool's findings do not
depend on where a file is (`together`: the sides in numbered folders).

Many branches at once (`gates run --all`, see gates.batch): the gates that declare
`scans_per_file = True` first run in a *collecting* pass (`collecting()`), where
`both_sides` only records what it would scan; `run_batch` then scans every
distinct (tool, salt, path, blob) that the cache lacks once, in as few tool
invocations as the paths allow, and the branches are judged from the cache.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import functools
import hashlib
import math
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from gates import baseline, git, line_delta, proc
from gates.cache import Cache, Pair, key, lookup, store
from gates.gate import GateContext, GateError, Workspace
from gates.model import Finding

Scan = Callable[[Path, list[str]], list[Finding]]
T = TypeVar("T")


def digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:20]


def in_parallel(calls: Sequence[Callable[[], T]], jobs: int | None = None) -> list[T]:
    """Run `calls` on threads, each in a copy of this context (so that the runner's
    process ownership and deadline follow the tools); re-raise the first error."""
    with ThreadPoolExecutor(max_workers=max(1, jobs or len(calls))) as pool:
        futures: list[Future[T]] = [pool.submit(contextvars.copy_context().run, c)
                                    for c in calls]
    return [f.result() for f in futures]


# -- every core: how many parts a scan is worth splitting into ---------------------------

PART_BYTES = 48_000  # a part smaller than this costs more in tool start-up than it saves
PART_FILES = 50  # … and so does one of fewer small files than this


def cores() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def parts_for(root: Path, files: Sequence[str]) -> int:
    """Into how many parts (processes, or a tool's own jobs) a scan of `files` under
    `root` is worth splitting: one per core at most, and none smaller than
    `PART_BYTES` unless it holds `PART_FILES` files."""
    size = 0
    for f in files:
        with contextlib.suppress(OSError):
            size += (root / f).stat().st_size
    wanted = max(math.ceil(size / PART_BYTES), len(files) // PART_FILES)
    return max(1, min(cores(), len(files), wanted))


def split(root: Path, files: Sequence[str], n: int) -> list[list[str]]:
    """`files` in `n` parts of about the same size (largest first, each to the lightest
    part), none empty."""
    sized = []
    for f in files:
        try:
            sized.append(((root / f).stat().st_size, f))
        except OSError:
            sized.append((0, f))
    sized.sort(reverse=True)
    parts: list[tuple[int, list[str]]] = [(0, []) for _ in range(max(1, n))]
    for size, f in sized:
        i = min(range(len(parts)), key=lambda j: parts[j][0])
        parts[i] = (parts[i][0] + size, [*parts[i][1], f])
    return [sorted(p) for _, p in parts if p]


def in_parts(scan: Scan, root: Path, files: list[str]) -> list[Finding]:
    """`scan` over `files` under `root`, split into `parts_for` parts run at once (for
    a single-threaded tool such as bandit)."""
    n = parts_for(root, files)
    if n <= 1:
        return scan(root, files)
    calls = [functools.partial(scan, root, chunk) for chunk in split(root, files, n)]
    return [f for part in in_parallel(calls) for f in part]


def regular_files(root: Path, paths: Sequence[str]) -> list[str]:
    """Those of `paths` that are regular files inside `root` (no symlinks)."""
    base = root.resolve()
    return [p for p in paths
            if (root / p).is_file() and not (root / p).is_symlink()
            and (root / p).resolve().is_relative_to(base)]


# -- tool versions -------------------------------------------------------------------

_probed: dict[str, str] = {}


def _probe_key(ctx: GateContext, cmd: Sequence[str], env: Mapping[str, str] | None
               ) -> tuple[str, list[str]]:
    argv = proc.resolve(cmd, ctx.env(env))
    try:
        st = os.stat(argv[0])
    except OSError as e:
        raise proc.ToolMissing(f"{cmd[0]} is not installed ({e.strerror})") from None
    return key("probe", os.path.realpath(argv[0]), str(st.st_size), str(st.st_mtime_ns),
               str(st.st_ctime_ns), *argv[1:]), argv


def remembered(ctx: GateContext, cmd: Sequence[str], env: Mapping[str, str] | None = None
               ) -> str | None:
    """What `probe` remembers for `cmd`, without running anything (None: nothing)."""
    k, _ = _probe_key(ctx, cmd, env)
    if k not in _probed:
        found = Cache.for_repo(ctx.workspace.repo).get_many([k]).get(k)
        if not isinstance(found, str):
            return None
        _probed[k] = found
    return _probed[k]


def remember(ctx: GateContext, cmd: Sequence[str], output: str,
             env: Mapping[str, str] | None = None) -> None:
    """Record `output` as what `cmd` prints (learnt otherwise, e.g. from a scan's JSON)."""
    k, _ = _probe_key(ctx, cmd, env)
    Cache.for_repo(ctx.workspace.repo).put_many({k: output}, "probe")
    _probed[k] = output


def probe(ctx: GateContext, cmd: Sequence[str], env: Mapping[str, str] | None = None, *,
          fresh: bool = False, cwd: Path | None = None) -> str:
    """The output of `cmd` (`ruff --version`, a plugin list …), remembered for the
    program's exact file (path, size, mtime, ctime) in the cache: an upgrade rewrites
    the program, so it asks again; a warm run starts no process for it (`fresh`: ask
    anyway, and remember the new answer; `cwd`: where to ask, for a program found
    from there, like `npx eslint`). A failure is a `GateError` (never remembered); a
    missing program is `proc.ToolMissing`."""
    if not fresh:
        known = remembered(ctx, cmd, env)
        if known is not None:
            return known
    _, argv = _probe_key(ctx, cmd, env)
    res = ctx.run(argv, cwd=cwd or ctx.workspace.scratch, env=env)
    if res.returncode != 0 or not res.stdout.strip():
        name = " ".join([Path(cmd[0]).name, *cmd[1:]])
        raise GateError(f"{name} failed (exit {res.returncode}): {res.output[-300:]}")
    remember(ctx, cmd, res.stdout, env)
    return res.stdout


# -- scanning what the cache lacks ------------------------------------------------------


def layers(pairs: Sequence[Pair]) -> list[dict[str, str]]:
    """Distinct (path, blob) pairs as few path -> blob maps as possible: a path with
    two different blobs (a file changed by a branch, and its base) needs two folders."""
    out: list[dict[str, str]] = []
    for path, blob in pairs:
        for layer in out:
            if path not in layer:
                layer[path] = blob
                break
        else:
            out.append({path: blob})
    return out


def scan_pairs(ws: Workspace, tool: str, pairs: Sequence[Pair], scan: Scan, *,
               together: bool = False, split: bool = False, jobs: int = 0
               ) -> tuple[dict[Pair, list[Finding]], int]:
    """({pair: fingerprinted findings}, tool invocations) for `pairs`, written from
    their blobs: one invocation per layer, or, `together`, one for all layers side by
    side in numbered folders (for a tool whose findings do not depend on where a file
    is). `split`: each invocation's files are split across the cores (`in_parts`), for
    a tool that uses one core. Layers run at once (`jobs`; 0: one per core).
    Raises what `scan` raises, and `GateError` when the tool names a path it was
    not given (nothing is cached then)."""
    groups = layers(pairs)
    calls = [groups] if together and len(groups) > 1 else [[g] for g in groups]
    out: dict[Pair, list[Finding]] = {}
    for part in in_parallel([_one_call(ws, tool, c, scan, split) for c in calls],
                            jobs=jobs or cores()):
        out.update(part)
    return out, len(calls)


def _one_call(ws: Workspace, tool: str, batch: list[dict[str, str]], scan: Scan,
              split: bool) -> Callable[[], dict[Pair, list[Finding]]]:
    def call() -> dict[Pair, list[Finding]]:
        root = Path(tempfile.mkdtemp(prefix=f"{tool}-", dir=ws.scratch))
        nested = len(batch) > 1
        where = {f"{i}/{p}" if nested else p: (i, p, b)
                 for i, layer in enumerate(batch) for p, b in layer.items()}
        git.export_blobs(ws.repo, {name: b for name, (_, _, b) in where.items()
                                   if not line_delta.is_id(b)}, root)
        line_delta.write(ws.repo, {name: b for name, (_, _, b) in where.items()
                                   if line_delta.is_id(b)}, root, ws.scratch)
        present = regular_files(root, list(where))
        found = ((in_parts(scan, root, present) if split else scan(root, present))
                 if present else [])
        out: dict[Pair, list[Finding]] = {(p, b): [] for _, p, b in where.values()}
        by_layer: dict[int, list[Finding]] = {}
        for f in found:
            if f.path not in where:
                raise GateError(f"{tool} reported a finding at {f.path!r}, a path it was not "
                                "asked to scan")
            i, f.path, _ = where[f.path]
            by_layer.setdefault(i, []).append(f)
        for i, fs in by_layer.items():
            for f in baseline.fingerprint(fs, root / str(i) if nested else root):
                assert f.path is not None
                out[(f.path, batch[i][f.path])].append(f)
        return out

    return call


# -- one branch ------------------------------------------------------------------------


@dataclass
class Request:
    """One side of one per-file scan, recorded by a collecting pass."""

    tool: str
    salt: str
    blobs: dict[str, str]  # path -> blob id
    scan: Scan
    workspace: Workspace
    together: bool = False
    split: bool = False
    # a big base side: the branch side it is for (scanned only if that side found
    # something, see `both_sides`)
    branch_side: Request | None = None


_collecting: contextvars.ContextVar[list[Request] | None] = contextvars.ContextVar(
    "gates_scan_collecting", default=None)


def is_collecting() -> bool:
    """In a collecting pass (nothing is scanned: see `collecting`)."""
    return _collecting.get() is not None


def both_sides(ctx: GateContext, tool: str, salt: str | Callable[[], str | None],
               files: list[str], scan: Scan, *, together: bool = False, split: bool = False,
               by_line: Callable[[str], bool] | None = None
               ) -> tuple[list[Finding], dict[str, int]]:
    """(branch findings with `new` set, stats). `scan(root, paths)` runs the tool once
    over `paths` under `root` and returns findings with paths relative to root; it
    raises (`GateError` …) when the tool did not do its job — nothing is cached then.
    `salt` must change whenever the result could: tool version, rules, config. It may
    be a function, for a salt known only after a scan (a version read from the tool's
    output): then every file is scanned, and stored under `salt()` unless it is None.
    `together`: the tool's findings in a file do not depend on the file's location,
    so both sides can share one invocation (see `scan_pairs`); `split`: the tool uses
    one core, so its files are split across the cores.
    The base's side, when it is small (`cheap`), is scanned at once with the branch's,
    in the same invocation where the tool allows; a bigger one only after the branch's
    side, and only the base's version of the files in which that found something: a
    fingerprint holds its path (`baseline`), so only a finding of the same file can
    make a branch's finding existing, and where the branch found nothing there is
    nothing to call new or existing.
    `by_line(path)`: the tool judges each line of that file alone (its findings on a
    line depend on the line and the file's name only; a tool may still report a
    value once per file, at its first line). With a big base side, such a changed
    file is first read as the lines its base lacks (gates.line_delta): where those
    hold nothing, the file has nothing new, and neither its whole text nor its base
    is scanned (what the base already has in it is not reported); where they hold a
    finding, the whole file and its base are scanned and judged as any other.
    stats: cache `hits` and `misses` (files scanned), `files` / `base_files` (regular
    files on each side)."""
    ws = ctx.workspace
    assert ws.subject.tree is not None
    branch_blobs = git.blob_ids(ws.repo, ws.subject.tree, files, regular=True) if files else {}
    base_blobs = git.blob_ids(ws.repo, ws.subject.base_commit, files, regular=True) \
        if branch_blobs else {}
    sizes = {"files": len(branch_blobs), "base_files": len(base_blobs)}
    at_once = cheap(ws.repo, base_blobs)
    # by-line files of a big base side: first the lines the base lacks; the whole file
    # (with its base) only where those hold a finding
    units = {p: line_delta.id_of(b, base_blobs[p]) for p, b in branch_blobs.items()
             if by_line is not None and not at_once and p in base_blobs
             and base_blobs[p] != b and by_line(p)}
    side = {**branch_blobs, **units}
    whole = {p: branch_blobs[p] for p in units}
    collected = _collecting.get()
    if collected is not None:
        if not isinstance(salt, str):
            raise GateError(f"{tool}: a collecting pass needs the cache key up front")
        ours = Request(tool, salt, side, scan, ws, together, split)
        later = None if at_once else ours
        collected += [ours, Request(tool, salt, base_blobs, scan, ws, together, split,
                                    branch_side=later)]
        if whole:
            collected.append(Request(tool, salt, whole, scan, ws, together, split,
                                     branch_side=ours))
        return [], {"hits": 0, "misses": 0, **sizes}
    cache = Cache.for_repo(ws.repo)
    first = [*side.items(), *(base_blobs.items() if at_once else [])]
    found, hits, misses = _scan_some(ws, cache, tool, salt, first, scan, together, split)
    branch = [f for pair in side.items() for f in found.get(pair, [])]
    if branch and not at_once:
        where = {f.path for f in branch}
        side = {**side, **{p: b for p, b in whole.items() if p in where}}
        rest = [pair for pair in [*base_blobs.items(), *side.items()]
                if pair[0] in where and pair not in found]
        more, more_hits, more_misses = _scan_some(ws, cache, tool, salt, rest, scan,
                                                  together, split)
        found, hits, misses = found | more, hits + more_hits, misses + more_misses
        branch = [f for pair in side.items() for f in found.get(pair, [])]
    base = [f for pair in base_blobs.items() for f in found.get(pair, [])]
    baseline.mark_new(branch, base)
    return branch, {"hits": hits, "misses": misses, **sizes}


def cheap(repo: Path, blobs: Mapping[str, str]) -> bool:
    """Is the base's side of a scan small enough to scan at once with the branch's,
    whatever the branch's side finds? Below one part (`PART_BYTES`) a tool's time is
    mostly its start-up, which one invocation for both sides pays once."""
    return sum(git.blob_sizes(repo, blobs.values()).values()) < PART_BYTES


def _scan_some(ws: Workspace, cache: Cache, tool: str, salt: str | Callable[[], str | None],
               pairs: Sequence[Pair], scan: Scan, together: bool, split: bool
               ) -> tuple[dict[Pair, list[Finding]], int, int]:
    """({pair: findings}, cache hits, files scanned): what the cache lacks of `pairs`
    is scanned (`scan_pairs`) and stored under the salt (a function's, after the scan)."""
    pairs = list(dict.fromkeys(pairs))
    known = {pair: [Finding.from_json(f) for f in found]
             for pair, found in lookup(cache, tool, salt, pairs).items()} \
        if isinstance(salt, str) else {}
    missing = [pair for pair in pairs if pair not in known]
    if not missing:
        return known, len(known), 0
    fresh, _ = scan_pairs(ws, tool, missing, scan, together=together, split=split)
    key_salt = salt if isinstance(salt, str) else salt()
    if key_salt is not None:
        store(cache, tool, key_salt, {pair: [f.to_json() for f in found]
                                      for pair, found in fresh.items()})
    return {**known, **fresh}, len(known), len(missing)


# -- many branches -----------------------------------------------------------------------


@contextlib.contextmanager
def collecting() -> Iterator[list[Request]]:
    """While inside, `both_sides` records its requests here and scans nothing."""
    found: list[Request] = []
    token = _collecting.set(found)
    try:
        yield found
    finally:
        _collecting.reset(token)


@dataclass
class BatchStats:
    files: int = 0  # distinct (tool, salt, path, blob) asked for
    hits: int = 0
    scanned: int = 0
    invocations: int = 0
    failed: int = 0  # tools that raised (the judging run meets it again, and reports it)


def run_batch(requests: list[Request], jobs: int = 2) -> BatchStats:
    """Fill the cache for every request at once: per (tool, salt), each distinct
    (path, blob) the cache lacks is scanned once, in one invocation per layer (one in
    all for a tool that scans `together`). The branches' sides and the small base
    sides first; then each big base side whose branch side found something (see
    `both_sides`)."""
    stats = BatchStats()
    _fill([r for r in requests if r.branch_side is None], jobs, stats)
    _fill([_where_found(r, r.branch_side) for r in requests if r.branch_side is not None],
          jobs, stats)
    return stats


def _where_found(base: Request, branch: Request) -> Request:
    """`base` for only the paths in which the cache's answer for `branch` found
    something (or has no answer: its scan failed, and the judging run meets that)."""
    known = lookup(Cache.for_repo(branch.workspace.repo), branch.tool, branch.salt,
                   branch.blobs.items())
    where = {p for p, b in branch.blobs.items() if known.get((p, b), True)}
    return dataclasses.replace(base, blobs={p: b for p, b in base.blobs.items() if p in where})


def _fill(requests: list[Request], jobs: int, stats: BatchStats) -> None:
    groups: dict[tuple[str, str], list[Request]] = {}
    for r in requests:
        groups.setdefault((r.tool, r.salt), []).append(r)
    calls: list[Callable[[], None]] = []
    for (tool, salt), reqs in groups.items():
        ws = reqs[0].workspace
        cache = Cache.for_repo(ws.repo)
        wanted = list(dict.fromkeys(pair for r in reqs for pair in r.blobs.items()))
        known = lookup(cache, tool, salt, wanted)
        missing = [pair for pair in wanted if pair not in known]
        stats.files += len(wanted)
        stats.hits += len(known)
        stats.scanned += len(missing)
        if missing:
            calls.append(_batch_call(cache, tool, salt, missing, reqs[0], stats))
    if calls:
        in_parallel(calls, jobs=jobs)


def _batch_call(cache: Cache, tool: str, salt: str, pairs: list[Pair], req: Request,
                stats: BatchStats) -> Callable[[], None]:
    def call() -> None:
        try:
            fresh, n = scan_pairs(req.workspace, tool, pairs, req.scan, together=req.together,
                                  split=req.split, jobs=1)
        except Exception:  # the judging run meets it again, and reports it
            stats.failed += 1
            return
        stats.invocations += n
        store(cache, tool, salt, {pair: [f.to_json() for f in found]
                                  for pair, found in fresh.items()})

    return call
