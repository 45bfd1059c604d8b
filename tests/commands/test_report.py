from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import GitRepo, run_gates


def lint_run(repo: GitRepo, branch: str, files: dict[str, str]) -> dict:
    repo.branch(branch, files, f"{branch}: work")
    res = run_gates("run", "--branch", branch, "--gate", "lint", cwd=repo.path)
    assert res.returncode in (0, 1), res.stdout + res.stderr
    return json.loads(repo.read("reports/latest.json"))["branches"][branch]


def test_report_without_runs_says_how_to_get_some(repo: GitRepo) -> None:
    res = run_gates("report", cwd=repo.path)
    assert res.returncode == 0, res.stdout + res.stderr
    html = repo.read("reports/index.html")
    assert "No verdicts yet" in html and "gates run --all" in html
    assert "reports/index.html" in res.stdout and "0 run page(s)" in res.stdout


def test_report_rebuilds_every_page(repo: GitRepo) -> None:
    ok = lint_run(repo, "walnut/catalog", {"app/catalog.py": "X = 1\n"})
    bad = lint_run(repo, "acacia/ui", {"app/ui.py": "import sys\n"})
    pages = [repo.path / "reports/index.html", repo.path / ok["report_dir"] / "index.html",
             repo.path / bad["report_dir"] / "index.html",
             repo.path / "reports/walnut__catalog/index.html",
             repo.path / "reports/acacia__ui/index.html"]
    assert all(p.is_file() for p in pages)  # `gates run` wrote them
    for p in pages:
        p.unlink()
    res = run_gates("report", cwd=repo.path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "2 run page(s)" in res.stdout
    assert all(p.is_file() for p in pages)
    run_page = (repo.path / bad["report_dir"] / "index.html").read_text(encoding="utf-8")
    assert "import sys" in run_page and "F401" in run_page
    index = repo.read("reports/index.html")
    assert "walnut/catalog" in index and "acacia/ui" in index


def test_a_run_whose_tree_is_gone_keeps_its_page(repo: GitRepo) -> None:
    bad = lint_run(repo, "acacia/ui", {"app/ui.py": "import sys\n"})
    folder = repo.path / bad["report_dir"]
    page = folder / "index.html"
    before = page.read_text(encoding="utf-8")
    assert 'class="code"' in before
    verdict = json.loads((folder / "verdict.json").read_text())
    verdict["tree"] = "0" * 40  # as if git had pruned the tested tree
    (folder / "verdict.json").write_text(json.dumps(verdict))
    res = run_gates("report", cwd=repo.path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert page.read_text(encoding="utf-8") == before  # the excerpts it had are kept
    page.unlink()
    res = run_gates("report", cwd=repo.path)
    assert res.returncode == 0, res.stdout + res.stderr
    after = page.read_text(encoding="utf-8")
    assert "no longer in the repository" in after and 'class="code"' not in after
    assert "F401" in after  # the findings are still listed


def test_damaged_inputs_do_not_stop_the_dashboard(repo: GitRepo) -> None:
    ok = lint_run(repo, "walnut/catalog", {"app/catalog.py": "X = 1\n"})
    with (repo.path / "reports/history.jsonl").open("a") as f:
        f.write('{"branch": "walnut/catalog", "started": "2026-\n[not json\n')
    (repo.path / "reports/zz__junk/deadbeef").mkdir(parents=True)
    (repo.path / "reports/zz__junk/deadbeef/verdict.json").write_text("{nope")
    res = run_gates("report", cwd=repo.path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "1 run page(s)" in res.stdout
    assert not (repo.path / "reports/zz__junk/deadbeef/index.html").exists()
    # the next run's history line is whole again
    repo.git("checkout", "-q", "walnut/catalog")
    repo.commit({"app/catalog.py": "X = 2\n"}, "again")
    repo.git("checkout", "-q", "main")
    res = run_gates("run", "--branch", "walnut/catalog", "--gate", "lint", cwd=repo.path)
    assert res.returncode == 0, res.stdout + res.stderr
    last = repo.read("reports/history.jsonl").splitlines()[-1]
    assert json.loads(last)["branch_commit"] != ok["branch_commit"]
    assert "2 run(s)" in repo.read("reports/walnut__catalog/index.html")


def test_reports_dir_from_the_config(repo: GitRepo) -> None:
    repo.commit({"gates.toml": 'reports_dir = "build/gates"\n'}, "config")
    repo.branch("walnut/catalog", {"app/catalog.py": "X = 1\n"}, "work")
    res = run_gates("run", "--branch", "walnut/catalog", "--gate", "lint", cwd=repo.path)
    assert res.returncode == 0, res.stdout + res.stderr
    index = (repo.path / "build/gates/index.html").read_text(encoding="utf-8")
    entry = json.loads((repo.path / "build/gates/latest.json").read_text())["branches"][
        "walnut/catalog"]
    rel = Path(entry["report_dir"]).relative_to("build/gates")
    assert f'href="{rel.as_posix()}/index.html"' in index
    assert (repo.path / entry["report_dir"] / "index.html").is_file()
    assert not (repo.path / "reports").exists()


def test_outside_a_repository_is_one_line(tmp_path: Path) -> None:
    res = run_gates("report", cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr.strip().count("\n") == 0 and "not a git repository" in res.stderr
