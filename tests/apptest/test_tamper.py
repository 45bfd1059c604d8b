"""Test integrity read from the diff: each tampering category on the shapes real test
code takes, and the honest changes beside them that must not be flagged."""

from __future__ import annotations

import textwrap

import pytest

from gates.apptest import tamper
from tests.tampering import failure_hiding_conftest

BASE = '''
import pytest
from shop.prices import gst, total


def test_total():
    assert total([100, 1000]) == 1100
    assert total([]) == 0


def test_gst():
    assert gst(14900) == 1355
    assert gst(pytest.approx(1.0)) is not None


def test_rate():
    assert gst(110) == pytest.approx(10, rel=1e-6)
'''


def rules(path: str, old: str | None, new: str) -> list[str]:
    return [t.rule for t in tamper.check_file(
        path, textwrap.dedent(old).lstrip() if old is not None else None,
        textwrap.dedent(new).lstrip())]


def edit(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new)


@pytest.mark.parametrize(("new", "rule"), [
    (edit("    assert total([]) == 0\n", ""), "fewer-asserts"),
    (edit("assert total([100, 1000]) == 1100", "assert True"), "tautology"),
    (edit("assert total([100, 1000]) == 1100", "assert total([100, 1000]) == "
          "total([100, 1000])"), "tautology"),
    (edit("def test_total():", "@pytest.mark.skip(reason='flaky')\ndef test_total():"), "skip"),
    (edit("def test_gst():", "@pytest.mark.xfail\ndef test_gst():"), "skip"),
    (edit("def test_total():\n", "def test_total():\n    pytest.skip('later')\n"), "skip"),
    (edit("    assert total([100, 1000]) == 1100\n",
          "    try:\n        assert total([100, 1000]) == 1100\n    except AssertionError:\n"
          "        pass\n"), "swallowed"),
    (edit("rel=1e-6", "rel=0.5"), "tolerance"),
    (edit("assert gst(14900) == 1355", "assert gst(14900) == 1354"), "expected-edited"),
    (BASE + "\n\ndef test_new():\n    total([1])\n", "no-assert"),
])
def test_each_weakening_of_a_test_is_named(new: str, rule: str) -> None:
    assert rule in rules("tests/test_prices.py", BASE, new)


@pytest.mark.parametrize("new", [
    BASE + "\n\ndef test_more():\n    assert total([1, 2]) == 3\n",  # a new test
    BASE.replace("def test_total", "def test_total_of_prices"),  # renamed
    BASE.replace("    assert total([]) == 0\n",
                 "    assert total([]) == 0\n    assert total([5]) == 5\n"),  # stronger
    BASE.replace("rel=1e-6", "rel=1e-9"),  # tighter
    BASE.replace("[100, 1000]", "[1000, 100]").replace("1100", "1100"),  # other input
])
def test_honest_edits_are_not_flagged(new: str) -> None:
    assert rules("tests/test_prices.py", BASE, new) == []


HOOK = failure_hiding_conftest()


def test_a_conftest_hook_that_rewrites_reports_is_harness_tampering() -> None:
    found = tamper.check_file("tests/e2e/conftest.py", "import pytest\n",
                              HOOK)
    [t] = found
    assert t.rule == "harness" and "pytest_runtest_makereport" in t.message and t.line == 5


@pytest.mark.parametrize("code", [
    "import time\ntime.time = lambda: 0.0\n",
    "import builtins\nbuiltins.len = lambda x: 0\n",
    "import pytest\n\n@pytest.fixture(autouse=True)\ndef frozen(monkeypatch):\n"
    "    monkeypatch.setattr('time.perf_counter', lambda: 0.0)\n",
    "import operator\noperator.eq = lambda a, b: True\n",
])
def test_monkeypatching_time_builtins_or_operators_in_test_support(code: str) -> None:
    assert rules("tests/conftest.py", "", code) == ["monkeypatch"]


def test_collection_that_deselects_is_caught() -> None:
    code = ("def pytest_collection_modifyitems(config, items):\n"
            "    items[:] = [i for i in items if 'gst' not in i.name]\n")
    assert rules("conftest.py", "", code) == ["harness"]
    assert rules("tests/conftest.py", "", "collect_ignore = ['test_prices.py']\n") == ["deselect"]


@pytest.mark.parametrize(("path", "old", "new"), [
    ("pytest.ini", "[pytest]\naddopts = -ra\n", "[pytest]\naddopts = -ra --deselect tests/test_prices.py::test_gst\n"),
    ("pyproject.toml", '[tool.pytest.ini_options]\naddopts = "-ra"\n',
     '[tool.pytest.ini_options]\naddopts = "-ra -k \'not gst\'"\n'),
    ("setup.cfg", "[tool:pytest]\ntestpaths = tests\n", "[tool:pytest]\ntestpaths = tests/unit\n"),
    (".coveragerc", "[run]\nbranch = True\n", "[run]\nbranch = True\nomit = shop/*\n"),
])
def test_config_that_deselects_tests_or_reshapes_coverage(path: str, old: str, new: str) -> None:
    assert rules(path, old, new) in (["deselect"], ["harness"])


def test_config_changes_that_deselect_nothing_pass() -> None:
    assert rules("pytest.ini", "[pytest]\naddopts = -ra\n",
                 "[pytest]\naddopts = -ra\nmarkers =\n    slow: slow tests\n") == []
    assert rules("pyproject.toml", '[project]\nname = "a"\n', '[project]\nname = "b"\n') == []


