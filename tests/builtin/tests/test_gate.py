"""The tests gate on real repos in tmp_path: real pytest under real coverage.py, the real
CLI for the verdicts (policy, cache)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gates.builtin.tests.gate import GATE
from gates.gate import GateError
from gates.model import Severity
from tests.conftest import GitRepo, run_gate, run_gates

pytestmark = pytest.mark.slow

PRICES = '''
def gst(total_cents: int) -> int:
    """GST included in a price: one eleventh, rounded half up."""
    return (total_cents * 2 + 11) // 22


def label(cents: int) -> str:
    return f"${cents // 100}.{cents % 100:02d}"
'''
TEST_PRICES = '''
from shop.prices import gst, label


def test_gst_is_one_eleventh_rounded_half_up():
    assert gst(1100) == 100
    assert gst(14900) == 1355


def test_label():
    assert label(14900) == "$149.00"
'''
FEATURE = '''
def discount(cents: int, member: bool) -> int:
    if member:
        return cents * 9 // 10
    return cents


def bulk(cents: int, n: int) -> int:
    if n >= 10:
        total = cents * n
        total -= total // 20
        return total
    return cents * n
'''


def shop(tmp_path: Path, config: str = "[gates.tests]\n", extra: dict[str, str] | None = None
         ) -> GitRepo:
    repo = GitRepo(tmp_path / "repo")
    repo.commit({"shop/__init__.py": "", "shop/prices.py": PRICES,
                 "tests/test_prices.py": TEST_PRICES, "gates.toml": config, **(extra or {})},
                "shop")
    return repo


def report_dir(repo: GitRepo, branch: str) -> Path:
    """The folder of the branch's latest run."""
    latest = json.loads((repo.path / "reports" / "latest.json").read_text())
    return repo.path / latest["branches"][branch]["report_dir"]


def verdict(repo: GitRepo, branch: str) -> dict:
    return json.loads((report_dir(repo, branch) / "verdict.json").read_text())


def gate_of(repo: GitRepo, branch: str) -> dict:
    [g] = [g for g in verdict(repo, branch)["gates"] if g["gate"] == "tests"]
    return g


def judge(repo: GitRepo, branch: str, *more: str) -> tuple[int, dict, str]:
    res = run_gates("run", "--branch", branch, "--gate", "tests", "--no-status", *more,
                    cwd=repo.path)
    return res.returncode, gate_of(repo, branch), res.stdout + res.stderr


def test_a_failing_test_blocks_naming_test_message_and_place(tmp_path: Path) -> None:
    repo = shop(tmp_path)
    repo.branch("ironwood/gst", {"shop/prices.py": PRICES.replace(
        "(total_cents * 2 + 11) // 22", "total_cents // 11")})
    code, gate, out = judge(repo, "ironwood/gst")
    assert code == 1, out
    assert gate["status"] == "fail"
    [f] = [f for f in gate["findings"] if f["blocking"]]
    assert f["rule"] == "test-failed" and f["new"] and f["severity"] == "high"
    assert f["extra"]["test"] == "tests/test_prices.py::test_gst_is_one_eleventh_rounded_half_up"
    assert f["path"] == "tests/test_prices.py" and f["line"] == 4  # the test's def
    assert "assert 1354 == 1355" in f["message"], f["message"]
    assert gate["metrics"]["tests"] == {"passed": 1, "failed": 1, "error": 0, "skipped": 0}
    summary = report_dir(repo, "ironwood/gst") / "summary.md"
    assert "python -m pytest tests/test_prices.py::test_gst_is_one_eleventh" in \
        summary.read_text()


def test_a_test_already_failing_on_the_base_does_not_block(tmp_path: Path) -> None:
    broken = TEST_PRICES.replace('== "$149.00"', '== "$149"')
    repo = shop(tmp_path, extra={"tests/test_prices.py": broken})
    repo.branch("walnut/docs", {"shop/more.py": "def one() -> int:\n    return 1\n",
                                "tests/test_more.py": "from shop.more import one\n\n\n"
                                "def test_one():\n    assert one() == 1\n"})
    code, gate, out = judge(repo, "walnut/docs")
    assert code == 0, out
    [f] = gate["findings"]
    assert f["extra"]["test"] == "tests/test_prices.py::test_label"
    assert not f["new"] and not f["blocking"] and "existing debt" in f["message"]
    assert gate["metrics"]["failing_on_base"] == ["tests/test_prices.py::test_label"]
    # the base's failures are remembered per base commit: a second branch runs no base suite
    repo.branch("walnut/two", {"README.md": "# shop\n"})
    code, gate, out = judge(repo, "walnut/two")
    assert code == 0, out
    assert not list((repo.path / "reports").glob("walnut__two/*/tests/base.log"))
    assert list((repo.path / "reports").glob("walnut__docs/*/tests/base.log"))


