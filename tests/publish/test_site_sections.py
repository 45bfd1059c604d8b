"""A gate's structured sections on the run page (gates/publish/site/templates/sections.html.j2).

Each test builds a GateResult with sections, renders the run page of a verdict that
holds it, and reads the page back as a DOM: text is escaped, marks are text glyphs,
and only an artifact inside the run folder is linked.
"""

from __future__ import annotations

import os
from pathlib import Path

from gates.model import (
    STATUS_EMOJI,
    Bullets,
    Chart,
    Commands,
    GateResult,
    Heading,
    Paragraph,
    Status,
    Table,
    Text,
    Verdict,
    code,
    plain,
)
from gates.publish.site import run
from gates.publish.site.paths import Site
from tests.publish.test_site import Node, by_id, dom


def render(tmp_path: Path, result: GateResult) -> tuple[Node, str]:
    """The run page of a verdict with one gate, as a DOM and as raw HTML."""
    report_dir = "reports/walnut__catalog/bbbbbbbb"
    (tmp_path / report_dir).mkdir(parents=True, exist_ok=True)
    v = Verdict(branch="walnut/catalog", agent="WALNUT", base="main", branch_commit="b" * 40,
                base_commit="a" * 40, tree=None, results=[result], passed=True, reasons=[],
                started="2026-11-25T10:00:00Z", report_dir=report_dir)
    html = run.page(tmp_path, Site(tmp_path / "reports", "reports"), v, [],
                    "2026-11-25T10:01:00Z", [])
    page = tmp_path / report_dir / "index.html"
    page.write_text(html, encoding="utf-8")
    return dom(page), html


def md(page: Node, gate: str = "auth") -> Node:
    return by_id(page, f"gate-{gate}").all("div", "md")[0]


def test_every_section_type_renders_with_its_text_escaped(tmp_path: Path) -> None:
    chart = tmp_path / "reports/walnut__catalog/bbbbbbbb/auth/matrix.svg"
    chart.parent.mkdir(parents=True)
    chart.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    result = GateResult("auth", Status.PASS, sections=[
        Heading("Access <i>matrix</i>"),
        Paragraph([plain("plain "), code("<b>x</b>"), plain(" & "),
                   Text("<img src=x onerror=alert(1)>", strong=True)]),
        Bullets([[plain("item "), code("one")], [plain("two")]]),
        Table(["Operation", "No token", "ms"],
              [[[code("GET /api/x")], [Text("401", mark="good")], [plain("12")]]],
              [False, False, True]),
        Chart("auth/matrix.svg", "who may do what"),
        Chart("auth/missing.svg", "a chart that was not written"),
        Commands(["curl -sS 'http://127.0.0.1:8000/x' -H 'X: <none>'", "second line"]),
    ])
    page, html = render(tmp_path, result)
    box = md(page)
    assert "<i>" not in html and "<img src=x" not in html and "<b>" not in html
    assert box.all("h3")[0].text() == "Access <i>matrix</i>"
    (p,) = box.all("p")[:1]
    assert p.text() == "plain <b>x</b> & <img src=x onerror=alert(1)>"
    assert p.all("code")[0].text() == "<b>x</b>"
    assert p.all("strong")[0].text() == "<img src=x onerror=alert(1)>"
    assert [li.text() for li in box.all("li")] == ["item one", "two"]
    (table,) = box.all("table")
    assert [th.text() for th in table.all("th")] == ["Operation", "No token", "ms"]
    assert [th.attrs.get("scope") for th in table.all("th")] == ["col"] * 3
    cells = table.all("td")
    assert [c.text() for c in cells] == ["GET /api/x", "✔\ufe0e 401", "12"]
    assert cells[2].attrs.get("class") == "num" and "class" not in cells[0].attrs
    imgs = box.all("img")
    assert [i.attrs["src"] for i in imgs] == ["auth/matrix.svg"]
    assert imgs[0].attrs["alt"] == "who may do what"
    assert "a chart that was not written" in box.text()
    (pre,) = box.all("pre", "curl")
    assert pre.text() == "curl -sS 'http://127.0.0.1:8000/x' -H 'X: <none>'\nsecond line"
    # a chart shown as a section is not shown again under Pictures
    assert not any(h.text() == "Pictures" for h in page.all("h3"))


def test_only_an_artifact_inside_the_run_folder_is_linked(tmp_path: Path) -> None:
    run_dir = tmp_path / "reports/walnut__catalog/bbbbbbbb"
    (run_dir / "auth").mkdir(parents=True)
    (run_dir / "auth/report.json").write_text("{}")
    (tmp_path / "outside.txt").write_text("secret")
    os.symlink(tmp_path / "outside.txt", run_dir / "auth/link.txt")
    hrefs = ["auth/report.json", "/etc/passwd", "//evil.test/x", "javascript:alert(1)",
             "http://evil.test/x", "../../../outside.txt", "auth/link.txt", "auth/none.json"]
    result = GateResult("auth", Status.PASS, sections=[
        Paragraph([Text(f"l{i}", href=h) for i, h in enumerate(hrefs)])])
    page, html = render(tmp_path, result)
    box = md(page)
    assert [(a.attrs["href"], a.text()) for a in box.all("a")] == [("auth/report.json", "l0")]
    assert box.text().strip() == "".join(f"l{i}" for i in range(len(hrefs)))  # the rest: text
    assert "javascript:" not in html and "evil.test" not in html and "passwd" not in html


def test_marks_become_the_pages_text_glyphs(tmp_path: Path) -> None:
    """An access matrix marks cells good/bad/warn/other; the page says ✔︎/✘︎/⚠︎/◻︎,
    which every system font has, never a colour emoji."""
    result = GateResult("auth", Status.FAIL, sections=[
        Paragraph([Text("refused", mark="good"), plain(" · "), Text("let in", mark="bad"),
                   plain(" · "), Text("server error", mark="warn", strong=True), plain(" · "),
                   Text("other", mark="other")])])
    page, html = render(tmp_path, result)
    text = md(page).text().strip()
    assert text == ("✔\ufe0e refused · ✘\ufe0e let in · ⚠\ufe0e server error · "
                    "◻\ufe0e other")
    assert md(page).all("strong")[0].text() == "server error"  # the mark stays outside
    assert not any(ch in html for ch in [*STATUS_EMOJI.values(), "⚠️", "◻️", "✅", "❌"])


def test_a_legacy_details_string_shows_as_escaped_text(tmp_path: Path) -> None:
    """A verdict.json from before sections: its Markdown is shown as text, never parsed."""
    details = "| a | b |\n|---|---|\n| <script>alert(1)</script> | ✅ |\n\n**bold** [x](y)"
    old = GateResult.from_json({"gate": "auth", "status": "pass", "details": details})
    page, html = render(tmp_path, old)
    assert md(page).text().split() == details.split()  # as the gate wrote it
    assert "<script" not in html and "&lt;script&gt;" in html
    assert not md(page).all("table") and not md(page).all("strong")


def test_nothing_shows_without_sections(tmp_path: Path) -> None:
    page, _ = render(tmp_path, GateResult("auth", Status.PASS))
    assert not by_id(page, "gate-auth").all("div", "md")
