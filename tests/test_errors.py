"""gates.errors: every error a user can cause derives from one base, and the CLI turns
that base into one line and exit 2 (never a traceback), whichever module raised it."""

from __future__ import annotations

from pathlib import Path

import pytest

from gates import cli, errors
from gates.apptest.app import AppNotConfigured
from gates.config import ConfigError
from gates.demo.cluster import DemoError
from gates.gate import GateError
from gates.git import GitError
from gates.guard.hooks import HookError
from gates.guard.notes import NoteError
from gates.matrix import PartError
from gates.subject import SubjectError
from tests.conftest import GitRepo

USER_CAUSED = [errors.UsageError, ConfigError, GitError, SubjectError, NoteError, HookError,
               DemoError, PartError]


@pytest.mark.parametrize("kind", USER_CAUSED, ids=lambda k: k.__name__)
def test_errors_a_user_can_fix_are_user_errors(kind: type[Exception]) -> None:
    assert issubclass(kind, errors.UserError)


@pytest.mark.parametrize("kind", [GateError, AppNotConfigured], ids=lambda k: k.__name__)
def test_a_gate_that_cannot_do_its_job_is_not_a_user_error(kind: type[Exception]) -> None:
    # a GateError ends as the gate's `error` status (it blocks), never as exit 2
    assert not issubclass(kind, errors.UserError)


def test_config_error_is_the_same_class_through_config_and_errors() -> None:
    assert ConfigError is errors.ConfigError


def one_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    code = cli.main(argv)
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return code, out.err


def test_usage_error_of_a_command_is_one_line_and_exit_2(
        repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = one_line(capsys, ["verdict", "--repo", str(repo.path)])
    assert (code, err) == (2, "gates: error: name a tree or commit, or --branch AGENT/TOPIC\n")


def test_a_damaged_note_is_one_line_and_exit_2(
        repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    tree = repo.git("rev-parse", "HEAD^{tree}")
    repo.git("notes", "--ref=gates", "add", "-m", "{not json", tree)
    code, err = one_line(capsys, ["verdict", "HEAD", "--repo", str(repo.path)])
    assert (code, err) == (2, f"gates: error: the gates note on tree {tree[:12]} is not JSON "
                              "(damaged)\n")


def test_bad_parts_of_collect_are_one_line_and_exit_2(
        repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parts = tmp_path / "parts"
    parts.mkdir()
    (parts / "verdict.json").write_text("{}")
    code, err = one_line(capsys, ["collect", str(parts), "--repo", str(repo.path)])
    assert code == 2 and err.startswith(f"gates: error: {parts / 'verdict.json'}: not a "
                                        "verdict.json of gates") and err.count("\n") == 1


def test_a_demo_folder_that_is_not_a_demo_is_one_line_and_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me\n")
    code, err = one_line(capsys, ["demo", str(tmp_path / "mine")])
    assert code == 2 and err == (f"gates: error: {tmp_path / 'mine'} exists and is not a gates "
                                 "demo: refusing to overwrite it\n")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me\n"


def test_outside_a_repository_is_one_line_and_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = one_line(capsys, ["cache", "info", "--repo", str(tmp_path)])
    assert (code, err) == (2, f"gates: error: not a git repository: {tmp_path.resolve()}\n")


def test_an_unknown_branch_is_one_line_and_exit_2(
        repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = one_line(capsys, ["verdict", "--branch", "nobody/nothing",
                                  "--repo", str(repo.path)])
    assert (code, err) == (2, "gates: error: unknown branch 'nobody/nothing'\n")
