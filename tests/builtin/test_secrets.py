from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from gates import proc
from gates.builtin.secrets import GATE, secret_files, slug
from gates.gate import GateError
from gates.model import Finding, Severity
from tests.conftest import GitRepo, gate_context, run_gate, run_gates

# fake, but shaped like the real thing (a live key is 107 characters today)
STRIPE_LIVE = "sk_live_51PqRsTuVwXyZaBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789aBcDeFgHiJkLmNoPqRsTuVwXy"
AWS_KEY = "AKIAZ7QW3RTY5UIO2PLK"
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gR"
       "G9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
DB_PASSWORD = "Zq8vT2mWx9Lp"
PRIVATE_KEY = ("-----BEGIN RSA PRIVATE KEY-----\n"
               "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
               "-----END RSA PRIVATE KEY-----\n")
VALUES = [STRIPE_LIVE, AWS_KEY, JWT, DB_PASSWORD, "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0t"]


def sha1(s: str) -> str:
    return hashlib.sha1(s.encode()).hexdigest()


def by_rule(findings: list[Finding]) -> dict[tuple[str, str | None, int | None], Finding]:
    return {(f.rule, f.path, f.line): f for f in findings}


@pytest.fixture(scope="module")
def leaky(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    """main has an old AWS key in app/legacy.py; ironwood/leaky commits a handful more."""
    root = tmp_path_factory.mktemp("secrets")
    r = GitRepo(root / "repo")
    r.commit({"app/__init__.py": "", "app/legacy.py": f'AWS = "{AWS_KEY}"\nTIMEOUT = 3\n'},
             "init")
    outside = root / "outside.txt"
    outside.write_text(f"STRIPE = '{STRIPE_LIVE}'\n")
    r.branch("ironwood/leaky", {
        "app/legacy.py": f'AWS = "{AWS_KEY}"\nTIMEOUT = 5\n',  # the key is existing debt
        "app/settings.py": f"""
            import os

            STRIPE_SECRET = "{STRIPE_LIVE}"
            SESSION = "{JWT}"  # pragma: allowlist secret
            DATABASE_URL = "postgres://app:{DB_PASSWORD}@db.internal:5432/toollib"
            SECRET = os.environ.get("TOOLLIB_SECRET", "")
            """,
        "deploy/id_rsa": PRIVATE_KEY,
        ".env": "TOOLLIB_JWT_SECRET=changeme\n",
        "config/.env.production": "DEBUG=0\n",
        ".env.example": "TOOLLIB_JWT_SECRET=\n",
        "deploy/id_rsa.pub": "ssh-rsa AAAAB3NzaC1yc2E agent@cluster\n",
    }, "IRONWOOD: settings")
    # a link to a file outside the tree: never followed
    r.git("checkout", "-q", "ironwood/leaky")
    os.symlink(outside, r.path / "app" / "linked.py")
    r.git("add", "app/linked.py")
    r.git("commit", "-q", "-m", "link")
    r.git("checkout", "-q", "main")
    return r


def test_finds_each_kind_with_type_line_and_hash_never_the_value(leaky: GitRepo) -> None:
    result = run_gate(leaky, "ironwood/leaky", GATE)
    got = by_rule(result.findings)
    stripe = got[("stripe-live-key", "app/settings.py", 3)]
    assert stripe.severity == Severity.CRITICAL and stripe.new
    assert stripe.extra == {"hash": sha1(STRIPE_LIVE), "sensitive": True}
    assert "Stripe Live Key" in stripe.message
    # the allowlist pragma of detect-secrets does not hide it: only audited suppressions do
    assert got[("json-web-token", "app/settings.py", 4)].severity == Severity.HIGH
    assert got[("basic-auth-credentials", "app/settings.py", 5)].extra["hash"] == sha1(DB_PASSWORD)
    assert got[("private-key", "deploy/id_rsa", 1)].severity == Severity.CRITICAL
    # one finding per secret: the high-entropy plugins do not repeat the specific ones
    assert [k for k in got if k[1] == "app/settings.py"] == [
        ("stripe-live-key", "app/settings.py", 3), ("json-web-token", "app/settings.py", 4),
        ("basic-auth-credentials", "app/settings.py", 5)]
    # the key that main already has is existing debt
    aws = got[("aws-access-key", "app/legacy.py", 1)]
    assert not aws.new and aws.severity == Severity.HIGH
    # nothing read through the symlink
    assert not [f for f in result.findings if f.path == "app/linked.py"]
    for f in result.findings:
        assert not any(v in json.dumps(f.to_json()) for v in VALUES), f
    assert result.metrics["tools"]["detect-secrets"]
    assert result.metrics["by_type"]["secret-file-committed"] == 3


def test_secret_bearing_files_are_findings_of_their_own(leaky: GitRepo) -> None:
    result = run_gate(leaky, "ironwood/leaky", GATE)
    files = {f.path for f in result.findings if f.rule == "secret-file-committed"}
    assert files == {".env", "config/.env.production", "deploy/id_rsa"}
    env = next(f for f in result.findings if f.path == ".env")
    assert env.severity == Severity.HIGH and env.new and env.line is None


@pytest.mark.parametrize(("path", "flagged"), [
    (".env", True), ("app/.env.local", True), (".env.example", False), (".env.sample", False),
    ("certs/server.pem", True), ("tls/server.key", True), ("home/.ssh/id_rsa", True),
    ("home/.ssh/id_rsa.pub", False), ("id_ed25519", True), ("secrets/db.txt", True),
    ("deploy/secrets/token", True), ("stripe_key.txt", True), ("certs/client.p12", True),
    ("app/secrets.py", False), ("docs/keys.md", False), ("app/environment.py", False),
])
def test_secret_file_names(path: str, flagged: bool) -> None:
    cfg = GATE.defaults
    assert bool(secret_files([path], cfg["files"], cfg["allowed_files"])) is flagged


def test_slug() -> None:
    assert slug("Base64 High Entropy String") == "base64-high-entropy-string"
    assert slug("AWS Access Key") == "aws-access-key"


def test_missing_tool_and_unknown_plugin_fail(tmp_path: Path) -> None:
    r = GitRepo(tmp_path / "repo")
    r.commit({"gates.toml": '[gates.secrets]\ndetect_secrets = "detect-secrets-not-installed"\n'},
             "init")
    r.branch("walnut/x", {"app/x.py": "X = 1\n"})
    with gate_context(r, "walnut/x", GATE) as ctx, pytest.raises(proc.ToolMissing):
        GATE.run(ctx)
    r.commit({"gates.toml": '[gates.secrets]\nplugins = ["StripeDetector", "NoSuchDetector"]\n'},
             "plugins")
    with gate_context(r, "walnut/x", GATE) as ctx, pytest.raises(GateError, match="NoSuchDetector"):
        GATE.run(ctx)


def test_no_report_holds_a_secret_value(leaky: GitRepo) -> None:
    res = run_gates("run", "--branch", "ironwood/leaky", "--gate", "secrets", cwd=leaky.path)
    assert res.returncode == 1, res.stdout + res.stderr
    for v in VALUES:
        assert v not in res.stdout + res.stderr
    report = leaky.path / json.loads(leaky.read("reports/latest.json"))["branches"][
        "ironwood/leaky"]["report_dir"]
    written = [report / n for n in ("verdict.json", "summary.md", "findings.sarif", "junit.xml")]
    written += sorted(leaky.path.glob("*.md"))  # CLUSTER_ISSUES.md, the status files
    assert (leaky.path / "CLUSTER_ISSUES.md") in written
    for p in written:
        text = p.read_text(encoding="utf-8", errors="replace")
        for v in VALUES:
            assert v not in text, f"{v[:10]}… leaked into {p}"
    issues = leaky.read("CLUSTER_ISSUES.md")
    assert "Stripe Live Key" in issues and "app/settings.py:3" in issues


def test_the_dashboard_shows_no_secret_line(leaky: GitRepo) -> None:
    """Every other file the run writes (the HTML dashboard shows source excerpts):
    a finding marked `sensitive` must never be shown with its line."""
    res = run_gates("run", "--branch", "ironwood/leaky", "--gate", "secrets", cwd=leaky.path)
    assert res.returncode == 1, res.stdout + res.stderr
    for p in (leaky.path / "reports").rglob("*"):
        if p.is_file():
            text = p.read_text(encoding="utf-8", errors="replace")
            leaked = [v[:10] for v in VALUES if v in text]
            assert not leaked, f"{leaked} leaked into {p.relative_to(leaky.path)}"


# shaped like the key an agent once wrote into its status file: an upper-case dashed token
MARKDOWN_KEY = "7KQ2M9X-PL4RZ8T-WN3HB6Y-CD5FJ1A"


def test_a_labelled_credential_in_markdown_is_found_without_its_value(tmp_path: Path) -> None:
    """A key written into prose (a coordination file, docs) is found, even when the
    gate's `exclude` would skip Markdown; its value is in no report the run writes."""
    r = GitRepo(tmp_path / "repo")
    r.commit({"gates.toml": '[gates.secrets]\nexclude = ["*.md"]\n', "app.py": "X = 1\n"}, "init")
    r.branch("walnut/status", {
        "AGENT_STATUS_WALNUT.md": "# AGENT STATUS: walnut\n\n## Progress\n\n"
                                  f"- deployed the billing service\n- **API Key**: {MARKDOWN_KEY}\n",
        "docs/setup.md": "Set the token in the environment: `export TOKEN=...`.\n"
                         "The password is stored in the vault, never here.\n",
    }, "WALNUT: status")
    res = run_gates("run", "--branch", "walnut/status", "--gate", "secrets", "--no-status",
                    cwd=r.path)
    assert res.returncode == 1, res.stdout + res.stderr
    assert MARKDOWN_KEY not in res.stdout + res.stderr
    verdict = json.loads(r.read("reports/latest.json"))["branches"]["walnut/status"]
    found = [(b["rule"], b["location"]) for b in verdict["blocking"]]
    assert found == [("labelled-credential", "AGENT_STATUS_WALNUT.md:6")], found
    for p in (r.path / "reports").rglob("*"):
        if p.is_file():
            assert MARKDOWN_KEY not in p.read_text(encoding="utf-8", errors="replace"), p
    report = r.path / verdict["report_dir"] / "verdict.json"
    assert sha1(MARKDOWN_KEY) in report.read_text(encoding="utf-8")  # the hash, to rotate it


def test_a_big_module_is_read_as_the_lines_its_base_lacks_with_the_same_new_findings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past one scan part, a changed source file is first read as the lines its base
    lacks (gates.line_delta): nothing there, nothing new; a key there, both whole
    sides judge it. detect-secrets reports a value once per file, at its first line:
    a second copy of the base's key is not new."""
    from gates import scan

    body = "".join(f"def handler_{i}(request):\n    return render(request, 'page_{i}.html')\n\n"
                   for i in range(900))  # ~60 KB of ordinary code
    r = GitRepo(tmp_path / "repo")
    old = f'AWS = "{AWS_KEY}"\n'
    r.commit({"app/views.py": old + body}, "init")
    edited = old + body.replace("page_7.html", "page_seven.html")
    r.branch("ironwood/keys", {"app/views.py": edited + f'STRIPE = "{STRIPE_LIVE}"\n'}, "keys")
    r.branch("walnut/copy", {"app/views.py": edited + old}, "the old key once more")
    r.branch("acacia/code", {"app/views.py": edited}, "code only")
    last = body.count("\n") + 1

    def judged(branch: str) -> list[tuple[str, int | None, bool]]:
        return sorted((f.rule, f.line, f.new) for f in run_gate(r, branch, GATE).findings)

    by_line = {b: judged(b) for b in ("ironwood/keys", "walnut/copy", "acacia/code")}
    monkeypatch.setattr(scan, "PART_BYTES", 10**9)  # every base side is "small": both whole
    whole = {b: judged(b) for b in by_line}
    assert whole == {
        "ironwood/keys": [("aws-access-key", 1, False), ("stripe-live-key", last + 1, True)],
        "walnut/copy": [("aws-access-key", 1, False)],
        "acacia/code": [("aws-access-key", 1, False)]}
    # where the lines added hold a key, the same verdict and findings; where they hold
    # none, nothing (the base's own key is not reported)
    assert by_line == {**whole, "acacia/code": []}
