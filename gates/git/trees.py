"""Trees and blobs: reading them, the difference of two trees, the tree a merge would
produce, writing a tree's files out (through a temporary index: the user's index,
work tree and stash are never touched) and the tree of an index."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from gates.git.command import GitError, common_dir, git, git_path, out

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def tree_of(repo: Path, commit: str) -> str:
    return out("rev-parse", f"{commit}^{{tree}}", cwd=repo)


@dataclass(frozen=True)
class MergeResult:
    tree: str | None
    conflicts: list[str]


class ShallowClone(GitError):
    """The clone lacks the history a merge needs: one line naming the fix."""


SHALLOW = ("this clone is shallow: the history that joins the branch to its base is "
           "missing, so their merge cannot be computed; fetch it with `git fetch "
           "--unshallow` (in CI: `fetch-depth: 0` on the checkout step)")


def merge_tree(repo: Path, base: str, branch: str) -> MergeResult:
    """The tree a merge of `branch` into `base` would produce (git >= 2.38). A shallow
    clone whose history stops before the two meet is a ShallowClone, before merge-tree
    says "refusing to merge unrelated histories" (true, but not what to do)."""
    if (git("rev-parse", "--is-shallow-repository", cwd=repo).stdout.strip() == "true"
            and git("merge-base", base, branch, cwd=repo, ok=(0, 1)).returncode != 0):
        raise ShallowClone(SHALLOW)
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


_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


def added_lines(repo: Path, old: str, new: str, paths: Iterable[str] | None = None
                ) -> dict[str, set[int]]:
    """path -> the line numbers in `new` that the diff from `old` adds or changes (no
    rename detection: a moved file is all new)."""
    args = ["-c", "core.quotePath=false", "diff", "-U0", "--no-renames", "--no-ext-diff",
            "--no-color", "--text", old, new, "--", *(paths or [])]
    lines: dict[str, set[int]] = {}
    current: set[int] | None = None
    for row in git(*args, cwd=repo).stdout.splitlines():
        if row.startswith("+++ "):
            name = row[4:]
            current = None if name == "/dev/null" else lines.setdefault(
                name[2:] if name.startswith("b/") else name, set())
        elif row.startswith("@@") and current is not None:
            m = _HUNK.match(row)
            if m:
                start, count = int(m.group(1)), int(m.group(2) or "1")
                current.update(range(start, start + count))
    return {p: ls for p, ls in lines.items() if ls}


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


def blob_sizes(repo: Path, oids: Iterable[str]) -> dict[str, int]:
    """The size in bytes of many blobs, read by one `git cat-file --batch-check`."""
    wanted = list(dict.fromkeys(oids))
    if not wanted:
        return {}
    raw = git("cat-file", "--batch-check", cwd=repo, input="\n".join(wanted).encode() + b"\n")
    found = {}
    for line in raw.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] == "blob":  # "<oid> missing" has two
            found[parts[0]] = int(parts[2])
    return found


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


@contextmanager
def _scratch_index(repo: Path) -> Iterator[Path]:
    """The path of a throw-away index file, in a folder of gates' own under the git dir."""
    scratch = common_dir(repo) / "gates"
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        yield Path(tmp) / "index"


def export(repo: Path, tree: str, dest: Path, paths: Iterable[str] | None = None) -> Path:
    """Write `tree` (or some of its paths) into `dest` as plain files.

    A temporary index is used, so the user's index, work tree and stash are never
    touched, and `dest` carries no `.git` of its own.
    """
    dest.mkdir(parents=True, exist_ok=True)
    with _scratch_index(repo) as index:
        env = {"GIT_INDEX_FILE": str(index)}
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
    with _scratch_index(repo) as index:
        env = {"GIT_INDEX_FILE": str(index)}
        info = "".join(f"100644 {oid}\t{path}\0" for path, oid in blobs.items())
        git("update-index", "--add", "-z", "--index-info", cwd=repo, env=env, input=info.encode())
        git("checkout-index", "-a", "-f", f"--prefix={dest.resolve()}{os.sep}", cwd=repo, env=env)
    return dest


def write_tree(repo: Path, index_file: str | None = None) -> str:
    """The tree of the index (a copy of it: the index itself is never written)."""
    source = Path(index_file) if index_file else git_path(repo, "index")
    with _scratch_index(repo) as copy:
        if source.exists():
            copy.write_bytes(source.read_bytes())
        return out("write-tree", cwd=repo, env={"GIT_INDEX_FILE": str(copy)})
