"""Where the App may connect when it calls a PIM, and for how long.

A PIM URL comes from a browser. Outside development a PIM host must resolve only to public
addresses, or the App could be made to call services of its own network (server-side request
forgery). The check runs when a connection is opened, on the very addresses then dialled, so a
host cannot resolve to a public address when checked and to a private one when dialled (DNS
rebinding); TLS still checks the certificate against the host name. A PIM URL listed exactly in
`AKENEO_ALLOWED_PIM_URLS` is trusted on any address: an on-premise PIM on a private network.

Every read and write also stops at the deadline of the call in progress (see `call_deadline`),
so a PIM dripping its answer byte by byte cannot hold a request past it.
"""

import logging
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import anyio.to_thread
import httpcore
import httpx

from .pim_url import is_public_address

logger = logging.getLogger(__name__)

Resolver = Callable[[str, int], Sequence[str]]

_deadline: ContextVar[float | None] = ContextVar("pim_call_deadline", default=None)


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the system's resolver gives for `host`, without duplicates."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class AddressPolicy:
    """Resolves a PIM host and says which of its addresses may be dialled.

    `public_only` is off in development (PIMs on loopback). `trusted_urls` are the allow-list:
    its exact entries (not its `*.` patterns) may be on any address. `resolve` is the system's
    resolver unless a test gives a stand-in.
    """

    def __init__(
        self,
        *,
        public_only: bool,
        trusted_urls: Iterable[str] = (),
        resolve: Resolver = system_resolver,
    ) -> None:
        self.public_only = public_only
        self._trusted = {_host_and_port(url) for url in trusted_urls if "*" not in url}
        self._resolve = resolve

    def addresses(self, host: str, port: int) -> list[str]:
        """The addresses to dial for `host`; raise `httpcore.ConnectError` when none may be."""
        try:
            addresses = list(self._resolve(host, port))
        except OSError:
            raise httpcore.ConnectError(f"{host} could not be resolved") from None
        if not addresses:
            raise httpcore.ConnectError(f"{host} could not be resolved")
        if self.public_only and (host, port) not in self._trusted:
            private = [address for address in addresses if not is_public_address(address)]
            if private:
                # Said in the App's log only: the page must not tell what is behind a host.
                logger.warning(
                    "Refused to connect to %s: it resolves to non-public addresses (%s); "
                    "list its PIM URL in AKENEO_ALLOWED_PIM_URLS if it is an on-premise PIM",
                    host,
                    ", ".join(private),
                )
                raise httpcore.ConnectError(f"{host} could not be reached")
        return addresses


def _host_and_port(url: str) -> tuple[str, int]:
    parsed = httpx.URL(url)
    return parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80)


@contextmanager
def call_deadline(deadline: float) -> Iterator[None]:
    """Every read, write and connection made inside stops at `deadline` (`time.monotonic`)."""
    token = _deadline.set(deadline)
    try:
        yield
    finally:
        _deadline.reset(token)


def _until_deadline(timeout: float | None) -> float | None:
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    # A tiny positive timeout, not zero: zero would make the socket non-blocking.
    remaining = max(deadline - time.monotonic(), 0.001)
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.AsyncNetworkStream):
    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._stream.read(max_bytes, _until_deadline(timeout))

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._stream.write(buffer, _until_deadline(timeout))

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        tls = await self._stream.start_tls(ssl_context, server_hostname, _until_deadline(timeout))
        return _DeadlineStream(tls)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class PimNetworkBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, dialling only the addresses the policy allows."""

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        # The system resolver blocks: it runs in a worker thread, off the event loop.
        addresses = await anyio.to_thread.run_sync(self._policy.addresses, host, port)
        failure: Exception = httpcore.ConnectError(f"{host} could not be reached")
        for address in addresses:
            try:
                stream = await self._backend.connect_tcp(
                    address, port, _until_deadline(timeout), local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
                continue
            return _DeadlineStream(stream)
        raise failure


class PimTransport(httpx.AsyncHTTPTransport):
    """httpx's HTTP transport, connecting through `PimNetworkBackend`.

    Proxy variables of the environment are not used: every PIM call goes through the check.
    """

    def __init__(self, policy: AddressPolicy, *, verify: ssl.SSLContext | bool = True) -> None:
        super().__init__(verify=verify, trust_env=False)
        # httpx has no public option for the network backend: its pool is rebuilt with ours.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            network_backend=PimNetworkBackend(policy),
        )
