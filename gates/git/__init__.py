"""The only door to git: nothing else in `gates` runs git. Callers write
`from gates import git` and `git.<name>`; the names live by idea in
`command` (running git, GitError, where a repository is), `trees` (trees and
blobs: read, diff, merge, export), `history` (commits, refs, notes, remotes) and
`worktree` (a work tree's files; init, commit, apply, switch)."""

from __future__ import annotations

from gates.git.command import (
    GIT_TIMEOUT,
    GitError,
    common_dir,
    config_value,
    git,
    git_path,
    out,
    toplevel,
    version,
)
from gates.git.history import (
    NOTES_IDENTITY,
    ZERO,
    add_note,
    branches,
    check_ref_name,
    fetch_ref,
    head_branch,
    is_ancestor,
    merge_base,
    merge_notes,
    note,
    notes,
    object_id,
    object_type,
    parents,
    push_ref,
    refs,
    refs_at,
    resolve_branch,
    rev,
)
from gates.git.trees import (
    EMPTY_TREE,
    Change,
    MergeResult,
    ShallowClone,
    added_lines,
    blob_ids,
    blob_sizes,
    blobs,
    diff,
    export,
    export_blobs,
    merge_tree,
    show,
    show_file,
    tree_of,
    write_tree,
)
from gates.git.worktree import apply, commit_all, commit_files, files, init, switch

__all__ = [
    "EMPTY_TREE", "GIT_TIMEOUT", "NOTES_IDENTITY", "ZERO", "Change", "GitError",
    "MergeResult", "ShallowClone", "add_note", "added_lines", "apply", "blob_ids", "blob_sizes", "blobs", "branches",
    "check_ref_name", "commit_all", "commit_files", "common_dir", "config_value",
    "diff", "export", "export_blobs", "fetch_ref", "files", "git", "git_path",
    "head_branch", "init", "is_ancestor", "merge_base", "merge_notes", "merge_tree",
    "note", "notes", "object_id", "object_type", "out", "parents", "push_ref", "refs",
    "refs_at", "resolve_branch", "rev", "show", "show_file", "switch", "toplevel",
    "tree_of", "version", "write_tree",
]
