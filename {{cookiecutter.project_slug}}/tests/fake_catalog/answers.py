"""How the PIM's REST API answers: JSON bodies, error wordings, header checks and pagination.

The wordings are the real PIM's (see Akeneo's API docs, ``rest-api/responses.md`` and
``rest-api/pagination.md``): an App that shows or logs them sees what it would see in production.
"""

import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

JSON = "application/json"
COLLECTION = "application/vnd.akeneo.collection+json"
DEFAULT_LIMIT = 10
MAX_LIMIT = 100
MAX_UPSERT_LINES = 100
MAX_OFFSET_ITEMS = 10_000
"""Products and product models: offset paging stops here (use search_after beyond)."""

INVALID_JSON = "Invalid json message received"
MAX_PAGE_MESSAGE = (
    'You have reached the maximum number of pages you can retrieve with the "page" pagination'
    " type. Please use the search after pagination type instead"
)
PAGINATION_DOC = "http://api.akeneo.com/documentation/pagination.html#the-search-after-method"
STANDARD_FORMAT_DOC = "https://api.akeneo.com/documentation/resources.html"

Item = dict[str, Any]


class ApiError(Exception):
    """An answer that is not the happy path: raised anywhere in a handler, turned into JSON."""

    def __init__(self, status: int, message: str, **extra: object) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra

    def response(self) -> httpx.Response:
        return json_answer(
            self.status, {"code": self.status, "message": self.message, **self.extra}
        )


class Answer(Exception):  # noqa: N818 (not an error: a whole answer that ends the handler)
    """A complete answer given early, e.g. a disabled catalog's HTTP 200 with its ``error``."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def json_answer(status: int, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return httpx.Response(
        status, headers={"Content-Type": JSON, **(headers or {})}, content=content
    )


def written(status: int, location: str) -> httpx.Response:
    """201 (created) or 204 (updated): no body, a Location header pointing at the resource."""
    return httpx.Response(status, headers={"Location": location})


def no_content() -> httpx.Response:
    return httpx.Response(204)


def not_found(what: str) -> ApiError:
    return ApiError(404, f"Resource `{what}` does not exist.")


def validation_failed(errors: list[dict[str, object]]) -> ApiError:
    return ApiError(422, "Validation failed.", errors=errors)


def unknown_property(name: str) -> ApiError:
    message = f'Property "{name}" does not exist. Check the standard format documentation.'
    return ApiError(422, message, _links={"documentation": {"href": STANDARD_FORMAT_DOC}})


def expects(name: str, kind: str, value: object) -> ApiError:
    """The PIM's wording for a property of the wrong type, e.g. labels given as null."""
    return ApiError(422, f'Property "{name}" expects {kind} as data, "{type_name(value)}" given.')


def type_name(value: object) -> str:
    """PHP's names for JSON types, as the PIM's messages print them."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    return "array"


# -- request checks ------------------------------------------------------------------------------


def check_accept(request: httpx.Request, allowed: str = JSON) -> None:
    """406 unless the client accepts JSON (no Accept, ``*/*`` and ``application/*`` do)."""
    accept = request.headers.get("Accept")
    if accept is None:
        return
    kinds = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    if not kinds & {allowed, "application/*", "*/*", ""}:
        message = f"'{accept}' in 'Accept' header is not valid. Only '{allowed}' is allowed."
        raise ApiError(406, message)


def check_content_type(request: httpx.Request, expected: str = JSON) -> None:
    """415 for a write whose body is not of the ``expected`` type."""
    content_type = request.headers.get("Content-Type")
    if content_type is None:
        message = f"The 'Content-type' header is missing. '{expected}' has to specified as value."
        raise ApiError(415, message)
    if content_type.split(";")[0].strip().lower() != expected:
        message = f"'{content_type}' in 'Content-type' header is not valid. "
        message += f" Only '{expected}' is allowed."  # two spaces, as the PIM writes it
        raise ApiError(415, message)


def json_body(request: httpx.Request) -> Item:
    """The request's JSON object (415 on another Content-Type, 400 on malformed JSON)."""
    check_content_type(request)
    return parse_object(request.content)


def parse_object(content: bytes) -> Item:
    try:
        body = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, INVALID_JSON) from None
    if not isinstance(body, dict):
        raise ApiError(400, INVALID_JSON)
    return body


def flag(request: httpx.Request, name: str) -> bool:
    """A boolean query parameter: only "true" and "false" (422 otherwise)."""
    value = request.url.params.get(name, "false")
    if value not in {"true", "false"}:
        message = (
            f'Parameter "{name}" has to be a boolean. Only "true" or "false" allowed, '
            f'"{value}" given.'
        )
        raise ApiError(422, message)
    return value == "true"


