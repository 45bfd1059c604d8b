"""The semgrep rules the security gate runs: the bundled payment-flow and auth rules
(`gates/builtin/security/rules/`), merged into one config because semgrep spends
most of its start-up on each config file, then the repo's own (`rules = [...]`),
read from the *base* tree so a branch cannot add, edit or drop its own rules.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gates import git
from gates.errors import ConfigError
from gates.gate import GateContext, GateError

RULES_DIR = Path(__file__).resolve().parent / "rules"


def bundled_rules() -> list[Path]:
    """Every rule file in gates/builtin/security/rules (the test targets beside them are not YAML)."""
    return sorted(p for p in RULES_DIR.rglob("*") if p.suffix in (".yaml", ".yml")
                  and p.is_file() and not {"tests", "test"} & set(p.relative_to(RULES_DIR).parts[:-1]))


_merged: dict[tuple[tuple[str, int], ...], str | None] = {}


def _rules_of(path: Path) -> list[Any] | None:
    """The rules of a plain rules file (JSON or YAML), None for anything else."""
    try:
        import yaml
    except ImportError:
        return None
    try:
        text = path.read_text(encoding="utf-8")
        doc = json.loads(text) if path.suffix == ".json" else load_yaml(text)
    except (OSError, ValueError, yaml.YAMLError):
        return None  # semgrep names the problem when it reads the file itself
    rules = doc.get("rules") if isinstance(doc, dict) else None
    if not isinstance(rules, list) or set(doc) != {"rules"} \
            or not all(isinstance(r, dict) for r in rules):
        return None
    return rules


def _merge(files: list[Path]) -> str | None:
    """The rules of `files` as one JSON config; None when a file is not a plain rules
    file. One id may come in several languages (a rule file each): semgrep keeps one
    rule per id in a config, so each further use of an id gets a numbered prefix
    (`1.jwt-secret-fallback`): gates reads a rule's name as the id's last dotted
    segment, as semgrep reports it whichever front end runs."""
    out: list[Any] = []
    uses: dict[str, int] = {}
    for f in files:
        rules = _rules_of(f)
        if rules is None:
            return None
        for rule in rules:
            rid = str(rule.get("id"))
            n = uses.get(rid, 0)
            uses[rid] = n + 1
            out.append({**rule, "id": f"{n}.{rid}" if n else rid})
    return json.dumps({"rules": out}, default=str)


def merged_rules(files: list[Path], into: Path) -> list[Path]:
    """The bundled rule files merged into one config: semgrep spends most of its
    start-up on each config file it loads (22 files: twice the time of 2)."""
    key = tuple((str(f), f.stat().st_mtime_ns) for f in files)
    if key not in _merged:
        _merged[key] = _merge(files)
    text = _merged[key]
    if text is None:
        return files
    p = into / "rules.json"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return [p]


def distinct_ids(configs: list[Path]) -> bool:
    """No rule id in two of `configs`, and each a plain rules file. semgrep's older
    front end tells such rules apart by the config's path, which it puts before the
    id; its newer one (osemgrep) does not prefix a config outside the folder it scans,
    and keeps one of the rules."""
    seen: set[str] = set()
    for c in configs:
        rules = _rules_of(c)
        if rules is None:
            return False
        ids = {str(r.get("id")) for r in rules}
        if ids & seen:
            return False
        seen |= ids
    return True


def load_yaml(text: str) -> Any:
    """PyYAML's safe loader, the C one when there is one (ten times faster)."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # nosec B506


def path_free(configs: list[Path]) -> bool:
    """No rule in `configs` looks at where a file is (`paths:`): then both sides of a
    merge can share one semgrep process, in numbered folders."""
    for c in configs:
        rules = _rules_of(c)
        if rules is None or any("paths" in r for r in rules):
            return False
    return True


CONFIDENCES = ("high", "medium", "low")  # semgrep registry's scale; only high blocks by default


def check_confidence(name: str, text: str) -> None:
    """ConfigError (one line, exit 2) when a rule of this rule file says a confidence
    that is not high, medium or low: policy could not tell whether it blocks."""
    try:
        doc = json.loads(text) if name.endswith(".json") else load_yaml(text)
    except ValueError:
        return  # semgrep names a file it cannot read when it loads it
    except Exception as e:  # yaml.YAMLError: the same
        if type(e).__module__.startswith("yaml"):
            return
        raise
    rules = doc.get("rules") if isinstance(doc, dict) else None
    for rule in rules if isinstance(rules, list) else []:
        meta = rule.get("metadata") if isinstance(rule, dict) else None
        said = meta.get("confidence") if isinstance(meta, dict) else None
        if said is not None and str(said).lower() not in CONFIDENCES:
            raise ConfigError(f"{name}: rule {rule.get('id')!r}: metadata.confidence "
                              f"{said!r} is not high, medium or low")


def rule_files(ctx: GateContext) -> tuple[list[Path], Callable[[str], str]]:
    """The semgrep configs: bundled, then the repo's own from the base tree."""
    ws = ctx.workspace
    merged = ws.scratch / "security-bundled"
    if ctx.config["bundled_rules"]:
        for f in bundled_rules():
            check_confidence(f"gates/builtin/security/rules/{f.relative_to(RULES_DIR)}",
                             f.read_text(encoding="utf-8"))
    configs = merged_rules(bundled_rules(), merged) if ctx.config["bundled_rules"] else []
    own = ws.scratch / "security-rules"
    for path in ctx.config["rules"]:
        rel = posixpath.normpath(str(path).strip().lstrip("/"))
        if rel.startswith("..") or not rel or rel == ".":
            raise GateError(f"gates.security.rules: {path!r} is not a path in the repo")
        text = git.show(ws.repo, ws.subject.base_commit, rel)
        if text is None:
            raise GateError(f"gates.security.rules: {rel} does not exist on "
                            f"{ws.subject.base}")
        check_confidence(rel, text)
        dest = own / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8")
        configs.append(dest)
    if not configs:
        raise GateError("no semgrep rules: " + (
            f"none found in {RULES_DIR} (a broken install?)" if ctx.config["bundled_rules"]
            else "bundled_rules is off and gates.security.rules is empty"))
    prefixes = [(str(own.resolve()) + "/", ""), (str(own) + "/", ""),
                (str(RULES_DIR) + "/", "gates/builtin/security/rules/")]
    bundled = re.compile("|".join(re.escape(str(d)) + r"/rules\.json"
                                  for d in {merged, merged.resolve()}))

    def show(text: str) -> str:
        """Scratch paths in semgrep's messages, as the repo and gates name them."""
        text = bundled.sub("the bundled rules (gates/builtin/security/rules)", text)
        for old, new in prefixes:
            text = text.replace(old, new)
        return text

    return configs, show