def test_coverage_below_the_threshold_blocks_and_names_the_uncovered_lines(tmp_path: Path
                                                                         ) -> None:
    repo = shop(tmp_path)
    only_member = ("from shop.feature import discount\n\n\n"
                   "def test_member():\n    assert discount(1000, True) == 900\n")
    repo.branch("acacia/discounts", {"shop/feature.py": FEATURE,
                                     "tests/test_feature.py": only_member})
    code, gate, out = judge(repo, "acacia/discounts")
    assert code == 1, out
    [f] = [f for f in gate["findings"] if f["blocking"]]
    assert f["rule"] == "new-code-uncovered" and f["path"] == "shop/feature.py"
    # line 2 (a branch never taken), 4 (its else) and 8-12 (bulk never called) are what to test next
    assert f["extra"]["ranges"] == "2, 4, 8-12", f["extra"]
    assert "below new_code_coverage 80 %" in f["message"]
    nc = gate["metrics"]["new_code"]
    assert nc["percent"] < 80 and nc["threshold"] == 80.0
    assert nc["uncovered"] == {"shop/feature.py": "2, 4, 8-12"}
    summary = report_dir(repo, "acacia/discounts") / "summary.md"
    assert "2, 4, 8-12" in summary.read_text()
    # testing the rest passes
    full = only_member.replace("import discount", "import bulk, discount") + ("\n\ndef test_rest():\n    assert discount(1000, False) == 1000\n"
                          "    assert bulk(100, 2) == 200\n    assert bulk(100, 10) == 950\n")
    repo.git("checkout", "-q", "acacia/discounts")
    repo.commit({"tests/test_feature.py": full}, "test the rest")
    repo.git("checkout", "-q", "main")
    code, gate, out = judge(repo, "acacia/discounts")
    assert code == 0, out
    assert gate["metrics"]["new_code"]["percent"] == 100.0 and gate["findings"] == []


def test_a_flaky_test_is_reported_not_blocking(tmp_path: Path) -> None:
    repo = shop(tmp_path)
    # fails the first time it runs in a tree, passes after: a mark file in the tree
    flaky = ('from pathlib import Path\n\n\ndef test_sometimes():\n'
             '    mark = Path("flaky-mark")\n    first = not mark.exists()\n    mark.touch()\n'
             '    assert not first, "first run fails"\n')
    repo.branch("walnut/flaky", {"tests/test_flaky.py": flaky})
    code, gate, out = judge(repo, "walnut/flaky")
    assert code == 0, out
    [f] = gate["findings"]
    assert f["rule"] == "flaky" and not f["blocking"] and f["severity"] == "info"
    assert "flaky" in f["message"] and gate["metrics"]["flaky"] == [
        "tests/test_flaky.py::test_sometimes"]


@pytest.mark.parametrize(("files", "why", "timeout"), [
    ({"tests/test_prices.py": "def helper():\n    pass\n"}, "no tests ran", 300),
    ({"tests/test_prices.py": "import shop.nowhere\n\n\ndef test_x():\n    pass\n"},
     "pytest could not run the tests (exit 2)", 300),
    ({"tests/test_prices.py": "import time\n\n\ndef test_slow():\n    time.sleep(600)\n"},
     "did not finish", 25),
])
def test_no_tests_a_collection_error_and_a_timeout_are_errors(
        tmp_path: Path, files: dict[str, str], why: str, timeout: int) -> None:
    repo = shop(tmp_path, f'[gates.tests]\ntimeout = {timeout}\n')
    repo.branch("walnut/x", files)
    code, gate, out = judge(repo, "walnut/x")
    assert code == 1, out
    assert gate["status"] == "error" and why in gate["reason"], gate["reason"]


def test_a_pass_of_the_same_tree_is_reused(tmp_path: Path) -> None:
    repo = shop(tmp_path)
    repo.branch("walnut/more", {"tests/test_more.py": "from shop.prices import label\n\n\n"
                                "def test_more():\n    assert label(5) == '$0.05'\n"})
    assert judge(repo, "walnut/more")[0] == 0
    code, gate, out = judge(repo, "walnut/more")
    assert code == 0, out
    assert "cached" in gate["metrics"], gate["metrics"]


def test_a_command_writing_junit_and_lcov(tmp_path: Path) -> None:
    """Another stack: any command that writes JUnit, and LCOV for coverage."""
    script = '''
import sys
from pathlib import Path
junit, lcov = sys.argv[1], sys.argv[2]
ok = "1" in Path("result.txt").read_text()
case = '<testcase classname="calc" name="adds" file="calc.test.js" line="3">' + (
    "" if ok else '<failure message="expected 2, got 3"/>') + "</testcase>"
Path(junit).write_text('<testsuites><testsuite name="js">' + case + "</testsuite></testsuites>")
Path(lcov).write_text("SF:src/calc.js\\nDA:1,1\\nDA:2,1\\nDA:3,0\\nDA:4,0\\nend_of_record\\n")
sys.exit(0 if ok else 1)
'''
    config = ('[gates.tests]\ncommand = ["python", "run_tests.py", "{junit}", "{coverage}"]\n'
              'new_code_coverage = 60\n')
    repo = GitRepo(tmp_path / "repo")
    repo.commit({"run_tests.py": script, "result.txt": "1", "gates.toml": config,
                 "src/calc.js": "a\nb\n"}, "js")
    repo.branch("walnut/js", {"src/calc.js": "a\nb\nc\nd\n", "result.txt": "0"})
    result = run_gate(repo, "walnut/js", GATE)
    tests = [f for f in result.findings if f.rule == "test-failed"]
    assert [f.message for f in tests] == ["calc.test.js::adds failed: expected 2, got 3"]
    [cov] = [f for f in result.findings if f.rule == "new-code-uncovered"]
    assert cov.path == "src/calc.js" and cov.extra["ranges"] == "3-4"
    assert cov.severity == Severity.HIGH  # 0 of 2 new lines covered


def test_app_true_without_an_app_is_an_error(tmp_path: Path) -> None:
    repo = shop(tmp_path, "[gates.tests]\napp = true\n")
    repo.branch("walnut/x", {"README.md": "x\n"})
    with pytest.raises(GateError, match=r"app = true, but no application is configured"):
        run_gate(repo, "walnut/x", GATE)
