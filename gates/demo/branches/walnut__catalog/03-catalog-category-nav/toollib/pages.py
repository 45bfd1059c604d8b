"""Server-rendered pages: the catalog, the login form and the member's dashboard.

Plain HTML with every piece of data escaped (`html.escape`); the small scripts
build DOM nodes with `textContent`, never `innerHTML`. No external assets.
The token from the login form is kept in `localStorage` and sent as a bearer
header by the dashboard's script.
"""

from __future__ import annotations

import secrets
import sqlite3
from html import escape
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import HTMLResponse

from toollib.catalog import ToolOut, count_tools, list_categories, search_tools
from toollib.db import get_db

router = APIRouter(include_in_schema=False)
Db = Annotated[sqlite3.Connection, Depends(get_db)]

STYLE = """
body { font-family: system-ui, sans-serif; margin: 0; color: #1d2b1f; background: #f6f5ef; }
header { background: #2f5d3a; color: #fff; padding: .8rem 1.5rem; display: flex; gap: 1.5rem;
         align-items: baseline; }
header a { color: #fff; } header h1 { font-size: 1.3rem; margin: 0; }
main { max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem; }
input, button { font-size: 1rem; padding: .4rem .6rem; }
#search { width: 70%; }
ul.tools { list-style: none; padding: 0; }
ul.tools li { background: #fff; margin: .3rem 0; padding: .5rem .8rem; border-radius: 4px;
              display: flex; justify-content: space-between; }
.muted { color: #66705f; } .free { color: #2f7d32; } .busy { color: #a0522d; }
.error { color: #b00020; }
nav.categories a { margin-right: .8rem; } nav.pager { display: flex; gap: 1rem; }
"""


def page(title: str, body: str, script: str = "", status_code: int = 200) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    html = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · Tool Library</title>
<style>{STYLE}</style>
</head>
<body>
<header><h1>Tool Library</h1><a href="/">Catalog</a><a href="/dashboard">My loans</a>
<a href="/login">Log in</a></header>
<main>
{body}
</main>
{f'<script nonce="{nonce}">{script}</script>' if script else ''}
</body>
</html>
"""
    csp = (f"default-src 'self'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; "
           "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'")
    return HTMLResponse(html, status_code=status_code,
                        headers={"Content-Security-Policy": csp})


def tool_item(tool: ToolOut) -> str:
    state = ('<span class="free">available</span>' if tool.available
             else '<span class="busy">on loan</span>')
    return (f'<li data-testid="tool" data-tool-id="{tool.id}">'
            f'<span><strong data-testid="tool-name">{escape(tool.name)}</strong> '
            f'<span class="muted">{escape(tool.category)}</span></span>{state}</li>')


CATALOG_SCRIPT = """
const box = document.getElementById('search');
const list = document.getElementById('results');
const count = document.getElementById('result-count');
let timer = null, latest = 0;
function render(items) {
  list.replaceChildren(...items.map(tool => {
    const li = document.createElement('li');
    li.dataset.testid = 'tool';
    li.dataset.toolId = tool.id;
    const left = document.createElement('span');
    const name = document.createElement('strong');
    name.dataset.testid = 'tool-name';
    name.textContent = tool.name;
    const cat = document.createElement('span');
    cat.className = 'muted';
    cat.textContent = ' ' + tool.category;
    left.append(name, cat);
    const state = document.createElement('span');
    state.className = tool.available ? 'free' : 'busy';
    state.textContent = tool.available ? 'available' : 'on loan';
    li.append(left, state);
    return li;
  }));
  count.textContent = items.length + (items.length === 1 ? ' tool' : ' tools');
}
async function search() {
  const q = box.value.trim();
  const mine = ++latest;
  const resp = await fetch('/api/tools?limit=50&q=' + encodeURIComponent(q));
  if (!resp.ok || mine !== latest) return;
  render((await resp.json()).items);
  history.replaceState(null, '', q ? '/?q=' + encodeURIComponent(q) : '/');
}
box.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(search, 150); });
"""


@router.get("/", response_class=HTMLResponse)
def catalog_page(conn: Db, q: Annotated[str, Query(max_length=100)] = "") -> HTMLResponse:
    tools = search_tools(conn, q, None, None, 50, 0)
    items = "\n".join(tool_item(t) for t in tools)
    nav = " ".join(f'<a href="/categories/{c.slug}" data-testid="category-link">'
                   f'{escape(c.name)}</a>' for c in list_categories(conn))
    body = f"""
<h2>Catalog</h2>
<nav class="categories" data-testid="categories">{nav}</nav>
<form id="search-form" action="/" method="get" role="search">
  <input type="search" name="q" id="search" value="{escape(q)}" autocomplete="off"
         placeholder="Search: drill, ladder, mower…" aria-label="Search tools">
  <button type="submit">Search</button>
