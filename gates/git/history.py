"""Commits and refs: resolving names, branches, ancestry, what points where, the
verdict notes (refs/notes/gates) and fetching or pushing one ref."""

from __future__ import annotations

from pathlib import Path

from gates.git.command import GitError, git, out

ZERO = "0" * 40
# notes commits are written by gates, whoever runs it (CI has no user.name)
NOTES_IDENTITY = {"GIT_AUTHOR_NAME": "gates", "GIT_AUTHOR_EMAIL": "gates@localhost",
                  "GIT_COMMITTER_NAME": "gates", "GIT_COMMITTER_EMAIL": "gates@localhost"}


def rev(repo: Path, name: str) -> str | None:
    """The commit a name points at, or None."""
    res = git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{name}^{{commit}}",
              cwd=repo, ok=(0, 1, 128))
    return res.stdout.strip() or None if res.returncode == 0 else None


def object_id(repo: Path, name: str) -> str | None:
    res = git("rev-parse", "--verify", "--quiet", "--end-of-options", name, cwd=repo,
              ok=(0, 1, 128))
    return res.stdout.strip() or None if res.returncode == 0 else None


def object_type(repo: Path, name: str) -> str | None:
    res = git("cat-file", "-t", "--end-of-options", name, cwd=repo, ok=(0, 1, 128))
    return res.stdout.strip() or None if res.returncode == 0 else None


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


def head_branch(repo: Path) -> str | None:
    """The full ref HEAD points at (refs/heads/main), None when detached."""
    res = git("symbolic-ref", "-q", "HEAD", cwd=repo, ok=(0, 1, 128))
    return res.stdout.strip() or None if res.returncode == 0 else None


def refs(repo: Path, *patterns: str) -> dict[str, str]:
    raw = out("for-each-ref", "--format=%(refname) %(objectname)", *patterns, cwd=repo)
    return dict(line.split(" ", 1) for line in raw.splitlines() if " " in line)


def refs_at(repo: Path, commit: str, *patterns: str) -> list[str]:
    """Refs under `patterns` (refs/heads …) that point at `commit`."""
    raw = out("for-each-ref", "--format=%(refname)", f"--points-at={commit}", *patterns,
              cwd=repo)
    return raw.splitlines()


def merge_base(repo: Path, a: str, b: str) -> str | None:
    res = git("merge-base", a, b, cwd=repo, ok=(0, 1))
    return res.stdout.strip() or None


def is_ancestor(repo: Path, a: str, b: str) -> bool:
    return git("merge-base", "--is-ancestor", a, b, cwd=repo, ok=(0, 1, 128)).returncode == 0


def parents(repo: Path, commit: str) -> list[str]:
    return out("rev-list", "--parents", "-n", "1", commit, cwd=repo).split()[1:]


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
