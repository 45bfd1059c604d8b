"""All git plumbing. Nothing else in `gates` runs git."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from gates import proc

GIT_TIMEOUT = 120.0
# GIT_* variables that a hook environment sets and that would point our plumbing
# at the wrong index or work tree are dropped (as pre-commit's no_git_env does).
_KEEP_GIT_VARS = frozenset(
    {"GIT_EXEC_PATH", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_SSL_CAINFO", "GIT_SSL_NO_VERIFY",
     "GIT_CONFIG_COUNT", "GIT_HTTP_PROXY_AUTHMETHOD", "GIT_ALLOW_PROTOCOL", "GIT_ASKPASS"}
)


class GitError(Exception):
    """A git command failed; the message is one line a user can act on."""


def _env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GIT_") or k in _KEEP_GIT_VARS or k.startswith("GIT_CONFIG_")
    }
    env["LANG"] = env["LC_ALL"] = "C"
    env.update(extra or {})
    return env


def git(
    *args: str,
    cwd: str | os.PathLike[str],
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    ok: Iterable[int] = (0,),
    timeout: float = GIT_TIMEOUT,
) -> proc.Result:
    try:
        res = proc.run(["git", *args], cwd=cwd, timeout=timeout, env=_env(env), input=input)
    except proc.ToolMissing:
        raise GitError("git is not installed") from None
    except proc.Timeout:
        raise GitError(f"git {args[0]} timed out after {timeout:.0f}s") from None
    if res.returncode not in tuple(ok):
        msg = res.stderr.strip().splitlines()
        raise GitError(f"git {args[0]} failed: {msg[-1] if msg else res.returncode}")
    return res


def out(*args: str, cwd: str | os.PathLike[str], **kw: object) -> str:
    return git(*args, cwd=cwd, **kw).stdout.strip()  # type: ignore[arg-type]


# -- repository ---------------------------------------------------------------


def toplevel(cwd: str | os.PathLike[str]) -> Path:
    res = git("rev-parse", "--show-toplevel", cwd=cwd, ok=(0, 128))
    if res.returncode != 0 or not res.stdout.strip():
        raise GitError(f"not a git repository: {Path(cwd).resolve()}")
    return Path(res.stdout.strip())


def common_dir(repo: Path) -> Path:
    return (repo / out("rev-parse", "--git-common-dir", cwd=repo)).resolve()


def version(cwd: Path) -> tuple[int, ...]:
    raw = out("version", cwd=cwd).split()[2]
    return tuple(int(p) for p in raw.split(".")[:3] if p.isdigit())


def rev(repo: Path, name: str) -> str | None:
    """The commit a name points at, or None."""
    res = git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{name}^{{commit}}",
              cwd=repo, ok=(0, 1, 128))
    return res.stdout.strip() or None if res.returncode == 0 else None


def object_id(repo: Path, name: str) -> str | None:
    res = git("rev-parse", "--verify", "--quiet", "--end-of-options", name, cwd=repo,
              ok=(0, 1, 128))
    return res.stdout.strip() or None if res.returncode == 0 else None


def tree_of(repo: Path, commit: str) -> str:
    return out("rev-parse", f"{commit}^{{tree}}", cwd=repo)


def check_ref_name(repo: Path, name: str) -> bool:
    res = git("check-ref-format", "--branch", name, cwd=repo, ok=(0, 1, 128))
    return res.returncode == 0


def resolve_branch(repo: Path, name: str) -> tuple[str, str] | None:
    """(full ref, commit) of a local branch, else of origin's remote-tracking one."""
    for ref in (f"refs/heads/{name}", f"refs/remotes/origin/{name}", f"refs/remotes/{name}"):
        sha = rev(repo, ref)
        if sha:
            return ref, sha
    return None


def branches(repo: Path) -> list[str]:
    """Short names of local branches and origin's remote-tracking ones, deduplicated."""
    raw = out("for-each-ref", "--format=%(refname)", "refs/heads", "refs/remotes/origin",
              cwd=repo)
    names: list[str] = []
    for ref in raw.splitlines():
        short = ref.removeprefix("refs/heads/").removeprefix("refs/remotes/origin/")
        if short != "HEAD" and short not in names:
            names.append(short)
    return names


def merge_base(repo: Path, a: str, b: str) -> str | None:
    res = git("merge-base", a, b, cwd=repo, ok=(0, 1))
    return res.stdout.strip() or None


@dataclass(frozen=True)
class MergeResult:
    tree: str | None
    conflicts: list[str]


def merge_tree(repo: Path, base: str, branch: str) -> MergeResult:
    """The tree a merge of `branch` into `base` would produce (git >= 2.38)."""
    res = git("merge-tree", "--write-tree", "--name-only", "--no-messages", "-z",
              base, branch, cwd=repo, ok=(0, 1))
    parts = res.stdout.split("\0")
    tree = parts[0].strip()
    if res.returncode == 0:
        return MergeResult(tree, [])
    conflicts = sorted({p for p in parts[1:] if p})
    return MergeResult(None, conflicts)


