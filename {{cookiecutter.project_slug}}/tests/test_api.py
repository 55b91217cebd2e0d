"""The PIM API client: requests, pagination, typed errors, scope requests and fair use."""

{% if cookiecutter.framework == "fastapi" -%}
import asyncio
from collections.abc import Callable
{% else -%}
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
{% endif -%}
from typing import Any

import httpx
import pytest

from {{ cookiecutter.package_name }} import USER_AGENT
from {{ cookiecutter.package_name }}.akeneo.api import MAX_PAGES, Channel
from {{ cookiecutter.package_name }}.akeneo.client import PimApi
from {{ cookiecutter.package_name }}.akeneo.errors import (
    ListTooLong,
    MissingScope,
    PimBadResponse,
    PimBusy,
    PimDisconnected,
    PimNotFound,
    PimServerError,
)
from {{ cookiecutter.package_name }}.akeneo.exchange import Connection
from {{ cookiecutter.package_name }}.akeneo.fair_use import MAX_CONCURRENT_CALLS, FairUse
from {{ cookiecutter.package_name }}.akeneo.scopes import missing_scopes
from tests.fake_pim import (
    CHANNELS_PATH,
    FORBIDDEN_CHANNELS,
    REVOKED_TOKEN,
    SCOPES_UPDATE_PATH,
    FakePim,
    pim_transport,
    service_unavailable,
    too_many_requests,
)

PIM_URL = "https://pim.example.test"
Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def pim() -> FakePim:
    return FakePim(
        PIM_URL, client_id="client", client_secret="secret", callback_url="https://app/callback"
    )


@pytest.fixture
def connection(pim: FakePim) -> Connection:
    scopes = ("read_channel_settings",)
    return Connection(PIM_URL, pim.grant(scopes), scopes)


class Recorder:
    """Records the connections that `PimApi` reports as disconnected."""

    def __init__(self) -> None:
        self.disconnected: list[Connection] = []

    def __call__(self, connection: Connection) -> None:
        self.disconnected.append(connection)
{%- if cookiecutter.framework == "flask" %}


def call(
    transport: httpx.BaseTransport,
    connection: Connection,
    action: Callable[[PimApi], Any],
    *,
    wanted_scopes: tuple[str, ...] = (),
    on_disconnected: Callable[[Connection], object] | None = None,
) -> Any:
    """Run `action` on a `PimApi` of `connection` whose HTTP client uses `transport`."""
    with httpx.Client(transport=transport, headers={"User-Agent": USER_AGENT}) as http:
        api = PimApi(
            connection,
            http=http,
            fair_use=FairUse(),
            wanted_scopes=wanted_scopes,
            on_disconnected=on_disconnected or Recorder(),
        )
        return action(api)
{%- else %}


def call(
    transport: httpx.AsyncBaseTransport,
    connection: Connection,
    action: Callable[[PimApi], Any],
    *,
    wanted_scopes: tuple[str, ...] = (),
    on_disconnected: Callable[[Connection], object] | None = None,
) -> Any:
    """Run `action` on a `PimApi` of `connection` whose HTTP client uses `transport`."""

    async def calling() -> Any:
        async with httpx.AsyncClient(
            transport=transport, headers={"User-Agent": USER_AGENT}
        ) as http:
            api = PimApi(
                connection,
                http=http,
                fair_use=FairUse(),
                wanted_scopes=wanted_scopes,
                on_disconnected=on_disconnected or Recorder(),
            )
            return await action(api)

    return asyncio.run(calling())
{%- endif %}


