"""The PIM's REST API beyond the first call: writes, upsert lists, lazy lists, kept errors."""

import json
import tracemalloc
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from {{ cookiecutter.package_name }}.akeneo.api import UPSERT_BATCH, chunked, query
from {{ cookiecutter.package_name }}.akeneo.errors import (
    CatalogUnavailable,
    ListTooLong,
    PimApiError,
    PimBadResponse,
    PimBusy,
    PimForbidden,
    PimInvalidRequest,
    PimNotFound,
)
from {{ cookiecutter.package_name }}.akeneo.exchange import Connection
from {{ cookiecutter.package_name }}.akeneo.fair_use import FairUse, per_process_limit
from {{ cookiecutter.package_name }}.akeneo.retries import BACKGROUND
from tests.test_api import PIM_URL, answering, call
from tests.test_transport import FakeClock

CONNECTION = Connection(PIM_URL, "token", ())
PRODUCTS = "/api/rest/v1/products-uuid"
VALIDATION_FAILED = {
    "code": 422,
    "message": "Validation failed.",
    "errors": [
        {
            "property": "values",
            "message": "The tommh value is not in the brand attribute option list.",
            "attribute": "brand",
            "locale": None,
            "scope": None,
        }
    ],
}
{%- if cookiecutter.framework == "flask" %}


def items_of(iterator: Any) -> list[Any]:
    return list(iterator)
{%- else %}


async def items_of(iterator: Any) -> list[Any]:
    return [item async for item in iterator]
{%- endif %}


def products_page(start: int, count: int, last: int) -> httpx.Response:
    """A page of `count` products from `start`, with a next link until `last`."""
    links: dict[str, Any] = {"self": {"href": f"{PIM_URL}{PRODUCTS}?after={start}"}}
    if start + count < last:
        links["next"] = {"href": f"{PIM_URL}{PRODUCTS}?after={start + count}"}
    items = [{"uuid": f"uuid-{n}", "values": {}} for n in range(start, start + count)]
    return httpx.Response(200, json={"_links": links, "_embedded": {"items": items}})


def paged_catalogue(total: int, per_page: int = 100) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("after", "0"))
        return products_page(start, min(per_page, total - start), total)

    return httpx.MockTransport(handler)


def test_a_post_sends_its_json_once_and_answers_the_created_code() -> None:
    transport, received = answering(
        httpx.Response(201, headers={"Location": f"{PIM_URL}/api/rest/v1/categories/winter%20hats"})
    )

    result = call(
        transport, CONNECTION, lambda api: api.post("/api/rest/v1/categories", {"code": "é"})
    )

    assert (result.status, result.code, result.body) == (201, "winter hats", None)
    [sent] = received
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["Content-Length"] == str(len(sent.content))
    assert json.loads(sent.content) == {"code": "é"}


@pytest.mark.parametrize("method", ["patch", "put"])
def test_an_update_answered_204_without_a_body_is_a_result(method: str) -> None:
    transport, received = answering(httpx.Response(204))

    result = call(transport, CONNECTION, lambda api: getattr(api, method)(f"{PRODUCTS}/u", {}))

    assert (result.status, result.location, result.body) == (204, None, None)
    assert received[0].method == method.upper()


@pytest.mark.parametrize("status", [400, 405, 406, 409, 413, 415])
def test_a_refused_request_keeps_its_status_and_message(status: int) -> None:
    said = f"'xxx' in header is not valid ({status})."
    transport, _ = answering(httpx.Response(status, json={"code": status, "message": said}))

    with pytest.raises(PimInvalidRequest) as raised:
        call(transport, CONNECTION, lambda api: api.post("/api/rest/v1/families", {}))

    assert (raised.value.status, raised.value.message) == (status, said)


@pytest.mark.parametrize("key", ["error", "message"])
def test_a_disabled_catalog_answering_200_is_a_typed_error(key: str) -> None:
    sentence = "No products to synchronize. The catalog c-1 has been disabled on the PIM side."
    transport, _ = answering(httpx.Response(200, json={key: sentence}))

    with pytest.raises(CatalogUnavailable, match="has been disabled"):
        call(
            transport,
            CONNECTION,
            lambda api: items_of(api.iter_items("/api/rest/v1/catalogs/c-1/product-uuids")),
        )


def test_a_403_to_a_scope_request_is_not_called_a_missing_scope() -> None:
    transport, _ = answering(
        httpx.Response(403, json={"code": 403, "message": "Not an authenticated App"})
    )

    with pytest.raises(PimForbidden) as raised:
        call(transport, CONNECTION, lambda api: api.request_scopes(("read_products",)))

    assert type(raised.value) is PimForbidden
    assert raised.value.message == "Not an authenticated App"


