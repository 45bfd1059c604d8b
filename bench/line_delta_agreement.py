"""Benchmark: the secrets gate's line-by-line reading against both whole sides, on real code.

A big changed source file is first read by detect-secrets as only the lines its base
lacks (gates.line_delta); both whole sides only where those hold a secret. This bench
measures, on real code nobody here wrote, whether that reading ever judges a branch
otherwise than reading both whole sides (the gate's way before it, and still its way
for small files), and what it saves.

Real code: pairs of consecutive releases of public packages (wheels from PyPI, pinned by
file name and sha256, downloaded at bench time into ~/.cache/gates-bench/line-delta/,
never committed). For each pair, a repository whose main is the older release, with
branches against it:

- `walnut/release`: the whole release diff, every file the newer release changes;
- `acacia/f<i>`: one of the `--files` biggest changed source files alone, as the newer
  release has it (an agent's branch that edits one big module);
- `ironwood/k<i>`: the same file with one line added in its middle that holds a key
  made up at bench time (a long Stripe live key or an AWS access key id, alternating).

Each branch is judged twice by `gates run --gate secrets`, each time from an empty
cache: as the gate ships, and with the line reading off (both whole sides). Printed per
pair: branches, new findings under each reading, how many of them only one reading has,
verdicts that differ, findings listed as existing (the line reading does not list the
base's secrets of a file whose added lines hold none), planted keys found, and the
median time of a branch under each reading. No timing or rate is asserted anywhere.

Usage: python bench/line_delta_agreement.py [--pairs moto,stripe,...] [--files 6]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gates.scan import PART_BYTES  # noqa: E402  (from this base side up: the line reading)

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "gates-bench" \
    / "line-delta"

# name -> (older, newer): (pip requirement, wheel file, sha256)
PAIRS: dict[str, tuple[tuple[str, str, str], tuple[str, str, str]]] = {
    "moto": (("moto==5.0.21", "moto-5.0.21-py3-none-any.whl",
              "1235b2ae3666459c9cc44504a5e73d35f4959b45e5876b2f6df2e5f4889dfb4f"),
             ("moto==5.0.22", "moto-5.0.22-py3-none-any.whl",
              "defae32e834ba5674f77cbbe996b41dc248dd81289af8032fa3e847284409b29")),
    "stripe": (("stripe==11.3.0", "stripe-11.3.0-py2.py3-none-any.whl",
                "9d2e86943e1e4f325835d3860c4f58aa98d49229c9caf67588f9f9b2451e8e56"),
               ("stripe==11.4.0", "stripe-11.4.0-py2.py3-none-any.whl",
                "a53e510e14fbaad45e4161c1d47bbc8fae052daa51f965ecf0c171ad6719dd1c")),
    "sqlalchemy": (("sqlalchemy==2.0.35", "SQLAlchemy-2.0.35-py3-none-any.whl",
                    "2ab3f0336c0387662ce6221ad30ab3a5e6499aab01b9790879b6578fd9b8faa1"),
                   ("sqlalchemy==2.0.36", "SQLAlchemy-2.0.36-py3-none-any.whl",
                    "fddbe92b4760c6f5d48162aef14824add991aeda8ddadb3c31d56eb15ca69f8e")),
    "django": (("django==5.1.3", "Django-5.1.3-py3-none-any.whl",
                "8b38a9a12da3ae00cb0ba72da985ec4b14de6345046b1e174b1fd7254398f818"),
               ("django==5.1.4", "Django-5.1.4-py3-none-any.whl",
                "236e023f021f5ce7dee5779de7b286565fdea5f4ab86bae5338e3f7b69896cf0")),
    "twilio": (("twilio==9.3.7", "twilio-9.3.7-py2.py3-none-any.whl",
                "7d5d05140530f0eaf60d6a810c88da443cb2e6aad18a0830e4cb0ccd7b338d30"),
               ("twilio==9.3.8", "twilio-9.3.8-py2.py3-none-any.whl",
                "fce1f629295285d583dbe1d615f114a77aab25a654ba569bb18d304d31e9ca3b")),
}
# the gate with its line reading off: every file judged on both whole sides
WHOLE = ("import runpy, gates.builtin.secrets as s; s.reads_lines_alone = lambda path: False; "
         "runpy.run_module('gates', run_name='__main__', alter_sys=True)")


def fetch(requirement: str, wheel: str, sha256: str) -> Path:
    path = CACHE / wheel
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        "--only-binary", ":all:", "--platform", "any", "--python-version",
                        "3.11", "-d", str(CACHE), requirement], check=True, timeout=1800)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha256:
        raise SystemExit(f"{path}: sha256 {digest}, expected {sha256}")
    return path


def files_of(wheel: Path) -> dict[str, bytes]:
    """The wheel's files but its metadata (whose RECORD lists every file's hash)."""
    with zipfile.ZipFile(wheel) as z:
        return {n: z.read(n) for n in z.namelist()
                if ".dist-info/" not in n and not n.endswith("/")}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.email=bench@gates", "-c", "user.name=bench",
                           *args], cwd=repo, check=True, capture_output=True, text=True,
                          timeout=600).stdout


def write(repo: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_bytes(data)


def branch(repo: Path, name: str, files: dict[str, bytes]) -> None:
    git(repo, "checkout", "-q", "-b", name, "main")
    write(repo, files)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", name)
    git(repo, "checkout", "-q", "main")


def made_up_key(i: int, rnd: random.Random) -> tuple[str, str]:
    """(line, rule) of a key made up here: never a real one."""
    if i % 2:
        key = "AKIA" + "".join(rnd.choices(string.ascii_uppercase + string.digits, k=16))
        return f'    legacy_access_key_id = "{key}"\n', "aws-access-key"
    key = "sk_live_" + "".join(rnd.choices(string.ascii_letters + string.digits, k=99))
    return f'STRIPE_API_KEY = "{key}"\n', "stripe-live-key"


def plant(data: bytes, line: str) -> bytes:
    lines = data.decode("utf-8").splitlines(keepends=True)
    mid = len(lines) // 2
    return "".join([*lines[:mid], line, *lines[mid:]]).encode("utf-8")


@dataclass
class Judged:
    status: str
    new: set[tuple[str, str, int | None, str]] = field(default_factory=set)
    existing: int = 0
    took: float = 0.0


def judge(repo: Path, name: str, whole: bool) -> Judged:
    subprocess.run([sys.executable, "-m", "gates", "cache", "clear", "--repo", str(repo)],
                   cwd=repo, check=True, capture_output=True, timeout=120)
    head = [sys.executable, "-c", WHOLE] if whole else [sys.executable, "-m", "gates"]
    t0 = time.perf_counter()
    res = subprocess.run([*head, "run", "--branch", name, "--gate", "secrets", "--no-status",
                          "--quiet"], cwd=repo, capture_output=True, text=True, timeout=1800,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    took = time.perf_counter() - t0
    if res.returncode not in (0, 1):
        raise SystemExit(f"{name}: gates exited {res.returncode}\n{res.stdout}{res.stderr}")
    index = json.loads((repo / "reports" / "latest.json").read_text())["branches"][name]
    verdict = json.loads((repo / index["report_dir"] / "verdict.json").read_text())
    gate = next(g for g in verdict["gates"] if g["gate"] == "secrets")
    out = Judged(gate["status"], took=took)
    for f in gate["findings"]:
        if f["new"]:
            out.new.add((f["rule"], f["path"], f["line"], f["extra"].get("hash", "")))
        else:
            out.existing += 1
    return out


def bench_pair(name: str, n_files: int, where: Path) -> Row:
    old, new = (files_of(fetch(*side)) for side in PAIRS[name])
    changed = [p for p in new if p in old and old[p] != new[p]]
    big = sorted((p for p in changed if p.endswith(".py") and len(old[p]) >= PART_BYTES),
                 key=lambda p: -len(old[p]))[:n_files]
    repo = where / name
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write(repo, {**old, ".gitignore": b"reports/\n"})
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", f"{PAIRS[name][0][0]}")
    branch(repo, "walnut/release", {p: d for p, d in new.items() if old.get(p) != d})
    rnd = random.Random(name)
    planted: dict[str, str] = {}
    for i, p in enumerate(big):
        branch(repo, f"acacia/f{i}", {p: new[p]})
        line, rule = made_up_key(i, rnd)
        branch(repo, f"ironwood/k{i}", {p: plant(new[p], line)})
        planted[f"ironwood/k{i}"] = rule
    names = ["walnut/release", *(f"acacia/f{i}" for i in range(len(big))), *planted]
    row = Row(name, len(names), len(changed))
    for k, b in enumerate(names):
        order = (False, True) if k % 2 else (True, False)  # alternate: load hits both alike
        got = {whole: judge(repo, b, whole) for whole in order}
        row.add(b, got[False], got[True], planted.get(b))
    return row


@dataclass
class Row:
    pair: str
    branches: int
    changed: int
    new_lines: int = 0
    new_whole: int = 0
    only_lines: int = 0
    only_whole: int = 0
    verdicts_differ: int = 0
    existing_lines: int = 0
    existing_whole: int = 0
    planted: int = 0
    planted_found: int = 0
    t_lines: list[float] = field(default_factory=list)
    t_whole: list[float] = field(default_factory=list)

    def add(self, branch: str, lines: Judged, whole: Judged, planted: str | None) -> None:
        self.new_lines += len(lines.new)
        self.new_whole += len(whole.new)
        self.only_lines += len(lines.new - whole.new)
        self.only_whole += len(whole.new - lines.new)
        self.verdicts_differ += lines.status != whole.status
        self.existing_lines += lines.existing
        self.existing_whole += whole.existing
        self.t_lines.append(lines.took)
        self.t_whole.append(whole.took)
        if planted is not None:
            self.planted += 1
            self.planted_found += any(f[0] == planted for f in lines.new)
        for f in sorted(lines.new ^ whole.new, key=str):
            side = "lines only" if f in lines.new else "whole only"
            print(f"  {self.pair} {branch}: {side}: {f[0]} {f[1]}:{f[2]}", flush=True)

    def line(self) -> str:
        tl, tw = statistics.median(self.t_lines), statistics.median(self.t_whole)
        return (f"{self.pair:12}{self.branches:>9}{self.changed:>8}{self.new_lines:>11}"
                f"{self.new_whole:>6}{self.only_lines:>11}{self.only_whole:>11}"
                f"{self.verdicts_differ:>11}{self.existing_lines:>16}{self.existing_whole:>6}"
                f"{f'{self.planted_found}/{self.planted}':>14}{tl:>16.2f}{tw:>7.2f}"
                f"{tl / tw:>7.2f}×")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", default=",".join(PAIRS), help="comma-separated: " + ",".join(PAIRS))
    ap.add_argument("--files", type=int, default=6,
                    help="the biggest changed source files of a pair, each a branch alone")
    args = ap.parse_args()
    wanted = [p for p in args.pairs.split(",") if p]
    unknown = [p for p in wanted if p not in PAIRS]
    if unknown:
        ap.error(f"unknown pair(s) {', '.join(unknown)}; known: {', '.join(PAIRS)}")
    where = Path(tempfile.mkdtemp(prefix="bench-line-delta-"))
    rows = []
    try:
        for name in wanted:
            rows.append(bench_pair(name, args.files, where))
            print(f"  {name}: done", flush=True)
    finally:
        shutil.rmtree(where, ignore_errors=True)
    head = (f"{'pair':12}{'branches':>9}{'changed':>8}{'new: lines':>11}{'whole':>6}"
            f"{'only lines':>11}{'only whole':>11}{'verdicts ≠':>11}{'existing: lines':>16}"
            f"{'whole':>6}{'planted found':>14}{'s/branch: lines':>16}{'whole':>7}{'ratio':>7}")
    print(head)
    for r in rows:
        print(r.line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
