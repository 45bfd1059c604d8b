"""Browser suites that start their own server, through the real e2e gate: a Flask app
with pytest-flask's `live_server` and a Django app with pytest-django's, no `[app]`,
real Chromium, the real CLI. Each repo's base already has one failing test (debt)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gates.builtin.e2e import shapes
from gates.publish.md import esc
from tests.conftest import GitRepo, need_chromium, run_gates

CONFIG = '[gates.e2e]\ntests = ["tests/e2e"]\n'

FLASK = {
    "shop.py": '''\
from flask import Flask

BUTTON = "Add to cart"


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def index() -> str:
        return f'<h1>Shop</h1><button id="add">{BUTTON}</button>'

    @app.get("/about")
    def about() -> str:
        return "<h1>About</h1><p>Open 9 to 5</p>"

    return app
''',
    "requirements-dev.txt": "flask\npytest-flask\npytest-playwright\n",
    "tests/e2e/conftest.py": '''\
import pytest

from shop import create_app


@pytest.fixture(scope="session")
def app():
    return create_app()
''',
    "tests/e2e/test_shop.py": '''\
from pathlib import Path

from playwright.sync_api import Page, expect


def test_add_to_cart_button(page: Page, live_server) -> None:
    page.goto(live_server.url("/"))
    expect(page.locator("#add")).to_have_text("Add to cart", timeout=3000)


def test_about_page_names_the_hours(page: Page, live_server) -> None:
    page.goto(live_server.url("/about"))
    expect(page.locator("p")).to_have_text("Open 8 to 6", timeout=1000)


def test_cart_badge(page: Page, live_server) -> None:
    first_try = Path("cart-badge-tried")  # the tree's root: fails once, then passes
    if not first_try.exists():
        first_try.write_text("tried")
        raise AssertionError("the cart badge did not load in time")
    page.goto(live_server.url("/"))
    expect(page.locator("h1")).to_have_text("Shop")
''',
}

DJANGO = {
    "shop/__init__.py": "",
    "shop/settings.py": '''\
SECRET_KEY = "only-for-the-browser-tests"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "shop.urls"
INSTALLED_APPS = []
MIDDLEWARE = []
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True
STATIC_URL = "/static/"
''',
    "shop/urls.py": '''\
from django.http import HttpResponse
from django.urls import path

BUTTON = "Add to cart"


def index(request):
    return HttpResponse(f'<h1>Shop</h1><button id="add">{BUTTON}</button>')


def about(request):
    return HttpResponse("<h1>About</h1><p>Open 9 to 5</p>")


urlpatterns = [path("", index), path("about", about)]
''',
    "pyproject.toml": '''\
[project]
name = "shop"
version = "0.1"
dependencies = ["django"]

[tool.pytest.ini_options]
DJANGO_SETTINGS_MODULE = "shop.settings"
''',
    "tests/e2e/test_shop.py": '''\
from pathlib import Path

from playwright.sync_api import Page, expect


def test_add_to_cart_button(page: Page, live_server) -> None:
    page.goto(live_server.url + "/")
    expect(page.locator("#add")).to_have_text("Add to cart", timeout=3000)


def test_about_page_names_the_hours(page: Page, live_server) -> None:
    page.goto(live_server.url + "/about")
    expect(page.locator("p")).to_have_text("Open 8 to 6", timeout=1000)


def test_cart_badge(page: Page, live_server) -> None:
    first_try = Path("cart-badge-tried")  # the tree's root: fails once, then passes
    if not first_try.exists():
        first_try.write_text("tried")
        raise AssertionError("the cart badge did not load in time")
    page.goto(live_server.url + "/")
    expect(page.locator("h1")).to_have_text("Shop")
''',
}

# where each app's button text lives, and the server the gate should name
KINDS = {"flask": (FLASK, "shop.py", shapes.FLASK_LIVE),
         "django": (DJANGO, "shop/urls.py", shapes.DJANGO_LIVE)}


def shop_repo(tmp_path: Path, kind: str, config: str = CONFIG) -> GitRepo:
    files, _, _ = KINDS[kind]
    repo = GitRepo(tmp_path / kind)
    repo.commit({**files, "gates.toml": config}, f"a {kind} shop with browser tests")
    return repo


def gate_of(repo: GitRepo, branch: str) -> tuple[dict[str, object], Path]:
    folder = next((repo.path / "reports" / branch.replace("/", "__")).glob("*/verdict.json")
                  ).parent
    [gate] = json.loads((folder / "verdict.json").read_text())["gates"]
    return gate, folder


def run(repo: GitRepo, branch: str) -> tuple[int, dict[str, object], Path]:
    res = run_gates("run", "--branch", branch, "--gate", "e2e", "--no-status", cwd=repo.path)
    gate, folder = gate_of(repo, branch)
    assert res.returncode in (0, 1), res.stdout + res.stderr
    return res.returncode, gate, folder


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["flask", "django"])
def test_a_suite_with_its_own_live_server(tmp_path: Path, kind: str) -> None:
    """No [app]: the suite runs as it is, on the server it starts. A README branch passes
    over the base's own failing test (existing debt) and a test that fails once (flaky);
    a renamed button blocks, naming the test, with its screenshot."""
    need_chromium()
    files, page, server = KINDS[kind]
    repo = shop_repo(tmp_path, kind)
    repo.branch("walnut/readme", {"README.md": "# shop\n"})
    repo.branch("walnut/rename", {page: files[page].replace(
        'BUTTON = "Add to cart"', 'BUTTON = "Buy"')})

    code, gate, folder = run(repo, "walnut/readme")
    assert code == 0 and gate["status"] == "pass", gate
    metrics = gate["metrics"]
    assert isinstance(metrics, dict) and metrics["server"] == server
    assert metrics["tests"] == {"passed": 1, "failed": 2, "error": 0, "skipped": 0}
    # the base fails the debt test (and, on its first try, the flaky one)
    assert "test_about_page_names_the_hours[chromium]" in [
        t.split("::")[-1] for t in metrics["failing_on_base"]]
    assert [t.split("::")[-1] for t in metrics["flaky"]] == ["test_cart_badge[chromium]"]
    flaky, debt = sorted(gate["findings"], key=lambda f: f["rule"])  # type: ignore[arg-type]
    assert not debt["new"] and not debt["blocking"] and debt["rule"] == "test-failed"
    assert "already fails on the base" in debt["message"]
    assert flaky["rule"] == "flaky" and flaky["severity"] == "info" and not flaky["blocking"]
    summary = (folder / "summary.md").read_text()
    assert f"Served by** {esc(server)}" in summary and "fails on the base too" in summary

    code, gate, folder = run(repo, "walnut/rename")
    assert code == 1 and gate["status"] == "fail", gate
    [broken] = [f for f in gate["findings"] if f["blocking"]]  # type: ignore[union-attr]
    assert "test_add_to_cart_button[chromium] failed" in broken["message"]
    assert broken["path"] == "tests/e2e/test_shop.py"
    assert (folder / broken["extra"]["screenshot"]).is_file()
    assert sorted(f["rule"] for f in gate["findings"] if not f["blocking"]  # type: ignore[union-attr]
                  ) == ["flaky", "test-failed"]


@pytest.mark.parametrize("kind", ["flask", "django"])
def test_a_configured_gate_without_a_browser_is_an_error(tmp_path: Path, kind: str) -> None:
    repo = shop_repo(tmp_path, kind, CONFIG + 'chromium = "/nonexistent/chromium"\n')
    repo.branch("walnut/readme", {"README.md": "# shop\n"})
    code, gate, folder = run(repo, "walnut/readme")
    assert code == 1 and gate["status"] == "error" and gate["blocking"]
    assert "no Chromium at /nonexistent/chromium" in str(gate["reason"])
    summary = (folder / "summary.md").read_text()
    assert "# ❌ blocked" in summary and "## Gates that could not run" in summary


def test_a_suite_that_starts_no_server_without_app_is_an_error(tmp_path: Path) -> None:
    need_chromium()
    repo = GitRepo(tmp_path / "repo")
    repo.commit({"tests/e2e/test_home.py": FLASK["tests/e2e/test_shop.py"].replace(
        "live_server", "base_url").replace('base_url.url("/")', "base_url"),
        "gates.toml": CONFIG}, "browser tests against some server")
    repo.branch("walnut/rename", {"NOTES.md": "notes\n"})
    code, gate, _ = run(repo, "walnut/rename")
    assert code == 1 and gate["status"] == "error"
    assert str(gate["reason"]).endswith("set [app] command in gates.toml")
    assert "start no server of their own" in str(gate["reason"])


# -- reading the shapes (no browser) --------------------------------------------------


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_the_shapes_are_read_from_the_suite_and_the_repo(tmp_path: Path) -> None:
    flask = shapes.detect(_tree(tmp_path / "f", FLASK), ["tests/e2e"])
    assert flask is not None and flask.name == shapes.FLASK_LIVE and flask.plugin == "flask"
    assert flask.evidence[0] == "tests/e2e/test_shop.py uses live_server"
    django = shapes.detect(_tree(tmp_path / "d", DJANGO), ["tests/e2e"])
    assert django is not None and django.name == shapes.DJANGO_LIVE
    case = shapes.detect(_tree(tmp_path / "c", {"tests/ui/test_home.py": (
        "from django.contrib.staticfiles.testing import StaticLiveServerTestCase\n\n\n"
        "class HomeTests(StaticLiveServerTestCase):\n    pass\n")}), ["tests/ui"])
    assert case is not None and case.name == shapes.DJANGO_CASE and case.plugin == "django"
    thread = shapes.detect(_tree(tmp_path / "t", {"conftest.py": (
        "import threading\nfrom wsgiref.simple_server import make_server\n\n"
        "def serve(app):\n    srv = make_server('127.0.0.1', 0, app)\n"
        "    threading.Thread(target=srv.serve_forever, daemon=True).start()\n"),
        "tests/e2e/test_x.py": "def test_x(page):\n    pass\n"}), ["tests/e2e"])
    assert thread is not None and thread.name == shapes.THREAD
    assert thread.evidence == ["conftest.py starts a server on a thread"]
    none = shapes.detect(_tree(tmp_path / "n", {"tests/e2e/test_x.py": (
        "def test_x(page, base_url):\n    page.goto(base_url)\n")}), ["tests/e2e"])
    assert none is None


THREAD_CONFTEST = '''\
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from page import HTML


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = HTML.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
'''


@pytest.mark.slow
def test_a_conftest_that_serves_the_app_on_a_thread(tmp_path: Path) -> None:
    need_chromium()
    repo = GitRepo(tmp_path / "thread")
    repo.commit({"page.py": 'HTML = "<h1>Shop</h1><button id=add>Add to cart</button>"\n',
                 "tests/e2e/conftest.py": THREAD_CONFTEST,
                 "tests/e2e/test_page.py": (
                     "from playwright.sync_api import expect\n\n\n"
                     "def test_add_to_cart_button(page, site):\n    page.goto(site)\n"
                     '    expect(page.locator("#add")).to_have_text("Add to cart", '
                     "timeout=3000)\n"),
                 "gates.toml": CONFIG}, "a page served by the suite's own thread")
    repo.branch("walnut/rename", {"page.py": 'HTML = "<h1>Shop</h1><button id=add>Buy</button>"\n'})
    code, gate, _ = run(repo, "walnut/rename")
    assert code == 1 and gate["status"] == "fail", gate
    assert gate["metrics"]["server"] == shapes.THREAD  # type: ignore[index]
    [broken] = gate["findings"]  # type: ignore[misc]
    assert broken["blocking"] and "test_add_to_cart_button[chromium] failed" in broken["message"]