def test_a_busy_answer_says_how_long_the_pim_asks_to_wait() -> None:
    transport, _ = answering(httpx.Response(429, headers={"Retry-After": "15"}))

    with pytest.raises(PimBusy) as raised:
        call(transport, CONNECTION, lambda api: api.get(PRODUCTS))

    assert raised.value.retry_after == 15
    assert "asks to wait 15 s" in str(raised.value)
    assert "only attempt" in str(raised.value)


def test_an_upsert_list_sends_ndjson_by_100_and_reads_each_line() -> None:
    received: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        received.append(request)
        lines = request.content.decode().split("\n")
        answer = [
            {"line": n, "uuid": json.loads(line)["uuid"], "status_code": 204}
            for n, line in enumerate(lines, start=1)
        ]
        answer[0] = {**answer[0], "status_code": 422, **VALIDATION_FAILED, "code": None}
        body = "\n".join(json.dumps(line) for line in answer)
        return httpx.Response(200, text=body)

    items = [{"uuid": f"u-{n}", "values": {}} for n in range(250)]
    results = call(
        httpx.MockTransport(handler), CONNECTION, lambda api: api.patch_list(PRODUCTS, items)
    )

    assert [len(r.content.split(b"\n")) for r in received] == [100, 100, 50]
    assert {r.headers["Content-Type"] for r in received} == {
        "application/vnd.akeneo.collection+json"
    }
    assert [r.line for r in results] == list(range(1, 251))
    failed = [r for r in results if not r.ok]
    assert [(r.line, r.key, r.status_code) for r in failed] == [
        (1, "u-0", 422),
        (101, "u-100", 422),
        (201, "u-200", 422),
    ]
    assert failed[0].errors[0].attribute == "brand"
    assert results[1].key == "u-1" and results[1].ok


def test_chunks_split_a_long_iterable_into_lists_of_a_size() -> None:
    assert list(chunked(iter(range(5)), 2)) == [[0, 1], [2, 3], [4]]
    assert UPSERT_BATCH == 100


def test_a_list_of_50000_products_is_iterated_in_the_memory_of_a_page() -> None:
    def count(total: int) -> tuple[int, int]:
        tracemalloc.start()
        try:
            read = call(
                paged_catalogue(total),
                CONNECTION,
                lambda api: count_items(api.iter_items(PRODUCTS, {"limit": 100})),
            )
            return read, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    count(20_000)  # warms the caches of the standard library and httpx up (bounded)
    small, small_peak = count(10_000)
    large, large_peak = count(50_000)

    assert (small, large) == (10_000, 50_000)
    # Keeping the 40,000 more products would take over 10 MB; reading them takes no more.
    assert large_peak - small_peak < 2_000_000
{%- if cookiecutter.framework == "flask" %}


def count_items(iterator: Any) -> int:
    return sum(1 for _ in iterator)
{%- else %}


async def count_items(iterator: Any) -> int:
    count = 0
    async for _ in iterator:
        count += 1
    return count
{%- endif %}


def test_a_list_for_a_page_stops_at_its_total_byte_cap() -> None:
    received: list[httpx.Request] = []
    big_item = {"uuid": "x", "blob": "a" * 9_000_000}

    def hostile(request: httpx.Request) -> httpx.Response:
        received.append(request)
        body = {
            "_links": {"next": {"href": f"{PIM_URL}{PRODUCTS}?page={len(received) + 1}"}},
            "_embedded": {"items": [big_item]},
        }
        return httpx.Response(200, json=body)

    with pytest.raises(ListTooLong, match="larger than 10000000 bytes"):
        call(httpx.MockTransport(hostile), CONNECTION, lambda api: api.get_all(PRODUCTS))

    assert len(received) == 2


@pytest.mark.parametrize(
    "href",
    ["https://pim.example.test:99999/x", "https://[::1/x", "https://pim.example.test/\x00"],
    ids=["bad-port", "unclosed-ipv6", "nul"],
)
def test_a_malformed_next_link_is_a_bad_answer(href: str) -> None:
    body = {"_links": {"next": {"href": href}}, "_embedded": {"items": [{"uuid": "a"}]}}
    transport, _ = answering(httpx.Response(200, json=body))

    with pytest.raises(PimBadResponse, match="link"):
        call(transport, CONNECTION, lambda api: items_of(api.iter_items(PRODUCTS)))


def test_params_take_what_a_developer_writes_and_encode_search_once() -> None:
    params: dict[str, object] = {
        "search": {"family": [{"operator": "IN", "value": ["shoes", "hats"]}]},
        "locales": ["en_US", "fr_FR"],
        "with_count": True,
        "limit": 100,
    }

    assert query(params) == {
        "search": '{"family":[{"operator":"IN","value":["shoes","hats"]}]}',
        "locales": "en_US,fr_FR",
        "with_count": "true",
        "limit": "100",
    }
    with pytest.raises(TypeError, match="'limit'"):
        query({"limit": object()})


