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


def out(*args: str, cwd: str | os.PathLike[str], env: Mapping[str, str] | None = None,
        timeout: float = GIT_TIMEOUT) -> str:
    return git(*args, cwd=cwd, env=env, timeout=timeout).stdout.strip()


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


def blob_ids(repo: Path, tree: str, paths: Iterable[str] | None = None, *,
             regular: bool = False) -> dict[str, str]:
    """path -> blob id of the files in `tree` (`regular`: no symlinks)."""
    args = ["ls-tree", "-r", "-z", "--full-tree", tree]
    if paths is not None:
        args += ["--", *paths]
    raw = out(*args, cwd=repo)
    result: dict[str, str] = {}
    for entry in filter(None, raw.split("\0")):
        meta, path = entry.split("\t", 1)
        mode, kind, oid = meta.split()
        if kind == "blob" and (not regular or mode in ("100644", "100755")):
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


def export_blobs(repo: Path, blobs: Mapping[str, str], dest: Path) -> Path:
    """Write blobs (path -> blob id, from any trees) into `dest` as regular files."""
    dest.mkdir(parents=True, exist_ok=True)
    if not blobs:
        return dest
    scratch = common_dir(repo) / "gates"
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        info = "".join(f"100644 {oid}\t{path}\0" for path, oid in blobs.items())
        git("update-index", "--add", "-z", "--index-info", cwd=repo, env=env, input=info.encode())
        git("checkout-index", "-a", "-f", f"--prefix={dest.resolve()}{os.sep}", cwd=repo, env=env)
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


def apply(folder: Path, patch: Path) -> None:
    """Apply a unified diff to the files of `folder` (a work tree or a plain folder)."""
    git("apply", "--whitespace=nowarn", str(patch.resolve()), cwd=folder)


def switch(repo: Path, branch: str, create_from: str | None = None) -> None:
    if create_from is None:
        git("checkout", "-q", branch, cwd=repo)
    else:
        git("checkout", "-q", "-b", branch, create_from, cwd=repo)


# -- the merge guard: notes, hooks, what is about to land ---------------------------

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
ZERO = "0" * 40
# notes commits are written by gates, whoever runs it (CI has no user.name)
NOTES_IDENTITY = {"GIT_AUTHOR_NAME": "gates", "GIT_AUTHOR_EMAIL": "gates@localhost",
                  "GIT_COMMITTER_NAME": "gates", "GIT_COMMITTER_EMAIL": "gates@localhost"}


def note(repo: Path, ref: str, obj: str) -> str | None:
    res = git("notes", f"--ref={ref}", "show", obj, cwd=repo, ok=(0, 1))
    return res.stdout if res.returncode == 0 else None


def add_note(repo: Path, ref: str, obj: str, text: str) -> None:
    git("notes", f"--ref={ref}", "add", "-f", "-F", "-", obj, cwd=repo, env=NOTES_IDENTITY,
        input=text.encode())


def notes(repo: Path, ref: str) -> dict[str, str]:
    """Annotated object -> note blob, for every note under `ref` (none if it is missing)."""
    raw = out("notes", f"--ref={ref}", "list", cwd=repo)
    pairs = (line.split() for line in raw.splitlines())
    return {p[1]: p[0] for p in pairs if len(p) == 2}


def merge_notes(repo: Path, ref: str, other: str) -> None:
    """Merge the notes of `other` into `ref`, keeping ours where both annotate an object."""
    git("notes", f"--ref={ref}", "merge", "-q", "-s", "ours", other, cwd=repo,
        env=NOTES_IDENTITY)


def blobs(repo: Path, oids: Iterable[str]) -> dict[str, str]:
    """The text of many blobs, read by one `git cat-file --batch`."""
    wanted = list(dict.fromkeys(oids))
    if not wanted:
        return {}
    raw = git("cat-file", "--batch", cwd=repo, input="\n".join(wanted).encode() + b"\n").stdout
    data, pos, found = raw.encode("utf-8", errors="surrogateescape"), 0, {}
    for oid in wanted:
        eol = data.index(b"\n", pos)
        header = data[pos:eol].split()
        pos = eol + 1
        if len(header) != 3:  # "<oid> missing"
            continue
        size = int(header[2])
        body = data[pos:pos + size]
        if data[pos + size:pos + size + 1] != b"\n":
            raise GitError("git cat-file --batch: output out of step (a blob is not UTF-8)")
        found[oid] = body.decode("utf-8", errors="replace")
        pos += size + 1
    return found


def fetch_ref(repo: Path, remote: str, refspec: str) -> bool:
    """Fetch one refspec; False when the remote has no such ref."""
    res = git("fetch", "--quiet", "--no-tags", "--end-of-options", remote, refspec, cwd=repo,
              ok=(0, 128), timeout=300.0)
    if res.returncode == 0:
        return True
    if "couldn't find remote ref" in res.stderr:
        return False
    msg = res.stderr.strip().splitlines()
    raise GitError(f"git fetch {remote} failed: {msg[-1] if msg else res.returncode}")


def push_ref(repo: Path, remote: str, refspec: str) -> None:
    git("push", "--quiet", "--no-verify", "--end-of-options", remote, refspec, cwd=repo,
        timeout=300.0)


def write_tree(repo: Path, index_file: str | None = None) -> str:
    """The tree of the index (a copy of it: the index itself is never written)."""
    source = Path(index_file) if index_file else git_path(repo, "index")
    scratch = common_dir(repo) / "gates"
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        copy = Path(tmp) / "index"
        if source.exists():
            copy.write_bytes(source.read_bytes())
        return out("write-tree", cwd=repo, env={"GIT_INDEX_FILE": str(copy)})


def is_ancestor(repo: Path, a: str, b: str) -> bool:
    return git("merge-base", "--is-ancestor", a, b, cwd=repo, ok=(0, 1, 128)).returncode == 0


def parents(repo: Path, commit: str) -> list[str]:
    return out("rev-list", "--parents", "-n", "1", commit, cwd=repo).split()[1:]


def object_type(repo: Path, name: str) -> str | None:
    res = git("cat-file", "-t", "--end-of-options", name, cwd=repo, ok=(0, 1, 128))
    return res.stdout.strip() or None if res.returncode == 0 else None


def head_branch(repo: Path) -> str | None:
    """The full ref HEAD points at (refs/heads/main), None when detached."""
    res = git("symbolic-ref", "-q", "HEAD", cwd=repo, ok=(0, 1, 128))
    return res.stdout.strip() or None if res.returncode == 0 else None


def git_path(repo: Path, name: str) -> Path:
    """`git rev-parse --git-path` (hooks honours core.hooksPath), absolute."""
    return (repo / out("rev-parse", "--git-path", name, cwd=repo)).resolve()


def config_value(repo: Path, key: str) -> str | None:
    res = git("config", "--get", key, cwd=repo, ok=(0, 1))
    return res.stdout.strip() or None


def refs_at(repo: Path, commit: str, *patterns: str) -> list[str]:
    """Refs under `patterns` (refs/heads …) that point at `commit`."""
    raw = out("for-each-ref", "--format=%(refname)", f"--points-at={commit}", *patterns,
              cwd=repo)
    return raw.splitlines()


def refs(repo: Path, *patterns: str) -> dict[str, str]:
    raw = out("for-each-ref", "--format=%(refname) %(objectname)", *patterns, cwd=repo)
    return dict(line.split(" ", 1) for line in raw.splitlines() if " " in line)


def files(repo: Path) -> list[str]:
    """Tracked files and untracked ones that are not ignored."""
    raw = out("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=repo)
    return sorted(set(filter(None, raw.split("\0"))))
