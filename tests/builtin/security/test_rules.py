"""The bundled semgrep rules (gates/builtin/security/rules): their own unit tests, their metadata, and
what they report on two small realistic projects (one bad, one correct).

Self-contained: runs the real `semgrep` offline, with HOME and the settings file in a
scratch directory, and never asks the network (version check and metrics off).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from gates.builtin.security.semgrep import CLI_FLAGS

ROOT = Path(__file__).resolve().parents[3]
RULES_DIR = ROOT / "gates" / "builtin" / "security" / "rules"

# id -> (metadata.gates_severity, metadata.category)
RULES: dict[str, tuple[str, str]] = {
    "stripe-webhook-unverified": ("critical", "payment"),
    "payment-amount-from-client": ("critical", "payment"),
    "money-float-arithmetic": ("high", "payment"),
    "payment-error-leak": ("medium", "payment"),
    "payment-data-logged": ("medium", "payment"),
    "stripe-idempotency-missing": ("low", "payment"),
    "tls-verification-disabled": ("high", "auth"),
    "jwt-secret-fallback": ("high", "auth"),
    "jwt-unverified-decode": ("critical", "auth"),
    "jwt-without-expiry": ("low", "auth"),
    "password-plaintext-compare": ("high", "auth"),
}
# metadata.confidence (semgrep registry's scale): only high blocks by default
CONFIDENCE = {rid: "high" for rid in RULES} | {
    "stripe-idempotency-missing": "low", "jwt-without-expiry": "medium",
    # their precision on the real code of bench/rules_precision.py
    "money-float-arithmetic": "medium", "jwt-unverified-decode": "medium"}
SEMGREP_SEVERITY = {"critical": "ERROR", "high": "ERROR", "medium": "WARNING", "low": "INFO"}
# rule sub-folder -> (the rule's `languages`, extensions of its test targets)
LANGUAGE_DIRS: dict[str, tuple[list[str], set[str]]] = {
    "python": (["python"], {".py"}),
    "javascript": (["javascript", "typescript"], {".js", ".ts"}),
}
MIN_OK_CASES = 3  # per rule and language: correct code the rule must stay silent on
SEMGREP_TIMEOUT = 600  # seconds; `--test` runs one semgrep per rule file


# --- running semgrep ----------------------------------------------------------------


def semgrep_bin() -> str:
    beside_python = Path(sys.executable).with_name("semgrep")
    found = str(beside_python) if beside_python.exists() else shutil.which("semgrep")
    if not found:
        pytest.fail("semgrep is not installed: pip install -e '.[all]'")
    return found


def semgrep(args: list[str], *, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """One offline semgrep call. It writes ~/.semgrep, so HOME is a scratch directory."""
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        SEMGREP_SETTINGS_FILE=str(home / "settings.yml"),
        SEMGREP_ENABLE_VERSION_CHECK="0",
        SEMGREP_SEND_METRICS="off",
        NO_COLOR="1",
    )
    return subprocess.run(
        [semgrep_bin(), *args, "--disable-version-check", "--metrics=off"],
        cwd=cwd,
        env=env,
        text=True,
        capture_output=True,
        timeout=SEMGREP_TIMEOUT,
        check=False,
    )


@dataclass
class RuleTestRun:
    proc: subprocess.CompletedProcess[str]
    report: dict[str, Any] | None  # semgrep --test --json output; None when it crashed

    def failures(self) -> list[str]:
        """Everything that must make the rule tests fail. `semgrep --test` exits 0 when
        a rule file cannot even be loaded (it lands in config_with_errors), so the
        exit code alone is not enough."""
        out = [] if self.proc.returncode == 0 else [f"exit status {self.proc.returncode}"]
        if self.report is None:
            return [*out, f"no JSON report; stderr tail: {self.proc.stderr[-2000:]}"]
        out += [f"rule file errored: {e['filename']}" for e in self.report["config_with_errors"]]
        out += [f"rule file has no test target: {c}" for c in self.report["config_missing_tests"]]
        for config, result in self.report["results"].items():
            for check_id, check in result["checks"].items():
                if check["errors"]:
                    out.append(f"{config}: {check_id}: errors {check['errors']}")
                if not check["passed"]:
                    out.append(f"{config}: {check_id}: {json.dumps(check['matches'])}")
        return out


def run_rule_tests(rules_dir: Path, *, cwd: Path, home: Path) -> RuleTestRun:
    # absolute: semgrep takes a relative config path starting with r/, p/ or s/ for a
    # registry id and tries to download it
    proc = semgrep(["--test", "--strict", "--json", str(rules_dir.resolve())], cwd=cwd, home=home)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        report = None
    return RuleTestRun(proc, report)


def scan(
    config: Path, targets: list[str], *, cwd: Path, home: Path
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any] | None]:
    proc = semgrep(["scan", "--config", str(config), "--json", *targets], cwd=cwd, home=home)
    try:
        return proc, json.loads(proc.stdout)
    except json.JSONDecodeError:
        return proc, None


def short_id(check_id: str) -> str:
    """semgrep prefixes rule ids with the rule file's folders
    (gates.builtin.security.rules.python.stripe-webhook-unverified): the id is the last segment."""
    return check_id.rsplit(".", 1)[-1]


def rule_files() -> list[Path]:
    return sorted(p for p in RULES_DIR.rglob("*.yaml") if not p.name.startswith("."))


def targets_of(rule_file: Path) -> list[Path]:
    return sorted(
        p
        for p in rule_file.parent.iterdir()
        if p.name.split(".", 1)[0] == rule_file.stem and p.suffix in {".py", ".js", ".ts"}
    )


# --- 1. the rules' own unit tests and metadata -----------------------------------------


def test_both_semgrep_clis_report_the_same_on_every_rule_test(tmp_path: Path) -> None:
    """The gate runs the rules through semgrep's newer front end (osemgrep,
    `--experimental`), the rule tests above through the older: on every test target of
    every rule, both report the same findings, word for word, and no error."""
    targets = [str(t.relative_to(RULES_DIR)) for f in rule_files() for t in targets_of(f)]
    got = {}
    for cli, flags in CLI_FLAGS.items():
        proc = semgrep(["scan", *flags, "--json", "--no-git-ignore", "--disable-nosem",
                        "--config", str(RULES_DIR), *targets], cwd=RULES_DIR,
                       home=tmp_path / cli)
        report = json.loads(proc.stdout)
        assert report["errors"] == [] and report["skipped_rules"] == [], (cli, report["errors"])
        got[cli] = sorted(
            (short_id(r["check_id"]), r["path"], r["start"]["offset"], r["end"]["offset"],
             r["extra"]["message"], r["extra"]["severity"], json.dumps(r["extra"]["metadata"],
                                                                       sort_keys=True))
            for r in report["results"])
    assert len({p for _, p, *_ in got["pysemgrep"]}) == len(targets)  # each target matched
    assert got["osemgrep"] == got["pysemgrep"]


def test_rule_files_have_the_required_metadata() -> None:
    files = rule_files()
    by_id: dict[str, set[str]] = {}
    for path in files:
        folder = path.parent.name
        assert folder in LANGUAGE_DIRS, f"{path}: rules live in python/ or javascript/"
        languages, target_exts = LANGUAGE_DIRS[folder]
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert isinstance(doc, dict) and len(doc["rules"]) == 1, f"{path}: one rule per file"
        rule = doc["rules"][0]
        rid = rule["id"]
        assert rid == path.stem and rid in RULES, f"{path}: unexpected id {rid!r}"
        by_id.setdefault(rid, set()).add(folder)
        gates_severity, category = RULES[rid]
        meta = rule["metadata"]
        assert meta["gates_severity"] == gates_severity, path
        assert meta["category"] == category, path
        assert meta["confidence"] == CONFIDENCE[rid], path
        assert rule["severity"] == SEMGREP_SEVERITY[gates_severity], path
        assert rule["languages"] == languages, path
        assert len(rule["message"].split()) >= 15, f"{path}: say how to fix it"
        explanation = meta["explanation"]
        assert isinstance(explanation, str) and len(explanation.split()) >= 20, path
        assert "http" not in explanation.lower() and "www." not in explanation.lower(), path
        exts = {t.suffix for t in targets_of(path)}
        assert exts & target_exts and exts <= target_exts, f"{path}: test targets {exts}"
    assert by_id == {rid: set(LANGUAGE_DIRS) for rid in RULES}, "each rule in both languages"
    readme = (RULES_DIR / "README.md").read_text(encoding="utf-8")
    for rid in RULES:
        assert f"`{rid}`" in readme, f"README.md does not document {rid}"


def test_semgrep_rule_tests_pass_for_every_rule(tmp_path: Path) -> None:
    run = run_rule_tests(RULES_DIR, cwd=ROOT, home=tmp_path / "home")
    assert not run.failures(), "\n".join(run.failures())
    assert run.report is not None
    tested: dict[str, set[str]] = {}
    for config, result in run.report["results"].items():
        folder = Path(config).parent.name
        for check_id, check in result["checks"].items():
            tested.setdefault(check_id, set()).add(folder)
            # every target of the rule has findings it must report ...
            for target, lines in check["matches"].items():
                assert lines["expected_lines"], f"{target}: no `ruleid: {check_id}` case"
            exts = {Path(t).suffix for t in check["matches"]}
            assert exts == {t.suffix for t in targets_of(ROOT / config)}, config
            # ... and correct code it must stay silent on
            ok_cases = sum(
                t.read_text(encoding="utf-8").count(f"ok: {check_id}")
                for t in targets_of(ROOT / config)
            )
            assert ok_cases >= MIN_OK_CASES, f"{config}: only {ok_cases} `ok:` cases"
    assert tested == {rid: set(LANGUAGE_DIRS) for rid in RULES}


# --- 2. realistic projects -----------------------------------------------------------

BAD_PROJECT: dict[str, str] = {
    "app/__init__.py": "",
    "app/orders.py": """
        ORDERS: dict[str, dict[str, str]] = {}


        def mark_paid(order_id: str) -> None:
            ORDERS[order_id]["status"] = "paid"
        """,
    "app/main.py": """
        import json

        from fastapi import FastAPI, Request

        from app.orders import mark_paid

        app = FastAPI()


        @app.post("/webhooks/stripe")
        async def stripe_webhook(request: Request) -> dict:
            event = json.loads(await request.body())
            if event["type"] == "checkout.session.completed":
                session = event["data"]["object"]
                mark_paid(session["client_reference_id"])
            return {"received": True}
        """,
    "app/pricing.py": """
        \"\"\"GST for the checkout page: prices include 10% GST.\"\"\"


        def gst_exclusive(total: int) -> float:
            gst = float(total) * 0.1
            return round(gst, 2)


        def gst_inclusive(total: int) -> float:
            return total / 11
        """,
    "web/src/routes/pay.ts": """
        import { Router } from "express";
        import Stripe from "stripe";

        const stripe = new Stripe(process.env.STRIPE_SECRET_KEY as string);
        export const router = Router();

        router.post("/api/pay", async (req, res) => {
          const intent = await stripe.paymentIntents.create({ amount: req.body.amount, currency: "aud" });
          res.json({ clientSecret: intent.client_secret });
        });
        """,
}

# (file, a unique piece of the offending line, rule id)
BAD_EXPECTED: list[tuple[str, str, str]] = [
    ("app/main.py", "event = json.loads(await request.body())", "stripe-webhook-unverified"),
    ("app/pricing.py", "gst = float(total) * 0.1", "money-float-arithmetic"),
    ("app/pricing.py", "return total / 11", "money-float-arithmetic"),
    ("web/src/routes/pay.ts", "amount: req.body.amount", "payment-amount-from-client"),
    ("web/src/routes/pay.ts", "amount: req.body.amount", "stripe-idempotency-missing"),
]

GOOD_PROJECT: dict[str, str] = {
    "app/__init__.py": "",
    "app/orders.py": BAD_PROJECT["app/orders.py"],
    "app/main.py": """
        import logging
        import os

        import stripe
        from fastapi import FastAPI, HTTPException, Request

        from app.orders import mark_paid

        app = FastAPI()
        log = logging.getLogger(__name__)
        WEBHOOK_SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]


        @app.post("/webhooks/stripe")
        async def stripe_webhook(request: Request) -> dict:
            payload = await request.body()
            signature = request.headers.get("stripe-signature", "")
            try:
                event = stripe.Webhook.construct_event(payload, signature, WEBHOOK_SECRET)
            except (ValueError, stripe.error.SignatureVerificationError) as exc:
                log.warning("rejected webhook: %s", type(exc).__name__)
                raise HTTPException(status_code=400, detail="invalid signature") from exc
            log.info("stripe event %s %s", event["id"], event["type"])
            if event["type"] == "checkout.session.completed":
                session = event["data"]["object"]
                mark_paid(session["client_reference_id"])
            return {"received": True}
        """,
    "app/pricing.py": """
        \"\"\"GST for the checkout page: prices include 10% GST.\"\"\"

        from decimal import ROUND_HALF_UP, Decimal

        CENTS = Decimal("0.01")


        def gst_cents(total_cents: int) -> int:
            \"\"\"The GST in a GST-inclusive price, in whole cents, rounded half up.\"\"\"
            return (total_cents + 5) // 11


        def gst_amount(total: Decimal) -> Decimal:
            return (total / 11).quantize(CENTS, rounding=ROUND_HALF_UP)
        """,
    "app/checkout.py": """
        import stripe
        from fastapi import APIRouter
        from pydantic import BaseModel

        router = APIRouter()
        PRICES_CENTS = {"drill": 1500, "ladder": 2500}


        class CheckoutIn(BaseModel):
            sku: str
            quantity: int
            order_id: str


        @router.post("/api/checkout")
        def checkout(body: CheckoutIn) -> dict:
            amount_cents = PRICES_CENTS[body.sku] * body.quantity
            try:
                intent = stripe.PaymentIntent.create(
                    amount=amount_cents,
                    currency="aud",
                    idempotency_key=f"order-{body.order_id}",
                )
            except stripe.error.CardError as exc:
                return {"error": exc.user_message}
            return {"client_secret": intent.client_secret}
        """,
    "app/auth.py": """
        import hashlib
        import hmac
        import os
        from datetime import UTC, datetime, timedelta

        import jwt
        import requests

        JWT_SECRET = os.environ["JWT_SECRET"]


        def hash_password(password: str, salt: bytes) -> bytes:
            return hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)


        def check_password(password: str, salt: bytes, password_hash: bytes) -> bool:
            return hmac.compare_digest(hash_password(password, salt), password_hash)


        def issue_token(user_id: str) -> str:
            claims = {"sub": user_id, "exp": datetime.now(UTC) + timedelta(minutes=15)}
            return jwt.encode(claims, JWT_SECRET, algorithm="HS256")


        def read_token(token: str) -> dict:
            return jwt.decode(token, JWT_SECRET, algorithms=["HS256"])


        def fetch_jwks(url: str) -> dict:
            return requests.get(url, timeout=5).json()
        """,
    "web/src/routes/pay.ts": """
        import { Router } from "express";
        import Stripe from "stripe";

        function requireEnv(name: string): string {
          const value = process.env[name];
          if (!value) throw new Error(`${name} is not set`);
          return value;
        }

        const stripe = new Stripe(requireEnv("STRIPE_SECRET_KEY"));
        const PRICES_CENTS: Record<string, number> = { drill: 1500, ladder: 2500 };
        export const router = Router();

        router.post("/api/pay", async (req, res) => {
          const unitCents = PRICES_CENTS[req.body.sku];
          if (unitCents === undefined) {
            res.status(400).json({ error: "unknown product" });
            return;
          }
          const quantity = Number(req.body.quantity);
          const gstCents = Math.round((unitCents * quantity) / 11);
          try {
            const intent = await stripe.paymentIntents.create(
              { amount: unitCents * quantity, currency: "aud", metadata: { gstCents: String(gstCents) } },
              { idempotencyKey: `order-${req.body.orderId}` },
            );
            console.info("payment intent", intent.id, intent.status);
            res.json({ clientSecret: intent.client_secret });
          } catch (err) {
            console.error("payment failed", err);
            res.status(502).json({ error: "payment failed" });
          }
        });
        """,
    "web/src/auth.ts": """
        import bcrypt from "bcrypt";
        import jwt from "jsonwebtoken";

        const secret = process.env.JWT_SECRET;
        if (!secret) throw new Error("JWT_SECRET is not set");

        export function issue(userId: string): string {
          return jwt.sign({ sub: userId }, secret as string, { algorithm: "HS256", expiresIn: "15m" });
        }

        export function verify(token: string) {
          return jwt.verify(token, secret as string, { algorithms: ["HS256"] });
        }

        export async function login(password: string, user: { passwordHash: string }) {
          return bcrypt.compare(password, user.passwordHash);
        }
        """,
}


def write_project(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def line_of(root: Path, name: str, needle: str) -> int:
    lines = (root / name).read_text(encoding="utf-8").splitlines()
    hits = [n for n, line in enumerate(lines, start=1) if needle in line]
    assert len(hits) == 1, f"{needle!r} must occur once in {name}"
    return hits[0]


@dataclass
class ProjectScan:
    root: Path
    report: dict[str, Any]

    def findings(self, project: str) -> set[tuple[str, int, str]]:
        prefix = f"{project}/"
        return {
            (r["path"].removeprefix(prefix), r["start"]["line"], short_id(r["check_id"]))
            for r in self.report["results"]
            if r["path"].startswith(prefix)
        }

    def scanned(self, project: str) -> set[str]:
        prefix = f"{project}/"
        return {
            p.removeprefix(prefix) for p in self.report["paths"]["scanned"] if p.startswith(prefix)
        }


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProjectScan]:
    """Both projects, scanned by one semgrep call with only the bundled rules."""
    root = tmp_path_factory.mktemp("projects")
    write_project(root / "bad", BAD_PROJECT)
    write_project(root / "good", GOOD_PROJECT)
    proc, report = scan(RULES_DIR, ["bad", "good"], cwd=root, home=root / "home")
    assert report is not None, proc.stderr[-3000:]
    assert report["errors"] == [], report["errors"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    yield ProjectScan(root, report)


def test_bad_project_gets_exactly_the_expected_findings(projects: ProjectScan) -> None:
    assert projects.scanned("bad") >= {n for n in BAD_PROJECT if BAD_PROJECT[n]}
    expected = {
        (name, line_of(projects.root / "bad", name, needle), rid)
        for name, needle, rid in BAD_EXPECTED
    }
    assert projects.findings("bad") == expected


def test_good_project_has_no_findings(projects: ProjectScan) -> None:
    # every file was looked at, so "no findings" means something
    assert projects.scanned("good") >= {n for n in GOOD_PROJECT if GOOD_PROJECT[n]}
    assert projects.findings("good") == set()


# --- 3. a broken rule cannot pass silently -------------------------------------------

BROKEN_RULES = {
    "yaml-syntax": """
        rules:
          - id: broken-rule
            languages: [python
            severity: ERROR
            message: never loads
            pattern: eval(...)
        """,
    "bad-pattern": """
        rules:
          - id: broken-rule
            languages: [python]
            severity: ERROR
            message: the pattern does not parse
            pattern: stripe.PaymentIntent.create(amount=
        """,
}


@pytest.mark.parametrize("kind", sorted(BROKEN_RULES))
def test_a_rule_file_that_does_not_parse_is_reported(tmp_path: Path, kind: str) -> None:
    rules = tmp_path / "rules"
    write_project(
        rules,
        {
            "python/broken-rule.yaml": BROKEN_RULES[kind],
            "python/broken-rule.py": """
            import stripe

            # ruleid: broken-rule
            stripe.PaymentIntent.create(amount=100)
            """,
        },
    )
    # the way the security gate scans: an error, never a clean "0 findings"
    proc, report = scan(rules, ["python/broken-rule.py"], cwd=rules, home=tmp_path / "home")
    assert proc.returncode != 0 or (report is not None and report["errors"]), proc.stdout
    # the way test_semgrep_rule_tests_pass_for_every_rule checks the rules
    run = run_rule_tests(rules, cwd=tmp_path, home=tmp_path / "home")
    assert run.failures(), (run.proc.stdout, run.proc.stderr)
