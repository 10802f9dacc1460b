"""Loopback HTTP helpers for the secrets test: a recording reverse proxy in front of the simulator (the simulator's
request log keeps no headers, and the test must prove the keys reached the venue) and a webhook receiver."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

# Hop-by-hop or re-computed by the server: never copied through.
_SKIP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host", "date"}


@dataclass
class Seen:
    """What one server received: (method, path with query, headers, body) per request."""

    requests: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        with self.lock:
            self.requests.append((method, path, headers, body))


@contextlib.contextmanager
def _serve(handler_cls) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_cls)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def recording_proxy(upstream: str) -> Iterator[tuple[str, Seen]]:
    """Forward every GET to `upstream` unchanged and record the request headers the client sent."""
    seen = Seen()
    client = httpx.Client(base_url=upstream, timeout=60.0)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet: the test reads `seen`
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            headers = {k: v for k, v in self.headers.items()}
            seen.add("GET", self.path, headers, b"")
            forward = {k: v for k, v in headers.items() if k.lower() not in _SKIP_HEADERS}
            try:
                upstream_response = client.get(self.path, headers=forward)
            except httpx.TransportError:  # the simulator's `reset` fault: drop the connection the same way
                self.close_connection = True
                self.connection.close()
                return
            body = upstream_response.content
            self.send_response(upstream_response.status_code)
            for k, v in upstream_response.headers.items():
                if k.lower() not in _SKIP_HEADERS:
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    try:
        with _serve(Handler) as root:
            yield root, seen
    finally:
        client.close()


@contextlib.contextmanager
def webhook_receiver(answer: Callable[[int, str], tuple[int, str]]) -> Iterator[tuple[str, Seen]]:
    """Accept POSTs; `answer(n, path)` gives the status and body of the n-th one (from 0)."""
    seen = Seen()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with seen.lock:
                n = len(seen.requests)
            seen.add("POST", self.path, dict(self.headers.items()), body)
            status, text = answer(n, self.path)
            payload = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    with _serve(Handler) as root:
        yield root, seen