</form>
<p id="result-count" data-testid="result-count" class="muted">{len(tools)} tools</p>
<ul id="results" class="tools" data-testid="tool-list">
{items}
</ul>
"""
    return page("Catalog", body, CATALOG_SCRIPT)


CATEGORY_PAGE_SIZE = 24


@router.get("/categories/{slug}", response_class=HTMLResponse)
def category_page(
    conn: Db,
    slug: Annotated[str, Path(max_length=60)],
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> HTMLResponse:
    category = next((c for c in list_categories(conn) if c.slug == slug), None)
    if category is None:
        body = '<h2>No such category</h2><p><a href="/">Back to the catalog</a></p>'
        return page("Not found", body, status_code=404)
    tools = search_tools(conn, None, category.name, None, CATEGORY_PAGE_SIZE, offset)
    total = count_tools(conn, None, category.name, None)
    links = []
    if offset > 0:
        prev = max(offset - CATEGORY_PAGE_SIZE, 0)
        links.append(f'<a href="/categories/{slug}?offset={prev}" rel="prev" '
                     f'data-testid="prev">Previous</a>')
    if offset + CATEGORY_PAGE_SIZE < total:
        links.append(f'<a href="/categories/{slug}?offset={offset + CATEGORY_PAGE_SIZE}" '
                     f'rel="next" data-testid="next">Next</a>')
    shown = f"{offset + 1}–{offset + len(tools)} of {total}" if tools else f"0 of {total}"
    body = f"""
<h2 data-testid="category-name">{escape(category.name)}</h2>
<p class="muted" data-testid="category-summary">{category.available} of {category.tools}
  available · showing {shown}</p>
<ul id="results" class="tools" data-testid="tool-list">
{"".join(tool_item(t) for t in tools)}
</ul>
<nav class="pager">{" ".join(links)}</nav>
"""
    return page(category.name, body)


LOGIN_SCRIPT = """
document.getElementById('login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const error = document.getElementById('login-error');
  error.textContent = '';
  const resp = await fetch('/api/auth/login', {
    method: 'POST',
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({email: document.getElementById('email').value,
                          password: document.getElementById('password').value}),
  });
  if (!resp.ok) { error.textContent = 'Wrong e-mail or password.'; return; }
  localStorage.setItem('toollib_token', (await resp.json()).access_token);
  location.assign('/dashboard');
});
"""


@router.get("/login", response_class=HTMLResponse)
def login_page() -> HTMLResponse:
    body = """
<h2>Log in</h2>
<form id="login-form">
  <p><label>E-mail <input type="email" name="email" id="email" required
                          autocomplete="username"></label></p>
  <p><label>Password <input type="password" name="password" id="password" required
                            autocomplete="current-password"></label></p>
  <p><button type="submit" id="login-button">Log in</button></p>
  <p id="login-error" data-testid="login-error" class="error" role="alert"></p>
</form>
"""
    return page("Log in", body, LOGIN_SCRIPT)


DASHBOARD_SCRIPT = """
const token = localStorage.getItem('toollib_token');
if (!token) location.replace('/login');
const auth = {headers: {Authorization: 'Bearer ' + token}};
function cents(n) { return '$' + Math.floor(n / 100) + '.' + String(n % 100).padStart(2, '0'); }
function fill(id, rows, text) {
  const ul = document.getElementById(id);
  if (!rows.length) { const li = document.createElement('li'); li.className = 'muted';
    li.textContent = 'None.'; ul.replaceChildren(li); return; }
  ul.replaceChildren(...rows.map(row => { const li = document.createElement('li');
    li.dataset.testid = id.replace(/s$/, ''); li.textContent = text(row); return li; }));
}
async function load() {
  const me = await fetch('/api/members/me', auth);
  if (me.status === 401) { localStorage.removeItem('toollib_token'); location.replace('/login');
    return; }
  const member = await me.json();
  document.getElementById('member-name').textContent = member.name;
  document.getElementById('member-email').textContent = member.email;
  const [loans, invoices] = await Promise.all([
    fetch('/api/loans', auth).then(r => r.json()),
    fetch('/api/invoices', auth).then(r => r.json())]);
  fill('loans', loans, l => l.tool_name + (l.returned_at ? ' (returned)'
    : ' (due ' + l.due_at.slice(0, 10) + ')'));
  fill('invoices', invoices, i => i.number + ' ' + i.description + ' ' + cents(i.total_cents)
    + ' inc. GST ' + cents(i.gst_cents) + ' (' + i.status + ')');
}
document.getElementById('logout').addEventListener('click', () => {
  localStorage.removeItem('toollib_token'); location.assign('/'); });
if (token) load();
"""


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page() -> HTMLResponse:
    body = """
<h2>Hello, <span id="member-name">member</span></h2>
<p class="muted">Signed in as <span id="member-email" data-testid="member-email"></span>
  <button id="logout" type="button">Log out</button></p>
<h3>Your loans</h3>
<ul id="loans" class="tools" data-testid="loan-list"></ul>
<h3>Your invoices</h3>
<ul id="invoices" class="tools" data-testid="invoice-list"></ul>
"""
    return page("Dashboard", body, DASHBOARD_SCRIPT)
