"""Benchmark: the bundled semgrep rules on real code — precision, recall, match time.

1. Downloads the packages of bench/corpus.toml (PyPI through pip, npm through
   `npm pack`), checks each against its pinned sha256 and unpacks it into a cache
   outside the repository (GATES_BENCH_CACHE, default ~/.cache/gates-bench).
2. Runs semgrep with the bundled rules, as the security gate does, on the packages'
   code (role "correct") and on bench/shapes/ (correct code in the shapes of
   Stripe's official samples, written for this bench). Each finding is judged by the
   gate's own policy (gates.policy with the security gate's defaults, payment code
   told by gates.builtin.security.payment) and matched with its label in
   bench/rules_labels.toml (true: a real problem; false: a wrong finding).
3. Runs the rules on their own test targets (the planted holes, `ruleid:` lines):
   recall is the share of planted lines found.
4. Times each rule (`semgrep --time`): seconds of matching per 100 KB of code, on the
   biggest modules of a large package with no payment code (role "big") and on the
   payment code of the corpus, each rule against the bytes of its own language.

Usage: python bench/rules_precision.py [--no-time] [--jobs N] [--cli osemgrep|pysemgrep]
Prints tables; asserts nothing; no timing is a pass or fail anywhere.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import zipfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gates import policy  # noqa: E402
from gates.builtin.security.gate import Security  # noqa: E402
from gates.builtin.security.payment import is_payment_code  # noqa: E402
from gates.builtin.security.ruleset import bundled_rules, merged_rules  # noqa: E402
from gates.builtin.security.semgrep import CLI_FLAGS, parse_semgrep  # noqa: E402
from gates.gate import glob_match  # noqa: E402
from gates.model import Finding  # noqa: E402

RULES = ROOT / "gates" / "builtin" / "security" / "rules"
SHAPES = ROOT / "bench" / "shapes"
CORPUS = ROOT / "bench" / "corpus.toml"
LABELS = ROOT / "bench" / "rules_labels.toml"
CODE = {".py", ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx"}
BIN = Path(sys.executable).parent
TIMEOUT = 3600


def cache_dir() -> Path:
    return Path(os.environ.get("GATES_BENCH_CACHE") or Path.home() / ".cache" / "gates-bench")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch(pkg: dict[str, Any], cache: Path) -> Path:
    """The package unpacked under the cache (downloaded and checked once)."""
    dl = cache / "dl"
    dl.mkdir(parents=True, exist_ok=True)
    archive = dl / pkg["file"]
    if not archive.exists():
        if pkg["registry"] == "pypi":
            cmd = [str(BIN / "pip"), "download", "-q", "--no-deps", "-d", str(dl),
                   f"{pkg['name']}=={pkg['version']}"]
            if "-cp3" in pkg["file"]:  # a binary wheel: exactly the pinned one
                cmd += ["--only-binary=:all:", "--python-version", "3.11",
                        "--platform", "manylinux2014_x86_64", "--implementation", "cp"]
            subprocess.run(cmd, check=True, timeout=TIMEOUT)
        else:
            subprocess.run(["npm", "pack", "-q", f"{pkg['name']}@{pkg['version']}",
                            "--pack-destination", str(dl)], check=True, timeout=TIMEOUT,
                           stdout=subprocess.DEVNULL)
    got = sha256(archive)
    if got != pkg["sha256"]:
        archive.unlink()
        raise SystemExit(f"{pkg['file']}: sha256 {got} is not the pinned {pkg['sha256']}")
    dest = cache / "src" / f"{pkg['name'].replace('/', '__')}-{pkg['version']}"
    if not dest.exists():
        tmp = Path(tempfile.mkdtemp(dir=cache))
        if archive.suffix == ".whl":
            with zipfile.ZipFile(archive) as z:
                bad = [n for n in z.namelist() if n.startswith("/") or ".." in Path(n).parts]
                if bad:
                    raise SystemExit(f"{pkg['file']}: a member leaves the folder: {bad[0]}")
                z.extractall(tmp)  # nosec B202: every member checked above
        else:
            with tarfile.open(archive) as t:
                t.extractall(tmp, filter="data")
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp.rename(dest)
    return dest


def code_files(root: Path, include: list[str] | None = None,
               exclude: list[str] | None = None) -> list[Path]:
    def wanted(p: Path) -> bool:
        rel = p.relative_to(root).as_posix()
        return ((not include or glob_match(rel, include))
                and not glob_match(rel, exclude or []))

    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in CODE
                  and not p.name.endswith((".min.js", ".d.ts", ".map")) and wanted(p))


def semgrep(targets: list[Path], cwd: Path, *, jobs: int, timed: bool,
            cli: str = "pysemgrep") -> dict[str, Any]:
    """semgrep with the bundled rules on `targets`: as the security gate runs it with
    `cli` "osemgrep" (its default: the rules merged into one config, semgrep's newer
    front end); "pysemgrep" reads the rules' folder, whose ids `--time` reports with
    their language folder (what `match_times` needs)."""
    home = Path(tempfile.mkdtemp(prefix="semgrep-home-"))
    env = {**os.environ, "HOME": str(home), "SEMGREP_SETTINGS_FILE": str(home / "s.yml"),
           "SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}
    try:
        configs = merged_rules(bundled_rules(), home / "rules") if cli == "osemgrep" else [RULES]
        cmd = [str(BIN / "semgrep"), "scan", *CLI_FLAGS[cli], "--json", "--quiet",
               "--disable-version-check", "--metrics=off", "--no-git-ignore",
               "--disable-nosem", "--timeout", "30", "--jobs", str(jobs)]
        for c in configs:
            cmd += ["--config", str(c)]
        if timed:
            cmd.append("--time")
        cmd += ["--", *(str(t.relative_to(cwd)) for t in targets)]
        res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                             timeout=TIMEOUT)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    if res.returncode not in (0, 1):
        raise SystemExit(f"semgrep failed ({res.returncode}): {res.stderr[-800:]}")
    data: dict[str, Any] = json.loads(res.stdout)
    return data


def judged(data: dict[str, Any], cwd: Path) -> list[Finding]:
    """semgrep's findings, judged as the security gate judges them on a new branch."""
    findings, _ = parse_semgrep(json.dumps({**data, "errors": []}))
    cfg = {**GATE_DEFAULTS}
    paying: dict[str, bool] = {}
    for f in findings:
        path = f.path or ""
        if path not in paying:
            paying[path] = is_payment_code((cwd / path).read_text(encoding="utf-8",
                                                                  errors="replace"))
        if paying[path]:
            f.extra["payment_code"] = True
        f.blocking = policy.blocks(f, cfg)
    return findings