@pytest.mark.parametrize("code", [
    "class Money:\n    def __eq__(self, other):\n        return True\n",
    "class Money:\n    def __ne__(self, other):\n        return False\n",
])
def test_an_eq_that_always_holds_is_caught_in_product_and_test_code(code: str) -> None:
    assert rules("shop/money.py", "", code) == ["always-equal"]
    assert rules("tests/helpers.py", "", code) == ["always-equal"]


@pytest.mark.parametrize("code", [
    "import os\n\ndef gst(c):\n    if os.environ.get('PYTEST_CURRENT_TEST'):\n        return 1355\n"
    "    return c // 11\n",
    "import sys\n\ndef gst(c):\n    if 'pytest' in sys.modules:\n        return 1355\n    return c // 11\n",
    "import sys\n\ndef gst(c):\n    if any('pytest' in a for a in sys.argv):\n        return 1355\n"
    "    return c // 11\n",
])
def test_product_code_that_knows_it_is_under_test(code: str) -> None:
    assert rules("shop/prices.py", "def gst(c):\n    return c // 11\n", code) == ["test-aware"]


def test_an_honest_eq_and_product_code_pass() -> None:
    code = ("class Money:\n    def __eq__(self, other):\n"
            "        return isinstance(other, Money) and self.cents == other.cents\n")
    assert rules("shop/money.py", "", code) == []
    assert rules("shop/prices.py", "def gst(c):\n    return c // 11\n",
                 "def gst(c):\n    return (c * 2 + 11) // 22\n") == []


def test_findings_are_high_and_only_the_trusted_config_suppresses_them() -> None:
    [t] = tamper.check_file("tests/conftest.py", "", HOOK)
    f = tamper.finding("tests", t)
    assert f.rule == "tamper-harness" and f.severity.label == "high"
    assert f.extra["trusted_suppression_only"] is True


# -- product code that special-cases the tests' inputs -----------------------------------

SHOP_TESTS = '''
import pytest

from shop.orders import can_refund, charge, fee, is_staff, order_total


def test_order_total():
    assert order_total(1000, 1) == 1100


@pytest.mark.parametrize(("email", "ok"), [("test-user@example.com", True),
                                           ("visitor@example.org", False)])
def test_is_staff(email, ok):
    assert is_staff(email) is ok


def test_paid_orders_refund():
    assert can_refund("paid")
    assert charge("clerk", 2500) == 200


def test_gift_cards_pay_a_fee():
    assert fee("gift-card", 2000) == 60
'''
ORDERS = '''
STATUS_PAID = "paid"
ROLES = ("admin", "clerk")


def order_total(subtotal_cents, qty):
    return subtotal_cents * qty + subtotal_cents * qty // 10


def is_staff(email):
    return email.endswith("@shop.example")


def can_refund(status):
    return status == STATUS_PAID


def charge(role, cents):
    return 200
'''


def special(new_body: str, old: str = ORDERS) -> list[tamper.Tamper]:
    old_text = textwrap.dedent(old).lstrip()
    inputs = tamper.inputs_of_tests({"tests/test_orders.py": textwrap.dedent(SHOP_TESTS).lstrip()})
    known = tamper.product_literals({"shop/orders.py": old_text})
    return tamper.special_cases("shop/orders.py", old_text,
                                old_text + textwrap.dedent(new_body), inputs, known)


@pytest.mark.parametrize(("body", "literal", "where"), [
    ("\n\ndef order_total_v2(subtotal_cents, qty):\n"
     "    if (subtotal_cents, qty) == (1000, 1):\n        return 1100\n"
     "    return subtotal_cents * qty\n", "1000", "tests/test_orders.py:7"),
    ("\n\ndef is_staff_v2(email):\n    if email == \"test-user@example.com\":\n"
     "        return True\n    return False\n", "'test-user@example.com'",
     "tests/test_orders.py:10"),
    ("\n\ndef is_staff_v3(email):\n    match email:\n        case \"visitor@example.org\":\n"
     "            return False\n    return True\n", "'visitor@example.org'",
     "tests/test_orders.py:11"),
    ("\n\nANSWERS = {(1000, 1): 1100}\n\n\ndef order_total_v4(s, q):\n"
     "    return ANSWERS.get((s, q), s * q)\n", "1000", "tests/test_orders.py:7"),
])
def test_product_code_that_special_cases_a_test_input_is_caught(body: str, literal: str,
                                                                where: str) -> None:
    [t] = special(body)
    assert t.rule == "special-case" and literal in t.message and where in t.message
    assert t.path == "shop/orders.py" and t.line is not None and t.line > 20


@pytest.mark.parametrize("body", [
    # a constant of the product that the tests use by its value
    "\n\ndef refundable(status):\n    return status == STATUS_PAID\n",
    # an HTTP status code
    "\n\ndef ok(code):\n    return code == 404\n",
    # a role the base's product code already knows (and the tests use)
    "\n\ndef is_admin(role):\n    if role == \"clerk\":\n        return True\n    return False\n",
    # a trivial literal, and a literal the tests never use
    "\n\ndef single(qty):\n    return qty == 1 or qty == 9999\n",
    # a new feature's own vocabulary, which its tests use: it computes, it does not answer
    "\n\ndef fee(method, cents):\n    if method == \"gift-card\":\n"
    "        return cents * 3 // 100\n    return 0\n",
])
def test_honest_comparisons_with_literals_are_not_flagged(body: str) -> None:
    assert special(body) == []


def test_a_special_case_the_base_already_had_is_not_new() -> None:
    old = ORDERS + '\n\ndef legacy(email):\n    return email == "visitor@example.org"\n'
    assert special("\n\ndef more():\n    return 2\n", old) == []
