from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gates.config import ConfigError, load_dir, parse

GATES = {"lint": {"select": [], "command": "ruff"}, "security": {"rules": []}}


def test_defaults_without_any_config(tmp_path: Path) -> None:
    cfg = load_dir(tmp_path, GATES)
    assert cfg.source == "defaults"
    assert cfg["base"] == "main" and cfg["reports_dir"] == "reports"
    lint = cfg.gate("lint", GATES["lint"])
    assert lint["enabled"] and lint["block_on"] == "new" and lint["command"] == "ruff"


def test_full_config() -> None:
    cfg = parse("""
        base = "trunk"
        reporter = "ACACIA"
        [agents]
        walnut = "frontend"
        [app]
        command = ["python", "-m", "app", "--port", "{port}"]
        ready_timeout = 5
        [gates.lint]
        select = ["F"]
        timeout = 10
        path_thresholds = { "**/payments/**" = "medium" }
        """.replace("\n        ", "\n"), "gates.toml", GATES)
    assert cfg["base"] == "trunk" and cfg["agents"] == {"walnut": "frontend"}
    assert cfg["app"]["ready_timeout"] == 5.0 and cfg["app"]["health"] == "/health"
    assert cfg.gate("lint", GATES["lint"])["select"] == ["F"]
    assert cfg.gate("lint")["timeout"] == 10.0


@pytest.mark.parametrize(("text", "message"), [
    ("base = 1", "gates.toml: 'base' must be a string, not an integer"),
    ("[app]\nport = 1", "unknown key 'app.port'"),
    ("[gates.lint]\nenabled = \"yes\"", "'gates.lint.enabled' must be a boolean, not a string"),
    ("[gates.lint]\nselect = \"F\"", "'gates.lint.select' must be a list, not a string"),
    ("[gates.lint]\nthreshold = \"urgent\"", "unknown severity 'urgent'"),
    ("[gates.lint]\ntimeout = 0", "'gates.lint.timeout' must be greater than 0"),
    ("[gates.lint]\npath_thresholds = { \"x\" = \"meh\" }", "unknown severity 'meh'"),
    ("[agents]\nwalnut = 3", "'agents.walnut' must be a string"),
    ("gates = 3", "'gates' must be a table"),
    ("x = [", "not valid TOML"),
])
def test_bad_config_messages(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as e:
        parse(text, "gates.toml", GATES)
    assert message in str(e.value)
    assert "\n" not in str(e.value).strip()


def test_pyproject_without_tool_gates_means_defaults(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert load_dir(tmp_path, GATES).source == "defaults"


# any TOML a user could write: valid config or one ConfigError line, never anything else
toml_values = st.recursive(
    st.one_of(st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False, width=32),
              st.text(max_size=5), st.just("high"), st.just("new")),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["enabled", "timeout", "select", "x", "threshold", "block_on"]), inner,
        max_size=3),
    max_leaves=8)
keys = st.sampled_from(["base", "agents", "app", "gates", "jobs", "reporter", "nope",
                        "reports_dir", "env_allow"])


@settings(max_examples=400, deadline=None)
# the values each check turns into one line: a chance example may not reach them
@example(doc={}, gates={"lint": {"threshold": "severe"}})
@example(doc={}, gates={"lint": {"path_thresholds": {"app/**": "loud"}}})
@example(doc={}, gates={"security": {"block_on": "some", "timeout": 0}})
@given(st.dictionaries(keys, toml_values, max_size=4),
       st.dictionaries(st.sampled_from(["lint", "security", "zzz"]), toml_values, max_size=2))
def test_fuzzed_config_never_crashes(doc: dict, gates: dict) -> None:
    import tomllib

    from gates.config import validate

    if gates:
        doc = {**doc, "gates": gates}
    try:
        cfg = validate(doc, "gates.toml", GATES)
    except ConfigError as e:
        assert str(e).startswith("gates.toml: ") and "\n" not in str(e)
        return
    assert isinstance(cfg["base"], str)
    for name in cfg["gates"]:
        section = cfg.gate(name, GATES.get(name))
        assert isinstance(section["enabled"], bool)
    del tomllib