def limit_of(request: httpx.Request, default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> int:
    raw = request.url.params.get("limit", str(default))
    try:
        limit = int(raw)
    except ValueError:
        raise ApiError(422, f'"{raw}" is not a valid limit number.') from None
    if limit < 1:
        raise ApiError(422, f'"{raw}" is not a valid limit number.')
    if limit > maximum:
        raise ApiError(422, f"You cannot request more than {maximum} items.")
    return limit


def page_of(request: httpx.Request) -> int:
    raw = request.url.params.get("page", "1")
    try:
        page = int(raw)
    except ValueError:
        raise ApiError(422, f'"{raw}" is not a valid page number.') from None
    if page < 1:
        raise ApiError(422, f'"{raw}" is not a valid page number.')
    return page


# -- pagination ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageLinks:
    """Builds a page's absolute links on the PIM's own host, keeping the request's filters."""

    base: str
    """The list's absolute URL, without a query."""
    kept: tuple[tuple[str, str], ...]
    """The request's query parameters other than the paging ones, in their order."""

    @classmethod
    def of(cls, request: httpx.Request, pim_url: str, paging: Iterable[str]) -> "PageLinks":
        dropped = set(paging)
        kept = tuple((k, v) for k, v in request.url.params.multi_items() if k not in dropped)
        return cls(f"{pim_url}{request.url.path}", kept)

    def href(self, **paging: object) -> dict[str, str]:
        query = urlencode([*self.kept, *((k, str(v)) for k, v in paging.items())])
        return {"href": f"{self.base}?{query}" if query else self.base}


def offset_page(
    request: httpx.Request,
    pim_url: str,
    items: Sequence[Item],
    render: Callable[[Item], Item],
    *,
    max_items: int | None = None,
) -> httpx.Response:
    """A page of ``items`` by ``page`` and ``limit``, as every offset-paginated list answers.

    A full page has a ``next`` link even when it is the last one (the PIM does not count), so
    following ``next`` ends on an empty page. ``with_count=true`` adds ``items_count``.
    """
    limit, page = limit_of(request), page_of(request)
    with_count = flag(request, "with_count")
    if max_items is not None and page * limit > max_items:
        raise ApiError(422, MAX_PAGE_MESSAGE, _links={"documentation": {"href": PAGINATION_DOC}})
    start = (page - 1) * limit
    selected = items[start : start + limit]
    links = PageLinks.of(request, pim_url, ("page", "limit", "with_count"))
    count = "true" if with_count else "false"
    body: Item = {
        "_links": {"self": links.href(page=page, limit=limit, with_count=count)},
        "current_page": page,
    }
    body["_links"]["first"] = links.href(page=1, limit=limit, with_count=count)
    if page > 1:
        body["_links"]["previous"] = links.href(page=page - 1, limit=limit, with_count=count)
    if len(selected) == limit:
        body["_links"]["next"] = links.href(page=page + 1, limit=limit, with_count=count)
    if with_count:
        body["items_count"] = len(items)
    body["_embedded"] = {"items": [render(item) for item in selected]}
    return json_answer(200, body)


def search_after_page(
    request: httpx.Request,
    pim_url: str,
    keys_after: Callable[[str | None], Iterator[str]],
    render: Callable[[list[str]], list[Any]],
    *,
    limit: int,
) -> httpx.Response:
    """A page of the keys after ``search_after``, with ``next`` while more exist.

    ``keys_after`` gives the selected keys, in order, after a key (or from the start): it is
    read lazily, so a page of a filtered 100,000-item list costs about one page.
    ``render`` turns the page's keys into its items (objects, or plain UUIDs for catalogs).
    """
    after = request.url.params.get("search_after")
    upcoming = keys_after(after)
    selected = list(itertools.islice(upcoming, limit))
    more = next(upcoming, None) is not None
    links = PageLinks.of(request, pim_url, ("search_after", "limit", "pagination_type"))
    paging: dict[str, object] = {}
    if "pagination_type" in request.url.params:
        paging["pagination_type"] = "search_after"
    paging["limit"] = limit
    here = {**paging, "search_after": after} if after else paging
    body: Item = {"_links": {"self": links.href(**here), "first": links.href(**paging)}}
    if more:
        body["_links"]["next"] = links.href(**paging, search_after=selected[-1])
    body["_embedded"] = {"items": render(selected)}
    return json_answer(200, body)


# -- upsert lists --------------------------------------------------------------------------------


def upsert_lines(request: httpx.Request, key: str, upsert: Callable[[Item], int]) -> httpx.Response:
    """PATCH on a list: one JSON object per line, one answer line each; lines fail alone.

    ``upsert`` returns 201 or 204 or raises ApiError; the answer line names the item by ``key``
    (``code``, or ``uuid`` for products-uuid).
    """
    check_content_type(request, COLLECTION)
    lines = [line for line in request.content.split(b"\n") if line.strip()]
    if len(lines) > MAX_UPSERT_LINES:
        message = f"Too many resources to process, {MAX_UPSERT_LINES} is the maximum allowed."
        raise ApiError(413, message)
    answers: list[Item] = []
    for number, line in enumerate(lines, start=1):
        answer: Item = {"line": number}
        try:
            item = parse_object(line)
            if key in item:
                answer[key] = item[key]
            answer["status_code"] = upsert(item)
        except ApiError as error:
            answer["status_code"] = error.status
            answer["message"] = error.message
            if "errors" in error.extra:
                answer["errors"] = error.extra["errors"]
        answers.append(answer)
    content = "\n".join(json.dumps(answer, ensure_ascii=False) for answer in answers)
    return httpx.Response(200, headers={"Content-Type": COLLECTION}, content=content.encode())
