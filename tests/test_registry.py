"""gates.registry: gates found through the `gates.gates` entry points, the broken ones
kept as such (a run reports them as `error`). A plugin that cannot be imported, through a
whole run, is in tests/commands/test_run.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from gates import registry
from tests.conftest import plugin_path

GOOD = """
from gates.model import GateResult, Status


class Good:
    name = "good"
    needs_app = False
    defaults = {"level": 3}
    exclusive = False
    scans_per_file = False
    reuse_results = True

    def applies(self, ctx):
        return True

    def run(self, ctx):
        return GateResult(self.name, Status.PASS)


GATE = Good()
"""


def test_installed_gates_load_and_the_broken_ones_say_why(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    sites = [plugin_path(tmp_path, "good", GOOD),
             plugin_path(tmp_path, "notagate", "GATE = 'a string is not a gate'\n"),
             plugin_path(tmp_path, "noimport", "import no_such_module_of_gates_tests\n")]
    for site in sites:
        monkeypatch.syspath_prepend(str(site))
    reg = registry.load()
    assert {"lint", "security", "secrets", "good"} <= set(reg.gates)  # built-ins: same door
    assert reg.gates["good"].name == "good"
    assert set(reg.broken) == {"notagate", "noimport"}
    assert reg.broken["notagate"] == ("gatesplugin_notagate:GATE does not implement the Gate "
                                      "protocol")
    assert reg.broken["noimport"].startswith(
        "could not load gate 'noimport' (gatesplugin_noimport:GATE): ")
    assert "no_such_module_of_gates_tests" in reg.broken["noimport"]
    # broken gates are still known by name: the config may name them, a run reports them
    assert {"good", "notagate", "noimport", "lint"} <= set(reg.names)
    assert reg.names == sorted(reg.names)
    assert reg.defaults["good"] == {"level": 3} and reg.defaults["notagate"] == {}
