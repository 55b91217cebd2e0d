"""The production servers of a baked App with slow PIMs, slow clients and malformed requests.

Each test starts the command the project's README documents (gunicorn for Flask, uvicorn for
FastAPI) with its defaults (one worker), on loopback, with a SQLite database.
"""

import random
import re
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.production import Server, migrate, production_command, serve, wait_for

BAKES = ["fastapi", "flask"]
FUZZED_REQUESTS = 2000
STATUS_LINE = re.compile(rb"^HTTP/1\.[01] (\d{3})")


class SilentPim:
    """A PIM on loopback that accepts every connection, reads what comes, and never answers."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self.held: list[socket.socket] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return  # closed
            self.held.append(connection)

    def close(self) -> None:
        self._listener.close()
        for connection in self.held:
            connection.close()


@contextmanager
def production_server(baked: Path, tmp_path: Path, **env: str) -> Iterator[Server]:
    """The README's production command on a migrated SQLite database, serving on loopback."""
    database = f"sqlite:///{tmp_path / 'app.db'}"
    migration = migrate(baked, database)
    assert migration.returncode == 0, migration.stderr
    settings = {
        "DATABASE_URL": database,
        "APP_ENV": "development",  # the PIMs below speak plain http on loopback
        "AKENEO_CLIENT_ID": CLIENT_ID,
        "AKENEO_CLIENT_SECRET": CLIENT_SECRET,
        **env,
    }
    with serve(production_command(baked), baked, tmp_path / "server.log", **settings) as server:
        wait_for(server)
        yield server


def half_sent(server: Server, request: bytes) -> socket.socket:
    """A client that sends the start of `request`, then nothing more, and stays connected."""
    client = socket.create_connection(("127.0.0.1", int(server.url.rsplit(":", 1)[1])))
    client.sendall(request)
    return client


def slow_callback(server: Server, pim_url: str) -> httpx.Response:
    """A browser back from the PIM's consent screen: the App then asks the PIM for a token."""
    with httpx.Client(base_url=server.url, timeout=120) as browser:
        activation = browser.get("/activate", params={"pim_url": pim_url})
        state = parse_qs(urlsplit(activation.headers["location"]).query)["state"][0]
        return browser.get("/callback", params={"code": "a-code", "state": state})


def health_seconds(server: Server) -> float:
    start = time.monotonic()
    answer = httpx.get(f"{server.url}/health", timeout=30, headers={"Connection": "close"})
    elapsed = time.monotonic() - start
    assert answer.status_code == 200, answer.text
    return elapsed


def worker_starts(log: str) -> int:
    return log.count("Booting worker") + log.count("Started server process")


@pytest.mark.parametrize("baked", BAKES, indirect=True)
def test_health_answers_in_under_1_s_while_3_pim_calls_and_3_clients_are_slow(
    baked: Path, tmp_path: Path
) -> None:
    pim = SilentPim()
    try:
        with (
            production_server(
                baked, tmp_path, HTTP_TIMEOUT="120", AKENEO_ALLOWED_PIM_URLS=pim.url
            ) as server,
            ThreadPoolExecutor(max_workers=3) as browsers,
        ):
            callbacks = [browsers.submit(slow_callback, server, pim.url) for _ in range(3)]
            deadline = time.monotonic() + 30
            while len(pim.held) < 3:  # the App is waiting for the PIM's token, three times
                assert time.monotonic() < deadline, server.output()
                time.sleep(0.05)
            host = b"Host: 127.0.0.1\r\n"
            slow_clients = [
                half_sent(server, b"GET /health HTTP/1.1\r\n" + host),
                half_sent(server, b"GET /he"),
                half_sent(
                    server,
                    b"POST /logout HTTP/1.1\r\n" + host + b"Content-Length: 100\r\n"
                    b"Content-Type: application/x-www-form-urlencoded\r\n\r\ncsrf_token=",
                ),
            ]
            # Longer than gthread's wait for a first byte (5 s), so the slow clients are held.
            timings = []
            for _ in range(8):
                timings.append(health_seconds(server))
                time.sleep(0.8)
            waiting = [callback.done() for callback in callbacks]
            for client in slow_clients:
                client.close()
            pim.close()  # the PIM hangs up: each waiting page becomes an error page
            pages = [callback.result(timeout=60) for callback in callbacks]
            assert health_seconds(server) < 1
            log = server.output()
    finally:
        pim.close()

    assert max(timings) < 1, timings
    assert waiting == [False, False, False]
    assert [page.status_code for page in pages] == [502, 502, 502], [p.text for p in pages]
    assert worker_starts(log) == 1, log
    assert "WORKER TIMEOUT" not in log, log
    assert "Traceback" not in log, log


