"""Running git: the one function that starts it (a scrubbed environment, a timeout,
one-line errors), GitError, and where a repository is (its top level, git dir, paths)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from gates import proc
from gates.errors import UserError

GIT_TIMEOUT = 120.0
# GIT_* variables that a hook environment sets and that would point our plumbing
# at the wrong index or work tree are dropped (as pre-commit's no_git_env does).
_KEEP_GIT_VARS = frozenset(
    {"GIT_EXEC_PATH", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_SSL_CAINFO", "GIT_SSL_NO_VERIFY",
     "GIT_CONFIG_COUNT", "GIT_HTTP_PROXY_AUTHMETHOD", "GIT_ALLOW_PROTOCOL", "GIT_ASKPASS"}
)


class GitError(UserError):
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


def toplevel(cwd: str | os.PathLike[str]) -> Path:
    res = git("rev-parse", "--show-toplevel", cwd=cwd, ok=(0, 128))
    if res.returncode != 0 or not res.stdout.strip():
        raise GitError(f"not a git repository: {Path(cwd).resolve()}")
    return Path(res.stdout.strip())


def common_dir(repo: Path) -> Path:
    return (repo / out("rev-parse", "--git-common-dir", cwd=repo)).resolve()


def git_path(repo: Path, name: str) -> Path:
    """`git rev-parse --git-path` (hooks honours core.hooksPath), absolute."""
    return (repo / out("rev-parse", "--git-path", name, cwd=repo)).resolve()


def version(cwd: Path) -> tuple[int, ...]:
    raw = out("version", cwd=cwd).split()[2]
    return tuple(int(p) for p in raw.split(".")[:3] if p.isdigit())


def config_value(repo: Path, key: str) -> str | None:
    res = git("config", "--get", key, cwd=repo, ok=(0, 1))
    return res.stdout.strip() or None