def test_every_refusal_is_a_pim_api_error_with_its_status() -> None:
    transport, _ = answering(httpx.Response(502, json={"code": 502, "message": "Bad gateway"}))

    with pytest.raises(PimApiError) as raised:
        call(transport, CONNECTION, lambda api: api.get(PRODUCTS))

    assert (raised.value.status, raised.value.message) == (502, "Bad gateway")


def test_each_worker_process_takes_its_share_of_the_four_calls() -> None:
    shares = {workers: per_process_limit(workers) for workers in (1, 2, 3, 4, 8)}

    assert shares == {1: 4, 2: 2, 3: 1, 4: 1, 8: 1}
    assert FairUse.shared_by_workers({"WEB_CONCURRENCY": "2"}).limit == 2
    assert FairUse.shared_by_workers({}).limit == 4
    assert FairUse.shared_by_workers({"WEB_CONCURRENCY": "many"}).limit == 4


def test_a_job_waits_the_15_seconds_a_busy_pim_asks_for() -> None:
    clock = FakeClock()
    transport, received = answering(
        httpx.Response(429, headers={"Retry-After": "15"}),
        httpx.Response(200, json={"code": "shoes"}),
    )
    background = replace(BACKGROUND, clock=clock.now)

    family = call(
        transport,
        CONNECTION,
        lambda api: api.with_retries(background, sleep=clock.sleep).get_object(
            "/api/rest/v1/families/shoes"
        ),
    )

    assert family == {"code": "shoes"}
    assert clock.waits == [15.0]
    assert len(received) == 2


def test_an_answer_that_must_be_an_object_and_is_not_is_a_bad_answer() -> None:
    transport, _ = answering(httpx.Response(200, json=["a"]))

    with pytest.raises(PimBadResponse, match="not an object"):
        call(transport, CONNECTION, lambda api: api.get_object("/api/rest/v1/families/shoes"))


def test_an_upsert_answer_with_a_line_that_was_not_sent_is_a_bad_answer() -> None:
    transport, _ = answering(httpx.Response(200, text='{"line": 7, "status_code": 201}'))

    with pytest.raises(PimBadResponse, match="without line and status"):
        call(transport, CONNECTION, lambda api: api.patch_list(PRODUCTS, [{"uuid": "u"}]))


MEDIA = "/api/rest/v1/media-files/7/5/b/8/75b8_akeneo.png/download"
# Binary bytes full of brackets: a media file is never read as JSON.
PNG = b"\x89PNG\r\n\x1a\n" + b"[{" * 5_000 + bytes(range(256))


def test_a_media_file_over_its_cap_is_refused() -> None:
    transport, _ = answering(httpx.Response(200, content=PNG))

    with pytest.raises(PimBadResponse, match="larger than 1000 bytes"):
        call(transport, CONNECTION, lambda api: api.download(MEDIA, max_bytes=1000))


def test_a_media_file_larger_than_an_api_answer_is_streamed_to_a_file(tmp_path: Path) -> None:
    big = PNG * 1_500  # 15 MB: more than PIM_API_MAX_BYTES, held nowhere but in the file
    transport, _ = answering(
        httpx.Response(200, content=big, headers={"Content-Type": "image/png"})
    )
    target = tmp_path / "photo.png"

    with target.open("wb") as file:
        media = call(
            transport,
            CONNECTION,
            lambda api: api.download_to(MEDIA, file, max_bytes=20_000_000),
        )

    assert target.read_bytes() == big
    assert (media.size, media.filename) == (len(big), None)


def test_a_missing_media_file_writes_nothing(tmp_path: Path) -> None:
    transport, _ = answering(httpx.Response(404, json={"code": 404, "message": "Not found"}))
    target = tmp_path / "photo.png"

    with target.open("wb") as file, pytest.raises(PimNotFound, match="Not found"):
        call(transport, CONNECTION, lambda api: api.download_to(MEDIA, file))

    assert target.read_bytes() == b""


def test_a_media_file_is_uploaded_as_multipart_into_a_product_value() -> None:
    location = f"{PIM_URL}/api/rest/v1/media-files/1/2/3/4/1234_photo.png"
    transport, received = answering(httpx.Response(201, headers={"Location": location}))
    target = {"uuid": "u-1", "attribute": "picture", "scope": None, "locale": None}

    result = call(
        transport, CONNECTION, lambda api: api.upload("photo.png", PNG, "image/png", target)
    )

    assert (result.status, result.code) == (201, "1/2/3/4/1234_photo.png")
    [sent] = received
    assert sent.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert b'name="product"' in sent.content
    assert b'{"uuid":"u-1","attribute":"picture","scope":null,"locale":null}' in sent.content
    assert b'filename="photo.png"' in sent.content and PNG in sent.content
