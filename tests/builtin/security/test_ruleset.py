"""The bundled semgrep rules, found and merged (gates.builtin.security.ruleset)."""

from __future__ import annotations

import json
from pathlib import Path

from gates.builtin.security.ruleset import bundled_rules, merged_rules

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
    # one rule id may come in several languages: never twice in one config
    assert 1 <= len(merged) < len(files)
    ids = [[r["id"] for r in json.loads(p.read_text())["rules"]] for p in merged]
    assert all(len(set(i)) == len(i) for i in ids)
    every = sorted(r["id"] for f in files for r in yaml.safe_load(f.read_text())["rules"])
    assert sorted(i for group in ids for i in group) == every
