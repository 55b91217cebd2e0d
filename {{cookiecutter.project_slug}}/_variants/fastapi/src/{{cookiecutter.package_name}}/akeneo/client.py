"""The API of one connected PIM: where a route of the App starts calling the PIM.

Every call carries the token, the App's User-Agent and the HTTP client's timeout, waits for one
of the PIM's fair-use slots, and is retried when the PIM is busy (see `transport.send`).
"""

import asyncio
from collections.abc import Callable, Generator
from typing import TypeVar

import httpx

from .api import Channel, JsonObject, Params, get_object, list_channels, list_items, request_scopes
from .errors import MissingScope, PimDisconnected
from .exchange import Connection
from .fair_use import FairUse, run_fairly
from .scopes import missing_scopes
from .transport import DEFAULT_API_MAX_BYTES

T = TypeVar("T")


class PimApi:
    """Calls the PIM of `connection` with its token.

    A 401 calls `on_disconnected(connection)` (the App marks the PIM disconnected) before
    `PimDisconnected` is raised; a 403 raises `MissingScope` naming the scopes of
    `wanted_scopes` that the PIM did not grant.
    """

    def __init__(
        self,
        connection: Connection,
        *,
        http: httpx.AsyncClient,
        fair_use: FairUse,
        wanted_scopes: tuple[str, ...] = (),
        on_disconnected: Callable[[Connection], object],
        api_max_bytes: int = DEFAULT_API_MAX_BYTES,
    ) -> None:
        self._connection = connection
        self._http = http
        self._fair_use = fair_use
        self._on_disconnected = on_disconnected
        self._api_max_bytes = api_max_bytes
        self.missing_scopes = missing_scopes(wanted_scopes, connection.scopes)

    @property
    def pim_url(self) -> str:
        return self._connection.pim_url

    async def get(self, path: str, params: Params | None = None) -> JsonObject:
        """`GET path` (e.g. `/api/rest/v1/products/my-sku`): the JSON object answered."""
        return await self._run(get_object(self._connection, path, params))

    async def get_all(self, path: str, params: Params | None = None) -> list[JsonObject]:
        """Every item of a list endpoint (e.g. `/api/rest/v1/families`), all pages."""
        return await self._run(list_items(self._connection, path, params))

    async def channels(self) -> list[Channel]:
        return await self._run(list_channels(self._connection))

    async def request_scopes(self, scopes: tuple[str, ...]) -> str:
        """Tell the PIM the App needs `scopes` (it notifies its users); its answer, "Ok"."""
        return await self._run(request_scopes(self._connection, scopes))

    async def _run(self, protocol: Generator[httpx.Request, httpx.Response, T]) -> T:
        try:
            return await run_fairly(
                protocol, self._http, self._fair_use, api_max_bytes=self._api_max_bytes
            )
        except PimDisconnected:
            # Storage is synchronous: keep it off the event loop.
            await asyncio.to_thread(self._on_disconnected, self._connection)
            raise
        except MissingScope as error:
            raise MissingScope(error.message, self.missing_scopes) from None