def malformed_requests(count: int, seed: int) -> list[bytes]:
    """`count` malformed requests of many kinds: bodies, chunking, lengths, forms, heads."""
    rng = random.Random(seed)
    form_paths = ["/activate", "/logout", "/request-scopes"]
    garbage = [b"\x00", b"\xff\xfe", b"%", b"%zz", b"%%41", b"\r", b"\n", b"<script>", b"\xc3("]

    def noise(size: int) -> bytes:
        return bytes(rng.randrange(256) for _ in range(size))

    def head(method: bytes, path: bytes, *headers: bytes) -> bytes:
        return b"%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n" % (
            method,
            path,
            b"".join(header + b"\r\n" for header in headers),
        )

    def form_post(*headers: bytes) -> bytes:
        return head(b"POST", rng.choice(form_paths).encode(), *headers)

    urlencoded = b"Content-Type: application/x-www-form-urlencoded"

    def bad_chunks() -> bytes:
        size = rng.choice(
            [b"ZZ", b"-1", b"0x10", b"1;" + noise(4), b"F" * 20, b" 5", b"5 ", b"", b"\x00"]
        )
        tail = rng.choice([b"\r\nabcde\r\n0\r\n\r\n", b"\r\nab", b"\r\n", b"\n\n", noise(8)])
        return form_post(b"Transfer-Encoding: chunked", urlencoded) + size + tail

    def bad_chunk_framing() -> bytes:
        body = rng.choice(
            [
                b"3\r\nabcdef\r\n0\r\n\r\n",  # more data than the chunk size
                b"5\r\nab",  # cut short
                b"3\r\nabc0\r\n\r\n",  # no CRLF after the data
                b"3\r\nabc\r\n0\r\nX-Trailer\r\n\r\n",  # malformed trailer
                b"0\r\n",  # no last CRLF
                b"1;" + b"x" * 5000 + b"\r\na\r\n0\r\n\r\n",  # a huge chunk extension
            ]
        )
        return form_post(b"Transfer-Encoding: chunked", urlencoded) + body

    def bad_content_length() -> bytes:
        headers = rng.choice(
            [
                [b"Content-Length: abc"],
                [b"Content-Length: -5"],
                [b"Content-Length: +5"],
                [b"Content-Length: 5, 6"],
                [b"Content-Length: 5", b"Content-Length: 6"],
                [b"Content-Length: 99999999999999999999"],
                [b"Content-Length: 50"],  # longer than the body sent
                [b"Content-Length: 5000000"],  # above the form cap
                [b"Content-Length: 3", b"Transfer-Encoding: chunked"],
                [b"Content-Length: 0x10"],
            ]
        )
        return form_post(*headers, urlencoded) + b"csrf_token=" + noise(rng.randrange(8))

    def bad_form() -> bytes:
        body = b"&".join(
            rng.choice(garbage) + noise(rng.randrange(6)) + b"=" + rng.choice(garbage)
            for _ in range(rng.randrange(1, 20))
        )
        content_type = rng.choice(
            [
                urlencoded,
                urlencoded + b"; charset=" + noise(4),
                b"Content-Type: multipart/form-data; boundary=" + noise(6),
                b"Content-Type: multipart/form-data",
                b"Content-Type: " + noise(10),
                b"Content-Type: application/json",
            ]
        )
        length = b"Content-Length: %d" % len(body)
        return form_post(content_type, length) + body

    def bad_head() -> bytes:
        return rng.choice(
            [
                head(b"GET", b"/", b"Bad Header: x"),
                head(b"GET", b"/", b"X-Folded: a\r\n b"),
                head(b"GET", b"/", b"X-Null: a\x00b"),
                head(b"GET", b"/", b"X-Long: " + b"a" * 10000),
                head(b"GET", b"/", *[b"X-Many-%d: a" % n for n in range(150)]),
                head(b"GET", b"/", b"Host: second.example"),
                head(b"GET", b"/" + b"a" * 9000),
                head(b"GET", b"/activate?pim_url=" + noise(12).replace(b" ", b"%20")),
                head(b"GET", b"/callback?code=%zz&state=" + noise(6).replace(b" ", b"")),
                head(b"G\x00T", b"/"),
                head(b"GET", b"/%"),
                head(b"GET", b"http://evil.example/"),
                b"GET / HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n",
                b"GET / HTTP/1.1x\r\n\r\n",
                b"GET /\r\n\r\n",
                noise(rng.randrange(1, 64)) + b"\r\n\r\n",
                b"GET / HTTP/1.1\r\n" + noise(30) + b"\r\n\r\n",
            ]
        )

    makers = [bad_chunks, bad_chunk_framing, bad_content_length, bad_form, bad_head]
    return [rng.choice(makers)() for _ in range(count)]


def send_raw(port: int, request: bytes) -> int | None:
    """Send `request` on a new connection, then end the sending side; the answer's status."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
        try:
            client.sendall(request)
            client.shutdown(socket.SHUT_WR)
            answer = client.recv(64)
        except (ConnectionError, TimeoutError):
            return None
    match = STATUS_LINE.match(answer)
    return int(match.group(1)) if match else None


@pytest.mark.parametrize("baked", BAKES, indirect=True)
def test_2000_malformed_requests_get_no_answer_of_500_or_more_and_no_traceback(
    baked: Path, tmp_path: Path
) -> None:
    requests = malformed_requests(FUZZED_REQUESTS, seed=23)
    with production_server(baked, tmp_path) as server:
        port = int(server.url.rsplit(":", 1)[1])
        with ThreadPoolExecutor(max_workers=4) as clients:
            statuses = list(clients.map(lambda request: send_raw(port, request), requests))
        health = httpx.get(f"{server.url}/health", timeout=10)
        log = server.output()

    answers = zip(statuses, requests, strict=True)
    failures = [(status, request[:120]) for status, request in answers if (status or 0) >= 500]
    assert failures == [], failures[:10]
    assert sum(status is not None for status in statuses) > FUZZED_REQUESTS / 2
    assert health.status_code == 200
    assert worker_starts(log) == 1, log[-3000:]
    assert "Traceback" not in log, log[log.index("Traceback") - 2000 :][:6000]
