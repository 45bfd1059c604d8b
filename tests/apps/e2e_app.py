"""A small web app for the e2e gate's tests: a page with a search box that asks the API.

stdlib only. `python e2e_app.py --port P`. SEARCH_BOX = False renders the page
without its search box (what a branch that breaks the page does).
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

SEARCH_BOX = True
TOOLS = ["cordless drill", "circular saw", "ladder", "hedge trimmer", "pressure washer"]

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tool library</title></head>
<body>
<h1>Tool library</h1>
%(box)s
<ul id="results"></ul>
<script>
const box = document.querySelector("#q");
console.log("tool library page loaded");
if (box) box.addEventListener("input", async () => {
  const r = await fetch("/api/search?q=" + encodeURIComponent(box.value));
  const items = await r.json();
  document.querySelector("#results").innerHTML =
    items.map(t => "<li>" + t + "</li>").join("");
});
else console.error("search box missing");
</script>
</body></html>
"""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def _reply(self, status, body, ctype):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/health":
            return self._reply(200, "ok", "text/plain")
        if url.path == "/":
            box = '<input id="q" type="search" placeholder="Search tools">' if SEARCH_BOX else ""
            return self._reply(200, PAGE % {"box": box}, "text/html; charset=utf-8")
        if url.path == "/api/search":
            q = parse_qs(url.query).get("q", [""])[0].lower()
            return self._reply(200, json.dumps([t for t in TOOLS if q in t]), "application/json")
        return self._reply(404, "not found", "text/plain")

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port = int(sys.argv[sys.argv.index("--port") + 1])
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()
