"""The semgrep rules the security gate runs: the bundled payment-flow and auth rules
(`gates/builtin/security/rules/`), merged into a few configs because semgrep spends
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


_merged: dict[tuple[tuple[str, int], ...], list[str] | None] = {}


def _merge(files: list[Path]) -> list[str] | None:
    """The rules of `files` as few JSON configs as their ids allow (semgrep keeps one
    rule per id in a config); None when a file is not a plain rules file."""
    try:
        import yaml
    except ImportError:
        return None
    buckets: list[tuple[set[str], list[Any]]] = []
    for f in files:
        try:
            doc = load_yaml(f.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            return None  # semgrep names the problem when it reads the file itself
        rules = doc.get("rules") if isinstance(doc, dict) else None
        if not isinstance(rules, list) or set(doc) != {"rules"}:
            return None
        ids = {str(r.get("id")) for r in rules if isinstance(r, dict)}
        for seen, out in buckets:
            if not seen & ids:
                seen |= ids
                out.extend(rules)
                break
        else:
            buckets.append((ids, list(rules)))
    return [json.dumps({"rules": rules}, default=str) for _, rules in buckets]


def merged_rules(files: list[Path], into: Path) -> list[Path]:
    """The bundled rule files merged into a few configs: semgrep spends most of its
    start-up on each config file it loads (22 files: twice the time of 2)."""
    key = tuple((str(f), f.stat().st_mtime_ns) for f in files)
    if key not in _merged:
        _merged[key] = _merge(files)
    texts = _merged[key]
    if texts is None:
        return files
    out = []
    for i, text in enumerate(texts):
        # a folder each: semgrep prefixes rule ids with the config's folder and keeps
        # one rule per prefixed id, so two configs side by side would lose rules
        p = into / str(i) / "rules.json"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        out.append(p)
    return out


def load_yaml(text: str) -> Any:
    """PyYAML's safe loader, the C one when there is one (ten times faster)."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # nosec B506


def path_free(configs: list[Path]) -> bool:
    """No rule in `configs` looks at where a file is (`paths:`): then both sides of a
    merge can share one semgrep process, in numbered folders."""
    try:
        import yaml
    except ImportError:
        return False
    for c in configs:
        try:
            text = c.read_text(encoding="utf-8")
            doc = json.loads(text) if c.suffix == ".json" else load_yaml(text)
        except (OSError, ValueError, yaml.YAMLError):
            return False
        rules = doc.get("rules") if isinstance(doc, dict) else None
        if not isinstance(rules, list) or any(
                not isinstance(r, dict) or "paths" in r for r in rules):
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
    bundled = re.compile("|".join(re.escape(str(d)) + r"/\d+/rules\.json"
                                  for d in {merged, merged.resolve()}))

    def show(text: str) -> str:
        """Scratch paths in semgrep's messages, as the repo and gates name them."""
        text = bundled.sub("the bundled rules (gates/builtin/security/rules)", text)
        for old, new in prefixes:
            text = text.replace(old, new)
        return text

    return configs, show
