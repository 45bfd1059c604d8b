"""A small HTTP app for the perf gate's tests: stdlib only, keep-alive, one knob per endpoint.

`/api/search?q=` sleeps SEARCH_MS (a branch makes it slower), and every TAIL_EVERY-th
search TAIL_MS more (a tail: p95 moves, the median does not), `/api/fast` answers at
once, `/api/items/<id>` does a little work, `/api/boom` fails when FAIL_EVERY > 0,
and with CRASH the process ends after 50 requests (an app that dies under load).
"""

import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

SEARCH_MS = 4.0
TAIL_EVERY = 0
TAIL_MS = 0.0
FAIL_EVERY = 0
CRASH = False
ITEMS = {i: {"id": i, "name": f"tool {i}"} for i in range(1, 101)}
COUNT = {"n": 0, "search": 0}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else Nagle + delayed ACK add 40 ms to every answer

    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        COUNT["n"] += 1
        if CRASH and COUNT["n"] > 50:
            os._exit(3)
        if url.path == "/health":
            return self._send(200, {"ok": True})
        if url.path == "/api/fast":
            return self._send(200, {"fast": True})
        if url.path.startswith("/api/items/"):
            item = ITEMS.get(int(url.path.rsplit("/", 1)[1] or 0))
            return self._send(200 if item else 404, item or {"error": "not found"})
        if url.path == "/api/search":
            q = parse_qs(url.query).get("q", [""])[0]
            COUNT["search"] += 1
            tail = TAIL_EVERY and COUNT["search"] % TAIL_EVERY == 0
            time.sleep((SEARCH_MS + (TAIL_MS if tail else 0.0)) / 1000)
            return self._send(200, [v for v in ITEMS.values() if q in v["name"]][:10])
        if url.path == "/api/boom":
            if FAIL_EVERY and COUNT["n"] % FAIL_EVERY == 0:
                return self._send(500, {"error": "boom"})
            return self._send(200, {"boom": False})
        return self._send(404, {"error": "no such page"})

    def log_message(self, *args):
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a load generator that stops its users resets connections: not news


if __name__ == "__main__":
    port = int(sys.argv[sys.argv.index("--port") + 1])
    server = Server(("127.0.0.1", port), Handler)
    print(f"perf app on {port}", flush=True)
    server.serve_forever()
