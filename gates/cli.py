"""Argument parsing only; each subcommand is one function in gates.commands."""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import traceback
from collections.abc import Sequence

from gates import __version__, proc
from gates.errors import UserError

EXIT_PASS, EXIT_BLOCKED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--repo", default=".", metavar="DIR",
                   help="the repository (default: the one around the current folder)")
    p.add_argument("--base", default=None,
                   help="the base branch (default: from the config, else main)")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gates",
        description="Quality gates for repositories where several coding agents work "
                    "side by side. Exit codes: 0 pass, 1 blocked, 2 usage or config error, "
                    "3 internal error.",
    )
    p.add_argument("--version", action="version", version=f"gates {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run the gates on branches and publish the verdicts",
                         description="Run the gates on what a branch would merge.")
    _common(run)
    which = run.add_mutually_exclusive_group(required=True)
    which.add_argument("--branch", action="append", metavar="AGENT/TOPIC",
                       help="a branch to judge (repeatable)")
    which.add_argument("--all", action="store_true",
                       help="every branch of the configured agents")
    run.add_argument("--gate", metavar="NAMES", help="only these gates (comma-separated)")
    run.add_argument("--jobs", "-j", type=int, default=0,
                     help="gates run at once (default: the config, else the CPU count)")
    run.add_argument("--no-status", action="store_true",
                     help="do not write the coordination files (reports only)")
    run.add_argument("--commit", action="store_true",
                     help="commit the coordination files (and nothing else)")
    run.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    run.add_argument("--fresh", action="store_true",
                     help="test the app again even where this exact tree already passed "
                          "(per-file scans still come from the content cache)")
    run.set_defaults(func="run")

    status = sub.add_parser("status", help="the latest verdict of every branch")
    _common(status)
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(func="status")

    report = sub.add_parser("report", help="rebuild the HTML dashboard (reports/index.html)",
                            description="Rebuild the static HTML dashboard from the reports "
                                        "on disk; `gates run` updates it after every run.")
    _common(report)
    report.set_defaults(func="report")

    demo = sub.add_parser("demo", help="build the sample cluster and judge its branches",
                          description="Build a sample repo (a tool-library app and three "
                                      "agent branches) and run every gate on it.")
    demo.add_argument("dir", nargs="?", default="gates-demo",
                      help="where to build it (default: ./gates-demo)")
    demo.add_argument("--gate", metavar="NAMES", help="only these gates (comma-separated)")
    demo.set_defaults(func="demo")

    doctor = sub.add_parser("doctor", help="can each enabled gate run here? (and the fix)",
                            description="One line per enabled gate: its tools and their "
                                        "versions, node/npx, a Chromium, the [app] command "
                                        "starting and answering its health check, the OpenAPI "
                                        "document, each user logging in. Exit 1 when a gate "
                                        "cannot run.")
    _common(doctor)
    doctor.add_argument("--gate", metavar="NAMES", help="only these gates (comma-separated)")
    doctor.set_defaults(func="doctor")

    warm = sub.add_parser(
        "warm", help="scan the base's files ahead of the branches (the base side paid once)",
        description="Scan, for every per-file gate (lint, security, secrets), the files the "
                    "base changed since --since (every file without it) that the result "
                    "cache lacks, so that every branch's run finds the base's side scanned. "
                    "Run it on each push to the base.")
    _common(warm)
    warm.add_argument("--since", metavar="COMMIT",
                      help="only the files the base changed since this commit (the previous "
                           "push's tip)")
    warm.add_argument("--gate", metavar="NAMES", help="only these gates (comma-separated)")
    warm.add_argument("--jobs", "-j", type=int, default=0,
                      help="tool runs at once (default: the config, else the CPU count)")
    warm.add_argument("--quiet", "-q", action="store_true", help="no summary line")
    warm.set_defaults(func="warm")

    cache = sub.add_parser("cache", help="show or clear the result cache")
    cache.add_argument("action", choices=["info", "clear"])
    cache.add_argument("--repo", default=".", metavar="DIR")
    cache.set_defaults(func="cache")
    _merge_guard(sub)
    return p


