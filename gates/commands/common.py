"""What every command needs: the repository, its trusted config, the gates."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gates import config as config_mod
from gates import git, registry
from gates.config import Config, ConfigError
from gates.subject import SubjectError

DEFAULT_BASES = ("main", "master")


@dataclass
class Repo:
    root: Path
    config: Config
    gates: registry.Registry


def open_repo(path: str | Path = ".", base: str | None = None) -> Repo:
    """The repo around `path`, with the config read from its base branch."""
    root = git.toplevel(Path(path))
    reg = registry.load()
    cfg = trusted_config(root, reg, base)
    return Repo(root, cfg, reg.declare(cfg))  # and the gates the config declares


def trusted_config(root: Path, reg: registry.Registry | None, base: str | None) -> Config:
    """The base's config. Without `reg` gate sections are not checked against the
    installed gates (no gate is imported: the merge guard runs in git hooks)."""
    candidates = [base] if base else list(DEFAULT_BASES)
    for name in candidates:
        found = git.resolve_branch(root, name)
        if found is None:
            continue
        cfg = _at(root, found[1], name, reg)
        cfg.base_commit = found[1]
        configured = cfg["base"]
        if base is None and configured != name:
            again = git.resolve_branch(root, configured)
            if again is None:
                raise SubjectError(f"base branch {configured!r} (from {cfg.source}) does not exist")
            cfg = _at(root, again[1], configured, reg)
            cfg.base_commit = again[1]
        if base:
            cfg.values["base"] = base
        return cfg
    if base:
        raise SubjectError(f"base branch {base!r} does not exist")
    if git.rev(root, "HEAD") is None:
        raise SubjectError("the repository has no commits yet")
    raise SubjectError("no base branch: neither 'main' nor 'master' exists (use --base)")


def _at(root: Path, commit: str, label: str, reg: registry.Registry | None) -> Config:
    try:
        return config_mod.load(lambda p: git.show(root, commit, p), label,
                               reg.defaults if reg is not None else None)
    except ConfigError:
        raise