GATE_DEFAULTS: dict[str, Any] = dict(Security.defaults)


def planted_recall(jobs: int, cli: str) -> dict[str, tuple[int, int]]:
    """rule -> (planted `ruleid:` lines found, planted lines), on the rules' test targets."""
    targets = sorted(p for p in RULES.rglob("*") if p.suffix in {".py", ".js", ".ts"})
    data = semgrep(targets, RULES, jobs=jobs, timed=False, cli=cli)
    found = {(r["check_id"].rsplit(".", 1)[-1], r["path"], r["start"]["line"])
             for r in data["results"]}
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for t in targets:
        lines = t.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines, start=1):
            mark = line.strip().lstrip("#/ ").strip()
            if not mark.startswith("ruleid:"):
                continue
            rid = mark.split(":", 1)[1].strip()
            rel = str(t.relative_to(RULES))
            # the finding is on the next line that is not a comment
            j = i + 1
            while j <= len(lines) and lines[j - 1].strip().startswith(("#", "//")):
                j += 1
            out[rid][1] += 1
            out[rid][0] += (rid, rel, j) in found
    return {k: (v[0], v[1]) for k, v in out.items()}


def match_times(data: dict[str, Any]) -> tuple[dict[str, float], dict[str, int]]:
    """(rule -> seconds of matching, language folder -> bytes scanned in that language)
    from a `semgrep --time` report: a rule's time is read against its own language's
    bytes (a Python rule never runs on a .js file)."""
    t = data["time"]
    rules = [r.rsplit(".", 2)[-2] + "/" + r.rsplit(".", 1)[-1] for r in t["rules"]]
    spent: Counter[str] = Counter()
    size: Counter[str] = Counter()
    for target in t["targets"]:
        size["python" if target["path"].endswith(".py") else "javascript"] += int(
            target["num_bytes"])
        for i, s in enumerate(target["match_times"]):
            spent[rules[i]] += float(s)
    return dict(spent), dict(size)


