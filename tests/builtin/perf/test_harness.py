"""The locustfile is a harness too: endpoints the base's load covers that the branch's
locustfile no longer requests (gates.builtin.perf.harness), on a real repo."""

from __future__ import annotations

from pathlib import Path

from gates.builtin.perf import harness
from gates.builtin.perf.gate import GATE
from tests.conftest import GitRepo, gate_context

LOCUSTFILE = '''
from locust import HttpUser, between, task


class Member(HttpUser):
    wait_time = between(0.1, 0.2)

    @task(3)
    def search(self):
        self.client.get("/api/tools?q=drill", name="/api/tools?q=")

    @task
    def tool(self):
        self.client.get(f"/api/tools/{self.pick()}", name="/api/tools/{id}")

    @task
    def login(self):
        self.client.post("/api/auth/login", json={"email": "a@b", "password": "x"})

    @task
    def raw(self):
        self.client.request("PUT", "/api/me")
'''


def test_the_endpoints_a_locustfile_requests() -> None:
    assert harness.endpoints(LOCUSTFILE) == {
        "GET /api/tools", "GET /api/tools/{id}", "POST /api/auth/login", "PUT /api/me"}


def test_a_branch_that_drops_the_search_from_the_load_gets_a_finding(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.commit({"locustfile.py": LOCUSTFILE, "gates.toml": "[gates.perf]\n"}, "load")
    dropped = LOCUSTFILE.replace('''    @task(3)
    def search(self):
        self.client.get("/api/tools?q=drill", name="/api/tools?q=")

''', "")
    repo.branch("acacia/search", {"locustfile.py": dropped})
    repo.branch("walnut/more", {"locustfile.py": LOCUSTFILE + '''
    @task
    def categories(self):
        self.client.get("/api/categories")
'''})
    with gate_context(repo, "acacia/search", GATE) as ctx:
        [f] = harness.dropped(ctx, "locustfile.py")
    assert f.rule == "tamper-load-dropped" and f.severity.label == "high"
    assert "`GET /api/tools`" in f.message and "base's load test covered" in f.message
    with gate_context(repo, "walnut/more", GATE) as ctx:
        assert harness.dropped(ctx, "locustfile.py") == []
