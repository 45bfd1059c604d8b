"""A work tree: its files, and changing it (init, commit, apply a patch, switch
branch) — for the sample cluster and the committed coordination files."""

from __future__ import annotations

from pathlib import Path

from gates.git.command import git, out


def files(repo: Path) -> list[str]:
    """Tracked files and untracked ones that are not ignored."""
    raw = out("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=repo)
    return sorted(set(filter(None, raw.split("\0"))))


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


def apply(folder: Path, patch: Path) -> None:
    """Apply a unified diff to the files of `folder` (a work tree or a plain folder)."""
    git("apply", "--whitespace=nowarn", str(patch.resolve()), cwd=folder)


def switch(repo: Path, branch: str, create_from: str | None = None) -> None:
    if create_from is None:
        git("checkout", "-q", branch, cwd=repo)
    else:
        git("checkout", "-q", "-b", branch, create_from, cwd=repo)
