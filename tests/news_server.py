"""A real HTTP server on loopback serving the news fixtures (tests/fixtures/news), with routes the
tests can change while it runs (edit a feed, make it slow, huge or broken)."""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

NEWS_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "news"


@dataclass
class Route:
    body: bytes
    status: int = 200
    delay: float = 0.0  # seconds before answering (a slow server)
    content_type: str = "application/rss+xml; charset=utf-8"
    send_length: bool = True  # False: no Content-Length, the body streams until the connection closes
    etag: bool = True  # answer If-None-Match with 304


@dataclass
class FeedServer:
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict]] = field(default_factory=list)  # (path, headers) received

    def start(self) -> "FeedServer":
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args) -> None:  # keep the test output clean
                pass

            def do_GET(self) -> None:
                server.requests.append((self.path, dict(self.headers)))
                route = server.routes.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                if route.delay:
                    time.sleep(route.delay)
                tag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
                try:
                    if route.etag and route.status == 200 and self.headers.get("If-None-Match") == tag:
                        self.send_response(304)
                        self.send_header("ETag", tag)
                        self.end_headers()
                        return
                    self.send_response(route.status)
                    self.send_header("Content-Type", route.content_type)
                    if route.etag:
                        self.send_header("ETag", tag)
                        self.send_header("Last-Modified", "Sun, 01 Jun 2025 08:00:00 GMT")
                    if route.send_length:
                        self.send_header("Content-Length", str(len(route.body)))
                    self.end_headers()
                    for i in range(0, len(route.body), 16384):
                        self.wfile.write(route.body[i:i + 16384])
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (too big, too slow): that is the point

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def serve(self, path: str, fixture: str | None = None, body: bytes | None = None, **kw) -> str:
        """Serve a fixture file (or bytes) at ``path``; returns its URL."""
        data = body if body is not None else (NEWS_FIXTURES / fixture).read_bytes()
        self.routes[path] = Route(data, **kw)
        return self.url(path)

    def hits(self, path: str) -> list[dict]:
        return [h for p, h in self.requests if p == path]


def oversized_feed(size: int) -> bytes:
    """A well-formed RSS feed bigger than ``size`` bytes."""
    item = ("<item><guid>big-{n}</guid><title>Article {n}</title><link>https://pix.fr/big/{n}</link>"
            "<description>" + "x" * 900 + "</description></item>\n")
    parts, total, n = [], 0, 0
    while total <= size:
        chunk = item.format(n=n)
        parts.append(chunk)
        total += len(chunk)
        n += 1
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Énorme</title>\n'
            + "".join(parts) + "</channel></rss>\n").encode()
