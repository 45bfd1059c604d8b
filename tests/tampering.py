"""Tampering written once for the tests and the bench that need it as data."""

from __future__ import annotations


def failure_hiding_conftest(head: str = "import pytest\n") -> str:
    """A conftest.py (`head`, then a hook) whose `pytest_runtest_makereport` turns every
    failed report into a pass: the harness tampering the tamper checks must name."""
    return head + '''

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        report.outcome = "passed"
'''
