"""A hostile PIM on loopback: real sockets, answers no honest PIM gives.

``HostilePim(answer)`` listens on 127.0.0.1 (optionally with TLS) and answers every request with
``answer(request, out)``, which writes raw HTTP to the connection: huge, compressed, dripping,
deeply nested, redirecting or busy answers, or a faithful one from a ``FakePim`` (``forward``).
It counts connections, so a test can prove that the App never dialled it.
"""

import socketserver
import ssl
import struct
import threading
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import BinaryIO

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.fake_pim import SHUTDOWN_POLL_SECONDS, FakePim

Answer = Callable[[httpx.Request, BinaryIO], None]
MAX_HEAD_BYTES = 64 * 1024


class HostilePim:
    """A server on loopback answering every request with ``answer``; ``close()`` stops it."""

    def __init__(
        self, answer: Answer, *, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1"
    ) -> None:
        self.answer = answer
        self.requests: list[httpx.Request] = []
        self.connections = 0
        hostile = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                hostile.connections += 1
                request = _read_request(self.rfile, hostile.host_header)
                if request is None:
                    return
                hostile.requests.append(request)
                try:
                    hostile.answer(request, self.wfile)
                    self.wfile.flush()
                except OSError:
                    pass  # the App hung up, as it should on a hostile answer

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

            def get_request(self) -> tuple[object, object]:
                connection, address = super().get_request()
                if tls is not None:
                    connection = tls.wrap_socket(connection, server_side=True)
                return connection, address

        self._server = Server((host, 0), Handler)
        self.port: int = self._server.server_address[1]
        self.host_header = f"{host}:{self.port}"
        self.url = f"{'https' if tls else 'http'}://{host}:{self.port}"
        threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
            daemon=True,
        ).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _read_request(rfile: BinaryIO, default_host: str) -> httpx.Request | None:
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        line = rfile.readline(MAX_HEAD_BYTES)
        if not line or len(head) > MAX_HEAD_BYTES:
            return None
        head += line
    request_line, *header_lines = head.decode("latin-1").strip().split("\r\n")
    method, target, _ = request_line.split(" ", 2)
    headers = [tuple(line.split(": ", 1)) for line in header_lines]
    host = dict((name.lower(), value) for name, value in headers).get("host", default_host)
    length = int(dict((name.lower(), value) for name, value in headers).get("content-length", 0))
    return httpx.Request(
        method, f"http://{host}{target}", headers=headers, content=rfile.read(length)
    )


@cache
def public_roots() -> ssl.SSLContext:
    """The TLS context a PIM transport builds by default (the public roots, no environment),
    built once: loading the roots takes a tenth of a second, twice per transport."""
    return httpx.create_ssl_context(trust_env=False)


def write_head(out: BinaryIO, status: str, headers: dict[str, str]) -> None:
    lines = [f"HTTP/1.1 {status}", *(f"{name}: {value}" for name, value in headers.items())]
    out.write(("\r\n".join(lines) + "\r\n\r\n").encode())


def huge(size: int) -> Answer:
    """A 200 JSON-typed answer of ``size`` bytes, sent without ever being held in memory."""

    def answer(request: httpx.Request, out: BinaryIO) -> None:
        write_head(out, "200 OK", {"Content-Type": "application/json", "Content-Length": str(size)})
        chunk = b" " * 65536
        for _ in range(size // len(chunk)):
            out.write(chunk)

    return answer


def gzip_bomb(inflated_size: int) -> Answer:
    """A small gzip answer that inflates to ``inflated_size`` bytes of zeros (whole MiB).

    After a full flush the compressor starts afresh, so every further MiB of zeros deflates to
    the same bytes: one MiB is deflated and its bytes repeated (deflating 100 MiB takes seconds).
    """
    block = bytes(1024 * 1024)
    count = inflated_size // len(block)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    repeated = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    checksum = 0
    for _ in range(count):
        checksum = zlib.crc32(block, checksum)
    header = b"\x1f\x8b\x08\x00" + bytes(4) + b"\x02\xff"  # gzip, deflate, no name, no mtime
    trailer = struct.pack("<II", checksum, count * len(block) % 2**32)
    body = header + first + repeated * (count - 1) + deflate.flush() + trailer

    def answer(request: httpx.Request, out: BinaryIO) -> None:
        write_head(
            out,
            "200 OK",
            {
                "Content-Type": "application/json",
                "Content-Encoding": "gzip",
                "Content-Length": str(len(body)),
            },
        )
        out.write(body)

    return answer


def drip(interval: float) -> Answer:
    """Headers at once, then one byte of a never-ending body every ``interval`` seconds."""

    def answer(request: httpx.Request, out: BinaryIO) -> None:
        write_head(out, "200 OK", {"Content-Type": "application/json", "Content-Length": "100000"})
        while True:
            out.write(b" ")
            out.flush()
            time.sleep(interval)

    return answer


def json_text(status: str, body: bytes, **headers: str) -> Answer:
    def answer(request: httpx.Request, out: BinaryIO) -> None:
        write_head(
            out,
            status,
            {"Content-Type": "application/json", "Content-Length": str(len(body)), **headers},
        )
        out.write(body)

    return answer


def deep_json(depth: int) -> Answer:
    return json_text("200 OK", b"[" * depth + b"]" * depth)


def redirect(location: str) -> Answer:
    return json_text("302 Found", b"{}", Location=location)


def busy(retry_after: str) -> Answer:
    return json_text("503 Service Unavailable", b"{}", **{"Retry-After": retry_after})


def forward(pim: FakePim) -> Answer:
    """The honest answer of ``pim``, over the wire."""

    def answer(request: httpx.Request, out: BinaryIO) -> None:
        response = pim.handle(request)
        content = response.read()
        headers = {
            name: value
            for name, value in response.headers.items()
            if name.lower() not in {"content-length", "transfer-encoding", "connection"}
        }
        headers["Content-Length"] = str(len(content))
        write_head(out, f"{response.status_code} {response.reason_phrase}", headers)
        out.write(content)

    return answer


def tls_for(host_name: str, folder: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a certificate for ``host_name`` only, and a client trusting it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host_name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host_name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_file, key_file = folder / "pim.crt", folder / "pim.key"
    certificate_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(certificate_file, key_file)
    client = ssl.create_default_context(cafile=str(certificate_file))
    return server, client
