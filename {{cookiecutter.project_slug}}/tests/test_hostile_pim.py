"""A hostile PIM over real loopback sockets: the App reads bounded answers within one deadline,
and outside development never dials a PIM host on a non-public address unless it is listed.
"""

import dataclasses
import ssl
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
{%- if cookiecutter.framework == "flask" %}
from flask import Flask
{%- endif %}

from {{ cookiecutter.package_name }}.akeneo.network import AddressPolicy, PimTransport
from {{ cookiecutter.package_name }}.app import {% if cookiecutter.framework == "flask" %}close, {% endif %}create_app
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.storage import Storage
{%- if cookiecutter.framework == "fastapi" %}
from tests.conftest import CALLBACK_URL, CLIENT_ID, CLIENT_SECRET, Browser, Page, RunningApp
{%- else %}
from tests.conftest import CALLBACK_URL, CLIENT_ID, CLIENT_SECRET, Browser, Page
{%- endif %}
from tests.fake_pim import TOKEN_PATH, FakePim
from tests.hostile_pim import (
    Answer,
    HostilePim,
    busy,
    deep_json,
    drip,
    forward,
    gzip_bomb,
    huge,
    json_text,
    public_roots,
    redirect,
    tls_for,
)

PIM_HOST = "pim.example.test"
EMPTY_JSON = json_text("200 OK", b"{}")
MakeBrowser = Callable[..., Browser]


@pytest.fixture
def start_pim() -> Iterator[Callable[..., HostilePim]]:
    servers: list[HostilePim] = []

    def start(answer: Answer = EMPTY_JSON, tls: ssl.SSLContext | None = None) -> HostilePim:
        server = HostilePim(answer, tls=tls)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def fast_settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, http_timeout=1.0)


@pytest.fixture
def open_app(fast_settings: Settings) -> Iterator[MakeBrowser]:
    """A browser on an App that reaches PIMs over the network (its own transport by default)."""
{%- if cookiecutter.framework == "flask" %}
    apps: list[Flask] = []

    def make(settings: Settings = fast_settings, transport: PimTransport | None = None) -> Browser:
        apps.append(create_app(settings, http_transport=transport))
        return Browser(apps[-1])

    yield make
    for app in apps:
        close(app)
{%- else %}
    apps: list[RunningApp] = []

    def make(settings: Settings = fast_settings, transport: PimTransport | None = None) -> Browser:
        apps.append(RunningApp(create_app(settings, http_transport=transport)))
        return Browser(apps[-1])

    yield make
    for app in apps:
        app.close()
{%- endif %}


def fake_pim_at(url: str) -> FakePim:
    return FakePim(url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, callback_url=CALLBACK_URL)


def connect_timed(browser: Browser, pim: FakePim) -> tuple[Page, float]:
    """Click Connect in ``pim``; return the App's answer to the callback and its duration."""
    callback = pim.authorize(browser.get("/activate", {"pim_url": pim.url}).location)
    started = time.monotonic()
    page = browser.get(callback)
    return page, time.monotonic() - started


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (huge(400 * 1024 * 1024), "larger than 262144 bytes"),
        (gzip_bomb(100 * 1024 * 1024), "larger than 262144 bytes"),
        (deep_json(100_000), "nested over 64 levels deep"),
        (json_text("200 OK", b'{"access_token": "x", "scope": '), "not JSON"),
        (redirect("http://127.0.0.1:9/elsewhere"), "HTTP 302"),
    ],
    ids=["400-mb", "gzip-bomb", "deep-json", "malformed-json", "redirect"],
)
def test_a_hostile_token_answer_is_a_502_page_and_stores_nothing(
    open_app: MakeBrowser,
    start_pim: Callable[..., HostilePim],
    storage: Storage,
    answer: Answer,
    expected: str,
) -> None:
    server = start_pim(answer)

    page, seconds = connect_timed(open_app(), fake_pim_at(server.url))

    assert page.status == 502
    assert expected in page.text
    assert seconds < 1.5
    assert [request.url.path for request in server.requests] == [TOKEN_PATH]  # not followed
    assert storage.get_connection(server.url) is None


def test_an_answer_dripping_past_the_timeout_gets_a_504_page_at_the_deadline(
    open_app: MakeBrowser, start_pim: Callable[..., HostilePim], storage: Storage
) -> None:
    server = start_pim(drip(0.1))

    page, seconds = connect_timed(open_app(), fake_pim_at(server.url))

    assert page.status == 504
    assert "did not answer in time" in page.text
    assert 0.9 < seconds < 1.5  # HTTP_TIMEOUT is 1 second for the whole call
    assert storage.get_connection(server.url) is None


def test_a_retry_after_longer_than_a_browser_waits_is_not_waited_for(
    open_app: MakeBrowser, start_pim: Callable[..., HostilePim]
) -> None:
    server = start_pim(busy("10"))

    page, seconds = connect_timed(open_app(), fake_pim_at(server.url))

    assert page.status == 502
    assert "HTTP 503" in page.text
    assert seconds < 0.5
    assert len(server.requests) == 1


