"""The errors a user can cause and fix: bad arguments, a bad config, an unknown branch.

`UserError` is the one base the CLI catches: it prints `gates: error: <message>`
(one line, never a traceback) and exits 2. Errors of this kind are raised
anywhere below the CLI (config, git, the merge guard's records and hooks, the
demo), so this module imports nothing: every module may depend on it, and no
command has to import `gates.cli` to raise one.

`UsageError` (bad arguments) and `ConfigError` (a bad policy) live here; the
others are defined next to the code that raises them and derive from `UserError`
(`gates.git.GitError`, `gates.subject.SubjectError`, `gates.guard.notes.NoteError`,
`gates.guard.hooks.HookError`, `gates.demo.cluster.DemoError`,
`gates.matrix.PartError`).
"""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix: its message is one line for the user, exit 2."""


class UsageError(UserError):
    """Bad arguments a user can fix: one line, exit 2."""


class ConfigError(UserError):
    """Bad config: the message names file, key and problem."""
