"""A real HTTP server on 127.0.0.1 for unit tests of HTTP clients (OpenAPI fetch, login):
`with serve({("GET", "/x"): (200, {"a": 1})}) as url:`. A route's answer is
(status, body) — a dict/list goes out as JSON, bytes/str as they are — or a function
of the request's (body bytes, headers) returning one."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = tuple[int, Any]
Route = Answer | Callable[[bytes, Mapping[str, str]], Answer]


@contextlib.contextmanager
def serve(routes: Mapping[tuple[str, str], Route]) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            route = routes.get((self.command, self.path.split("?")[0]))
            status, payload = (404, {"detail": "not found"}) if route is None else (
                route(body, dict(self.headers)) if callable(route) else route)
            if isinstance(payload, dict | list):
                data, ctype = json.dumps(payload).encode(), "application/json"
            else:
                data = payload.encode() if isinstance(payload, str) else payload
                ctype = "text/plain"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
