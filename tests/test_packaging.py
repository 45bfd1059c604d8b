"""What an installed gates carries: `gates init` writes its workflows from package data,
so it works from a wheel, not only from a checkout of the source."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from importlib import resources
from pathlib import Path

import pytest

from gates import scaffold
from tests.conftest import ROOT, GitRepo

SHIPPED = ("gates.yml", "gates-publish.yml", "gates-matrix.yml")


def test_the_workflow_templates_are_package_resources() -> None:
    folder = resources.files("gates").joinpath("ci")
    for name in SHIPPED:
        assert folder.joinpath(name).is_file(), name
    for name in scaffold.WORKFLOWS:
        text = scaffold.workflow_template(name)
        assert text is not None and text == (ROOT / "gates" / "ci" / name).read_text()
    assert scaffold.workflow_template("nope.yml") is None



@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of the source (the shared tree gets no build/ folder)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "gates", src / "gates",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    res = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                          str(tmp / "dist"), str(src)], text=True, capture_output=True,
                         timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    [built] = (tmp / "dist").glob("gates-*.whl")
    return built


def test_the_wheel_ships_the_workflow_templates(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        for name in SHIPPED:
            assert f"gates/ci/{name}" in names, sorted(n for n in names if "ci" in n)
            assert z.read(f"gates/ci/{name}").decode() == \
                (ROOT / "gates" / "ci" / name).read_text()
        assert not any(n.startswith("ci/") for n in names)


def test_init_from_the_installed_wheel_writes_the_workflows(tmp_path: Path, wheel: Path) -> None:
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)
    repo = GitRepo(tmp_path / "target")
    repo.commit({"app.py": "X = 1\n"}, "init")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site), "HOME": str(tmp_path)}
    where = subprocess.run([sys.executable, "-c", "import gates; print(gates.__file__)"],
                           cwd=repo.path, env=env, text=True, capture_output=True, timeout=60)
    assert where.stdout.strip() == str(site / "gates" / "__init__.py"), where.stderr
    res = subprocess.run([sys.executable, "-m", "gates", "init"], cwd=repo.path, env=env,
                         text=True, capture_output=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    for name in scaffold.WORKFLOWS:
        assert repo.read(f".github/workflows/{name}") == \
            (ROOT / "gates" / "ci" / name).read_text()