def _merge_guard(sub: argparse._SubParsersAction) -> None:
    """The merge guard, its records and hooks, CI across runners, `gates init`."""
    guard = sub.add_parser(
        "guard", help="may this land on the protected branch? (git hooks, CI)",
        description="Allow a merge, fast-forward, push or pull request into the protected "
                    "branch only when its exact tree carries a passing verdict. Exit 0 "
                    "allowed, 1 refused. GATES_OVERRIDE=\"reason\" lets it through, recorded.")
    _common(guard)
    guard.add_argument("targets", nargs="*", metavar="REV",
                       help="commits or trees to check (default HEAD, in CI $GITHUB_SHA); "
                            "with --hook: the hook's own arguments")
    guard.add_argument("--hook", choices=["pre-merge-commit", "reference-transaction",
                                          "pre-push"], help="called as this git hook")
    guard.add_argument("--pre-commit", action="store_true",
                       help="called by the pre-commit framework (pre-merge-commit, pre-push)")
    guard.add_argument("--ci", action="store_true",
                       help="in CI: check a pull request's merge commit, annotate the job")
    guard.set_defaults(func="guard")

    verdict = sub.add_parser("verdict", help="the verdict record on a tree or commit",
                             description="Print the verdict record (refs/notes/gates) on a "
                                         "tree; a commit stands for its tree. Exit 0 when it "
                                         "passed, 1 otherwise.")
    _common(verdict)
    verdict.add_argument("target", nargs="?", metavar="TREE-OR-COMMIT")
    verdict.add_argument("--branch", metavar="AGENT/TOPIC",
                         help="the tree merging this branch into the base would produce")
    verdict.add_argument("--json", action="store_true", help="print the record as JSON")
    verdict.set_defaults(func="verdict")

    notes = sub.add_parser("notes", help="push or fetch the verdict records (refs/notes/gates)")
    notes.add_argument("action", choices=["push", "fetch"])
    notes.add_argument("remote", nargs="?", default="origin")
    notes.add_argument("--repo", default=".", metavar="DIR")
    notes.set_defaults(func="notes")

    hooks = sub.add_parser("hooks", help="install or remove the merge guard's git hooks",
                           description="pre-merge-commit, reference-transaction and pre-push "
                                       "hooks that call `gates guard`; hooks already there "
                                       "are kept and run first; uninstall removes only ours.")
    hooks.add_argument("action", choices=["install", "uninstall"])
    hooks.add_argument("--repo", default=".", metavar="DIR")
    hooks.set_defaults(func="hooks")

    plan = sub.add_parser("plan", help="the CI matrix: branch x gate",
                          description="Print the jobs of a distributed run, one per branch "
                                      "and gate (GitHub Actions: strategy.matrix). Without "
                                      "--branch/--all, the branch of the GitHub event.")
    _common(plan)
    which = plan.add_mutually_exclusive_group()
    which.add_argument("--branch", action="append", metavar="AGENT/TOPIC")
    which.add_argument("--all", action="store_true", help="every branch of the configured agents")
    plan.add_argument("--gate", metavar="NAMES", help="only these gates (comma-separated)")
    plan.add_argument("--json", action="store_true", help='print {"include": [...]} as JSON')
    plan.set_defaults(func="plan")

    collect = sub.add_parser("collect", help="merge per-gate results into one verdict",
                             description="Merge the reports of per-gate jobs (folders holding "
                                         "verdict.json files) into one verdict per branch and "
                                         "publish it like `gates run`.")
    _common(collect)
    collect.add_argument("parts", nargs="+", metavar="DIR")
    collect.add_argument("--no-status", action="store_true",
                         help="do not write the coordination files")
    collect.set_defaults(func="collect")

    static = sub.add_parser("static", help="lint, security and secrets on the staged files",
                            description="The static gates on the staged version of FILES "
                                        "(default: every staged file), new findings against "
                                        "HEAD. For pre-commit's pre-commit stage.")
    _common(static)
    static.add_argument("files", nargs="*", metavar="FILE")
    static.add_argument("--gate", metavar="NAMES", default="lint,security,secrets",
                        help="the gates (default: lint,security,secrets)")
    static.set_defaults(func="static")

    init = sub.add_parser("init", help="set up gates in a repository",
                          description="Write a starter gates.toml, a .pre-commit-config.yaml "
                                      "entry and the GitHub Actions workflows; never "
                                      "overwrites a file without --force.")
    init.add_argument("--repo", default=".", metavar="DIR")
    init.add_argument("--force", action="store_true", help="overwrite files that exist")
    init.set_defaults(func="init")


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if not getattr(args, "func", None):
        p.print_help()
        return EXIT_USAGE
    if getattr(args, "jobs", 0) < 0:
        p.error("--jobs must be 0 or more")
    module = importlib.import_module(f"gates.commands.{args.func}")
    signal.signal(signal.SIGTERM, _terminate)
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        # started with Ctrl-C ignored (a background job of a script): ignore it still,
        # but through a handler, so that what gates starts (in sessions of its own, out
        # of the terminal's reach) gets the default back at exec; a test runner or a
        # server that stops itself with SIGINT hangs when it is ignored
        signal.signal(signal.SIGINT, _ignore)
    try:
        return int(module.main(args))
    except UserError as e:  # bad arguments, config, branch …: one line, exit 2
        print(f"gates: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as e:  # a folder we must write to is not writable, a disk is full …
        proc.shut_down()
        where = f": {e.filename}" if e.filename else ""
        print(f"gates: error: cannot write{where}: {e.strerror or e}", file=sys.stderr)
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        proc.shut_down()
        print("gates: interrupted; every process it started was stopped", file=sys.stderr)
        return 130
    except Exception as e:  # fail closed: never a pass, one line, details on request
        proc.shut_down()
        print(f"gates: internal error: {type(e).__name__}: {e}", file=sys.stderr)
        if os.environ.get("GATES_DEBUG"):
            traceback.print_exc()
        else:
            print("gates: set GATES_DEBUG=1 to see the traceback", file=sys.stderr)
        return EXIT_INTERNAL


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _ignore(signum: int, frame: object) -> None:
    """SIGINT, for a gates that was started with it ignored."""
