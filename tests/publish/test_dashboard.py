"""The HTML dashboard, rendered by the real CLI for real repositories.

A third-party gate (`probe`, installed the way pip would) supplies what the
built-in gates produce when they have an app to test: a curl line, a screenshot,
suppressions, a Markdown table and perf metrics in the perf gate's format.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from gates.publish import dashboard
from tests.conftest import GitRepo, chromium_page, gates_env, plugin_env, plugin_path, run_gates

BLOCKED = "ironwood/payments"
SECRET = "sk_live_" + "51Hx9TmQ2eZvKYlo2C8b7Xq"  # not a real key

PROBE = '''
import base64, json
from gates.model import Finding, GateResult, Paragraph, Severity, Status, Table, Text

# a 1x1 PNG, as a browser test would leave a screenshot
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


class Probe:
    name = "probe"
    needs_app = False

    def applies(self, ctx):
        return True

    def run(self, ctx):
        spec = json.loads((ctx.worktree / "probe.json").read_text())
        ctx.artifacts.mkdir(parents=True, exist_ok=True)
        (ctx.artifacts / "home.png").write_bytes(PNG)
        (ctx.artifacts / "probe.log").write_text("probe log\\n")
        findings = []
        if spec.get("finding"):
            findings = [
                Finding(gate="probe", rule="server-error", severity=Severity.HIGH,
                        path="app/core.py", line=2, tool="probe",
                        message="GET /tools/<script>alert(2)</script> answered 500 (`boom`)",
                        extra={"curl": "curl -sS 'http://127.0.0.1:8000/tools/%3Cx%3E' "
                                       "-H 'Authorization: Bearer <none>'",
                               "screenshot": "probe/home.png"}),
                Finding(gate="probe", rule="live-key", severity=Severity.CRITICAL,
                        path="app/settings.py", line=2, message="a live key",
                        extra={"sensitive": True}),
                Finding(gate="probe", rule="debug-on", severity=Severity.LOW,
                        path="app/settings.py", line=3, message="debug is on",
                        extra={"trace": "probe/probe.log"}),
                Finding(gate="probe", rule="through-link", severity=Severity.LOW,
                        path="app/link.txt", line=1, message="a finding on a symlink"),
                Finding(gate="probe", rule="outside", severity=Severity.LOW,
                        path="../../../../etc/hostname", line=1, message="a path outside"),
            ]
        metrics = {
            "overall": {"base": {"count": 400, "failures": 0, "rps": 50.0, "p50": 20.0,
                                 "p95": 100.0, "p99": 150.0},
                        "branch": {"count": 380, "failures": 2, "rps": spec["rps"],
                                   "p50": 22.0, "p95": spec["p95"], "p99": 170.0},
                        "ratio": {"p95": spec["p95"] / 100.0}, "p_value": 0.2},
            "requests": 780,
            "suppressions": [{"rule": "B105", "path": "tests/x.py", "line": 3,
                              "reason": "fixture <b>token</b>", "owner": "IRONWOOD",
                              "until": "2027-01-01", "source": "config",
                              "where": "gates.toml@main [[suppress]] #1"}],
        }
        sections = [
            Table(["Endpoint", "anonymous", "admin"],
                  [[[Text("GET /tools", code=True)], [Text("200", mark="good")],
                    [Text("200", mark="good")]],
                   [[Text("<script>alert(3)</script> | x")], [Text("500", mark="bad")],
                    [Text("—")]]],
                  numeric=[False, False, True]),
            Paragraph([Text("Access matrix", strong=True), Text(" "),
                       Text("log", href="probe/probe.log"), Text(" "),
                       Text("bad", href="javascript:alert(4)"), Text(" "),
                       Text("ext", href="http://evil.test/x")]),
        ]
        return GateResult(gate="probe", status=Status.PASS, findings=findings,
                          metrics=metrics, artifacts=["probe/home.png", "probe/probe.log"],
                          sections=sections)


GATE = Probe()
'''


# -- a tiny DOM over html.parser -------------------------------------------------

VOID = {"meta", "link", "br", "img", "hr", "input", "col", "area", "base", "wbr", "source"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def all(self, tag: str | None = None, cls: str | None = None) -> list[Node]:
        out = []
        for c in self.children:
            if isinstance(c, Node):
                if (tag is None or c.tag == tag) and (
                        cls is None or cls in c.attrs.get("class", "").split()):
                    out.append(c)
                out += c.all(tag, cls)
        return out

    def cells(self) -> list[Node]:
        return [c for c in self.children if isinstance(c, Node) and c.tag in ("td", "th")]


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#doc", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        assert tag not in VOID, tag
        # well-formed: every end tag closes the innermost open element
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def dom(path: Path) -> Node:
    b = _Builder()
    b.feed(path.read_text(encoding="utf-8"))
    b.close()
    assert len(b.stack) == 1, f"unclosed <{b.stack[-1].tag}> in {path}"
    return b.root


def matrix(page: Node) -> dict[str, dict[str, Node]]:
    """branch -> column header -> cell of the cluster matrix."""
    (table,) = page.all("table", "matrix")
    heads = [th.text() for th in table.all("thead")[0].all("th")]
    rows: dict[str, dict[str, Node]] = {}
    for tbody in table.all("tbody"):
        for tr in tbody.all("tr"):
            cells = tr.cells()
            if cells[0].attrs.get("scope") == "rowgroup":
                cells = cells[1:]
            branch = cells[0].all("a")[0].text()
            rows[branch] = dict(zip(heads[1:], cells, strict=True))
    return rows


def by_id(page: Node, id_: str) -> Node:
    (node,) = [n for n in page.all() if n.attrs.get("id") == id_]
    return node


def pages(reports: Path) -> list[Path]:
    return sorted(reports.rglob("*.html"))


# -- the cluster -------------------------------------------------------------------


@dataclass
class Cluster:
    repo: GitRepo
    env: dict[str, str]

    @property
    def reports(self) -> Path:
        return self.repo.path / "reports"

    def entry(self, branch: str) -> dict:
        return json.loads((self.reports / "latest.json").read_text())["branches"][branch]

    def run_page(self, branch: str) -> Path:
        return self.repo.path / self.entry(branch)["report_dir"] / "index.html"

    def gates(self, *args: str) -> object:
        return run_gates(*args, cwd=self.repo.path, env=self.env)


def make_cluster(root: Path) -> Cluster:
    repo = GitRepo(root / "repo")
    repo.commit({"app/__init__.py": "", "app/core.py": "import os\n\n\ndef answer() -> int:\n"
                 "    return 42\n", "probe.json": '{"p95": 100, "rps": 50}\n'}, "init")
    site = plugin_path(root, "probe", textwrap.dedent(PROBE))
    env = plugin_env(site)
    c = Cluster(repo, env)
    # walnut/catalog: passes, twice (a trend), p95 going up
    repo.branch("walnut/catalog", {"app/catalog.py": "def tools() -> list[str]:\n    return []\n",
                                   "probe.json": '{"p95": 110, "rps": 48}\n'}, "WALNUT: catalog")
    res = c.gates("run", "--branch", "walnut/catalog", "--gate", "lint,probe")
    assert res.returncode == 0, res.stdout + res.stderr
    repo.git("checkout", "-q", "walnut/catalog")
    repo.commit({"probe.json": '{"p95": 130, "rps": 45.5}\n'}, "WALNUT: more tools")
    repo.git("checkout", "-q", "main")
    res = c.gates("run", "--branch", "walnut/catalog", "--gate", "lint,probe")
    assert res.returncode == 0, res.stdout + res.stderr
    # the blocked one: a new unused import, a probe finding, a symlink out of the tree
    repo.git("checkout", "-q", "-b", BLOCKED, "main")
    repo.commit({"app/core.py": "import os\nimport sys\n\n\ndef answer() -> int:\n"
                 "    return 42\n", "probe.json": '{"p95": 180, "rps": 40, "finding": true}\n',
                 "app/settings.py": f"NAME = 'tools'\nTOKEN = '{SECRET}'\nDEBUG = True\n"},
                "IRONWOOD: <b>touch</b> core")
    os.symlink("/etc/hostname", repo.path / "app" / "link.txt")
    repo.git("add", "app/link.txt")
    repo.git("commit", "-q", "-m", "a link")
    repo.git("checkout", "-q", "main")
    res = c.gates("run", "--branch", BLOCKED, "--gate", "lint,probe")
    assert res.returncode == 1, res.stdout + res.stderr
    return c


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Cluster:
    return make_cluster(tmp_path_factory.mktemp("dash"))


# -- the cluster page --------------------------------------------------------------


def test_matrix_shows_each_branch_and_gate_with_text_and_links(cluster: Cluster) -> None:
    page = dom(cluster.reports / "index.html")
    rows = matrix(page)
    assert set(rows) == {"walnut/catalog", BLOCKED}
    ok, bad = rows["walnut/catalog"], rows[BLOCKED]
    assert "pass" in ok["Verdict"].text() and "blocked" in bad["Verdict"].text()
    assert ok["lint"].text().strip().endswith("pass") and bad["lint"].text().strip().endswith(
        "fail")
    assert "st-pass" in ok["lint"].all("a")[0].attrs["class"]
    assert "st-fail" in bad["lint"].all("a")[0].attrs["class"]
    assert bad["probe"].text().strip().endswith("fail")
    # the cell links to the gate's section of the run page
    href = bad["lint"].all("a")[0].attrs["href"]
    target, _, anchor = href.partition("#")
    assert anchor == "gate-lint"
    assert (cluster.reports / unquote(target)).resolve() == cluster.run_page(BLOCKED).resolve()
    # when and against which base
    tested = ok["Tested"].text()
    assert cluster.entry("walnut/catalog")["branch_commit"][:8] in tested and "main@" in tested
    assert ok["Tested"].all("time")[0].attrs["datetime"] == cluster.entry("walnut/catalog")[
        "started"]
    # table semantics: column headers, row headers, an agent row group
    table = page.all("table", "matrix")[0]
    assert all(th.attrs.get("scope") == "col" for th in table.all("thead")[0].all("th"))
    scopes = [th.attrs.get("scope") for th in table.all("tbody")[0].all("th")]
    assert scopes[0] == "rowgroup" and "row" in scopes
    assert table.all("caption")
    assert {g.attrs["class"] for g in page.all("svg")} >= {"chart line", "chart strip"}


def test_every_link_resolves_and_nothing_is_fetched(cluster: Cluster) -> None:
    seen = 0
    for path in pages(cluster.reports):
        raw = path.read_text(encoding="utf-8")
        assert "<script" not in raw.lower(), path  # no script, and the evil names escaped
        assert "javascript:" not in raw.replace("javascript:alert(4)", "")
        tree = dom(path)
        ids = {n.attrs["id"] for n in tree.all() if "id" in n.attrs}
        for node in tree.all():
            for attr in ("href", "src", "action", "srcset", "poster", "data"):
                if attr not in node.attrs:
                    continue
                url = node.attrs[attr]
                parts = urlsplit(url)
                assert not parts.scheme and not parts.netloc, f"{path}: {attr}={url}"
                if not parts.path:
                    assert parts.fragment in ids, f"{path}: dangling #{parts.fragment}"
                    continue
                target = (path.parent / unquote(parts.path)).resolve()
                assert target.is_file(), f"{path}: {url} -> {target}"
                assert target.is_relative_to(cluster.reports.resolve())
                if parts.fragment:
                    assert f'id="{parts.fragment}"' in target.read_text(encoding="utf-8")
                seen += 1
        for style in tree.all("style"):
            assert "url(" not in style.text() and "@import" not in style.text()
        assert "http://" not in raw.replace("http://127.0.0.1:8000", "").replace(
            "http://evil.test/x", ""), path
        assert "https://" not in raw, path
    assert seen > 20


def test_finding_text_is_escaped(cluster: Cluster) -> None:
    raw = cluster.run_page(BLOCKED).read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in raw  # a finding's message
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in raw  # inside the Markdown table
    assert "fixture &lt;b&gt;token&lt;/b&gt;" in raw  # a suppression's reason
    assert "Bearer &lt;none&gt;" in raw  # a curl line
    assert "<b>" not in raw and "<script" not in raw


def test_evil_branch_name_is_escaped_everywhere(repo: GitRepo) -> None:
    evil = "acacia/<script>alert(1)</script>"
    repo.branch(evil, {"app/ui.py": "import sys\n"}, "<img src=x onerror=alert(5)>")
    res = run_gates("run", "--branch", evil, "--gate", "lint", cwd=repo.path)
    assert res.returncode == 1, res.stdout + res.stderr
    reports = repo.path / "reports"
    written = pages(reports)
    assert len(written) == 3  # the cluster, the branch's history, the run
    for path in written:
        raw = path.read_text(encoding="utf-8")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw, path
        assert "<script" not in raw and "<img" not in raw, path
        dom(path)  # still well-formed
    rows = matrix(dom(reports / "index.html"))
    assert list(rows) == [evil] and "blocked" in rows[evil]["Verdict"].text()


# -- the run page --------------------------------------------------------------------


def finding_articles(page: Node, rule: str) -> list[Node]:
    return [a for a in page.all("article", "finding")
            if any(c.text() == rule for c in a.all("code"))]


def test_run_page_shows_the_finding_and_its_code_from_the_tested_tree(cluster: Cluster) -> None:
    page = dom(cluster.run_page(BLOCKED))
    h1 = page.all("h1")[0].text()
    assert "blocked" in h1 and BLOCKED in h1
    assert any("lint: 1 blocking finding" in li.text() for li in page.all("li"))
    lint = by_id(page, "gate-lint")
    (f401,) = [a for a in finding_articles(lint, "F401") if "blocks" in a.text()]
    assert "app/core.py:2" in f401.text() and "new" in f401.text()
    assert [c.text() for c in f401.all("p", "msg")[0].all("code")] == ["sys"]
    (code,) = f401.all("pre", "code")
    lines = code.all("span", "line")
    hit = [ln for ln in lines if "hit" in ln.attrs["class"].split()]
    # line 2 of the merge result, read from git: the user's checkout (main) has no `import sys`
    assert [ln.text() for ln in hit] == ["2import sys"]
    assert lines[0].text() == "1import os" and len(lines) == 5
    assert "import sys" not in cluster.repo.read("app/core.py")
    # the existing finding is there too, marked as such, not blocking
    (existing,) = [a for a in finding_articles(lint, "F401") if "blocks" not in a.text()]
    assert "existing" in existing.text() and "app/core.py:1" in existing.text()


def test_run_page_shows_curl_screenshot_suppressions_details_and_perf(cluster: Cluster) -> None:
    path = cluster.run_page(BLOCKED)
    page = dom(path)
    probe = by_id(page, "gate-probe")
    (err,) = finding_articles(probe, "server-error")
    assert "curl -sS 'http://127.0.0.1:8000/tools/%3Cx%3E'" in err.all("pre", "curl")[0].text()
    img = err.all("img")[0]
    assert img.attrs["src"] == "probe/home.png" and (path.parent / "probe/home.png").is_file()
    assert img.attrs["alt"]
    # suppressions, with reason and expiry
    assert by_id(page, "suppressions").tag == "h2"
    tables = [t for t in page.all("table") if "Reason" in t.text() and "Until" in t.text()]
    assert "fixture <b>token</b>" in tables[0].text() and "2027-01-01" in tables[0].text()
    assert "IRONWOOD" in tables[0].text() and "B105" in tables[0].text()
    # the gate's Markdown became a table, text and all, and only safe links
    md = probe.all("div", "md")[0]
    (table,) = md.all("table")
    assert [th.text() for th in table.all("th")] == ["Endpoint", "anonymous", "admin"]
    rows = [[td.text() for td in tr.cells()] for tr in table.all("tbody")[0].all("tr")]
    assert rows == [["GET /tools", "✔\ufe0e 200", "✔\ufe0e 200"],  # ✅, as a text glyph
                    ["<script>alert(3)</script> | x", "✘\ufe0e 500", "—"]]
    assert table.all("td")[0].all("code")[0].text() == "GET /tools"
    hrefs = [a.attrs["href"] for a in md.all("a")]
    assert hrefs == ["probe/probe.log"]
    assert "[ext](http://evil.test/x)" in md.text() and md.all("strong")[0].text() == (
        "Access matrix")
    # perf: a base-vs-branch chart with bars, and the numbers as a table
    svg = probe.all("svg")[0]
    assert svg.attrs["role"] == "img" and "base vs branch" in svg.attrs["aria-label"]
    bars = [r for r in svg.all("rect") if " · " in "".join(t.text() for t in r.all("title"))]
    assert len(bars) == 6  # p50/p95/p99 × base and branch
    assert "branch · p95: 180 ms" in [b.all("title")[0].text() for b in bars]
    perf_table = next(t for t in probe.all("table") if "Metric" in t.text())
    assert "180" in perf_table.text() and "100" in perf_table.text()
    # a symlink in the tree and a path outside it show no file content
    raw = path.read_text(encoding="utf-8")
    hostname = Path("/etc/hostname").read_text().strip()
    for rule in ("through-link", "outside"):
        (art,) = finding_articles(probe, rule)
        assert not art.all("pre")
    if len(hostname) > 6:
        assert hostname not in raw
    # a line that holds a secret is never shown, not even as another finding's context
    assert SECRET not in raw
    (key,) = finding_articles(probe, "live-key")
    assert not key.all("pre")
    (debug,) = finding_articles(probe, "debug-on")
    lines = [ln.text() for ln in debug.all("span", "line")]
    assert lines == ["1NAME = 'tools'", "2[hidden: this line holds a secret]", "3DEBUG = True"]
    assert [a.attrs["href"] for a in debug.all("a")] == ["probe/probe.log"]
    # artifacts and the run's other files are linked
    assert "probe/probe.log" in [a.attrs.get("href") for a in probe.all("a")]
    assert {"summary.md", "verdict.json", "findings.sarif", "junit.xml"} <= {
        a.attrs.get("href") for a in page.all("a")}


# -- history -------------------------------------------------------------------------


def test_history_is_one_line_per_run(cluster: Cluster) -> None:
    lines = [json.loads(x) for x in (cluster.reports / "history.jsonl").read_text().splitlines()]
    assert [(x["branch"], x["verdict"]) for x in lines] == [
        ("walnut/catalog", "pass"), ("walnut/catalog", "pass"), (BLOCKED, "blocked")]
    first, second, evil = lines
    assert first["branch_commit"] != second["branch_commit"]
    assert first["base_commit"] == cluster.repo.git("rev-parse", "main")
    assert second["gates"] == {"lint": "pass", "probe": "pass"}
    assert evil["gates"] == {"lint": "fail", "probe": "fail"}
    assert first["perf"]["branch"]["p95"] == 110 and second["perf"]["branch"]["rps"] == 45.5
    assert second["perf"]["base"]["p95"] == 100
    assert second["report_dir"] == cluster.entry("walnut/catalog")["report_dir"]


def test_branch_page_and_cluster_page_chart_the_trend(cluster: Cluster) -> None:
    page = dom(cluster.reports / "walnut__catalog" / "index.html")
    assert "walnut/catalog" in page.all("h1")[0].text()
    charts_ = page.all("svg")
    strip = next(s for s in charts_ if s.attrs["class"] == "chart strip")
    assert strip.attrs["aria-label"].endswith("2 of 2 run(s) passed")
    lines = [s for s in charts_ if s.attrs["class"] == "chart line"]
    assert len(lines) == 2  # p95 and rps
    p95 = lines[0]
    tips = [t.text() for c in p95.all("rect") + p95.all("circle") for t in c.all("title")]
    assert any(t.endswith(": 110 ms") for t in tips) and any(t.endswith(": 130 ms")
                                                            for t in tips)
    assert len(p95.all("polyline")) == 2  # base and branch
    # the runs table links to both runs (they are different commits)
    runs = next(t for t in page.all("table") if "Verdict" in t.text())
    assert len(runs.all("tbody")[0].all("tr")) == 2
    assert len(runs.all("a")) == 2
    # the cluster page: main over its commits, and a sparkline per branch
    index = dom(cluster.reports / "index.html")
    base = [s for s in index.all("svg") if "p95 latency of main" in s.attrs["aria-label"]]
    assert base and base[0].all("circle")
    sparks = [s for s in index.all("svg") if s.attrs["class"] == "chart spark"]
    labels = {s.attrs["aria-label"] for s in sparks}
    assert "p95 of walnut/catalog: 110 ms → 130 ms over 2 run(s)" in labels


def test_stale_branches_are_marked(cluster: Cluster, tmp_path: Path) -> None:
    # a copy, so the other tests keep their cluster as it is
    shutil.copytree(cluster.repo.path, tmp_path / "repo", symlinks=True)
    repo = GitRepo.__new__(GitRepo)
    repo.path = tmp_path / "repo"
    c = Cluster(repo, cluster.env)
    repo.git("checkout", "-q", "walnut/catalog")
    repo.commit({"app/more.py": "X = 1\n"}, "WALNUT: moved on")
    repo.git("checkout", "-q", "main")
    res = c.gates("report")
    assert res.returncode == 0, res.stdout + res.stderr
    rows = matrix(dom(c.reports / "index.html"))
    assert "stale" in rows["walnut/catalog"]["Verdict"].text()
    assert "pass" in rows["walnut/catalog"]["Verdict"].text()
    assert "is-stale" in rows["walnut/catalog"]["lint"].attrs["class"]
    assert "stale" not in rows[BLOCKED]["Verdict"].text()
    assert "is-stale" not in rows[BLOCKED]["lint"].attrs["class"]


def test_concurrent_runs_all_reach_the_dashboard(repo: GitRepo) -> None:
    names = ["walnut/a", "ironwood/b", "acacia/c"]
    for n in names:
        repo.branch(n, {f"app/{n.split('/')[1]}.py": "Y = 2\n"})
    procs = [subprocess.Popen([sys.executable, "-m", "gates", "run", "--branch", n, "--gate",
                               "lint", "-q"], cwd=repo.path, env=gates_env(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for n in names]
    assert [p.wait(timeout=300) for p in procs] == [0, 0, 0]
    assert set(matrix(dom(repo.path / "reports/index.html"))) == set(names)
    assert len((repo.path / "reports/history.jsonl").read_text().splitlines()) == 3


def test_markdown_converter_keeps_text_and_drops_markup() -> None:
    html = dashboard.markdown(
        "## Access <i>matrix</i>\n\n"
        "| a | b \\| c |\n|---|--:|\n| `x|y` | **<img src=x onerror=alert(1)>** |\n"
        "| only one |\n\n"
        "- item `one`\n- [rel](auth/report.json) [abs](/etc/passwd) [proto](//evil.test)\n\n"
        "```\n<b>code</b>\n```\n"
        "plain \\*not emphasis\\* & more")
    assert "<i>" not in html and "<img" not in html and "<b>" not in html
    assert "<h4>Access &lt;i&gt;matrix&lt;/i&gt;</h4>" in html
    assert '<th scope="col">a</th><th scope="col" class="num">b | c</th>' in html
    assert "<td><code>x|y</code></td>" in html
    assert "<strong>&lt;img src=x onerror=alert(1)&gt;</strong>" in html
    assert '<a href="auth/report.json">rel</a>' in html and 'href="//' not in html
    assert '<a href="/etc/passwd">' in html  # a same-site path is a link, not a fetch
    assert "<pre><code>&lt;b&gt;code&lt;/b&gt;</code></pre>" in html
    assert "<p>plain *not emphasis* &amp; more</p>" in html
    assert "<li>item <code>one</code></li>" in html


# -- in a browser ------------------------------------------------------------------

@pytest.mark.slow
def test_dashboard_in_chromium(cluster: Cluster, tmp_path: Path) -> None:
    shot = tmp_path / "dashboard.png"  # docs/dashboard.png is the sample cluster's
    with chromium_page() as (page, log):
        page.goto((cluster.reports / "index.html").as_uri())
        table = page.locator("table.matrix")
        ok = table.locator("tr", has_text="walnut/catalog")
        bad = table.locator("tr", has=page.get_by_role("link", name=BLOCKED, exact=True))
        assert "pass" in ok.locator("td").first.inner_text()
        assert "blocked" in bad.locator("td").first.inner_text()
        assert page.locator("svg.chart").count() >= 3
        assert page.locator("svg.chart.line circle").count() >= 1
        page.screenshot(path=str(shot), full_page=True)

        bad.get_by_role("link", name=BLOCKED, exact=True).click()
        page.wait_for_load_state()
        assert page.url.endswith(cluster.entry(BLOCKED)["report_dir"].split("/", 1)[1]
                                 + "/index.html")
        lint = page.locator("#gate-lint")
        finding = lint.locator("article.finding.blocks")
        assert "sys imported but unused" in finding.inner_text()
        hit = finding.locator("pre.code .hit")
        assert hit.inner_text().endswith("import sys")
        assert hit.is_visible()
        bars = page.locator("#gate-probe svg.chart rect")
        assert bars.count() >= 6 and bars.first.bounding_box()["height"] > 0
        shot_img = page.locator("#gate-probe article img").first
        shot_img.scroll_into_view_if_needed()  # it loads lazily
        shot_img.evaluate("i => i.decode()")
        assert shot_img.evaluate("i => i.naturalWidth") == 1

        page.set_viewport_size({"width": 390, "height": 800})  # a phone
        page.goto((cluster.reports / "index.html").as_uri())
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390 + 1, "the page scrolls sideways on a phone"
    assert log.problems == []
    assert all(u.startswith("file://") for u in log.fetched), log.fetched
    assert shot.stat().st_size > 10_000


def test_base_trend_is_the_median_per_base_commit() -> None:
    def run(branch: str, base_commit: str, p95: float | None, commit: str = "x") -> dict:
        perf = {} if p95 is None else {"base": {"p95": p95, "rps": 10.0},
                                       "branch": {"p95": p95 * 2, "rps": 5.0}}
        return {"branch": branch, "base": "main", "base_commit": base_commit,
                "branch_commit": commit, "started": "t", "perf": perf}

    runs = [run("a/x", "c1", 100), run("b/y", "c1", 140), run("c/z", "c1", 90),
            run("a/x", "c2", None),  # not measured: no point
            run("main", "c3", 70, commit="c3"),  # main judged itself: its branch side
            run("d/w", "c3", None)]
    commits, values = dashboard.base_trend("main", runs)
    assert commits == ["c1", "c3"]
    assert values == {"p95": [100, 140], "rps": [10.0, 5.0]}


def test_colour_emoji_of_a_gates_markdown_become_text_glyphs() -> None:
    """An access matrix says ✅/❌ in summary.md; the page says ✔︎/✘︎, which every
    system font has (a machine without an emoji font showed empty boxes)."""
    from gates.model import STATUS_EMOJI
    from gates.publish.dashboard import markdown

    html = markdown("| Operation | No token | Other user's object |\n|---|---|---|\n"
                    "| `GET /api/invoices/{id}` | ✅ 401 | ❌ 200 |\n\n⚠️ server error · ◻️ other")
    assert "✔\ufe0e 401" in html and "✘\ufe0e 200" in html and "⚠\ufe0e server" in html
    assert not any(ch in html for ch in [*STATUS_EMOJI.values(), "⚠️", "◻️"]), html
    assert "<code>GET /api/invoices/{id}</code>" in html
    # once only, also where inline Markdown nests (**…**) or the glyph is already text
    assert markdown("**⚠️ x** ⚠\ufe0e y") == "<p><strong>⚠\ufe0e x</strong> ⚠\ufe0e y</p>"