def test_retries_stop_at_the_deadline_of_the_call(
    open_app: MakeBrowser, start_pim: Callable[..., HostilePim]
) -> None:
    server = start_pim(busy("0.6"))

    page, seconds = connect_timed(open_app(), fake_pim_at(server.url))

    assert page.status == 502
    assert len(server.requests) == 2  # a third wait would end after the 1-second deadline
    assert seconds < 1.2


class Resolver:
    """A stand-in for DNS: every host resolves to ``addresses``; the names asked are kept."""

    def __init__(self, *addresses: str, failing: bool = False) -> None:
        self.addresses = addresses
        self.failing = failing
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> Sequence[str]:
        self.asked.append(host)
        if self.failing:
            raise OSError("Name or service not known")
        return self.addresses


def production_transport(
    resolve: Resolver, *trusted: str, verify: ssl.SSLContext | None = None
) -> PimTransport:
    """A transport as outside development, trusting the public roots unless told otherwise."""
    policy = AddressPolicy(public_only=True, trusted_urls=trusted, resolve=resolve)
    return PimTransport(policy, verify=verify or public_roots())


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "10.0.0.1", "169.254.169.254", "::1", "::ffff:127.0.0.1"]
)
def test_a_pim_host_resolving_to_a_private_address_is_never_dialled(
    open_app: MakeBrowser,
    start_pim: Callable[..., HostilePim],
    storage: Storage,
    address: str,
) -> None:
    server = start_pim()
    resolve = Resolver(address)
    browser = open_app(transport=production_transport(resolve))
    pim = fake_pim_at(f"https://{PIM_HOST}:{server.port}")

    page, _ = connect_timed(browser, pim)

    assert page.status == 502
    assert f"{PIM_HOST} could not be reached" in page.text
    assert address not in page.text
    assert resolve.asked == [PIM_HOST]
    assert server.connections == 0  # the code and its challenge never left the App
    assert storage.get_connection(pim.url) is None


def test_a_refused_address_looks_like_an_unknown_host(
    open_app: MakeBrowser, start_pim: Callable[..., HostilePim]
) -> None:
    server = start_pim()
    pim = fake_pim_at(f"https://{PIM_HOST}:{server.port}")

    refused, _ = connect_timed(open_app(transport=production_transport(Resolver("10.1.2.3"))), pim)
    unknown, _ = connect_timed(
        open_app(transport=production_transport(Resolver(failing=True))), pim
    )

    assert (refused.status, refused.text) == (unknown.status, unknown.text)


def test_a_host_with_one_private_address_among_public_ones_is_refused(
    open_app: MakeBrowser, start_pim: Callable[..., HostilePim]
) -> None:
    server = start_pim()
    browser = open_app(transport=production_transport(Resolver("8.8.8.8", "127.0.0.1")))

    page, _ = connect_timed(browser, fake_pim_at(f"https://{PIM_HOST}:{server.port}"))

    assert page.status == 502
    assert server.connections == 0


def test_a_pim_listed_exactly_is_dialled_on_its_private_address_with_tls_for_its_name(
    open_app: MakeBrowser,
    start_pim: Callable[..., HostilePim],
    fast_settings: Settings,
    storage: Storage,
    tmp_path: Path,
) -> None:
    server_tls, client_tls = tls_for(PIM_HOST, tmp_path)
    server = start_pim(tls=server_tls)
    pim = fake_pim_at(f"https://{PIM_HOST}:{server.port}")
    server.answer = forward(pim)
    resolve = Resolver("127.0.0.1")
    browser = open_app(
        dataclasses.replace(fast_settings, allowed_pim_urls=(pim.url,)),
        production_transport(resolve, pim.url, verify=client_tls),
    )

    page, _ = connect_timed(browser, pim)

    assert page.status == 302, page.text
    assert set(resolve.asked) == {PIM_HOST}
    assert [request.url.path for request in server.requests][0] == TOKEN_PATH
    stored = storage.get_connection(pim.url)
    assert stored is not None
    assert stored.access_token in pim.tokens


def test_a_pattern_in_the_allow_list_does_not_trust_a_private_address(
    open_app: MakeBrowser,
    start_pim: Callable[..., HostilePim],
    fast_settings: Settings,
) -> None:
    server = start_pim()
    pim = fake_pim_at(f"https://{PIM_HOST}:{server.port}")
    pattern = f"https://*.example.test:{server.port}"
    browser = open_app(
        dataclasses.replace(fast_settings, allowed_pim_urls=(pattern,)),
        production_transport(Resolver("127.0.0.1"), pattern),
    )

    page, _ = connect_timed(browser, pim)

    assert page.status == 502
    assert server.connections == 0
