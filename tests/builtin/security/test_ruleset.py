"""The bundled semgrep rules, found and merged (gates.builtin.security.ruleset)."""

from __future__ import annotations

import json
from pathlib import Path

from gates.builtin.security.ruleset import bundled_rules, distinct_ids, merged_rules

BUNDLED = {"stripe-webhook-unverified", "payment-amount-from-client", "money-float-arithmetic",
           "payment-error-leak", "payment-data-logged", "stripe-idempotency-missing",
           "tls-verification-disabled", "jwt-secret-fallback", "jwt-unverified-decode",
           "jwt-without-expiry", "password-plaintext-compare"}


def test_bundled_rules_are_every_rule_file_merged_without_losing_one(tmp_path: Path) -> None:
    import yaml

    files = bundled_rules()
    assert {p.stem for p in files} == BUNDLED, "gates/builtin/security/rules is incomplete"
    assert all(p.suffix in (".yaml", ".yml") for p in files)
    merged = merged_rules(files, tmp_path)
    # one config; an id that comes in several languages gets a numbered prefix, so no
    # front end of semgrep keeps one rule of two, and its last dotted segment is the name
    assert len(merged) == 1
    ids = [r["id"] for r in json.loads(merged[0].read_text())["rules"]]
    assert len(set(ids)) == len(ids)
    every = sorted(r["id"] for f in files for r in yaml.safe_load(f.read_text())["rules"])
    assert sorted(i.rsplit(".", 1)[-1] for i in ids) == every


def test_rule_ids_shared_by_two_configs_are_told(tmp_path: Path) -> None:
    """distinct_ids: false when two configs share an id or one is not a plain rules file
    (the security gate then runs semgrep's older front end, which tells them apart)."""
    rule = "rules:\n  - id: {}\n    languages: [python]\n    severity: ERROR\n" \
           "    message: m\n    pattern: eval(...)\n"
    a, b, c, odd = (tmp_path / n for n in ("a.yaml", "b.yaml", "c.yaml", "odd.yaml"))
    a.write_text(rule.format("no-eval"))
    b.write_text(rule.format("no-exec"))
    c.write_text(rule.format("no-eval"))
    odd.write_text("rules: [oops\n")
    merged = merged_rules(bundled_rules(), tmp_path / "bundled")
    assert distinct_ids([*merged, a, b])
    assert not distinct_ids([a, b, c])
    assert not distinct_ids([a, odd])
