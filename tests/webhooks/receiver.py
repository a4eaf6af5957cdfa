"""A real HTTP receiver on 127.0.0.1 that a test starts: it records every POST (headers and
raw body) and answers with the status the test sets; and reading a receiver's deliveries
through the API, as a client watches them."""

import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.factories import Account

#: Generous for a loaded 2-core machine; a delivery here takes milliseconds.
WAIT_SECONDS = 30


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    port: int
    status: int = 200
    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                receiver.received.append(Received(dict(self.headers.items()), body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def wait(self, count: int = 1) -> list[Received]:
        """The first `count` requests, once they arrived; fails after a bound."""
        deadline = time.monotonic() + WAIT_SECONDS
        while len(self.received) < count:
            assert time.monotonic() < deadline, f"{len(self.received)} of {count} arrived"
            time.sleep(0.02)
        return self.received[:count]


def free_port() -> int:
    """A port nothing listens on (the receiver that is down)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def deliveries(owner: Account, receiver_id: int) -> list[dict[str, Any]]:
    response = owner.get(f"/api/webhooks/{receiver_id}/deliveries")
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def wait_for_attempts(owner: Account, receiver_id: int, count: int) -> dict[str, Any]:
    """The newest delivery once the background sender has made `count` attempts at it."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        found = deliveries(owner, receiver_id)
        if found and found[0]["attempts"] >= count:
            return found[0]
        assert time.monotonic() < deadline, found
        time.sleep(0.02)