@dataclass(frozen=True)
class Change:
    status: str  # A, M, D, T
    path: str
    mode: str = "100644"  # the new mode; 120000 is a symlink, 160000 a submodule

    @property
    def is_file(self) -> bool:
        return self.mode in ("100644", "100755")


def diff(repo: Path, old: str, new: str) -> list[Change]:
    """Files that differ between two tree-ishes (no rename detection)."""
    raw = git("diff", "--raw", "-z", "--no-renames", "--no-ext-diff", "--no-abbrev", old, new,
              "--", cwd=repo).stdout
    fields = raw.split("\0")
    changes = []
    for i in range(0, len(fields) - 1, 2):
        meta = fields[i].lstrip(":").split()
        if len(meta) < 5:
            continue
        changes.append(Change(meta[4][0], fields[i + 1], meta[1]))
    return changes


def blob_ids(repo: Path, tree: str, paths: Iterable[str] | None = None) -> dict[str, str]:
    args = ["ls-tree", "-r", "-z", "--full-tree", tree]
    if paths is not None:
        args += ["--", *paths]
    raw = out(*args, cwd=repo)
    result: dict[str, str] = {}
    for entry in filter(None, raw.split("\0")):
        meta, path = entry.split("\t", 1)
        _mode, kind, oid = meta.split()
        if kind == "blob":
            result[path] = oid
    return result


def show(repo: Path, tree: str, path: str) -> str | None:
    res = git("show", f"{tree}:{path}", cwd=repo, ok=(0, 128))
    return res.stdout if res.returncode == 0 else None


def show_file(repo: Path, tree: str, path: str, max_bytes: int = 1_000_000) -> str | None:
    """The text of a regular file in `tree`; None for a symlink, a submodule, a folder,
    a path that leaves the tree, a file larger than `max_bytes`, or a missing tree."""
    parts = path.split("/")
    if not path or path.startswith("/") or any(p in ("", ".", "..") for p in parts):
        return None
    res = git("ls-tree", "-z", "-l", "--full-tree", tree, "--", path, cwd=repo, ok=(0, 128))
    entry = res.stdout.split("\0")[0] if res.returncode == 0 else ""
    if "\t" not in entry:
        return None
    meta, name = entry.split("\t", 1)
    mode, kind, oid, size = meta.split()
    if name != path or kind != "blob" or mode not in ("100644", "100755"):
        return None
    if int(size) > max_bytes:
        return None
    return git("cat-file", "blob", oid, cwd=repo).stdout


def export(repo: Path, tree: str, dest: Path, paths: Iterable[str] | None = None) -> Path:
    """Write `tree` (or some of its paths) into `dest` as plain files.

    A temporary index is used, so the user's index, work tree and stash are never
    touched, and `dest` carries no `.git` of its own.
    """
    dest.mkdir(parents=True, exist_ok=True)
    scratch = common_dir(repo) / "gates"
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        git("read-tree", tree, cwd=repo, env=env)
        prefix = str(dest.resolve()) + os.sep
        if paths is None:
            git("checkout-index", "-a", "-f", f"--prefix={prefix}", cwd=repo, env=env)
        else:
            wanted = "\0".join(paths).encode()
            if wanted:
                git("checkout-index", "-f", "-z", "--stdin", f"--prefix={prefix}", cwd=repo,
                    env=env, input=wanted, ok=(0, 1))
    return dest


def commit_files(repo: Path, paths: list[Path], message: str) -> str | None:
    """Commit exactly `paths` (whatever else is staged stays staged, uncommitted)."""
    rel = [str(p.resolve().relative_to(repo.resolve())) for p in paths if p.exists()]
    if not rel:
        return None
    git("add", "--", *rel, cwd=repo)
    res = git("diff", "--cached", "--quiet", "--", *rel, cwd=repo, ok=(0, 1))
    if res.returncode == 0:
        return None  # nothing changed in those files
    git("commit", "--quiet", "--no-verify", "-m", message, "--only", "--", *rel, cwd=repo)
    return out("rev-parse", "HEAD", cwd=repo)


# -- building repositories (the sample cluster) -----------------------------------


def init(path: Path, branch: str = "main") -> None:
    path.mkdir(parents=True, exist_ok=True)
    git("init", "-q", "-b", branch, cwd=path)


def commit_all(repo: Path, message: str, author: str, date: str | None = None) -> str:
    """Stage everything in the work tree and commit it as `author` ("Name <email>")."""
    name, _, email = author.partition(" <")
    env = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email.rstrip(">"),
           "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email.rstrip(">")}
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    git("add", "-A", cwd=repo)
    git("-c", "commit.gpgsign=false", "commit", "-q", "--no-verify", "-F", "-", cwd=repo,
        env=env, input=message.encode())
    return out("rev-parse", "HEAD", cwd=repo)


def switch(repo: Path, branch: str, create_from: str | None = None) -> None:
    if create_from is None:
        git("checkout", "-q", branch, cwd=repo)
    else:
        git("checkout", "-q", "-b", branch, create_from, cwd=repo)