def per_100kb(spent: dict[str, float], size: dict[str, int], rid: str) -> str:
    """A rule's seconds per 100 KB of its own language's code ("—": none scanned)."""
    n = size.get(rid.split("/", 1)[0], 0)
    return f"{spent.get(rid, 0) / n * 1e5:.3f}" if n else "—"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=1, help="semgrep jobs (1: comparable times)")
    ap.add_argument("--no-time", action="store_true", help="skip the match-time table")
    ap.add_argument("--cli", choices=sorted(CLI_FLAGS), default=Security.defaults["semgrep_cli"],
                    help="semgrep's front end for precision and recall (the gate's by "
                         "default); the match times always come from pysemgrep's --time")
    args = ap.parse_args()
    cache = cache_dir()
    corpus = tomllib.loads(CORPUS.read_text(encoding="utf-8"))["package"]
    labels: dict[str, dict[str, Any]] = tomllib.loads(
        LABELS.read_text(encoding="utf-8")).get("finding", {}) if LABELS.exists() else {}
    src = cache / "src"

    # 1-2. the correct code of the corpus, and the shapes of Stripe's samples
    correct: list[Path] = []
    big: list[Path] = []
    for pkg in corpus:
        where = fetch(pkg, cache)
        files = code_files(where, pkg.get("include"), pkg.get("exclude"))
        if pkg["role"] == "big":
            big += sorted(files, key=lambda p: p.stat().st_size)[-int(pkg.get("biggest", 5)):]
        else:
            correct += files
    shapes = code_files(SHAPES)
    data = semgrep(correct, src, jobs=args.jobs, timed=False, cli=args.cli)
    findings = judged(data, src)
    shape_findings = judged(semgrep(shapes, SHAPES, jobs=args.jobs, timed=False,
                                    cli=args.cli), SHAPES)

    rows: dict[str, Counter[str]] = defaultdict(Counter)
    unlabelled = []
    for f in findings:
        key = f"{f.path}:{f.line}:{f.rule}"
        row = rows[f.rule]
        row["findings"] += 1
        row["blocking"] += f.blocking
        label = labels.get(key)
        if label is None:
            unlabelled.append(key)
            row["unlabelled"] += 1
        else:
            row["true" if label["verdict"] else "false"] += 1
            row["blocking_false"] += f.blocking and not label["verdict"]
    recall = planted_recall(args.jobs, args.cli)
    kb = sum(p.stat().st_size for p in correct) / 1000
    print(f"corpus: {sum(1 for p in corpus if p['role'] == 'correct')} packages, "
          f"{len(correct)} files, {kb:.0f} KB; Stripe sample shapes: {len(shapes)} files\n")
    print("| rule | findings | blocking | labelled true | labelled false | precision | "
          "planted recall |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    ids = sorted(set(rows) | set(recall))
    for rid in ids:
        r = rows[rid]
        judged_n = r["true"] + r["false"]
        prec = f"{r['true'] / judged_n:.2f}" if judged_n else "—"
        got, planted = recall.get(rid, (0, 0))
        print(f"| `{rid}` | {r['findings']} | {r['blocking']} | {r['true']} | {r['false']} | "
              f"{prec} | {got}/{planted} |")
    tot = Counter[str]()
    for r in rows.values():
        tot.update(r)
    got_all = sum(g for g, _ in recall.values())
    planted_all = sum(p for _, p in recall.values())
    print(f"| all | {tot['findings']} | {tot['blocking']} | {tot['true']} | {tot['false']} | "
          f"{tot['true'] / max(1, tot['true'] + tot['false']):.2f} | {got_all}/{planted_all} |")
    blocking_true = sum(1 for f in findings if f.blocking
                        and labels.get(f"{f.path}:{f.line}:{f.rule}", {}).get("verdict"))
    print(f"\nblocking findings on the corpus labelled false (noise): {tot['blocking_false']}; "
          f"labelled true (real holes): {blocking_true}")
    print(f"blocking findings on the Stripe sample shapes: "
          f"{sum(f.blocking for f in shape_findings)} (of {len(shape_findings)} findings)")
    for f in shape_findings:
        print(f"  shapes: {f.rule} {f.path}:{f.line} blocking={f.blocking}")
    if unlabelled:
        print(f"\n{len(unlabelled)} finding(s) without a label in {LABELS.name}:")
        for key in unlabelled:
            print(f"  {key}")

    if args.no_time:
        return
    # 4. match time per rule and 100 KB, on big non-payment modules and on payment code
    spent_big, size_big = match_times(semgrep(big, src, jobs=1, timed=True))
    paying = [p for p in correct
              if is_payment_code(p.read_text(encoding="utf-8", errors="replace"))]
    spent_pay, size_pay = match_times(semgrep(paying, src, jobs=1, timed=True))

    def kb(size: dict[str, int]) -> str:
        return ", ".join(f"{lang} {n / 1000:.0f} KB" for lang, n in sorted(size.items()))

    print(f"\nmatch time, seconds per 100 KB of the rule's language (`semgrep --time`, one "
          f"job): {len(big)} big non-payment modules ({kb(size_big)}), {len(paying)} "
          f"payment files ({kb(size_pay)})\n")
    print("| rule | non-payment s/100 KB | payment s/100 KB |")
    print("|---|---:|---:|")
    for rid in sorted(set(spent_big) | set(spent_pay)):
        print(f"| `{rid}` | {per_100kb(spent_big, size_big, rid)} | "
              f"{per_100kb(spent_pay, size_pay, rid)} |")
    for lang in sorted(set(size_big) | set(size_pay)):
        every = f"{lang}/all"
        big_all = {every: sum(v for k, v in spent_big.items() if k.startswith(lang + "/"))}
        pay_all = {every: sum(v for k, v in spent_pay.items() if k.startswith(lang + "/"))}
        print(f"| all {lang} rules | {per_100kb(big_all, size_big, every)} | "
              f"{per_100kb(pay_all, size_pay, every)} |")

if __name__ == "__main__":
    main()