def answering(*responses: httpx.Response) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A PIM that gives `responses` in order, and the requests it received."""
    received: list[httpx.Request] = []
    pending = iter(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return next(pending)

    return httpx.MockTransport(handler), received


def page(items: list[dict[str, Any]], next_href: str | None = None) -> httpx.Response:
    links: dict[str, Any] = {"self": {"href": f"{PIM_URL}{CHANNELS_PATH}"}}
    if next_href is not None:
        links["next"] = {"href": next_href}
    return httpx.Response(200, json={"_links": links, "_embedded": {"items": items}})


def test_a_call_carries_the_token_json_accept_user_agent_and_a_timeout(
    pim: FakePim, connection: Connection
) -> None:
    call(pim_transport(pim), connection, lambda api: api.channels())

    [request] = pim.requests
    assert request.method == "GET"
    assert request.url.path == CHANNELS_PATH
    assert request.headers["Authorization"] == f"Bearer {connection.access_token}"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"] == USER_AGENT
    assert all(value is not None for value in request.extensions["timeout"].values())


def test_channels_are_read_with_their_label_in_the_first_locale(
    pim: FakePim, connection: Connection
) -> None:
    channels = call(pim_transport(pim), connection, lambda api: api.channels())

    assert channels == [
        Channel("ecommerce", "Ecommerce", ("en_US", "de_DE", "fr_FR"), ("USD", "EUR"), "master"),
        Channel("mobile", "Mobil", ("de_DE", "en_US"), ("USD", "EUR"), "master"),
        Channel("print", "Impression", ("fr_FR", "en_US"), ("USD", "EUR"), "master"),
    ]


def test_a_channel_without_a_label_in_its_first_locale_shows_its_code() -> None:
    transport, _ = answering(
        page([{"code": "web", "locales": ["en_US"], "labels": [], "category_tree": "master"}])
    )

    [channel] = call(transport, Connection(PIM_URL, "token", ()), lambda api: api.channels())

    assert channel == Channel("web", "web", ("en_US",), (), "master")


def test_a_list_follows_the_next_links_to_the_last_page(
    pim: FakePim, connection: Connection
) -> None:
    items = call(
        pim_transport(pim), connection, lambda api: api.get_all(CHANNELS_PATH, {"limit": 2})
    )

    assert [item["code"] for item in items] == ["ecommerce", "mobile", "print"]
    assert [request.url.params["page"] for request in pim.requests[1:]] == ["2"]
    assert all(
        request.headers["Authorization"] == f"Bearer {connection.access_token}"
        for request in pim.requests
    )


@pytest.mark.parametrize(
    "next_href",
    [
        "https://attacker.example.test/api/rest/v1/channels?page=2",
        "http://pim.example.test/api/rest/v1/channels?page=2",
        "https://pim.example.test:8443/api/rest/v1/channels?page=2",
    ],
    ids=["other-host", "other-scheme", "other-port"],
)
def test_a_next_link_off_the_pims_origin_is_refused_and_not_followed(next_href: str) -> None:
    transport, received = answering(page([{"code": "a"}], next_href))

    with pytest.raises(PimBadResponse, match="another host"):
        call(transport, Connection(PIM_URL, "token", ()), lambda api: api.get_all(CHANNELS_PATH))

    assert len(received) == 1


@pytest.mark.parametrize(
    ("next_link", "message"),
    [
        ({"href": "/api/rest/v1/channels?page=2"}, "not an absolute URL"),
        ({"href": 42}, "not an absolute URL"),
        ("https://pim.example.test/x", "not an absolute URL"),
    ],
)
def test_an_unreadable_next_link_is_refused(next_link: object, message: str) -> None:
    body = {"_links": {"next": next_link}, "_embedded": {"items": []}}
    transport, received = answering(httpx.Response(200, json=body))

    with pytest.raises(PimBadResponse, match=message):
        call(transport, Connection(PIM_URL, "token", ()), lambda api: api.get_all(CHANNELS_PATH))

    assert len(received) == 1


def test_a_next_link_back_to_a_page_already_read_is_refused() -> None:
    first = f"{PIM_URL}{CHANNELS_PATH}?page=1"
    transport, received = answering(
        page([{"code": "a"}], f"{PIM_URL}{CHANNELS_PATH}?page=2"),
        page([{"code": "b"}], first),
    )

    with pytest.raises(PimBadResponse, match="already read"):
        call(
            transport,
            Connection(PIM_URL, "token", ()),
            lambda api: api.get_all(CHANNELS_PATH, {"page": 1}),
        )

    assert len(received) == 2


def test_a_list_that_never_ends_is_refused_after_the_page_limit() -> None:
    received: list[httpx.Request] = []

    def endless(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return page([], f"{PIM_URL}{CHANNELS_PATH}?page={len(received) + 1}")

    with pytest.raises(ListTooLong, match=f"the list has more than {MAX_PAGES} pages"):
        call(
            httpx.MockTransport(endless),
            Connection(PIM_URL, "token", ()),
            lambda api: api.get_all(CHANNELS_PATH),
        )

    assert len(received) == MAX_PAGES


def test_a_revoked_token_is_reported_disconnected_with_the_pims_message(
    pim: FakePim, connection: Connection
) -> None:
    pim.revoke()
    recorder = Recorder()

    with pytest.raises(PimDisconnected) as raised:
        call(pim_transport(pim), connection, lambda api: api.channels(), on_disconnected=recorder)

    assert raised.value.pim_url == PIM_URL
    assert raised.value.message == REVOKED_TOKEN
    assert recorder.disconnected == [connection]


def test_an_unknown_token_is_reported_disconnected(pim: FakePim) -> None:
    recorder = Recorder()
    connection = Connection(PIM_URL, "not-a-token", ("read_channel_settings",))

    with pytest.raises(PimDisconnected, match="The access token provided is invalid."):
        call(pim_transport(pim), connection, lambda api: api.channels(), on_disconnected=recorder)

    assert recorder.disconnected == [connection]


def test_a_missing_scope_carries_the_pims_message_and_the_scopes_not_granted(
    pim: FakePim,
) -> None:
    connection = Connection(PIM_URL, pim.grant(("read_products",)), ("read_products",))

    with pytest.raises(MissingScope) as raised:
        call(
            pim_transport(pim),
            connection,
            lambda api: api.channels(),
            wanted_scopes=("read_products", "read_channel_settings"),
        )

    assert raised.value.message == FORBIDDEN_CHANNELS
    assert raised.value.missing_scopes == ("read_channel_settings",)


@pytest.mark.parametrize(
    ("answers", "error", "message"),
    [
        (
            [httpx.Response(404, json={"code": 404, "message": "Resource not found"})],
            PimNotFound,
            "Resource not found",
        ),
        ([httpx.Response(404, text="gone")], PimNotFound, "no such resource"),
        ([too_many_requests()] * 3, PimBusy, "HTTP 429"),
        ([service_unavailable()] * 3, PimBusy, "HTTP 503"),
        ([httpx.Response(500, json={"code": 500})], PimServerError, "HTTP 500"),
        ([httpx.Response(200, text="<html>")], PimBadResponse, "not JSON"),
        ([httpx.Response(200, text="[" * 100_000)], PimBadResponse, "nested over 64 levels"),
        ([httpx.Response(401, text="no")], PimDisconnected, "refused the App's access token"),
        ([httpx.Response(403, text="no")], MissingScope, "a scope is missing"),
    ],
    ids=[
        "not-found",
        "not-found-html",
        "429",
        "503",
        "server-error",
        "html",
        "json-too-deep",
        "401-without-body",
        "403-without-body",
    ],
)
def test_unusable_answers_become_typed_errors(
    answers: list[httpx.Response], error: type[Exception], message: str
) -> None:
    transport, received = answering(*answers)

    with pytest.raises(error, match=message):
        call(transport, Connection(PIM_URL, "token", ()), lambda api: api.get("/api/rest/v1/x"))

    assert len(received) == len(answers)


def test_a_busy_pim_is_asked_again_then_answers(pim: FakePim, connection: Connection) -> None:
    pim.next_answers[CHANNELS_PATH] = [too_many_requests("0"), service_unavailable()]

    channels = call(pim_transport(pim), connection, lambda api: api.channels())

    assert len(channels) == 3
    assert len(pim.requests) == 3


@pytest.mark.parametrize(
    "body",
    [
        {"_links": {}},
        {"_embedded": {"items": "no"}},
        {"_embedded": {"items": [1]}},
    ],
)
def test_a_list_page_without_items_is_refused(body: dict[str, Any]) -> None:
    transport, _ = answering(httpx.Response(200, json=body))

    with pytest.raises(PimBadResponse, match="_embedded.items"):
        call(transport, Connection(PIM_URL, "token", ()), lambda api: api.get_all(CHANNELS_PATH))


@pytest.mark.parametrize(
    "item",
    [{"code": 1}, {"code": "a", "locales": "en_US"}, {"code": "a", "currencies": [1]}],
)
def test_a_malformed_channel_is_refused(item: dict[str, Any]) -> None:
    transport, _ = answering(page([item]))

    with pytest.raises(PimBadResponse, match="not a channel"):
        call(transport, Connection(PIM_URL, "token", ()), lambda api: api.channels())


def test_a_get_returns_the_pims_object() -> None:
    transport, received = answering(httpx.Response(200, json={"code": "shoes"}))

    answer = call(
        transport,
        Connection(PIM_URL, "token", ()),
        lambda api: api.get("/api/rest/v1/families/shoes", {"with_count": "false"}),
    )

    assert answer == {"code": "shoes"}
    assert str(received[0].url) == f"{PIM_URL}/api/rest/v1/families/shoes?with_count=false"


def test_a_scope_request_posts_json_with_the_token_and_the_scopes(
    pim: FakePim, connection: Connection
) -> None:
    answer = call(
        pim_transport(pim),
        connection,
        lambda api: api.request_scopes(("read_channel_settings", "read_products")),
    )

    assert answer == "Ok"
    [request] = pim.scope_requests
    assert request.method == "POST"
    assert request.url.path == SCOPES_UPDATE_PATH
    assert request.url.params["scopes"] == "read_channel_settings read_products"
    assert b"scopes=read_channel_settings%20read_products" in request.url.raw_path
    assert request.headers["Authorization"] == f"Bearer {connection.access_token}"
    assert request.headers["Content-Type"] == "application/json"


def test_a_scope_request_answered_with_something_else_than_a_string_is_refused() -> None:
    transport, _ = answering(httpx.Response(200, json={"ok": True}))

    with pytest.raises(PimBadResponse, match="not a JSON string"):
        call(transport, Connection(PIM_URL, "t", ()), lambda api: api.request_scopes(("a",)))


@pytest.mark.parametrize(
    ("wanted", "granted", "missing"),
    [
        (("read_products",), ("read_products",), ()),
        (("read_products",), ("write_products",), ()),
        (("write_products",), ("read_products",), ("write_products",)),
        (("read_products", "read_categories"), (), ("read_products", "read_categories")),
        (("read_assets", "read_assets"), ("delete_assets",), ("read_assets",)),
    ],
)
def test_a_write_scope_includes_its_read_scope(
    wanted: tuple[str, ...], granted: tuple[str, ...], missing: tuple[str, ...]
) -> None:
    assert missing_scopes(wanted, granted) == missing
{%- if cookiecutter.framework == "flask" %}


def test_no_more_than_four_calls_are_in_flight_to_one_pim_across_threads(
    pim: FakePim, connection: Connection
) -> None:
    pim.answer_delay = 0.05

    def ten_calls_at_once(api: PimApi) -> list[list[Channel]]:
        with ThreadPoolExecutor(max_workers=10) as pool:
            return list(pool.map(lambda _: api.channels(), range(10)))

    results = call(pim_transport(pim), connection, ten_calls_at_once)

    assert [len(channels) for channels in results] == [3] * 10
    assert pim.max_in_flight == MAX_CONCURRENT_CALLS == 4
{%- else %}


def test_no_more_than_four_calls_are_in_flight_to_one_pim_across_tasks(
    pim: FakePim, connection: Connection
) -> None:
    pim.answer_delay = 0.05

    async def ten_calls_at_once(api: PimApi) -> list[list[Channel]]:
        return list(await asyncio.gather(*(api.channels() for _ in range(10))))

    results = call(pim_transport(pim), connection, ten_calls_at_once)

    assert [len(channels) for channels in results] == [3] * 10
    assert pim.max_in_flight == MAX_CONCURRENT_CALLS == 4
{%- endif %}


def test_each_pim_has_its_own_four_slots() -> None:
    pims = [
        FakePim(url, client_id="c", client_secret="s", callback_url="https://app/callback")
        for url in ("https://pim-1.example.test", "https://pim-2.example.test")
    ]
    for fake in pims:
        fake.answer_delay = 0.05
    connections = [
        Connection(fake.url, fake.grant(("read_channel_settings",)), ()) for fake in pims
    ]
    transport = pim_transport(*pims)
    fair_use = FairUse()
{%- if cookiecutter.framework == "flask" %}

    with httpx.Client(transport=transport) as http:
        apis = [
            PimApi(c, http=http, fair_use=fair_use, on_disconnected=Recorder()) for c in connections
        ]
        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(lambda n: apis[n % 2].channels(), range(16)))
{%- else %}

    async def calling() -> None:
        async with httpx.AsyncClient(transport=transport) as http:
            apis = [
                PimApi(c, http=http, fair_use=fair_use, on_disconnected=Recorder())
                for c in connections
            ]
            await asyncio.gather(*(apis[n % 2].channels() for n in range(16)))

    asyncio.run(calling())
{%- endif %}

    assert [fake.max_in_flight for fake in pims] == [4, 4]
