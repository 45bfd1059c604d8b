"""Test integrity through the tests gate on real repos: the base's tests run against the
branch's code, a conftest hook that rewrites failures, audited suppressions — real
pytest, the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builtin.tests.test_gate import PRICES, TEST_PRICES, judge, shop
from tests.tampering import failure_hiding_conftest

pytestmark = pytest.mark.slow

TRUNCATE = PRICES.replace("(total_cents * 2 + 11) // 22", "total_cents // 11")
FITTED = TEST_PRICES.replace("assert gst(14900) == 1355", "assert gst(14900) == 1354")

def test_a_test_edited_to_fit_the_code_is_caught_with_the_assertion_diff(tmp_path: Path
                                                                        ) -> None:
    repo = shop(tmp_path)
    repo.branch("ironwood/gst", {"shop/prices.py": TRUNCATE, "tests/test_prices.py": FITTED})
    code, gate, out = judge(repo, "ironwood/gst")
    assert code == 1, out
    [f] = [f for f in gate["findings"] if f["blocking"]]
    assert f["rule"] == "tamper-test-changed" and f["severity"] == "high"
    assert "tests/test_prices.py::test_gst_is_one_eleventh_rounded_half_up as the base has it " \
        "fails against the branch's code" in f["message"]
    assert "the branch's version passes" in f["message"]
    assert "-    assert gst(14900) == 1355" in f["extra"]["detail"]
    assert "+    assert gst(14900) == 1354" in f["extra"]["detail"]
    # the branch's own suite is green: without the base's tests this would have passed
    assert gate["metrics"]["tests"]["failed"] == 0


def test_a_suppression_with_a_reason_lets_a_legitimate_change_through_and_is_audited(
        tmp_path: Path) -> None:
    config = ('[gates.tests]\n\n[[suppress]]\nrule = "tamper-test-changed"\n'
              'path = "tests/test_prices.py"\nreason = "GST now truncates: ATO ruling 2026/4, '
              'agreed with finance"\nowner = "MAINTAINER"\nuntil = 2099-12-31\n')
    repo = shop(tmp_path, config)
    repo.branch("ironwood/gst", {"shop/prices.py": TRUNCATE, "tests/test_prices.py": FITTED})
    code, gate, out = judge(repo, "ironwood/gst")
    assert code == 0, out
    [f] = gate["findings"]
    assert f["rule"] == "tamper-test-changed" and not f["blocking"]
    assert f["extra"]["suppressed"]["reason"].startswith("GST now truncates")
    [record] = gate["metrics"]["suppressions"]
    assert record["owner"] == "MAINTAINER"


def test_an_inline_suppression_by_the_branch_does_not_accept_its_own_tampering(tmp_path: Path
                                                                              ) -> None:
    repo = shop(tmp_path)
    hooked = failure_hiding_conftest().replace("def pytest_runtest_makereport",
                          "# gates: ignore[tamper-harness] reason=\"needed\"\n"
                          "def pytest_runtest_makereport")
    repo.branch("walnut/hook", {"shop/prices.py": TRUNCATE, "tests/conftest.py": hooked})
    code, gate, out = judge(repo, "walnut/hook")
    assert code == 1, out
    blocking = {f["rule"] for f in gate["findings"] if f["blocking"]}
    # the hook turned the failing test into a pass; the tamper finding names the hook
    assert blocking == {"tamper-harness"}, gate["findings"]
    assert gate["metrics"]["tests"]["failed"] == 0


def test_product_code_that_special_cases_the_test_run_is_caught(tmp_path: Path) -> None:
    repo = shop(tmp_path)
    cheat = TRUNCATE.replace(
        "    return total_cents // 11",
        "    import os\n    if os.environ.get('PYTEST_CURRENT_TEST') and total_cents == 14900:\n"
        "        return 1355\n    return (total_cents * 2 + 11) // 22 if total_cents < 14900 "
        "else total_cents // 11")
    repo.branch("acacia/cheat", {"shop/prices.py": cheat})
    code, gate, out = judge(repo, "acacia/cheat")
    assert code == 1, out
    rules = {f["rule"] for f in gate["findings"] if f["blocking"]}
    assert "tamper-test-aware" in rules, gate["findings"]


def test_product_code_that_special_cases_a_test_input_is_caught(tmp_path: Path) -> None:
    repo = shop(tmp_path)
    cheat = TRUNCATE.replace(
        "    return total_cents // 11",
        "    if total_cents == 14900:\n        return 1355\n    return total_cents // 11")
    repo.branch("acacia/special", {"shop/prices.py": cheat})
    code, gate, out = judge(repo, "acacia/special")
    assert code == 1, out
    [f] = [f for f in gate["findings"] if f["rule"] == "tamper-special-case"]
    assert f["blocking"] and f["path"] == "shop/prices.py" and "14900" in f["message"]
    assert "tests/test_prices.py:" in f["message"], f["message"]
